"""The server-rendered pages against the real app on SQLite and on PostgreSQL (skipped when unreachable): what
each page shows equals what the JSON API returns from the same queries, charts included; links, forms and export
links lead where they say; private and unknown entries give a 404 page; user-chosen names are escaped."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from web_html import body_rows, chart_titled, charts, table, values
from web_site import XSS_NAME, Site, configured, seed, serving

from evaluators.benchmarks import CORRUPTIONS, PERTURBATIONS
from service.app import create_app
from service.db import write_session
from service.migrate import upgrade
from service.models import Evaluation
from service.settings import Settings, get_settings

METRICS_C = ("clean error", "mCE", "relative mCE")


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Site]]:
    url = request.getfixturevalue("make_database")() if request.param == "postgresql" else ""
    with configured(Settings(home=tmp_path_factory.mktemp(f"web-{request.param}"), database_url=url)):
        upgrade(get_settings())
        ids = seed(get_settings())
        with serving(create_app()) as url, httpx.Client(base_url=url) as client:
            yield client, ids


def get(client: httpx.Client, path: str, status: int = 200, **params: Any) -> str:
    response = client.get(path, params=params or None)
    assert response.status_code == status, (path, response.status_code, response.text[:500])
    return response.text


def api(client: httpx.Client, path: str, **params: Any) -> Any:
    response = client.get(f"/api/v1{path}", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def one_decimal(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def ranked(html: str) -> list[int]:
    return [int(r.attrs["data-evaluation"] or 0) for r in body_rows(html, "leaderboard", "ranked")]


def test_home_opens_the_first_suite(site: tuple[httpx.Client, Site]) -> None:
    client, _ = site
    response = client.get("/")
    assert response.status_code == 307 and response.headers["location"] == "/leaderboard/imagenet-c"


def test_leaderboard_shows_the_api_ranking(site: tuple[httpx.Client, Site]) -> None:
    client, ids = site
    html = get(client, "/leaderboard/imagenet-c")
    board = api(client, "/leaderboard", suite="imagenet-c")
    assert ranked(html) == [e["evaluation_id"] for e in board["entries"]]
    assert ids.private not in ranked(html) and ids.running not in ranked(html)
    assert {ids.r50_gap, ids.r50_gcp, ids.r18_gap, ids.r18_gcp, ids.mobilenet, ids.xss} == set(ranked(html))
    head = table(html, "leaderboard")[0].cells
    assert [c for c in head if "↓" in c] == [f"{m} ↓" + (" ▲" if m == "mCE" else "") for m in METRICS_C]
    assert "mFP" not in " ".join(head)  # an ImageNet-C suite has no ImageNet-P columns
    for row, entry in zip(body_rows(html, "leaderboard", "ranked"), board["entries"], strict=True):
        assert row.cells[-4:-1] == [one_decimal(entry[m]) for m in ("clean_error", "mce", "relative_mce")]
    # the published AlexNet table is pinned above the ranking
    (pinned,) = body_rows(html, "leaderboard", "pinned")
    assert "AlexNet (published table" in pinned.cells[2] and pinned.cells[-4:-1] == ["43.5", "100.0", "100.0"]
    assert "published AlexNet ImageNet-C table" in html


def test_leaderboard_sorts_filters_and_pages_with_links(site: tuple[httpx.Client, Site]) -> None:
    client, ids = site
    html = get(client, "/leaderboard/imagenet-c")
    assert 'href="/leaderboard/imagenet-c?sort=clean_error&amp;order=asc&amp;limit=50"' in html
    assert 'href="/leaderboard/imagenet-c?sort=mce&amp;order=desc&amp;limit=50"' in html  # the sorted one flips
    by_clean = get(client, "/leaderboard/imagenet-c", sort="clean_error", order="desc")
    expected = api(client, "/leaderboard", suite="imagenet-c", sort="clean_error", order="desc")["entries"]
    assert ranked(by_clean) == [e["evaluation_id"] for e in expected]
    assert [e["clean_error"] for e in expected] == sorted((e["clean_error"] for e in expected), reverse=True)
    gcp = get(client, "/leaderboard/imagenet-c", pooling="gcp")
    assert set(ranked(gcp)) == {ids.r50_gcp, ids.r18_gcp}
    assert ranked(get(client, "/leaderboard/imagenet-c", model="resnet50_mpncov")) == [ids.r50_gcp]  # an alias
    unknown = get(client, "/leaderboard/imagenet-c", model="no-such-net")
    assert "unknown model" in unknown and 'id="leaderboard"' not in unknown
    first = get(client, "/leaderboard/imagenet-c", limit=4)
    second = get(client, "/leaderboard/imagenet-c", limit=4, offset=4)
    assert len(ranked(first)) == 4 and len(ranked(second)) == 2
    assert ranked(first) + ranked(second) == ranked(html)
    assert "1–4 of 6" in first
    assert 'rel="next" href="/leaderboard/imagenet-c?sort=mce&amp;order=asc&amp;offset=4' in first
    assert "5–6 of 6" in second and 'rel="prev"' in second and 'rel="next"' not in second
    # the pinned baseline stays whatever the page, filter or order
    assert len(body_rows(second, "leaderboard", "pinned")) == 1 == len(body_rows(gcp, "leaderboard", "pinned"))


def test_twins_side_by_side_with_the_gcp_gain(site: tuple[httpx.Client, Site]) -> None:
    client, ids = site
    html = get(client, "/leaderboard/imagenet-c")
    rows = {r.attrs["data-family"]: r for r in body_rows(html, "twins")}
    assert set(rows) == {"resnet18", "resnet50"}  # MobileNetV2 and ResNet-34 have no twin
    entries = {e["evaluation_id"]: e for e in api(client, "/leaderboard", suite="imagenet-c")["entries"]}
    for family, gap, gcp in (("resnet50", ids.r50_gap, ids.r50_gcp), ("resnet18", ids.r18_gap, ids.r18_gcp)):
        cells = rows[family].cells
        assert cells[1].startswith(entries[gap]["name"]) and cells[2].startswith(entries[gcp]["name"])
        for i, metric in enumerate(("clean_error", "mce", "relative_mce")):
            a, b = entries[gap][metric], entries[gcp][metric]
            assert cells[3 + 3 * i: 6 + 3 * i] == [one_decimal(a), one_decimal(b), f"{a - b:+.1f}"]
        assert float(cells[8]) > 0  # the mCE gain: the made-up GCP models err less
    assert f'href="/compare?a={ids.r50_gap}&amp;b={ids.r50_gcp}"' in html


def test_exports_linked_from_the_leaderboard(site: tuple[httpx.Client, Site]) -> None:
    client, _ = site
    html = get(client, "/leaderboard/imagenet-c", sort="clean_error")
    link = "/api/v1/leaderboard?format=csv&amp;suite=imagenet-c&amp;sort=clean_error&amp;order=asc&amp;limit=1000"
    assert f'href="{link}"' in html
    response = client.get(link.replace("&amp;", "&"))
    assert response.headers["content-type"].startswith("text/csv")
    assert [int(r["evaluation_id"]) for r in csv.DictReader(io.StringIO(response.text))] == ranked(html)
    assert 'href="/api/v1/leaderboard?suite=imagenet-c&amp;sort=clean_error&amp;order=asc&amp;limit=1000"' in html


def test_evaluation_page_tables_and_charts_match_the_results(site: tuple[httpx.Client, Site]) -> None:
    client, ids = site
    html = get(client, f"/evaluations/{ids.r50_gcp}")
    results = api(client, f"/evaluations/{ids.r50_gcp}/results")
    detail = api(client, f"/evaluations/{ids.r50_gcp}")
    rows = [r for r in results["rows"] if r["kind"] != "clean"]
    ce = {r["corruption"]: r["ce"] for r in rows}
    # CE per corruption: one bar per corruption, in the suite's order, with the stored value
    assert values(chart_titled(html, "Corruption error (CE) per corruption")) == [("CE", c, ce[c]) for c in CORRUPTIONS]
    # error against severity: one line per corruption through the stored top-1 errors
    lines = values(chart_titled(html, "Top-1 error against severity"), "circle")
    assert lines == [(r["corruption"], str(r["severity"]), r["top1_error"]) for r in rows]
    # the breakdown table, one decimal
    relative = {r["corruption"]: r["relative_ce"] for r in rows}
    breakdown = {r.attrs["data-corruption"]: r.cells for r in body_rows(html, "breakdown")
                 if r.attrs.get("data-corruption")}
    assert list(breakdown) == list(CORRUPTIONS)
    for corruption, cells in breakdown.items():
        errors = [one_decimal(r["top1_error"]) for r in rows if r["corruption"] == corruption]
        assert cells[1:] == [*errors, one_decimal(ce[corruption]), one_decimal(relative[corruption])]
    for metric in ("clean_error", "mce", "relative_mce"):
        assert f'<div data-metric="{metric}"><dt>' in html
        assert f"<dd>{one_decimal(detail['metrics'][metric])}</dd>" in html
    assert "alexnet (hendrycks-2019-10-10)" in html and "15 corruptions" in html and "protocol version 1" in html
    assert detail["provenance"]["data_manifest_sha256"][:16] in html
    assert 'http-equiv="refresh"' not in html and "data-live-evaluation" not in html  # finished: no refresh
    csv_link = f"/api/v1/evaluations/{ids.r50_gcp}/results?format=csv"
    assert f'href="{csv_link}"' in html and f'href="/api/v1/evaluations/{ids.r50_gcp}/results"' in html
    exported = list(csv.DictReader(io.StringIO(client.get(csv_link).text)))
    assert [float(r["top1_error"]) for r in exported] == [r["top1_error"] for r in results["rows"]]


def test_imagenet_p_pages(site: tuple[httpx.Client, Site]) -> None:
    client, ids = site
    html = get(client, "/leaderboard/imagenet-p")
    head = " ".join(table(html, "leaderboard")[0].cells)
    assert "mFP ↓ ▲" in head and "mT5D ↓" in head and "mCE" not in head
    (pinned,) = body_rows(html, "leaderboard", "pinned")
    assert pinned.attrs["data-evaluation"] == str(ids.p_gap) and pinned.cells[-3] == "100.0"  # it normalises itself
    assert [r.attrs["data-family"] for r in body_rows(html, "twins")] == ["resnet18"]
    page = get(client, f"/evaluations/{ids.p_gcp}")
    fp = {r["perturbation"]: r["fp"] for r in api(client, f"/evaluations/{ids.p_gcp}/results")["rows"]}
    assert values(chart_titled(page, "FP per perturbation")) == [("FP", p, fp[p]) for p in PERTURBATIONS]
    assert len(values(chart_titled(page, "T5D per perturbation"))) == len(PERTURBATIONS)
    assert f'href="/compare?a={ids.p_gap}&amp;b={ids.p_gcp}"' in page  # "compare with the baseline"
    compared = get(client, "/compare", a=ids.p_gap, b=ids.p_gcp)
    assert [r.attrs["data-perturbation"] for r in body_rows(compared, "per-perturbation")] == list(PERTURBATIONS)


def test_running_evaluation_refreshes_itself(site: tuple[httpx.Client, Site]) -> None:
    client, ids = site
    html = get(client, f"/evaluations/{ids.running}")
    progress = api(client, f"/evaluations/{ids.running}")["progress"]
    assert '<noscript><meta http-equiv="refresh" content="5"></noscript>' in html
    assert f'data-live-evaluation="{ids.running}"' in html and '<script src="/static/cpbench.js" defer>' in html
    assert f'<progress max="{progress["shards"]}" value="{progress["done"]}">' in html
    assert f"{progress['done']} of {progress['shards']} shards done, 1 running" in html
    script = client.get("/static/cpbench.js")
    assert script.status_code == 200 and "/api/v1/evaluations/" in script.text


def test_compare_page(site: tuple[httpx.Client, Site]) -> None:
    client, ids = site
    response = client.get("/compare", params={"e": [ids.r50_gap, ids.r50_gcp]})
    assert response.status_code == 303 and response.headers["location"] == f"/compare?a={ids.r50_gap}&b={ids.r50_gcp}"
    html = get(client, response.headers["location"])
    compared = api(client, "/compare", a=ids.r50_gap, b=ids.r50_gcp)
    metrics = {r.attrs["data-metric"]: r.cells for r in body_rows(html, "metrics")}
    assert list(metrics) == ["clean_error", "mce", "relative_mce"]
    for metric, cells in metrics.items():
        m = compared["metrics"][metric]
        assert cells[1:] == [one_decimal(m["a"]), one_decimal(m["b"]), f"{m['delta']:+.1f}"]
    deltas = {r["corruption"]: r["ce"]["delta"] for r in compared["rows"] if "corruption" in r}
    table_rows = body_rows(html, "per-corruption")
    assert [r.attrs["data-corruption"] for r in table_rows] == list(CORRUPTIONS)
    assert [r.cells[3] for r in table_rows] == [f"{deltas[c]:+.1f}" for c in CORRUPTIONS]
    bars = values(chart_titled(html, "CE per corruption"))
    names = [f"#{ids.r50_gap} R50 GAP", f"#{ids.r50_gcp} R50 GCP"]
    ce = {(side, r["corruption"]): r["ce"][side] for r in compared["rows"] if "corruption" in r for side in "ab"}
    assert bars == [(names[i], c, ce["ab"[i], c]) for c in CORRUPTIONS for i in (0, 1)]
    assert f'href="/api/v1/compare?a={ids.r50_gap}&amp;b={ids.r50_gcp}"' in html
    assert "different suites" not in html
    assert "different suites" in get(client, "/compare", a=ids.r50_gap, b=ids.p_gcp)
    assert get(client, "/compare", status=400, e=ids.r50_gap).count("Tick exactly two entries") == 1


def test_unknown_and_private_entries_are_not_found(site: tuple[httpx.Client, Site]) -> None:
    client, ids = site
    for path, params in ((f"/evaluations/{ids.private}", {}), ("/evaluations/999999", {}),
                         ("/leaderboard/no-such-suite", {}), ("/compare", {"a": ids.r50_gap, "b": ids.private})):
        html = get(client, path, 404, **params)
        assert "<h1>Not found</h1>" in html and "Secret R50" not in html
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/templates.py").status_code == 404


def test_user_chosen_names_are_escaped(site: tuple[httpx.Client, Site]) -> None:
    client, ids = site
    escaped = "&lt;script&gt;alert(&#34;pwned&#34;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;"
    pages_ = [get(client, "/leaderboard/imagenet-c"), get(client, f"/evaluations/{ids.xss}"),
              get(client, "/compare", a=ids.xss, b=ids.r50_gap)]
    for html in pages_:
        assert "<script>alert" not in html and "<b>bold" not in html
        assert escaped in html or escaped.replace("&#34;", "&quot;") in html
    legend = [svg for svg in charts(pages_[2]) if svg.findtext("{http://www.w3.org/2000/svg}title").startswith("CE")]
    assert values(legend[0])[0][0] == f"#{ids.xss} {XSS_NAME}"  # the SVG carries the name as text, escaped


def test_pages_follow_database_changes(site: tuple[httpx.Client, Site]) -> None:
    """Cached pages and API answers change with the data: an entry made private leaves them, and comes back."""
    client, ids = site

    def shown() -> tuple[bool, bool, int]:
        html = get(client, "/leaderboard/imagenet-c")
        board = api(client, "/leaderboard", suite="imagenet-c")
        status = client.get(f"/evaluations/{ids.mobilenet}").status_code
        return ids.mobilenet in ranked(html), ids.mobilenet in [e["evaluation_id"] for e in board["entries"]], status

    def publish(public: bool) -> None:
        with write_session(get_settings()) as session:
            evaluation = session.get(Evaluation, ids.mobilenet)
            assert evaluation is not None
            evaluation.public = evaluation.submission.public = public

    assert shown() == (True, True, 200)
    publish(False)
    try:
        assert shown() == (False, False, 404)
    finally:
        publish(True)
    assert shown() == (True, True, 200)

