"""finalise(evaluation): every metric from the stored counts and the suite's baseline, with provenance.

Idempotent: it recomputes everything from the shard rows each time, so it runs again safely after a
redelivery, a reaper pass or a baseline change. Any failed shard fails the evaluation; it is finished only
when every shard is done.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from evaluators.errors import CpbenchError
from evaluators.metrics import (
    ALEXNET_IMAGENET_C,
    ImageNetCBaseline,
    ImageNetPBaseline,
    SequenceCounts,
    TopKCounts,
    imagenet_c_report_from_counts,
    imagenet_p_report_from_counts,
)
from evaluators.metrics.units import percent
from service import documents
from service.catalog import published_baseline_applies
from service.db import write_session
from service.lifecycle import Outbox, fail_evaluation, lock_evaluation
from service.models import ACTIVE_EVALUATION, Evaluation, EvaluationStatus, Shard, ShardStatus, Suite, utcnow
from service.settings import get_settings

log = logging.getLogger(__name__)
CORRUPTION_KINDS = ("imagenet_c", "imagenet_c_on_the_fly")


def _shards(session: Session, evaluation_id: int) -> list[Shard]:
    return list(session.scalars(select(Shard).where(Shard.evaluation_id == evaluation_id, Shard.smoke.is_(False))
                                .order_by(Shard.id)))


def topk(shard: Shard) -> TopKCounts:
    return TopKCounts(images=shard.images or 0, top1_correct=shard.top1_correct or 0,
                      top5_correct=shard.top5_correct or 0)


def sequences(shard: Shard) -> SequenceCounts:
    return SequenceCounts(sequences=shard.sequences or 0, pairs=shard.pairs or 0, flips=shard.flips or 0,
                          top5_distance_sum=shard.top5_distance_sum or 0)


def corruption_counts(shards: list[Shard]) -> tuple[dict[str, dict[int, TopKCounts]], TopKCounts | None]:
    counts: dict[str, dict[int, TopKCounts]] = defaultdict(dict)
    clean = None
    for shard in shards:
        if shard.spec["kind"] == "clean":
            clean = topk(shard)
        elif shard.spec["kind"] in CORRUPTION_KINDS:
            counts[shard.spec["corruption"]][int(shard.spec["severity"])] = topk(shard)
    return dict(counts), clean


def perturbation_counts(shards: list[Shard]) -> dict[int, dict[str, SequenceCounts]]:
    counts: dict[int, dict[str, SequenceCounts]] = defaultdict(dict)
    for shard in shards:
        counts[int(shard.spec["difficulty"])][shard.spec["perturbation"]] = sequences(shard)
    return dict(counts)


def _baseline_evaluation(session: Session, suite: Suite, evaluation: Evaluation,
                         shards: list[Shard]) -> tuple[Evaluation, list[Shard]] | None:
    """The suite's baseline evaluation and its shards, once finished (or being finalised right now)."""
    if suite.baseline_evaluation_id is None:
        return None
    if suite.baseline_evaluation_id == evaluation.id:
        return evaluation, shards
    baseline = session.get(Evaluation, suite.baseline_evaluation_id)
    if baseline is None or baseline.status != EvaluationStatus.finished:
        return None
    return baseline, _shards(session, baseline.id)


def _baseline_label(baseline: Evaluation, suite: Suite) -> tuple[str, str]:
    name = f"{baseline.submission.name} ({baseline.submission.model}, evaluation {baseline.id})"
    return name, f"suite {suite.name} baseline v{suite.baseline_version}"


def imagenet_c_metrics(session: Session, evaluation: Evaluation, shards: list[Shard]) -> dict[str, Any]:
    suite = evaluation.suite
    counts, clean = corruption_counts(shards)
    source = _baseline_evaluation(session, suite, evaluation, shards)
    note = None
    baseline: ImageNetCBaseline | None = None
    if source is not None:
        base_counts, base_clean = corruption_counts(source[1])
        name, version = _baseline_label(source[0], suite)
        try:
            baseline = ImageNetCBaseline.from_counts(name, version, base_counts, base_clean,
                                                     source=f"evaluation {source[0].id}")
        except CpbenchError as error:
            note = f"baseline evaluation {source[0].id} cannot normalise: {error}"
    elif published_baseline_applies(suite):
        baseline = ALEXNET_IMAGENET_C
    elif suite.baseline_evaluation_id is None:
        note = "no baseline: this suite is not the full standard ImageNet-C, so it needs a baseline evaluation"
    else:
        note = f"the baseline evaluation {suite.baseline_evaluation_id} has not finished"
    report = imagenet_c_report_from_counts(counts, clean, baseline).to_dict() if counts else None
    notes = [note, *(report["notes"] if report else [])]
    return {"imagenet_c": report, "baseline_note": "; ".join(n for n in notes if n) or None,
            "clean_error": None if clean is None else percent(clean.top1_error, 2)}


def imagenet_p_metrics(session: Session, evaluation: Evaluation, shards: list[Shard]) -> dict[str, Any]:
    suite = evaluation.suite
    counts = perturbation_counts(shards)
    source = _baseline_evaluation(session, suite, evaluation, shards)
    base_counts = perturbation_counts(source[1]) if source is not None else {}
    notes = [] if source is not None else ["no baseline evaluation: raw flip probability and top-5 distance only"]
    reports: dict[str, Any] = {}
    for difficulty, per_perturbation in sorted(counts.items()):
        baseline = None
        if source is not None and difficulty in base_counts:
            name, version = _baseline_label(source[0], suite)
            baseline = ImageNetPBaseline.from_counts(name, version, base_counts[difficulty],
                                                     source=f"evaluation {source[0].id}")
        report = imagenet_p_report_from_counts(per_perturbation, baseline).to_dict()
        reports[str(difficulty)] = report
        if baseline is not None:
            notes += [f"difficulty {difficulty}: {n}" for n in report["notes"]]
    return {"imagenet_p": reports, "baseline_note": "; ".join(notes) or None}


def shard_results(shards: list[Shard]) -> list[dict[str, Any]]:
    """Per shard: its counts and the rates they give, for the results endpoint and the drill-down pages."""
    rows = []
    for shard in shards:
        row: dict[str, Any] = {key: shard.spec.get(key) for key in ("kind", "corruption", "severity",
                                                                    "perturbation", "difficulty")
                               if shard.spec.get(key) is not None}
        row["key"] = shard.key
        if shard.spec["kind"] == "imagenet_p":
            counts = sequences(shard)
            row |= {"counts": counts.to_dict(), "flip_probability": percent(counts.flip_probability, 2),
                    "mean_top5_distance": round(counts.mean_top5_distance, 4)}
        else:
            counts_c = topk(shard)
            row |= {"counts": counts_c.to_dict(), "top1_error": percent(counts_c.top1_error, 2),
                    "top5_error": percent(counts_c.top5_error, 2)}
        row["skipped"] = len(shard.skipped or [])
        rows.append(row)
    return rows


def _provenance(evaluation: Evaluation, suite: Suite, shards: list[Shard], metrics: dict[str, Any]) -> dict[str, Any]:
    submission = evaluation.submission
    data = hashlib.sha256()
    for shard in sorted(shards, key=lambda s: s.key):
        data.update(f"{shard.key}\t{shard.manifest_sha256}\n".encode())
    environments = {str(sorted(e.items())): e for e in map(_environment, shards)}
    datasets = [suite.dataset] + ([suite.clean_dataset] if suite.clean_dataset and suite.clean_dataset
                                  is not suite.dataset else [])
    baseline = metrics.get("imagenet_c", {}) or {}
    if "imagenet_p" in metrics:
        baseline = next(iter(metrics["imagenet_p"].values()), {}) or {}
    return {
        "weights_sha256": submission.weights_sha256,
        "upload_sha256": submission.upload_sha256,
        "upload_format": submission.upload_format,
        "architecture": submission.model,
        "pooling": submission.pooling,
        "preprocessing": submission.preprocessing,
        "suite": {"id": suite.id, "name": suite.name, "kind": suite.kind, "options": suite.options,
                  "protocol_version": suite.protocol_version, "precision": suite.precision,
                  "baseline_version": suite.baseline_version},
        "baseline": baseline.get("baseline"),
        "baseline_evaluation_id": suite.baseline_evaluation_id,
        "datasets": [{"name": d.name, "kind": d.kind, "manifest_sha256": d.manifest_sha256, "files": d.files}
                     for d in datasets],
        "data_manifest_sha256": data.hexdigest(),  # over every shard's manifest: exactly the files seen
        "precision": sorted({str((s.provenance or {}).get("precision")) for s in shards}),
        "batch_sizes": sorted({s.batch_size for s in shards if s.batch_size is not None}),
        "devices": sorted({s.device for s in shards if s.device}),
        "workers": sorted({(s.owner or "").rpartition(":")[0] for s in shards if s.owner}),  # host names
        "environments": list(environments.values()),
        "shards": len(shards),
        "finalised_at": utcnow().isoformat(),
    }


def _environment(shard: Shard) -> dict[str, Any]:
    keys = ("cpbench", "git", "python", "torch", "torchvision", "cuda", "cudnn", "device_name", "numerics",
            "libjpeg_turbo", "libavcodec", "platform")
    return {key: (shard.provenance or {}).get(key) for key in keys}


LEADERBOARD_FIELDS = {"clean_error", "mce", "relative_mce", "mfp", "mt5d"}


def metric_columns(metrics: dict[str, Any]) -> dict[str, float | None]:
    columns: dict[str, float | None] = dict.fromkeys(LEADERBOARD_FIELDS)
    report_c = metrics.get("imagenet_c")
    if report_c:
        columns |= {"clean_error": report_c["clean_error"], "mce": report_c["mce"],
                    "relative_mce": report_c["relative_mce"]}
    elif metrics.get("clean_error") is not None:
        columns["clean_error"] = metrics["clean_error"]
    reports_p = metrics.get("imagenet_p")
    if reports_p:
        first = reports_p[min(reports_p, key=int)]
        columns |= {"mfp": first["mfp"], "mt5d": first["mt5d"]}
    return columns


def finalise(evaluation_id: int) -> str:
    settings = get_settings()
    outbox = Outbox()
    with write_session(settings) as session:
        outcome = _finalise(session, evaluation_id, outbox)
    outbox.send(settings)
    return outcome


def _finalise(session: Session, evaluation_id: int, outbox: Outbox) -> str:
    evaluation = lock_evaluation(session, evaluation_id)
    if evaluation is None or evaluation.status not in (*ACTIVE_EVALUATION, EvaluationStatus.finished):
        return "skipped"
    every = list(session.scalars(select(Shard).where(Shard.evaluation_id == evaluation_id).order_by(Shard.id)))
    broken = [s for s in every if s.status in (ShardStatus.failed, ShardStatus.cancelled)]
    if broken:
        fail_evaluation(session, evaluation, f"shard {broken[0].key} {broken[0].status}: {broken[0].error}", outbox)
        return "failed"
    shards = [s for s in every if not s.smoke]
    if not shards or any(s.status != ShardStatus.done for s in shards):
        return "waiting"
    suite = evaluation.suite
    metrics = (imagenet_p_metrics if suite.kind == "imagenet-p" else imagenet_c_metrics)(session, evaluation, shards)
    metrics["shards"] = shard_results(shards)
    evaluation.metrics = metrics
    evaluation.provenance = _provenance(evaluation, suite, shards, metrics)
    for column, value in metric_columns(metrics).items():
        setattr(evaluation, column, value)
    if evaluation.status != EvaluationStatus.finished:
        evaluation.status, evaluation.finished_at = EvaluationStatus.finished, utcnow()
    if suite.baseline_evaluation_id == evaluation.id:  # the others were normalised by an older baseline
        outbox.finalise += list(session.scalars(select(Evaluation.id).where(
            Evaluation.suite_id == suite.id, Evaluation.id != evaluation.id,
            Evaluation.status == EvaluationStatus.finished)))
    documents.save(session, evaluation)
    log.info("evaluation %s finalised", evaluation_id)
    return "finished"
