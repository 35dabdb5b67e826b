"""The service's tables (SQLAlchemy 2 ORM; portable between SQLite and PostgreSQL).

Counts are integer columns, never ratios: metrics are recomputed from them by `evaluators.metrics`
whenever a baseline changes. The metric columns of `evaluations` are copies of values in `metrics` that
the leaderboard sorts on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    literal_column,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both backends (SQLite stores naive values)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def revision_column() -> Mapped[int]:
    """A counter that every UPDATE of the row moves on, from ORM flushes and Core update statements alike (the
    onupdate expression is part of the table): stored documents name the revisions they were rendered from."""
    return mapped_column(Integer, default=1, server_default="1", onupdate=literal_column("revision") + 1)


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class DatasetKind(StrEnum):
    imagenet_c = "imagenet-c"
    imagenet_p = "imagenet-p"
    imagenet_val = "imagenet-val"


class SuiteKind(StrEnum):
    imagenet_c = "imagenet-c"  # stored ImageNet-C JPEGs (+ clean val)
    imagenet_c_on_the_fly = "imagenet-c-on-the-fly"  # a clean val folder corrupted in the loader
    imagenet_p = "imagenet-p"


class EvaluationStatus(StrEnum):
    queued = "queued"
    running = "running"
    finished = "finished"
    failed = "failed"
    cancelled = "cancelled"


ACTIVE_EVALUATION = (EvaluationStatus.queued, EvaluationStatus.running)


class ShardStatus(StrEnum):
    pending = "pending"  # waits for the smoke shard
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"
    cancelled = "cancelled"


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Token(Base):
    """API tokens: only their sha256 is stored."""

    __tablename__ = "tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(default=None)

    user: Mapped[User] = relationship(lazy="joined")


class Dataset(Base):
    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(20))
    path: Mapped[str] = mapped_column(Text)  # as the workers see it
    manifest_sha256: Mapped[str] = mapped_column(String(64))
    files: Mapped[int] = mapped_column(Integer)
    classes: Mapped[int] = mapped_column(Integer)
    contents: Mapped[dict[str, Any]] = mapped_column(default=dict)  # what the folder holds, e.g. corruptions
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Suite(Base):
    """What an evaluation measures: datasets, corruptions/perturbations, precision, protocol and baseline."""

    __tablename__ = "suites"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"))
    clean_dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id"), default=None)
    options: Mapped[dict[str, Any]] = mapped_column(default=dict)
    precision: Mapped[str] = mapped_column(String(10), default="fp32")
    protocol_version: Mapped[str] = mapped_column(String(20), default="1")
    # Normalising baseline: an evaluation on this suite, or (None) the published table when it applies.
    baseline_evaluation_id: Mapped[int | None] = mapped_column(
        ForeignKey("evaluations.id", use_alter=True, ondelete="SET NULL", name="fk_suites_baseline_evaluation"),
        default=None)
    baseline_version: Mapped[int] = mapped_column(Integer, default=1)  # bumped whenever the baseline changes
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revision: Mapped[int] = revision_column()

    dataset: Mapped[Dataset] = relationship(foreign_keys=[dataset_id])
    clean_dataset: Mapped[Dataset | None] = relationship(foreign_keys=[clean_dataset_id])


class Submission(Base):
    __tablename__ = "submissions"
    __table_args__ = (Index("ix_submissions_dedupe", "owner_id", "weights_sha256", "model"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    model: Mapped[str] = mapped_column(String(100), index=True)
    pooling: Mapped[str] = mapped_column(String(10), index=True)  # gap | gcp, from the model registry
    preprocessing: Mapped[dict[str, Any]] = mapped_column(default=dict)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    upload_sha256: Mapped[str] = mapped_column(String(64))
    upload_bytes: Mapped[int] = mapped_column(BigInteger)
    upload_format: Mapped[str] = mapped_column(String(20))  # safetensors | torch-zip | torch-pickle
    weights_sha256: Mapped[str] = mapped_column(String(64))
    weights_path: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revision: Mapped[int] = revision_column()

    owner: Mapped[User] = relationship()


METRIC_COLUMNS = ("clean_error", "mce", "relative_mce", "mfp", "mt5d")


class Evaluation(Base):
    __tablename__ = "evaluations"
    __table_args__ = (
        UniqueConstraint("submission_id", "suite_id", name="uq_evaluation_submission_suite"),
        *(Index(f"ix_evaluations_board_{m}", "suite_id", "status", "public", m) for m in METRIC_COLUMNS),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    submission_id: Mapped[int] = mapped_column(ForeignKey("submissions.id", ondelete="CASCADE"), index=True)
    suite_id: Mapped[int] = mapped_column(ForeignKey("suites.id"))
    # Copies of the submission's owner and public flag, so that the leaderboard filters, counts and sorts
    # from one index of this table and joins the submissions of the shown page only.
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    public: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20), default=EvaluationStatus.queued, index=True)
    failure_reason: Mapped[str | None] = mapped_column(Text, default=None)
    metrics: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    clean_error: Mapped[float | None] = mapped_column(Float, default=None)
    mce: Mapped[float | None] = mapped_column(Float, default=None)
    relative_mce: Mapped[float | None] = mapped_column(Float, default=None)
    mfp: Mapped[float | None] = mapped_column(Float, default=None)
    mt5d: Mapped[float | None] = mapped_column(Float, default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    revision: Mapped[int] = revision_column()

    submission: Mapped[Submission] = relationship()
    suite: Mapped[Suite] = relationship(foreign_keys=[suite_id])


class Shard(Base):
    __tablename__ = "shards"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "key", name="uq_shard_evaluation_key"),
        Index("ix_shards_status_heartbeat", "status", "heartbeat_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(200))
    smoke: Mapped[bool] = mapped_column(Boolean, default=False)  # the first batches of one shard, run first
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default=ShardStatus.pending)
    attempt: Mapped[int] = mapped_column(Integer, default=0)  # dispatch counter; messages carry it
    failures: Mapped[int] = mapped_column(Integer, default=0)  # runs that died or failed, for the attempt limit
    owner: Mapped[str | None] = mapped_column(String(300), default=None)  # host:pid of the running task
    task_id: Mapped[str | None] = mapped_column(String(100), default=None)
    queued_at: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    progress: Mapped[int] = mapped_column(Integer, default=0)  # images (or videos) done
    total: Mapped[int | None] = mapped_column(Integer, default=None)
    # ImageNet-C and clean counts
    images: Mapped[int | None] = mapped_column(BigInteger, default=None)
    top1_correct: Mapped[int | None] = mapped_column(BigInteger, default=None)
    top5_correct: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # ImageNet-P counts
    sequences: Mapped[int | None] = mapped_column(BigInteger, default=None)
    pairs: Mapped[int | None] = mapped_column(BigInteger, default=None)
    flips: Mapped[int | None] = mapped_column(BigInteger, default=None)
    top5_distance_sum: Mapped[int | None] = mapped_column(BigInteger, default=None)
    skipped: Mapped[list[Any] | None] = mapped_column(JSON, default=None)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64), default=None)
    device: Mapped[str | None] = mapped_column(String(200), default=None)
    batch_size: Mapped[int | None] = mapped_column(Integer, default=None)
    provenance: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)

    evaluation: Mapped[Evaluation] = relationship(lazy="raise")


class EvaluationDocument(Base):
    """A finished evaluation's API detail, results or page, rendered once, gzip-compressed, served while it is
    current: while the renderer and the revisions it names are those of today (service/documents.py)."""

    __tablename__ = "evaluation_documents"

    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(20), primary_key=True)
    renderer: Mapped[str] = mapped_column(String(64))
    evaluation_revision: Mapped[int] = mapped_column(Integer)
    submission_revision: Mapped[int] = mapped_column(Integer)
    suite_revision: Mapped[int] = mapped_column(Integer)
    gzip_body: Mapped[bytes] = mapped_column(LargeBinary)
    rendered_at: Mapped[datetime] = mapped_column(default=utcnow)
