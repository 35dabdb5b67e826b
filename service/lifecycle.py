"""State transitions of evaluations and shards, shared by the API, the CLI, the workers and the reaper.

Each function changes rows inside the caller's transaction and records the messages it implies in an
`Outbox`, which the caller sends after commit: a worker never receives a message about a row that is not
committed, and a transaction that rolls back sends nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from service.dispatch import revoke, send_finalise, send_shards, shard_task_id
from service.models import (
    ACTIVE_EVALUATION,
    METRIC_COLUMNS,
    Evaluation,
    EvaluationStatus,
    Shard,
    ShardStatus,
    Submission,
    Suite,
    utcnow,
)
from service.planning import plan
from service.settings import Settings

COUNT_COLUMNS = ("images", "top1_correct", "top5_correct", "sequences", "pairs", "flips", "top5_distance_sum")
OPEN_SHARD = (ShardStatus.pending, ShardStatus.queued, ShardStatus.running)


@dataclass
class Outbox:
    shards: list[tuple[int, int]] = field(default_factory=list)  # (shard id, attempt)
    finalise: list[int] = field(default_factory=list)
    revoke: list[str] = field(default_factory=list)

    def send(self, settings: Settings | None = None) -> None:
        if self.revoke:
            revoke(self.revoke, settings)
        if self.shards:
            send_shards(self.shards, settings)
        if self.finalise:
            send_finalise(dict.fromkeys(self.finalise), settings)


def lock_evaluation(session: Session, evaluation_id: int) -> Evaluation | None:
    """The evaluation row, locked (PostgreSQL: FOR UPDATE; SQLite: the write transaction already is)."""
    return session.scalar(select(Evaluation).where(Evaluation.id == evaluation_id).with_for_update(of=Evaluation)
                          .execution_options(populate_existing=True))


def lock_rows(session: Session, shard_id: int) -> tuple[Evaluation, Shard] | None:
    """A shard and its evaluation, locked evaluation first: the one lock order used everywhere, so that
    concurrent transactions cannot deadlock and completions of one evaluation are serialised."""
    evaluation_id = session.scalar(select(Shard.evaluation_id).where(Shard.id == shard_id))
    evaluation = None if evaluation_id is None else lock_evaluation(session, evaluation_id)
    if evaluation is None:
        return None
    shard = session.scalar(select(Shard).where(Shard.id == shard_id).with_for_update()
                           .execution_options(populate_existing=True))
    assert shard is not None
    return evaluation, shard


def queue_shards(shards: Iterable[Shard], outbox: Outbox) -> None:
    """A new dispatch of each shard: the attempt counter moves on, so older messages become no-ops."""
    now = utcnow()
    for shard in shards:
        shard.attempt += 1
        shard.status = ShardStatus.queued
        shard.task_id = shard_task_id(shard.id, shard.attempt)
        shard.queued_at, shard.owner, shard.heartbeat_at, shard.progress = now, None, None, 0
        outbox.shards.append((shard.id, shard.attempt))


def create_evaluation(session: Session, submission: Submission, suite: Suite, outbox: Outbox) -> Evaluation:
    evaluation = Evaluation(submission_id=submission.id, suite_id=suite.id, owner_id=submission.owner_id,
                            public=submission.public, status=EvaluationStatus.queued)
    session.add(evaluation)
    session.flush()
    rows = plan(evaluation, suite)
    session.add_all(rows)
    session.flush()
    queue_shards(rows[:1], outbox)  # the smoke shard; the others follow when it passes
    return evaluation


def release_after_smoke(session: Session, evaluation_id: int, outbox: Outbox) -> None:
    pending = session.scalars(select(Shard).where(Shard.evaluation_id == evaluation_id, Shard.smoke.is_(False),
                                                  Shard.status == ShardStatus.pending).order_by(Shard.id))
    queue_shards(list(pending), outbox)


def _close_open_shards(session: Session, evaluation_id: int, outbox: Outbox, reason: str) -> None:
    """Cancels what has not finished; running tasks are revoked and also notice at their next heartbeat."""
    running = session.scalars(select(Shard.task_id).where(Shard.evaluation_id == evaluation_id,
                                                          Shard.status == ShardStatus.running))
    outbox.revoke += [task_id for task_id in running if task_id]
    session.execute(update(Shard).where(Shard.evaluation_id == evaluation_id, Shard.status.in_(OPEN_SHARD))
                    .values(status=ShardStatus.cancelled, error=reason, finished_at=utcnow()))


def fail_evaluation(session: Session, evaluation: Evaluation, reason: str, outbox: Outbox) -> None:
    if evaluation.status not in ACTIVE_EVALUATION:
        return
    evaluation.status = EvaluationStatus.failed
    evaluation.failure_reason = reason
    evaluation.finished_at = utcnow()
    _close_open_shards(session, evaluation.id, outbox, f"stopped: {reason}")


def cancel_evaluation(session: Session, evaluation: Evaluation, outbox: Outbox) -> bool:
    """False when there is nothing left to cancel."""
    if evaluation.status not in ACTIVE_EVALUATION:
        return False
    evaluation.status = EvaluationStatus.cancelled
    evaluation.finished_at = utcnow()
    _close_open_shards(session, evaluation.id, outbox, "cancelled")
    return True


def rerun_evaluation(session: Session, evaluation: Evaluation, outbox: Outbox) -> bool:
    """Runs a finished, failed or cancelled evaluation again from scratch (False while it is active).
    Shards keep their attempt counters, so messages of the previous run are ignored."""
    if evaluation.status in ACTIVE_EVALUATION:
        return False
    evaluation.status = EvaluationStatus.queued
    evaluation.failure_reason = evaluation.metrics = evaluation.provenance = None
    evaluation.started_at = evaluation.finished_at = None
    for column in METRIC_COLUMNS:
        setattr(evaluation, column, None)
    shards = list(session.scalars(select(Shard).where(Shard.evaluation_id == evaluation.id)
                                  .order_by(Shard.smoke.desc(), Shard.id)))
    for shard in shards:
        shard.status, shard.failures, shard.error, shard.skipped = ShardStatus.pending, 0, None, None
        shard.started_at = shard.finished_at = shard.manifest_sha256 = shard.device = None
        shard.batch_size, shard.provenance, shard.total = None, None, None
        for column in COUNT_COLUMNS:
            setattr(shard, column, None)
    queue_shards(shards[:1], outbox)
    return True
