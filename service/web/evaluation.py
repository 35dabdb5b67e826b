"""The evaluation page, `/evaluations/{id}`: status and live progress, metrics, the per-corruption x severity
(or per-perturbation) breakdown with its charts, the suite's protocol and baseline, and provenance.

While the evaluation is queued or running the page refreshes itself: a small script polls the JSON API, and
without JavaScript a <noscript> meta refresh does the same.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from service.api.deps import SessionDep
from service.models import ACTIVE_EVALUATION
from service.queries import ANONYMOUS, evaluation_detail, evaluation_results
from service.read_cache import cached_response
from service.web.breakdown import corruption_table, evaluation_charts, perturbation_rows
from service.web.templates import not_found, page

router = APIRouter()
REFRESH_S = 5


@router.get("/evaluations/{evaluation_id}")
@cached_response
def evaluation(request: Request, evaluation_id: int, session: SessionDep) -> Response:
    detail = evaluation_detail(session, evaluation_id, ANONYMOUS)
    results = evaluation_results(session, evaluation_id, ANONYMOUS)
    if detail is None or results is None:
        return not_found(request, f"There is no public evaluation {evaluation_id}.")
    rows = results["rows"]
    return page(request, "evaluation.html", {
        "e": detail, "results": results, "live": detail["status"] in ACTIVE_EVALUATION, "refresh_s": REFRESH_S,
        "corruptions": corruption_table(rows), "perturbations": perturbation_rows(rows),
        "charts": evaluation_charts(rows)})
