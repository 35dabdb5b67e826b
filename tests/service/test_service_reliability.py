"""What must survive real failures, on PostgreSQL + Redis with a real prefork `cpbench worker`: duplicate
deliveries, a worker child SIGKILLed mid-shard, cancellation of a running evaluation, and the reaper.

Prefork (concurrency 1) rather than solo: a SIGKILLed pool child is noticed by the worker's main process,
which requeues the task (reject on worker lost); under solo the whole worker would die with it.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from service_data import write_safetensors
from service_harness import Deployment
from sqlalchemy import update

from service.celery_config import REAP
from service.db import session_scope
from service.dispatch import producer, send_finalise, send_shards
from service.models import Evaluation, EvaluationStatus, Shard, ShardStatus, utcnow

pytestmark = [pytest.mark.service, pytest.mark.timeout(900)]
COUNTS = ("images", "top1_correct", "top5_correct")


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory, make_database, redis_url: str, data) -> Iterator[Deployment]:
    deployment = Deployment(tmp_path_factory.mktemp("reliability"), make_database(), redis_url,
                            CPBENCH_WORKER_BATCH_SIZE="1")
    deployment.serve("--no-worker")
    deployment.worker("worker", "--pool", "prefork")
    deployment.add_dataset("imagenet-val", "val12", data.val12)
    deployment.add_dataset("imagenet-c", "c12", data.c12)
    for name, severities in (("two", [1, 2]), ("twin-a", [1]), ("twin-b", [1]), ("three", [1, 2, 3])):
        deployment.add_suite(name, "imagenet-c", "c12", clean_dataset="val12", corruptions=["fog"],
                             severities=severities)
    yield deployment
    deployment.stop_all()


@pytest.fixture(scope="module")
def alice(fleet: Deployment) -> str:
    return fleet.token("alice")


def counts(fleet: Deployment, evaluation_id: int) -> dict[str, tuple[Any, ...]]:
    return {s.key: tuple(getattr(s, c) for c in COUNTS) for s in fleet.shards(evaluation_id) if not s.smoke}


def task_runs(fleet: Deployment, shard_id: int, attempt: int) -> list[str]:
    """The outcomes the worker logged for task shard-<id>-<attempt> ('done', 'skipped', ...)."""
    return re.findall(rf"run_shard\[shard-{shard_id}-{attempt}\] succeeded in [\d.]+s: '(\w+)'", fleet.log("worker"))


def evaluation(fleet: Deployment, evaluation_id: int) -> Evaluation:
    with session_scope(fleet.settings) as session:
        found = session.get(Evaluation, evaluation_id)
        assert found is not None
        return found


def test_duplicate_delivery_gives_the_same_counts(fleet: Deployment, alice: str, data) -> None:
    (eval_id,) = fleet.client(alice).submit(data.gap, "resnet18", ["two"])["evaluations"]
    assert fleet.wait_evaluations([eval_id])[0]["status"] == "finished"
    before, metrics = counts(fleet, eval_id), evaluation(fleet, eval_id).metrics
    shards = [s for s in fleet.shards(eval_id) if not s.smoke]
    finished = {s.id: s.finished_at for s in shards}

    # The same message again (a broker redelivery of a task that did complete): a no-op
    send_shards([(s.id, s.attempt) for s in shards] * 2, fleet.settings)
    for shard in shards:
        fleet.wait_for(lambda s=shard: len(task_runs(fleet, s.id, s.attempt)) == 3, 60, "the duplicates")
        assert task_runs(fleet, shard.id, shard.attempt) == ["done", "skipped", "skipped"]
    assert counts(fleet, eval_id) == before
    assert {s.id: s.finished_at for s in fleet.shards(eval_id) if not s.smoke} == finished

    # A shard dispatched again (as after a lost acknowledgement) and that message delivered twice: it runs
    # once more and its counts overwrite, never add
    target = shards[0]
    with session_scope(fleet.settings) as session:
        session.execute(update(Shard).where(Shard.id == target.id).values(
            status=ShardStatus.queued, attempt=target.attempt + 1))
        session.execute(update(Evaluation).where(Evaluation.id == eval_id).values(status=EvaluationStatus.running))
    send_shards([(target.id, target.attempt + 1)] * 2, fleet.settings)
    fleet.wait_for(lambda: len(task_runs(fleet, target.id, target.attempt + 1)) == 2, 60, "the re-dispatch")
    assert sorted(task_runs(fleet, target.id, target.attempt + 1)) == ["done", "skipped"]
    fleet.wait_for(lambda: evaluation(fleet, eval_id).status == "finished", 60, "finalise")
    assert counts(fleet, eval_id) == before
    send_finalise([eval_id], fleet.settings)  # finalise is idempotent too
    time.sleep(2)
    assert evaluation(fleet, eval_id).metrics == metrics


def test_sigkill_mid_shard_is_retried(fleet: Deployment, alice: str, data) -> None:
    """Two identical suites; the worker's child is killed while it runs a shard of one of them. The shard runs
    again and both evaluations end with identical counts and metrics."""
    twin_a, twin_b = fleet.client(alice).submit(data.gcp, "resnet18_gcp", ["twin-a", "twin-b"])["evaluations"]

    def running_shard() -> Shard | None:
        for evaluation_id in (twin_a, twin_b):
            for shard in fleet.shards(evaluation_id):
                if shard.status == ShardStatus.running and shard.progress >= 1 and not shard.smoke:
                    return shard
        return None

    victim = fleet.wait_for(running_shard, 240, "a shard in the middle of its run", every=0.05)
    host, _, pid = (victim.owner or "").rpartition(":")
    assert host == socket.gethostname()
    os.kill(int(pid), signal.SIGKILL)
    states = fleet.wait_evaluations([twin_a, twin_b])
    assert [s["status"] for s in states] == ["finished", "finished"], [s["failure_reason"] for s in states]
    retried = next(s for s in fleet.shards(victim.evaluation_id) if s.id == victim.id)
    assert retried.status == ShardStatus.done and retried.failures == 1 and retried.owner != victim.owner
    assert "WorkerLostError" in fleet.log("worker", tail=200_000)
    assert counts(fleet, twin_a) == counts(fleet, twin_b)
    a, b = evaluation(fleet, twin_a).metrics, evaluation(fleet, twin_b).metrics
    assert a is not None and b is not None
    assert a["shards"] == b["shards"] and a["imagenet_c"] == b["imagenet_c"]
    assert fleet.processes["worker"].poll() is None  # the worker itself lives on


def test_cancel_a_running_evaluation(fleet: Deployment, alice: str, data, tmp_path) -> None:
    weights = write_safetensors(tmp_path / "seed2.safetensors", "resnet18", seed=2)
    api = fleet.client(alice)
    (eval_id,) = api.submit(weights, "resnet18", ["three"])["evaluations"]
    fleet.wait_for(lambda: any(s.status == ShardStatus.running and not s.smoke for s in fleet.shards(eval_id)),
                   240, "a running shard", every=0.05)
    assert api.cancel(eval_id)["status"] == "cancelled"
    fleet.wait_for(lambda: all(s.status in (ShardStatus.done, ShardStatus.cancelled)
                               for s in fleet.shards(eval_id)), 30, "every shard to stop")
    done = {s.id for s in fleet.shards(eval_id) if s.status == ShardStatus.done}
    time.sleep(5)
    after = fleet.shards(eval_id)
    assert {s.id for s in after if s.status == ShardStatus.done} == done
    assert sum(s.status == ShardStatus.cancelled for s in after) >= 1
    assert api.evaluation(eval_id)["status"] == "cancelled"
    # the worker keeps serving after its running task was revoked
    resubmitted = api.submit(weights, "resnet18", ["two"])  # the same submission, with one more evaluation
    assert resubmitted["duplicate"] and resubmitted["evaluations"][0] == eval_id
    assert fleet.wait_evaluations(resubmitted["evaluations"][1:])[0]["status"] == "finished"


def test_reaper(fleet: Deployment, alice: str, data, tmp_path) -> None:
    weights = write_safetensors(tmp_path / "seed3.safetensors", "resnet18", seed=3)
    (eval_id,) = fleet.client(alice).submit(weights, "resnet18", ["two"])["evaluations"]
    assert fleet.wait_evaluations([eval_id])[0]["status"] == "finished"
    before, metrics = counts(fleet, eval_id), evaluation(fleet, eval_id).metrics
    stale, lost = (s for s in fleet.shards(eval_id) if not s.smoke and s.key != "clean")
    long_ago = utcnow() - timedelta(hours=2)

    # A shard whose worker vanished (stale heartbeat, another host) and one whose message was lost
    with session_scope(fleet.settings) as session:
        session.execute(update(Evaluation).where(Evaluation.id == eval_id).values(status=EvaluationStatus.running))
        session.execute(update(Shard).where(Shard.id == stale.id).values(
            status=ShardStatus.running, owner="gone-host:4242", heartbeat_at=long_ago))
        session.execute(update(Shard).where(Shard.id == lost.id).values(status=ShardStatus.queued,
                                                                        queued_at=long_ago))
    producer(fleet.settings).send_task(REAP, queue=fleet.settings.control_queue)
    fleet.wait_for(lambda: evaluation(fleet, eval_id).status == "finished", 120, "the reaped evaluation")
    shards = {s.id: s for s in fleet.shards(eval_id)}
    assert (shards[stale.id].attempt, shards[stale.id].failures) == (stale.attempt + 1, 1)
    assert (shards[lost.id].attempt, shards[lost.id].failures) == (lost.attempt + 1, 0)
    assert counts(fleet, eval_id) == before and evaluation(fleet, eval_id).metrics == metrics

    # The same once more with no attempt left: the shard fails, and the evaluation with it
    with session_scope(fleet.settings) as session:
        session.execute(update(Evaluation).where(Evaluation.id == eval_id).values(status=EvaluationStatus.running))
        session.execute(update(Shard).where(Shard.id == stale.id).values(
            status=ShardStatus.running, owner="gone-host:4242", heartbeat_at=long_ago,
            failures=fleet.settings.max_attempts - 1))
    producer(fleet.settings).send_task(REAP, queue=fleet.settings.control_queue)
    fleet.wait_for(lambda: evaluation(fleet, eval_id).status == "failed", 60, "the evaluation to fail")
    reason = evaluation(fleet, eval_id).failure_reason or ""
    assert "no heartbeat" in reason and "gone-host:4242" in reason
    assert api_status(fleet, eval_id) == "failed"


def api_status(fleet: Deployment, evaluation_id: int) -> str:
    return fleet.wait_evaluations([evaluation_id])[0]["status"]
