"""One shard task: claim the row, run the shard through `evaluators.runner`, store its counts.

The database decides, never the message: a task carries only (shard id, attempt) and runs only if the row
still wants that attempt run. Every read-modify-write locks the evaluation row first and then the shard row
(the same order everywhere, so PostgreSQL cannot deadlock), which also serialises the "is this the last
shard?" count of concurrent completions.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from functools import cache
from typing import Any

import torch
from celery.exceptions import SoftTimeLimitExceeded
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from evaluators.errors import CpbenchError
from evaluators.metrics import SequenceCounts, TopKCounts
from evaluators.models import create_model
from evaluators.runner import ShardResult, provenance, run_shard, shard_from_dict
from service.db import write_session
from service.lifecycle import Outbox, fail_evaluation, lock_rows, queue_shards, release_after_smoke
from service.models import ACTIVE_EVALUATION, EvaluationStatus, Shard, ShardStatus, utcnow
from service.preprocessing import preprocessing_from_dict
from service.settings import Settings, get_settings
from workers.model_cache import ModelCache
from workers.owners import me, run_is_dead

log = logging.getLogger(__name__)


class ShardAbandoned(Exception):
    """The row is no longer this run's (cancelled, failed elsewhere, or taken over after a stale heartbeat)."""


@dataclass(frozen=True)
class Claim:
    shard_id: int
    attempt: int
    owner: str
    key: str
    smoke: bool
    spec: dict[str, Any]
    model: str
    weights_sha256: str
    weights_path: str
    preprocessing: dict[str, Any]
    precision: str
    allow_missing: bool


def claim(shard_id: int, attempt: int, task_id: str | None, settings: Settings) -> Claim | None:
    """Marks the shard running for this process, or returns None when this message has nothing to do."""
    outbox = Outbox()
    with write_session(settings) as session:
        claimed = _claim(session, shard_id, attempt, task_id, settings, outbox)
    outbox.send(settings)
    return claimed


def _claim(session: Session, shard_id: int, attempt: int, task_id: str | None, settings: Settings,
           outbox: Outbox) -> Claim | None:
    rows = lock_rows(session, shard_id)
    if rows is None:
        return None
    evaluation, shard = rows
    if shard.attempt != attempt or evaluation.status not in ACTIVE_EVALUATION:
        return None  # a message of an older dispatch, or the evaluation stopped
    if shard.status == ShardStatus.running:
        if not run_is_dead(shard.owner, shard.heartbeat_at, settings.heartbeat_stale_s):
            return None  # a duplicate delivery while the first run is alive
        # The previous run of this attempt died (its worker was killed): it counts as a failed run.
        shard.failures += 1
        if shard.failures >= settings.max_attempts:
            reason = f"worker lost {shard.failures} times running shard {shard.key} (last on {shard.owner})"
            shard.status, shard.error, shard.finished_at = ShardStatus.failed, reason, utcnow()
            fail_evaluation(session, evaluation, reason, outbox)
            return None
    elif shard.status != ShardStatus.queued:
        return None
    now = utcnow()
    owner = me()
    shard.status, shard.owner, shard.task_id = ShardStatus.running, owner, task_id or shard.task_id
    shard.started_at = shard.heartbeat_at = now
    shard.progress, shard.error = 0, None
    if evaluation.status == EvaluationStatus.queued:
        evaluation.status, evaluation.started_at = EvaluationStatus.running, now
    submission, suite = evaluation.submission, evaluation.suite
    return Claim(shard.id, attempt, owner, shard.key, shard.smoke, dict(shard.spec), submission.model,
                 submission.weights_sha256, submission.weights_path, dict(submission.preprocessing),
                 suite.precision, bool(suite.options.get("allow_missing", False)))


class Heartbeat:
    """The progress callback: records progress and a heartbeat at most every `interval` seconds, and stops
    the run (ShardAbandoned) as soon as the row is no longer this run's."""

    def __init__(self, claim: Claim, settings: Settings) -> None:
        self.claim, self.settings = claim, settings
        self.last = time.monotonic()

    def __call__(self, done: int) -> None:
        if time.monotonic() - self.last < self.settings.heartbeat_interval_s:
            return
        self.last = time.monotonic()
        c = self.claim
        try:
            with write_session(self.settings) as session:
                changed = session.execute(
                    update(Shard).where(Shard.id == c.shard_id, Shard.attempt == c.attempt, Shard.owner == c.owner,
                                        Shard.status == ShardStatus.running)
                    .values(heartbeat_at=utcnow(), progress=done)).rowcount
        except Exception:  # a database hiccup must not kill a healthy run; a stale heartbeat is the backstop
            log.exception("heartbeat of shard %s failed", c.shard_id)
            return
        if changed == 0:
            raise ShardAbandoned(f"shard {c.shard_id} attempt {c.attempt} was cancelled or taken over")


@cache
def models() -> ModelCache:
    """This process's model cache."""
    return ModelCache(get_settings().model_cache_size)


def worker_device(settings: Settings) -> str:
    if settings.worker_device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return settings.worker_device


def execute(claim: Claim, settings: Settings) -> ShardResult:
    model = models().get(f"{claim.weights_sha256}:{claim.model}",
                         lambda: create_model(claim.model, num_classes=1000, checkpoint=claim.weights_path))
    return run_shard(model, shard_from_dict(claim.spec), worker_device(settings), claim.precision,
                     settings.worker_batch_size, Heartbeat(claim, settings),
                     preprocessing=preprocessing_from_dict(claim.preprocessing), allow_missing=claim.allow_missing,
                     max_batches=settings.smoke_batches if claim.smoke else None,
                     workers=settings.worker_loader_workers, frost_dir=settings.frost_dir)


def _store_counts(shard: Shard, result: ShardResult, claim: Claim) -> None:
    counts = result.counts
    if isinstance(counts, TopKCounts):
        shard.images, shard.top1_correct, shard.top5_correct = counts.images, counts.top1_correct, counts.top5_correct
    else:
        assert isinstance(counts, SequenceCounts)
        shard.sequences, shard.pairs = counts.sequences, counts.pairs
        shard.flips, shard.top5_distance_sum = counts.flips, counts.top5_distance_sum
        shard.images = result.images
    shard.progress = shard.total = result.images
    shard.skipped = [[path, reason] for path, reason in sorted(result.skipped.items())]
    shard.manifest_sha256 = result.manifest.sha256
    shard.device = str(result.settings.get("device"))
    shard.batch_size = result.settings.get("batch_size")
    shard.provenance = provenance(result.settings, manifest_sha256=result.manifest.sha256,
                                  weights_sha256=claim.weights_sha256, model=claim.model)


def complete(claim: Claim, result: ShardResult, settings: Settings) -> bool:
    """Stores the counts (an update of the shard's unique row, so a repeated run overwrites, never adds) and,
    in the same transaction, releases the shards after a smoke run or spots the last shard. False when the
    row moved on meanwhile (cancelled, or taken over): the result is dropped."""
    outbox = Outbox()
    with write_session(settings) as session:
        rows = lock_rows(session, claim.shard_id)
        if rows is None:
            return False
        evaluation, shard = rows
        if (shard.attempt, shard.owner, shard.status) != (claim.attempt, claim.owner, ShardStatus.running):
            log.info("shard %s: result of attempt %s dropped, the row moved on", claim.shard_id, claim.attempt)
            return False
        _store_counts(shard, result, claim)
        shard.status, shard.finished_at, shard.heartbeat_at = ShardStatus.done, utcnow(), utcnow()
        session.flush()
        if evaluation.status in ACTIVE_EVALUATION:
            if shard.smoke:
                release_after_smoke(session, evaluation.id, outbox)
            elif _unfinished(session, evaluation.id) == 0:
                outbox.finalise.append(evaluation.id)
    outbox.send(settings)
    return True


def _unfinished(session: Session, evaluation_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Shard).where(
        Shard.evaluation_id == evaluation_id, Shard.smoke.is_(False), Shard.status != ShardStatus.done)) or 0


def record_failure(claim: Claim, reason: str, final: bool, settings: Settings) -> None:
    """A failed run: retried (a new attempt) while attempts remain and the failure may pass; otherwise the
    shard fails, and with it the evaluation, with the reason."""
    outbox = Outbox()
    with write_session(settings) as session:
        rows = lock_rows(session, claim.shard_id)
        if rows is None:
            return
        evaluation, shard = rows
        if (shard.attempt, shard.owner, shard.status) != (claim.attempt, claim.owner, ShardStatus.running):
            return
        shard.failures += 1
        shard.error = reason
        if final or shard.failures >= settings.max_attempts:
            shard.status, shard.finished_at = ShardStatus.failed, utcnow()
            what = "smoke test" if shard.smoke else f"shard {shard.key}"
            fail_evaluation(session, evaluation, f"{what} failed: {reason}", outbox)
        else:
            queue_shards([shard], outbox)
    outbox.send(settings)


def describe(error: BaseException) -> str:
    """One plain line for users: the message of a typed error, else the exception type and its first line."""
    if isinstance(error, CpbenchError):
        text = str(error)
    else:
        first = str(error).strip().splitlines()[0] if str(error).strip() else ""
        text = f"{type(error).__name__}: {first}" if first else type(error).__name__
    return text[:1000]


def run(shard_id: int, attempt: int, task_id: str | None) -> str:
    settings = get_settings()
    claimed = claim(shard_id, attempt, task_id, settings)
    if claimed is None:
        return "skipped"
    try:
        result = execute(claimed, settings)
    except ShardAbandoned:
        return "abandoned"
    except SoftTimeLimitExceeded:
        record_failure(claimed, f"exceeded the time limit of {settings.shard_soft_time_limit_s} s", True, settings)
        return "failed"
    except OSError as error:  # reading weights or data: may be a passing storage fault, so retry
        log.exception("shard %s: I/O error", shard_id)
        record_failure(claimed, describe(error), False, settings)
        return "failed"
    except Exception as error:  # the model or its data fails deterministically: stop the evaluation
        log.exception("shard %s failed", shard_id)
        record_failure(claimed, describe(error), True, settings)
        return "failed"
    return "done" if complete(claimed, result, settings) else "dropped"
