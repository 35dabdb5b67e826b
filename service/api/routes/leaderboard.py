"""The leaderboard of a suite (JSON or CSV) and the comparison of two evaluations."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import JSONResponse, PlainTextResponse

from evaluators.models import model_info
from service.api.deps import SessionDep, SettingsDep, ViewerDep
from service.export import LEADERBOARD_COLUMNS, to_csv
from service.queries import SORTABLE, compare, find_suite, leaderboard
from service.read_cache import cached_response

router = APIRouter(tags=["leaderboard"])
Sort = Literal[SORTABLE]  # type: ignore[valid-type]


# The read routes answer with their query's plain JSON values, encoded once and kept by the response cache
# (FastAPI's generic encoder took longer than the query).
@router.get("/leaderboard", response_model=None)
@cached_response
def get_leaderboard(request: Request, session: SessionDep, viewer: ViewerDep, settings: SettingsDep,
                    suite: str = Query(description="suite name"),
                    sort: Sort = Query("mce", description="metric to sort by"),
                    order: Literal["asc", "desc"] = "asc",
                    model: str | None = Query(None, description="architecture (name or alias)"),
                    pooling: Literal["gap", "gcp"] | None = None,
                    limit: int = Query(50, ge=1), offset: int = Query(0, ge=0),
                    format: Literal["json", "csv"] = "json") -> JSONResponse | PlainTextResponse:
    if limit > settings.max_page_size:
        raise HTTPException(422, f"limit may be at most {settings.max_page_size}")
    found = find_suite(session, suite)
    if found is None:
        raise HTTPException(404, f"no suite named {suite!r}")
    canonical = None if model is None else model_info(model).name
    board = leaderboard(session, found, viewer, sort, order, canonical, pooling, limit, offset)
    if format == "csv":
        return PlainTextResponse(to_csv(board["entries"], LEADERBOARD_COLUMNS), media_type="text/csv", headers={
            "Content-Disposition": f'attachment; filename="leaderboard-{suite}.csv"'})
    return JSONResponse(board)


@router.get("/compare", response_model=dict[str, Any])
@cached_response
def get_compare(request: Request, a: int, b: int, session: SessionDep, viewer: ViewerDep) -> JSONResponse:
    """Two evaluations side by side, with b - a for every metric and every corruption/perturbation."""
    result = compare(session, a, b, viewer)
    if result is None:
        raise HTTPException(404, f"evaluation {a} or {b} does not exist")
    return JSONResponse(result)
