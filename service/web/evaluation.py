"""The evaluation page, `/evaluations/{id}` (rendered by `service.documents`, stored once it has finished).

While the evaluation is queued or running the page refreshes itself: a small script polls the JSON API, and
without JavaScript a <noscript> meta refresh does the same.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from service import documents
from service.api.deps import SessionDep
from service.queries import ANONYMOUS
from service.web.templates import not_found

router = APIRouter()


@router.get("/evaluations/{evaluation_id}")
async def evaluation(request: Request, evaluation_id: int, session: SessionDep) -> Response:
    found = await documents.response(request, session, evaluation_id, "page", ANONYMOUS)
    return found or not_found(f"There is no public evaluation {evaluation_id}.")
