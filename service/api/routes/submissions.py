"""POST /submissions (streamed multipart upload) and GET /submissions/{id}."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse

from service.api.deps import SessionDep, SettingsDep, UserDep, ViewerDep
from service.intake.upload import receive
from service.queries import submission_detail
from service.submissions import accept, early_check

router = APIRouter(tags=["submissions"])

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"multipart/form-data": {"schema": {
            "type": "object", "required": ["file", "metadata"],
            "properties": {
                "metadata": {"type": "string", "description": 'JSON: {"name", "model", "preprocessing" (optional '
                             'mean/std/resize/crop), "public", "suites": [...]}; send it before the file'},
                "file": {"type": "string", "format": "binary",
                         "description": ".safetensors, or a torch.save file (.pt, .pth, .pth.tar)"},
            }}}},
    }
}


@router.post("/submissions", status_code=201, openapi_extra=UPLOAD_BODY,
             responses={200: {"description": "An identical submission of yours exists; it is returned"}})
async def create_submission(request: Request, viewer: UserDep, settings: SettingsDep) -> JSONResponse:
    """Streams the checkpoint to disk (size cap, sha256), checks it, and queues one evaluation per suite."""
    length = request.headers.get("content-length", "")
    upload = await receive(request.headers.get("content-type", ""), int(length) if length.isdigit() else None,
                           request.stream(), settings.uploads_dir, settings.max_upload_bytes, early_check)
    try:
        assert viewer.user_id is not None
        accepted = await run_in_threadpool(accept, upload, viewer.user_id, settings)
    finally:
        upload.path.unlink(missing_ok=True)
    body = {"id": accepted.submission_id, "created": accepted.created, "duplicate": not accepted.created,
            "evaluations": accepted.evaluation_ids}
    return JSONResponse(body, status_code=201 if accepted.created else 200)


@router.get("/submissions/{submission_id}")
def get_submission(submission_id: int, session: SessionDep, viewer: ViewerDep) -> dict[str, Any]:
    detail = submission_detail(session, submission_id, viewer)
    if detail is None:
        raise HTTPException(404, f"no submission {submission_id}")
    return detail
