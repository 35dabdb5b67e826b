"""The reaper (celery beat, every `reaper_interval_s`): nothing stays stuck in any non-terminal state.

- running shards whose heartbeat went stale: requeued (a new attempt) while attempts remain, else failed;
- queued shards whose message seems lost (queued longer than `queued_stale_s`): sent again;
- evaluations whose smoke shard passed but whose other shards were never released: released;
- active evaluations with nothing left open: finalised (which finishes or fails them).

Candidates are read first; each is then handled in a transaction of its own that locks the evaluation before
the shard (the lock order of every other transaction) and checks again that it is still stuck.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from service.db import session_scope, write_session
from service.lifecycle import (
    OPEN_SHARD,
    Outbox,
    fail_evaluation,
    lock_evaluation,
    lock_rows,
    queue_shards,
    release_after_smoke,
)
from service.models import ACTIVE_EVALUATION, Evaluation, Shard, ShardStatus, utcnow
from service.settings import Settings, get_settings

log = logging.getLogger(__name__)


def reap() -> dict[str, int]:
    settings = get_settings()
    now = utcnow()
    stale_before = now - timedelta(seconds=settings.heartbeat_stale_s)
    lost_before = now - timedelta(seconds=settings.queued_stale_s)
    active = select(Evaluation.id).where(Evaluation.status.in_(ACTIVE_EVALUATION))
    smoke = aliased(Shard)
    with session_scope(settings) as session:
        stale = list(session.scalars(select(Shard.id).where(
            Shard.status == ShardStatus.running, Shard.heartbeat_at < stale_before, Shard.evaluation_id.in_(active))))
        lost = list(session.scalars(select(Shard.id).where(
            Shard.status == ShardStatus.queued, Shard.queued_at < lost_before, Shard.evaluation_id.in_(active))))
        unreleased = list(session.scalars(active.where(
            exists().where(smoke.evaluation_id == Evaluation.id, smoke.smoke.is_(True),
                           smoke.status == ShardStatus.done),
            exists().where(Shard.evaluation_id == Evaluation.id, Shard.status == ShardStatus.pending))))
        idle = list(session.scalars(active.where(~exists().where(Shard.evaluation_id == Evaluation.id,
                                                                  Shard.status.in_(OPEN_SHARD)))))
    outbox = Outbox()
    summary: Counter[str] = Counter()
    for shard_id in stale:
        with write_session(settings) as session:
            summary.update(_stale(session, shard_id, stale_before, settings, outbox))
    for shard_id in lost:
        with write_session(settings) as session:
            summary.update(_lost(session, shard_id, lost_before, outbox))
    for evaluation_id in unreleased:
        with write_session(settings) as session:
            evaluation = lock_evaluation(session, evaluation_id)
            if evaluation is not None and evaluation.status in ACTIVE_EVALUATION:
                release_after_smoke(session, evaluation_id, outbox)
                summary["released"] += 1
    outbox.finalise += idle  # finalise itself checks, under its lock, what the evaluation needs
    summary["finalise"] = len(idle)
    outbox.send(settings)
    if any(summary.values()):
        log.warning("reaper: %s", dict(summary))
    return dict(summary)


def _stale(session: Session, shard_id: int, stale_before: datetime, settings: Settings,
           outbox: Outbox) -> list[str]:
    rows = lock_rows(session, shard_id)
    if rows is None:
        return []
    evaluation, shard = rows
    if (evaluation.status not in ACTIVE_EVALUATION or shard.status != ShardStatus.running
            or shard.heartbeat_at is None or shard.heartbeat_at >= stale_before):
        return []  # it moved on since the candidates were read
    shard.failures += 1
    if shard.failures >= settings.max_attempts:
        reason = (f"shard {shard.key}: no heartbeat from its worker ({shard.owner}) for "
                  f"{settings.heartbeat_stale_s:g} s, {shard.failures} times")
        shard.status, shard.error, shard.finished_at = ShardStatus.failed, reason, utcnow()
        fail_evaluation(session, evaluation, reason, outbox)
        return ["failed"]
    shard.error = f"requeued: the heartbeat from {shard.owner} went stale"
    queue_shards([shard], outbox)
    return ["requeued"]


def _lost(session: Session, shard_id: int, lost_before: datetime, outbox: Outbox) -> list[str]:
    rows = lock_rows(session, shard_id)
    if rows is None:
        return []
    evaluation, shard = rows
    if (evaluation.status not in ACTIVE_EVALUATION or shard.status != ShardStatus.queued
            or shard.queued_at is None or shard.queued_at >= lost_before):
        return []
    queue_shards([shard], outbox)
    return ["resent"]
