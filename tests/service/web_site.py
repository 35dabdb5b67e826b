"""A small site for the page tests, built without running a model: evaluations are created by the service's own
lifecycle functions, their shards filled with made-up counts, then finalised by the real finalise code.

ImageNet-C suite "imagenet-c" (the full standard set: normalised by the published AlexNet table): GAP and GCP
twins of ResNet-50 and ResNet-18, a MobileNetV2 without a twin, an entry whose name tries to inject markup, a
private entry and a running one. ImageNet-P suite "imagenet-p", normalised by its ResNet-18 GAP evaluation.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import uvicorn
from fastapi import FastAPI
from service_harness import free_port
from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluators.benchmarks import CORRUPTIONS, PERTURBATIONS, SEVERITIES
from service.catalog import SuiteRequest, add_suite, set_baseline
from service.db import write_session
from service.lifecycle import Outbox, create_evaluation
from service.models import Dataset, EvaluationStatus, Shard, ShardStatus, Submission, Suite, User, utcnow
from service.settings import Settings, get_settings
from workers.finalise import finalise

IMAGES = 500
PAIRS = 600
XSS_NAME = '<script>alert("pwned")</script> & <b>bold</b>'


@dataclass(frozen=True)
class Site:
    r50_gap: int
    r50_gcp: int
    r18_gap: int
    r18_gcp: int
    mobilenet: int
    xss: int
    private: int
    running: int
    p_gap: int  # the ImageNet-P suite's baseline
    p_gcp: int


def top1_error(quality: float, kind: str, corruption: str | None, severity: int | None) -> float:
    """Made-up but plausible: worse with severity, a little different per corruption."""
    if kind == "clean":
        return quality
    return min(0.97, quality + (0.03 + quality / 5) * (severity or 0) + 0.01 * CORRUPTIONS.index(corruption))


def fill(shard: Shard, quality: float) -> None:
    """A finished shard with counts for a model whose clean top-1 error is `quality`."""
    spec = shard.spec
    if spec["kind"] == "imagenet_p":
        rate = min(0.9, quality * 0.2 + 0.01 * PERTURBATIONS.index(spec["perturbation"]))
        shard.sequences, shard.pairs = 20, PAIRS
        shard.flips, shard.top5_distance_sum = round(PAIRS * rate), round(PAIRS * rate * 3)
    else:
        error = top1_error(quality, spec["kind"], spec.get("corruption"), spec.get("severity"))
        shard.images = IMAGES
        shard.top1_correct = IMAGES - round(IMAGES * error)
        shard.top5_correct = IMAGES - round(IMAGES * error / 3)
    shard.status, shard.progress = ShardStatus.done, shard.sequences or shard.images
    shard.finished_at = utcnow()
    shard.batch_size, shard.device, shard.manifest_sha256 = 64, "cpu", "0" * 64
    shard.provenance = {"cpbench": "test", "torch": "2.x", "python": "3.11", "precision": "fp32"}


@contextmanager
def configured(settings: Settings) -> Iterator[None]:
    """Makes `settings` the process's settings (finalise and the app read them through get_settings)."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("CPBENCH_")}
    for key in saved:
        del os.environ[key]
    os.environ.update({"CPBENCH_HOME": str(settings.home), "CPBENCH_DATABASE_URL": settings.database_url})
    get_settings.cache_clear()
    try:
        yield
    finally:
        for key in [k for k in os.environ if k.startswith("CPBENCH_")]:
            del os.environ[key]
        os.environ.update(saved)
        get_settings.cache_clear()


def _submission(session: Session, owner: User, name: str, model: str, pooling: str, public: bool = True) -> Submission:
    digest = hashlib.sha256(name.encode()).hexdigest()
    submission = Submission(owner_id=owner.id, name=name, model=model, pooling=pooling, preprocessing={},
                            public=public, upload_sha256=digest, upload_bytes=1, upload_format="safetensors",
                            weights_sha256=digest, weights_path="/nonexistent")
    session.add(submission)
    session.flush()
    return submission


def _evaluate(session: Session, submission: Submission, suite: Suite, quality: float | None) -> int:
    """An evaluation whose shards all finished (quality given), or one still running (quality None)."""
    evaluation = create_evaluation(session, submission, suite, Outbox())  # no worker: nothing is sent
    shards = list(session.scalars(select(Shard).where(Shard.evaluation_id == evaluation.id).order_by(Shard.id)))
    evaluation.status, evaluation.started_at = EvaluationStatus.running, utcnow()
    for i, shard in enumerate(shards):
        if quality is not None:
            fill(shard, quality)
        elif i < 10:
            fill(shard, 0.3)
        elif i < 11:
            shard.status, shard.progress = ShardStatus.running, 123
        else:
            shard.status = ShardStatus.queued
    return evaluation.id


def seed(settings: Settings) -> Site:
    """Writes the site into the (migrated, empty) database of `settings`, which must be the process's settings
    (see `configured`)."""
    with write_session(settings) as session:
        alice, bob = User(name="alice"), User(name="bob")
        session.add_all([alice, bob])
        corruptions = {c: list(SEVERITIES) for c in CORRUPTIONS}
        perturbations = {p: [1] for p in PERTURBATIONS}
        for name, kind, contents in (("val", "imagenet-val", {}), ("c15", "imagenet-c", {"corruptions": corruptions}),
                                     ("p10", "imagenet-p", {"perturbations": perturbations})):
            session.add(Dataset(name=name, kind=kind, path=f"/data/{name}", manifest_sha256="0" * 64, files=4,
                                classes=4, contents=contents))
        session.flush()
        c_suite = add_suite(session, SuiteRequest(name="imagenet-c", kind="imagenet-c", dataset="c15",
                                                  clean_dataset="val"))
        p_suite = add_suite(session, SuiteRequest(name="imagenet-p", kind="imagenet-p", dataset="p10"))
        entries = {
            "r50_gap": ("R50 GAP", "resnet50", "gap", 0.24, alice),
            "r50_gcp": ("R50 GCP", "resnet50_gcp", "gcp", 0.21, alice),
            "r18_gap": ("R18 GAP", "resnet18", "gap", 0.31, bob),
            "r18_gcp": ("R18 GCP", "resnet18_gcp", "gcp", 0.29, bob),
            "mobilenet": ("MobileNetV2", "mobilenet_v2", "gap", 0.28, alice),
            "xss": (XSS_NAME, "resnet34", "gap", 0.27, bob),
        }
        ids: dict[str, int] = {}
        submissions: dict[str, Submission] = {}
        for key, (name, model, pooling, quality, owner) in entries.items():
            submissions[key] = _submission(session, owner, name, model, pooling)
            ids[key] = _evaluate(session, submissions[key], c_suite, quality)
        secret = _submission(session, alice, "Secret R50", "resnet50", "gap", public=False)
        ids["private"] = _evaluate(session, secret, c_suite, 0.05)
        running = _submission(session, bob, "R34 GCP (running)", "resnet34_gcp", "gcp")
        ids["running"] = _evaluate(session, running, c_suite, None)
        ids["p_gap"] = _evaluate(session, submissions["r18_gap"], p_suite, 0.31)
        ids["p_gcp"] = _evaluate(session, submissions["r18_gcp"], p_suite, 0.29)
        set_baseline(session, p_suite, ids["p_gap"])
    # The baseline first: finalising it later would queue the others for re-finalising (there is no broker).
    for key in ("p_gap", "p_gcp", *entries, "private"):
        assert finalise(ids[key]) == "finished", key
    return Site(**ids)



@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """`app` served by uvicorn from a thread, on a free port: the pages' real HTTP stack."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=free_port(), log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped before it started"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{server.config.port}"
    finally:
        server.should_exit = True
        thread.join()
