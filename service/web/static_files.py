"""The pages' own stylesheet and script, served by cpbench itself (no CDN, no build step)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, PlainTextResponse
from starlette.responses import Response

router = APIRouter()
STATIC = Path(__file__).resolve().parent / "static"
FILES = {"style.css": "text/css", "cpbench.js": "text/javascript"}  # nothing else under static/ is served


@router.get("/static/{name}")
def static(name: str) -> Response:
    if name not in FILES:
        return PlainTextResponse("not found", status_code=404)
    return FileResponse(STATIC / name, media_type=FILES[name], headers={"Cache-Control": "public, max-age=300"})
