"""The Celery tasks, named as the service sends them (service.celery_config); the logic lives beside them."""

from __future__ import annotations

from typing import Any

from service import documents
from service.celery_config import CONTROL_TASK, FINALISE, REAP, REFRESH_DOCUMENTS, RUN_SHARD
from service.settings import get_settings
from workers import finalise as finalising
from workers import reaper, shard_runner
from workers.app import app

_settings = get_settings()


@app.task(name=RUN_SHARD, bind=True, acks_late=True, reject_on_worker_lost=True,
          time_limit=_settings.shard_time_limit_s, soft_time_limit=_settings.shard_soft_time_limit_s)
def run_shard(self: Any, shard_id: int, attempt: int) -> str:
    return shard_runner.run(shard_id, attempt, self.request.id)


@app.task(name=FINALISE, **CONTROL_TASK)
def finalise(evaluation_id: int) -> str:
    return finalising.finalise(evaluation_id)


@app.task(name=REAP, **CONTROL_TASK)
def reap() -> dict[str, int]:
    return reaper.reap()


@app.task(name=REFRESH_DOCUMENTS, **CONTROL_TASK)
def refresh_documents() -> int:
    settings = get_settings()
    return documents.refresh_stale(settings, settings.documents_batch)
