"""Stored documents of finished evaluations (service/documents.py), on SQLite and PostgreSQL: finalise stores
them; they are byte-for-byte what live rendering gives; they are served only to those who may see them, gzip
as stored or decompressed; any change to a row they show — by the ORM or by a Core statement — or another
renderer retires them, the pages then show the change at once, and `refresh_stale` renders exactly those."""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select, update
from web_site import Site, configured, seed, serving

from service import documents
from service.app import create_app
from service.catalog import set_baseline
from service.db import session_scope, write_session
from service.lifecycle import Outbox, lock_evaluation, rerun_evaluation
from service.migrate import upgrade
from service.models import Evaluation, EvaluationDocument, Submission, Suite
from service.queries import ANONYMOUS, Viewer
from service.settings import Settings, get_settings
from workers.finalise import finalise

ADMIN = Viewer(is_admin=True)


@pytest.fixture(params=["sqlite", "postgresql"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[httpx.Client, Site]]:
    url = request.getfixturevalue("make_database")() if request.param == "postgresql" else ""
    with configured(Settings(home=tmp_path, database_url=url)):
        upgrade(get_settings())
        ids = seed(get_settings())
        with serving(create_app()) as address, httpx.Client(base_url=address) as client:
            yield client, ids


def stored(evaluation_id: int, name: str, viewer: Viewer = ANONYMOUS) -> bytes | None:
    with session_scope() as session:
        return documents.stored(session, evaluation_id, name, viewer)


def live(evaluation_id: int, name: str, viewer: Viewer = ANONYMOUS) -> bytes | None:
    with session_scope() as session:
        return documents.DOCUMENTS[name][0](session, evaluation_id, viewer)


def current(evaluation_id: int) -> bool:
    return all(stored(evaluation_id, name, ADMIN) is not None for name in documents.DOCUMENTS)


def test_finalise_stores_what_live_rendering_gives(site: tuple[httpx.Client, Site]) -> None:
    _, ids = site
    for evaluation_id in (ids.r50_gap, ids.r50_gcp, ids.xss, ids.p_gap, ids.p_gcp):
        for name in documents.DOCUMENTS:
            body = stored(evaluation_id, name)
            assert body is not None, (evaluation_id, name)
            assert gzip.decompress(body) == live(evaluation_id, name), (evaluation_id, name)
    assert not current(ids.running)  # nothing is stored before an evaluation finishes
    # a private evaluation's documents are its owner's and the admins' only
    assert stored(ids.private, "detail") is None and stored(ids.private, "detail", Viewer(user_id=2)) is None
    with session_scope() as session:
        owner = session.scalar(select(Evaluation.owner_id).where(Evaluation.id == ids.private))
    assert stored(ids.private, "detail", Viewer(user_id=owner)) is not None


def test_http_serves_the_stored_bytes(site: tuple[httpx.Client, Site]) -> None:
    client, ids = site
    for path, name in ((f"/evaluations/{ids.r50_gcp}", "page"), (f"/api/v1/evaluations/{ids.r50_gcp}", "detail"),
                       (f"/api/v1/evaluations/{ids.r50_gcp}/results", "results")):
        body = stored(ids.r50_gcp, name)
        assert body is not None
        with client.stream("GET", path, headers={"Accept-Encoding": "gzip"}) as response:
            raw = b"".join(response.iter_raw())
        assert response.headers["content-encoding"] == "gzip" and raw == body
        assert response.headers["vary"] == "Accept-Encoding"
        plain = client.get(path, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers and plain.content == gzip.decompress(body)
    assert client.get(f"/evaluations/{ids.private}").status_code == 404
    assert client.get(f"/api/v1/evaluations/{ids.private}").status_code == 404


def test_a_change_to_any_row_shown_retires_the_documents(site: tuple[httpx.Client, Site]) -> None:
    client, ids = site
    settings = get_settings()
    with write_session() as session:  # a Core statement: the revision moves on all the same
        session.execute(update(Evaluation).where(Evaluation.id == ids.mobilenet).values(failure_reason="note"))
    with write_session() as session:  # an ORM change to the submission
        submission = session.scalar(select(Submission).join(Evaluation).where(Evaluation.id == ids.xss))
        assert submission is not None
        submission.name = "renamed entry"
    with write_session() as session:  # another renderer stored this one
        session.execute(update(EvaluationDocument).where(EvaluationDocument.evaluation_id == ids.r18_gap)
                        .values(renderer="an older cpbench"))
    assert not current(ids.mobilenet) and not current(ids.xss) and not current(ids.r18_gap)
    assert current(ids.r50_gap) and current(ids.r50_gcp)
    assert "renamed entry" in client.get(f"/evaluations/{ids.xss}").text  # shown at once, rendered live
    assert client.get(f"/api/v1/evaluations/{ids.mobilenet}").json()["failure_reason"] == "note"
    assert documents.refresh_stale(settings, 100) == 3
    for evaluation_id in (ids.mobilenet, ids.xss, ids.r18_gap):
        assert current(evaluation_id)
        for name in documents.DOCUMENTS:
            assert gzip.decompress(stored(evaluation_id, name) or b"") == live(evaluation_id, name)
    assert documents.refresh_stale(settings, 100) == 0


def test_a_baseline_change_retires_the_suites_documents_until_finalised_again(
        site: tuple[httpx.Client, Site]) -> None:
    client, ids = site
    with write_session() as session:
        suite = session.scalar(select(Suite).where(Suite.name == "imagenet-c"))
        assert suite is not None
        again = set_baseline(session, suite, ids.r50_gap)
    assert not current(ids.r50_gcp) and current(ids.p_gcp)  # the other suite's stay
    assert client.get(f"/api/v1/evaluations/{ids.r50_gcp}").json()["suite"]["baseline_evaluation_id"] == ids.r50_gap
    assert ids.r50_gcp in again
    assert finalise(ids.r50_gcp) == "finished"  # as the message set_baseline's caller sends would
    assert current(ids.r50_gcp)
    detail = client.get(f"/api/v1/evaluations/{ids.r50_gcp}").json()
    assert f"evaluation {ids.r50_gap}" in detail["report"]["imagenet_c"]["baseline"]["name"]
    page = client.get(f"/evaluations/{ids.r50_gcp}", headers={"Accept-Encoding": "identity"}).content
    assert gzip.decompress(stored(ids.r50_gcp, "page") or b"") == page


def test_a_rerun_retires_the_documents(site: tuple[httpx.Client, Site]) -> None:
    client, ids = site
    with write_session() as session:
        evaluation = lock_evaluation(session, ids.mobilenet)
        assert evaluation is not None and rerun_evaluation(session, evaluation, Outbox())
    assert not current(ids.mobilenet)
    assert client.get(f"/api/v1/evaluations/{ids.mobilenet}").json()["status"] == "queued"
    assert documents.refresh_stale(get_settings(), 100) == 0  # nothing to store before it finishes again
