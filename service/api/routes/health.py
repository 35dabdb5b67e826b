"""GET /healthz: 200 when the database and the broker answer, else 503 naming what does not; with the age of
the oldest queued shard and the running count, to alert on work that stops moving (service_lessons.md c3)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import case, func, select

from service.api.deps import SettingsDep
from service.db import session_scope
from service.dispatch import ping_broker
from service.models import Shard, ShardStatus, utcnow

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(settings: SettingsDep) -> JSONResponse:
    checks: dict[str, str] = {}
    queue: dict[str, float | int | None] = {}
    try:
        with session_scope(settings) as session:
            oldest, running = session.execute(select(
                func.min(case((Shard.status == ShardStatus.queued, Shard.queued_at))),
                func.count(case((Shard.status == ShardStatus.running, 1))))).one()
        checks["database"] = "ok"
        queue = {"oldest_queued_s": None if oldest is None else round((utcnow() - oldest).total_seconds()),
                 "running_shards": running}
    except Exception as error:
        checks["database"] = f"unreachable: {type(error).__name__}"
    try:
        ping_broker(settings)
        checks["broker"] = "ok"
    except Exception as error:
        checks["broker"] = f"unreachable: {type(error).__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JSONResponse({"status": "ok" if healthy else "unhealthy", **checks, **queue},
                        status_code=200 if healthy else 503)
