"""The compare page, `/compare?a=&b=`: two entries side by side with b - a for every metric, per corruption (or
perturbation), and a chart. The leaderboard's tick boxes submit `?e=…&e=…`, which lands here as a redirect to
the canonical address."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from service.api.deps import SessionDep
from service.queries import ANONYMOUS, compare
from service.read_cache import cached_response
from service.web.breakdown import compare_chart, compare_corruptions, perturbation_rows
from service.web.templates import not_found, page, url

router = APIRouter()


@router.get("/compare")
@cached_response
def compare_page(request: Request, session: SessionDep, a: int | None = None, b: int | None = None,
                 e: list[int] = Query(default=[], description="the two ticked evaluations")) -> Response:
    if e:
        if len(e) != 2:
            return page("pick_two.html", {"picked": len(e)}, status_code=400)
        return RedirectResponse(url("/compare", a=e[0], b=e[1]), status_code=303)
    if a is None or b is None:
        return page("pick_two.html", {"picked": int(a is not None) + int(b is not None)}, status_code=400)
    result = compare(session, a, b, ANONYMOUS)
    if result is None:
        return not_found(f"Evaluation {a} or {b} does not exist or is not public.")
    names = [f"#{result[side]['id']} {result[side]['submission']['name']}" for side in ("a", "b")]
    return page("compare.html", {
        "c": result, "names": names, "corruptions": compare_corruptions(result["rows"]),
        "perturbations": perturbation_rows(result["rows"]), "chart": compare_chart(result["rows"], *names)})
