"""Enqueues work by task name on a producer built from the settings: the service never imports `workers`.

Every message is sent after the transaction that asked for it has committed, so a worker never sees a row
the database does not have yet; a message lost on the way is re-sent by the reaper.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from celery import Celery

from service.celery_config import FINALISE, RUN_SHARD, celery_config
from service.settings import Settings, get_settings

log = logging.getLogger(__name__)
RETRY_POLICY = {"max_retries": 3, "interval_start": 0.2, "interval_step": 0.5, "interval_max": 2}


_PRODUCERS: dict[str, Celery] = {}


def producer(settings: Settings | None = None) -> Celery:
    """One producer app per broker (kombu pools its connections)."""
    settings = settings or get_settings()
    if settings.broker_url not in _PRODUCERS:
        app = Celery("cpbench-producer", set_as_current=False)
        app.config_from_object(celery_config(settings))
        _PRODUCERS[settings.broker_url] = app
    return _PRODUCERS[settings.broker_url]


def shard_task_id(shard_id: int, attempt: int) -> str:
    return f"shard-{shard_id}-{attempt}"


def send_shards(shards: Iterable[tuple[int, int]], settings: Settings | None = None) -> None:
    """(shard id, attempt) pairs; a broker error is logged, not raised: the reaper re-sends queued shards."""
    settings = settings or get_settings()
    app = producer(settings)
    try:
        with app.producer_or_acquire() as publisher:
            for shard_id, attempt in shards:
                app.send_task(RUN_SHARD, args=(shard_id, attempt), task_id=shard_task_id(shard_id, attempt),
                              queue=settings.shard_queue, producer=publisher, retry=True,
                              retry_policy=RETRY_POLICY)
    except Exception:
        log.exception("could not enqueue shards; the reaper will send them again")


def send_finalise(evaluation_ids: Iterable[int], settings: Settings | None = None) -> None:
    settings = settings or get_settings()
    app = producer(settings)
    try:
        with app.producer_or_acquire() as publisher:
            for evaluation_id in evaluation_ids:
                app.send_task(FINALISE, args=(evaluation_id,), queue=settings.control_queue, producer=publisher,
                              retry=True, retry_policy=RETRY_POLICY)
    except Exception:
        log.exception("could not enqueue finalise; the reaper will finalise the evaluation")


def revoke(task_ids: Iterable[str], settings: Settings | None = None) -> None:
    """Best effort: terminates running tasks where the broker carries broadcasts (Redis; not SQLite, whose
    workers notice the cancellation at their next progress report instead)."""
    task_ids = list(task_ids)
    app = producer(settings)
    if not task_ids:
        return
    try:
        with app.connection_for_write() as connection:
            if not connection.supports_exchange_type("fanout"):
                return
            app.control.revoke(task_ids, terminate=True, signal="SIGTERM", connection=connection)
    except Exception:
        log.exception("could not broadcast revoke")


def ping_broker(settings: Settings | None = None, timeout: float = 3.0) -> None:
    """Raises when the broker cannot be reached."""
    with producer(settings).connection_for_write() as connection:
        connection.ensure_connection(max_retries=1, timeout=timeout)
