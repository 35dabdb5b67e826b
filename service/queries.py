"""Read queries returning plain data, shared by the JSON API, the CLI (through the API) and the web pages.

Visibility is applied here, once: a private submission and its evaluations exist only for their owner and
for admins; to everyone else they are "not found". The board-level queries, whose cost grows with the number
of evaluations of a suite, are served from `read_cache` while the database is unchanged.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, RowMapping, Select, func, or_, select, true
from sqlalchemy.orm import Session

from evaluators.errors import CpbenchError
from evaluators.metrics import ALEXNET_IMAGENET_C, imagenet_c_report
from service.catalog import published_baseline_applies
from service.models import (
    METRIC_COLUMNS,
    Dataset,
    Evaluation,
    EvaluationStatus,
    Shard,
    Submission,
    Suite,
    SuiteKind,
    User,
)
from service.read_cache import cached

SORTABLE = (*METRIC_COLUMNS, "finished_at")
LOWER_IS_BETTER = dict.fromkeys(METRIC_COLUMNS, True)


@dataclass(frozen=True)
class Viewer:
    user_id: int | None = None
    is_admin: bool = False


ANONYMOUS = Viewer()


def visible(viewer: Viewer, table: type[Submission] | type[Evaluation] = Submission) -> ColumnElement[bool]:
    """What `viewer` may see, on submissions or on evaluations (which carry copies of owner and flag)."""
    if viewer.is_admin:
        return true()
    if viewer.user_id is None:
        return table.public.is_(True)
    return or_(table.public.is_(True), table.owner_id == viewer.user_id)


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def suite_summary(suite: Suite) -> dict[str, Any]:
    return {"id": suite.id, "name": suite.name, "kind": suite.kind, "protocol_version": suite.protocol_version,
            "precision": suite.precision, "options": suite.options, "dataset": suite.dataset.name,
            "clean_dataset": suite.clean_dataset.name if suite.clean_dataset else None,
            "baseline_evaluation_id": suite.baseline_evaluation_id, "baseline_version": suite.baseline_version,
            "created_at": _iso(suite.created_at)}


def list_suites(session: Session) -> list[dict[str, Any]]:
    return [suite_summary(s) for s in session.scalars(select(Suite).order_by(Suite.name))]


def find_suite(session: Session, name: str) -> Suite | None:
    return session.scalar(select(Suite).where(Suite.name == name))


def list_datasets(session: Session) -> list[dict[str, Any]]:
    return [dataset_summary(d) for d in session.scalars(select(Dataset).order_by(Dataset.name))]


def dataset_summary(dataset: Dataset) -> dict[str, Any]:
    return {"id": dataset.id, "name": dataset.name, "kind": dataset.kind, "path": dataset.path,
            "manifest_sha256": dataset.manifest_sha256, "files": dataset.files, "classes": dataset.classes,
            "contents": dataset.contents, "created_at": _iso(dataset.created_at)}


def submission_summary(submission: Submission, owner: str) -> dict[str, Any]:
    return {"id": submission.id, "name": submission.name, "model": submission.model, "pooling": submission.pooling,
            "preprocessing": submission.preprocessing, "public": submission.public, "owner": owner,
            "weights_sha256": submission.weights_sha256, "upload_sha256": submission.upload_sha256,
            "upload_bytes": submission.upload_bytes, "upload_format": submission.upload_format,
            "created_at": _iso(submission.created_at)}


def _visible_submission(session: Session, submission_id: int, viewer: Viewer) -> tuple[Submission, str] | None:
    row = session.execute(select(Submission, User.name).join(User, Submission.owner_id == User.id)
                          .where(Submission.id == submission_id, visible(viewer))).first()
    return None if row is None else (row[0], row[1])


def submission_detail(session: Session, submission_id: int, viewer: Viewer) -> dict[str, Any] | None:
    found = _visible_submission(session, submission_id, viewer)
    if found is None:
        return None
    submission, owner = found
    rows = session.execute(select(Evaluation.id, Evaluation.status, Suite.name)
                           .join(Suite, Evaluation.suite_id == Suite.id)
                           .where(Evaluation.submission_id == submission_id).order_by(Evaluation.id))
    evaluations = [{"id": e, "status": status, "suite": suite} for e, status, suite in rows]
    return {**submission_summary(submission, owner), "evaluations": evaluations}


def visible_evaluation(session: Session, evaluation_id: int, viewer: Viewer) -> Evaluation | None:
    return session.scalar(select(Evaluation).where(Evaluation.id == evaluation_id, visible(viewer, Evaluation)))


def _metric_values(evaluation: Evaluation) -> dict[str, float | None]:
    return {column: getattr(evaluation, column) for column in METRIC_COLUMNS}


SHARD_COLUMNS = (Shard.id, Shard.key, Shard.smoke, Shard.status, Shard.attempt, Shard.failures, Shard.progress,
                 Shard.total, Shard.device, Shard.error, Shard.started_at, Shard.finished_at, Shard.heartbeat_at)


def evaluation_detail(session: Session, evaluation_id: int, viewer: Viewer) -> dict[str, Any] | None:
    """Status, per-shard progress, metrics and provenance of one evaluation."""
    evaluation = visible_evaluation(session, evaluation_id, viewer)
    if evaluation is None:
        return None
    found = _visible_submission(session, evaluation.submission_id, viewer)
    assert found is not None
    # the shown columns only: whole rows would also decode every shard's spec and provenance JSON
    shards = session.execute(select(*SHARD_COLUMNS).where(Shard.evaluation_id == evaluation_id)
                             .order_by(Shard.smoke.desc(), Shard.id)).all()
    statuses = Counter(s.status for s in shards if not s.smoke)
    return {
        "id": evaluation.id,
        "status": evaluation.status,
        "failure_reason": evaluation.failure_reason,
        "submission": submission_summary(*found),
        "suite": suite_summary(evaluation.suite),
        "is_baseline": evaluation.suite.baseline_evaluation_id == evaluation.id,
        "progress": {"shards": sum(statuses.values()), **{status: n for status, n in statuses.items()},
                     "images_done": sum(s.progress for s in shards if not s.smoke)},
        "shards": [{"id": s.id, "key": s.key, "smoke": s.smoke, "status": s.status, "attempt": s.attempt,
                    "failures": s.failures, "progress": s.progress, "total": s.total, "device": s.device,
                    "error": s.error, "started_at": _iso(s.started_at), "finished_at": _iso(s.finished_at),
                    "heartbeat_at": _iso(s.heartbeat_at)} for s in shards],
        "metrics": _metric_values(evaluation),
        "report": evaluation.metrics,
        "provenance": evaluation.provenance,
        "created_at": _iso(evaluation.created_at),
        "started_at": _iso(evaluation.started_at),
        "finished_at": _iso(evaluation.finished_at),
    }


def evaluation_results(session: Session, evaluation_id: int, viewer: Viewer) -> dict[str, Any] | None:
    """Per corruption x severity (or per perturbation x difficulty): counts, error rates and the normalised
    values of the report, one row each; plus the summary metrics."""
    evaluation = visible_evaluation(session, evaluation_id, viewer)
    if evaluation is None:
        return None
    report = evaluation.metrics or {}
    rows = [dict(row) for row in report.get("shards", [])]
    c_report = report.get("imagenet_c") or {}
    ce = {**(c_report.get("ce") or {}), **(c_report.get("extra_ce") or {})}
    relative = {**(c_report.get("relative_ce") or {}), **(c_report.get("extra_relative_ce") or {})}
    p_reports = report.get("imagenet_p") or {}
    for row in rows:
        if "corruption" in row:
            row["ce"], row["relative_ce"] = ce.get(row["corruption"]), relative.get(row["corruption"])
        elif "perturbation" in row:
            p = p_reports.get(str(row["difficulty"])) or {}
            row["fp"] = (p.get("fp") or {}).get(row["perturbation"])
            row["t5d"] = (p.get("t5d") or {}).get(row["perturbation"])
    return {"evaluation_id": evaluation.id, "status": evaluation.status, "suite": evaluation.suite.name,
            "metrics": _metric_values(evaluation), "baseline": _baseline_of(report),
            "baseline_note": report.get("baseline_note"), "rows": rows}


def _baseline_of(report: dict[str, Any]) -> dict[str, Any] | None:
    if report.get("imagenet_c"):
        return report["imagenet_c"].get("baseline")
    for p in (report.get("imagenet_p") or {}).values():
        return p.get("baseline")
    return None


@cached
def leaderboard(session: Session, suite: Suite, viewer: Viewer, sort: str = "mce", order: str = "asc",
                model: str | None = None, pooling: str | None = None, limit: int = 50,
                offset: int = 0) -> dict[str, Any]:
    """Finished evaluations of a suite, sorted by one metric (missing values last, ties by id), paginated;
    the suite's baseline is flagged so that pages can pin it. Filtering, counting and sorting read the
    evaluations' board indexes; submissions and owners are joined for the shown page only."""
    column = getattr(Evaluation, sort)
    ordering = (column.asc() if order == "asc" else column.desc()).nulls_last(), Evaluation.id
    matching = select(Evaluation.id).where(*_on_board(suite, viewer))
    if model is not None or pooling is not None:
        matching = matching.join(Submission, Evaluation.submission_id == Submission.id).where(
            *([Submission.model == model] if model is not None else []),
            *([Submission.pooling == pooling] if pooling is not None else []))
    total = session.scalar(select(func.count()).select_from(matching.subquery())) or 0
    page = matching.add_columns(column).order_by(*ordering).limit(limit).offset(offset).subquery()
    rows = session.execute(_entries().join(page, page.c.id == Evaluation.id).order_by(*ordering)).mappings()
    entries = [_entry(row, suite, rank) for rank, row in enumerate(rows, start=offset + 1)]
    return {"suite": suite_summary(suite), "sort": sort, "order": order, "total": total, "limit": limit,
            "offset": offset, "lower_is_better": LOWER_IS_BETTER, "entries": entries}


def _entries() -> Select[Any]:
    """The columns of a leaderboard entry: an evaluation with its submission and owner."""
    return (select(Evaluation.id.label("evaluation_id"), Submission.id.label("submission_id"), Submission.name,
                   Submission.model, Submission.pooling, User.name.label("owner"), Submission.public,
                   *(getattr(Evaluation, m) for m in METRIC_COLUMNS), Evaluation.finished_at)
            .select_from(Evaluation).join(Submission, Evaluation.submission_id == Submission.id)
            .join(User, Submission.owner_id == User.id))


def _entry(row: RowMapping, suite: Suite, rank: int | None) -> dict[str, Any]:
    return {"rank": rank, **row, "is_baseline": suite.baseline_evaluation_id == row["evaluation_id"],
            "finished_at": _iso(row["finished_at"])}


def _on_board(suite: Suite, viewer: Viewer) -> tuple[ColumnElement[bool], ...]:
    return (Evaluation.suite_id == suite.id, Evaluation.status == EvaluationStatus.finished,
            visible(viewer, Evaluation))


def suite_metrics(suite: Suite) -> tuple[str, ...]:
    """The metric columns an evaluation of this suite fills (finalise writes the others as None)."""
    return ("mfp", "mt5d") if suite.kind == SuiteKind.imagenet_p else ("clean_error", "mce", "relative_mce")


def headline_metric(suite: Suite) -> str:
    """The metric a suite is ranked by unless asked otherwise: mCE, or mFP on ImageNet-P."""
    return "mfp" if suite.kind == SuiteKind.imagenet_p else "mce"


@cached
def baseline_entry(session: Session, suite: Suite, viewer: Viewer) -> dict[str, Any] | None:
    """What normalises the suite, as an unranked leaderboard entry for pages to pin above the ranking: its
    baseline evaluation once finished (and visible), or the published AlexNet table where that applies."""
    if suite.baseline_evaluation_id is None:
        return _published_alexnet() if published_baseline_applies(suite) else None
    row = session.execute(_entries().where(Evaluation.id == suite.baseline_evaluation_id,
                                           *_on_board(suite, viewer))).mappings().first()
    return None if row is None else _entry(row, suite, None)


@cache
def _published_alexnet() -> dict[str, Any]:
    """The published table scored by the library against itself (its mCE and relative mCE are 100)."""
    table = ALEXNET_IMAGENET_C
    report = imagenet_c_report(table.errors, table.clean_error, table).to_dict()
    return {"rank": None, "evaluation_id": None, "submission_id": None, "owner": None, "public": True,
            "name": f"AlexNet (published table {table.version})", "model": "alexnet", "pooling": "other",
            **{m: report.get(m) for m in METRIC_COLUMNS}, "finished_at": None, "is_baseline": True}


@cached
def twins(session: Session, suite: Suite, viewer: Viewer) -> list[dict[str, Any]]:
    """GAP/GCP twins of a suite: per backbone family (the model registry's `family`), its best GAP entry beside
    the best entry of each of its GCP architectures, "best" by the suite's headline metric (missing values last,
    ties by id), with the GCP gain, GAP - GCP, of every metric (positive: the GCP model errs less)."""
    from evaluators.models import model_info  # the zoo loads torch: only the twins need it, not the CLI

    headline = getattr(Evaluation, headline_metric(suite))
    ranked = (select(Evaluation.id, func.row_number().over(
        partition_by=Submission.model, order_by=(headline.asc().nulls_last(), Evaluation.id)).label("place"))
        .join(Submission, Evaluation.submission_id == Submission.id)
        .where(*_on_board(suite, viewer), Submission.pooling.in_(("gap", "gcp"))).subquery())
    best = session.execute(_entries().join(ranked, ranked.c.id == Evaluation.id).where(ranked.c.place == 1)
                           .order_by(Submission.model)).mappings()
    gap: dict[str, dict[str, Any]] = {}
    gcp: list[tuple[str, dict[str, Any]]] = []
    for row in best:
        try:
            family = model_info(row["model"]).family
        except CpbenchError:  # an architecture the registry no longer knows has no twin
            continue
        entry = _entry(row, suite, None)
        if row["pooling"] == "gap":
            gap[family] = entry
        else:
            gcp.append((family, entry))
    return [{"family": family, "gap": gap[family], "gcp": entry,
             "gain": {m: _delta(entry[m], gap[family][m]) for m in METRIC_COLUMNS}}
            for family, entry in gcp if family in gap]


def compare(session: Session, a: int, b: int, viewer: Viewer) -> dict[str, Any] | None:
    """Two evaluations side by side, with b - a for every value both have."""
    left, right = evaluation_results(session, a, viewer), evaluation_results(session, b, viewer)
    if left is None or right is None:
        return None
    keyed = {row["key"]: row for row in right["rows"]}
    rows = []
    for row in left["rows"]:
        other = keyed.get(row["key"])
        if other is None:
            continue
        values = ("top1_error", "top5_error", "ce", "relative_ce", "flip_probability", "mean_top5_distance",
                  "fp", "t5d")
        rows.append({"key": row["key"], **{k: row[k] for k in ("corruption", "severity", "perturbation",
                                                                 "difficulty") if k in row},
                     **{k: {"a": row.get(k), "b": other.get(k), "delta": _delta(row.get(k), other.get(k))}
                        for k in values if k in row or k in other}})
    metrics = {m: {"a": left["metrics"][m], "b": right["metrics"][m],
                   "delta": _delta(left["metrics"][m], right["metrics"][m])} for m in METRIC_COLUMNS}
    return {"a": evaluation_detail(session, a, viewer), "b": evaluation_detail(session, b, viewer),
            "same_suite": left["suite"] == right["suite"], "metrics": metrics, "rows": rows}


def _delta(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(b - a, 4)
