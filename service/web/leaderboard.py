"""The leaderboard pages: `/` (the first suite's board) and `/leaderboard/{suite}`.

Sorting, filtering, paging and picking two entries to compare are plain links and GET forms, so the page works
without JavaScript. Pages show what anyone may see (public entries), whatever the browser sends.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from evaluators.errors import CpbenchError
from evaluators.models import list_models, model_info
from service.api.deps import SessionDep, SettingsDep
from service.catalog import published_baseline_applies
from service.queries import (
    ANONYMOUS,
    SORTABLE,
    baseline_entry,
    find_suite,
    headline_metric,
    leaderboard,
    list_suites,
    suite_metrics,
    suite_summary,
    twins,
)
from service.read_cache import cached_response
from service.web.templates import not_found, page

router = APIRouter()
PAGE_SIZE = 50


@router.get("/")
def home(session: SessionDep) -> Response:
    suites = list_suites(session)
    if not suites:
        return page("no_suites.html", {})
    return RedirectResponse(f"/leaderboard/{suites[0]['name']}", status_code=307)


@router.get("/leaderboard/{suite}")
@cached_response
def board(request: Request, suite: str, session: SessionDep, settings: SettingsDep,
          sort: str = "", order: Literal["asc", "desc"] = "asc", model: str = "",
          pooling: Literal["", "gap", "gcp"] = "", limit: int = Query(PAGE_SIZE, ge=1),
          offset: int = Query(0, ge=0)) -> Response:
    found = find_suite(session, suite)
    if found is None:
        return not_found(f"There is no suite named “{suite}”.")
    metrics = suite_metrics(found)
    sort = sort if sort in SORTABLE else headline_metric(found)
    limit = min(limit, settings.max_page_size)
    problem = None
    try:
        canonical = model_info(model).name if model else None
    except CpbenchError as error:
        problem, canonical = str(error), None
    entries = (leaderboard(session, found, ANONYMOUS, sort, order, canonical, pooling or None, limit, offset)
               if problem is None else None)
    return page("leaderboard.html", {
        "suites": list_suites(session), "suite": suite_summary(found), "board": entries, "metrics": metrics,
        "sort": sort, "order": order, "filters": {"model": model, "pooling": pooling}, "limit": limit,
        "offset": offset, "problem": problem, "pinned": baseline_entry(session, found, ANONYMOUS),
        "published_baseline": published_baseline_applies(found), "twins": twins(session, found, ANONYMOUS),
        "models": list_models(), "export_limit": settings.max_page_size,
        "headline": headline_metric(found)})
