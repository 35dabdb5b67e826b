"""The pages in a real browser: Debian's Chromium (/usr/bin/chromium) driven by Playwright, against `cpbench serve`.

It loads the leaderboard of a suite holding GAP and GCP entries, sorts a column, opens an evaluation and the
comparison of two ticked entries, checks what they show, and writes screenshots of the three pages to
docs/screenshots/. Without Chromium it skips, except where CPBENCH_REQUIRE_BROWSER=1 (CI): there it fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, Page, expect, sync_playwright
from service_harness import Deployment
from web_site import Site, configured, seed

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrowserContext]:
    if not os.access(CHROMIUM, os.X_OK):
        reason = f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium)"
        if os.environ.get("CPBENCH_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{reason}, and CPBENCH_REQUIRE_BROWSER=1 makes this test mandatory")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            tmp_path_factory.mktemp("chromium-profile"), executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
            headless=True, viewport={"width": 1280, "height": 900})
        context.set_default_timeout(30_000)
        yield context
        context.close()


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Deployment, Site]]:
    """`cpbench serve --no-worker` on the embedded SQLite default, with the site written beside it."""
    dep = Deployment(tmp_path_factory.mktemp("browser"))
    dep.serve("--no-worker")
    try:
        with configured(dep.settings):
            site = seed(dep.settings)
        yield dep, site
    finally:
        dep.stop_all()


def column(page: Page, metric: str) -> list[float]:
    cells = page.locator(f'#leaderboard tbody.ranked td[data-metric="{metric}"]')
    return [float(text) for text in cells.all_inner_texts()]


def bars(page: Page, title: str) -> list[tuple[str, float]]:
    chart = page.locator("svg.chart", has=page.locator(f'title:text-is("{title}")'))
    return [(bar.get_attribute("data-category") or "", float(bar.get_attribute("data-value") or "nan"))
            for bar in chart.locator("rect.bar").all()]


def test_leaderboard_evaluation_and_compare_in_chromium(browser: BrowserContext,
                                                        deployment: tuple[Deployment, Site]) -> None:
    dep, site = deployment
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    mce = {e["evaluation_id"]: e["mce"] for e in dep.client().leaderboard("imagenet-c")["entries"]}
    gain = f"{mce[site.r50_gap] - mce[site.r50_gcp]:+.1f}"
    page = browser.new_page()
    page.goto(dep.url + "/")
    expect(page).to_have_url(dep.url + "/leaderboard/imagenet-c")
    expect(page.locator("h1")).to_have_text("imagenet-c")
    poolings = page.locator("#leaderboard tbody.ranked tr").evaluate_all("rows => rows.map(r => r.dataset.pooling)")
    assert {"gap", "gcp"} <= set(poolings)
    assert column(page, "mce") == sorted(column(page, "mce"))
    expect(page.locator("#leaderboard tbody.pinned")).to_contain_text("AlexNet (published table")
    expect(page.locator('#twins tr[data-family="resnet50"] td.gain[data-metric="mce"]')).to_have_text(gain)

    # sort by clean error, then flip to descending, with the header links
    page.locator('#leaderboard th[data-metric="clean_error"] a').click()
    expect(page).to_have_url(dep.url + "/leaderboard/imagenet-c?sort=clean_error&order=asc&limit=50")
    assert column(page, "clean_error") == sorted(column(page, "clean_error"))
    page.locator('#leaderboard th[data-metric="clean_error"] a').click()
    expect(page.locator('#leaderboard th[data-metric="clean_error"]')).to_have_attribute("aria-sort", "descending")
    by_clean = column(page, "clean_error")
    assert by_clean == sorted(by_clean, reverse=True) and len(by_clean) == 6
    page.screenshot(path=SCREENSHOTS / "leaderboard.png", full_page=True)

    # a row opens its evaluation
    page.get_by_role("link", name="R50 GCP", exact=True).first.click()
    expect(page).to_have_url(dep.url + f"/evaluations/{site.r50_gcp}")
    expect(page.locator("h1")).to_contain_text("R50 GCP")
    expect(page.locator(".status")).to_have_text("finished")
    ce = bars(page, "Corruption error (CE) per corruption, lower is better")
    assert len(ce) == 15 and all(value > 0 for _, value in ce)
    table_ce = page.locator('#breakdown tr[data-corruption] td[data-value]').evaluate_all(
        "cells => cells.map(c => Number(c.dataset.value))")
    assert [value for _, value in ce] == table_ce  # the chart draws the table's stored values
    page.screenshot(path=SCREENSHOTS / "evaluation.png", full_page=True)

    # ticking two rows and submitting the plain GET form opens the comparison
    page.go_back()
    page.locator(f'input[name="e"][value="{site.r50_gap}"]').first.check()
    page.locator(f'input[name="e"][value="{site.r50_gcp}"]').first.check()
    page.get_by_role("button", name="Compare the two ticked entries").click()
    expect(page).to_have_url(dep.url + f"/compare?a={site.r50_gap}&b={site.r50_gcp}")
    expect(page.locator('.side[data-side="A"]')).to_contain_text("R50 GAP")
    expect(page.locator('.side[data-side="B"]')).to_contain_text("R50 GCP")
    expect(page.locator('#metrics tr[data-metric="mce"] td').nth(2)).to_have_text(f"{-float(gain):+.1f}")
    compared = bars(page, "CE per corruption, lower is better")
    assert len(compared) == 30  # two bars per corruption
    assert [value for _, value in compared[1::2]] == [value for _, value in ce]  # B is the evaluation seen above
    page.screenshot(path=SCREENSHOTS / "compare.png", full_page=True)
    assert all((SCREENSHOTS / name).stat().st_size > 10_000 for name in ("leaderboard.png", "evaluation.png",
                                                                             "compare.png"))
