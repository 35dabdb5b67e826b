"""One evaluation: status and progress, results (JSON or CSV), cancel and re-run."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session
from starlette.responses import Response

from service import documents
from service.api.deps import SessionDep, SettingsDep, UserDep, ViewerDep
from service.db import write_session
from service.export import RESULT_COLUMNS, to_csv
from service.lifecycle import Outbox, cancel_evaluation, lock_evaluation, rerun_evaluation
from service.queries import Viewer, evaluation_results, visible_evaluation
from service.settings import Settings

router = APIRouter(tags=["evaluations"])


# The read routes answer with documents (service.documents), stored once an evaluation has finished.
@router.get("/evaluations/{evaluation_id}", response_model=dict[str, Any])
async def get_evaluation(request: Request, evaluation_id: int, session: SessionDep, viewer: ViewerDep) -> Response:
    found = await documents.response(request, session, evaluation_id, "detail", viewer)
    if found is None:
        raise HTTPException(404, f"no evaluation {evaluation_id}")
    return found


@router.get("/evaluations/{evaluation_id}/results", response_model=None)
async def get_results(request: Request, evaluation_id: int, session: SessionDep, viewer: ViewerDep,
                      format: Literal["json", "csv"] = Query("json")) -> Response:
    """Per corruption x severity (or perturbation x difficulty): counts, errors and normalised values."""
    if format == "json":
        found = await documents.response(request, session, evaluation_id, "results", viewer)
    else:
        found = await run_in_threadpool(_results_csv, session, evaluation_id, viewer)
    if found is None:
        raise HTTPException(404, f"no evaluation {evaluation_id}")
    return found


def _results_csv(session: Session, evaluation_id: int, viewer: Viewer) -> Response | None:
    results = evaluation_results(session, evaluation_id, viewer)
    if results is None:
        return None
    return PlainTextResponse(to_csv(results["rows"], RESULT_COLUMNS), media_type="text/csv", headers={
        "Content-Disposition": f'attachment; filename="evaluation-{evaluation_id}.csv"'})


def _change(evaluation_id: int, viewer: Viewer, settings: Settings, action: str) -> dict[str, Any]:
    outbox = Outbox()
    with write_session(settings) as session:
        if visible_evaluation(session, evaluation_id, viewer) is None:
            raise HTTPException(404, f"no evaluation {evaluation_id}")
        evaluation = lock_evaluation(session, evaluation_id)
        assert evaluation is not None
        if evaluation.submission.owner_id != viewer.user_id and not viewer.is_admin:
            raise HTTPException(403, f"evaluation {evaluation_id} belongs to someone else; only they can {action} it")
        if action == "cancel":
            changed = cancel_evaluation(session, evaluation, outbox)
            if not changed:
                raise HTTPException(409, f"evaluation {evaluation_id} is {evaluation.status}; nothing to cancel")
        else:
            changed = rerun_evaluation(session, evaluation, outbox)
            if not changed:
                raise HTTPException(409, f"evaluation {evaluation_id} is still {evaluation.status}; cancel it first")
        status = evaluation.status
    outbox.send(settings)
    return {"id": evaluation_id, "status": status}


@router.post("/evaluations/{evaluation_id}/cancel")
def cancel(evaluation_id: int, viewer: UserDep, settings: SettingsDep) -> dict[str, Any]:
    """Stops the evaluation: its queued shards never run, running ones stop at their next progress report."""
    return _change(evaluation_id, viewer, settings, "cancel")


@router.post("/evaluations/{evaluation_id}/rerun")
def rerun(evaluation_id: int, viewer: UserDep, settings: SettingsDep) -> dict[str, Any]:
    """Runs a finished, failed or cancelled evaluation again from scratch."""
    return _change(evaluation_id, viewer, settings, "rerun")
