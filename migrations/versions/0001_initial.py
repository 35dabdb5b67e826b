"""Initial schema: users and tokens, datasets, suites, submissions, evaluations, shards.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TIME = sa.DateTime(timezone=True)
METRICS = ("clean_error", "mce", "relative_mce", "mfp", "mt5d")
COUNTS = ("images", "top1_correct", "top5_correct", "sequences", "pairs", "flips", "top5_distance_sum")


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("is_admin", sa.Boolean(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_table(
        "tokens",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False,
                  index=True),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("expires_at", TIME, nullable=True),
    )
    op.create_table(
        "datasets",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("manifest_sha256", sa.String(64), nullable=False),
        sa.Column("files", sa.Integer(), nullable=False),
        sa.Column("classes", sa.Integer(), nullable=False),
        sa.Column("contents", sa.JSON(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    # suites.baseline_evaluation_id -> evaluations is added below, once evaluations exists
    op.create_table(
        "suites",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False, unique=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("dataset_id", sa.Integer(), sa.ForeignKey("datasets.id"), nullable=False),
        sa.Column("clean_dataset_id", sa.Integer(), sa.ForeignKey("datasets.id"), nullable=True),
        sa.Column("options", sa.JSON(), nullable=False),
        sa.Column("precision", sa.String(10), nullable=False),
        sa.Column("protocol_version", sa.String(20), nullable=False),
        sa.Column("baseline_evaluation_id", sa.Integer(), nullable=True),
        sa.Column("baseline_version", sa.Integer(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_table(
        "submissions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("model", sa.String(100), nullable=False, index=True),
        sa.Column("pooling", sa.String(10), nullable=False, index=True),
        sa.Column("preprocessing", sa.JSON(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("upload_sha256", sa.String(64), nullable=False),
        sa.Column("upload_bytes", sa.BigInteger(), nullable=False),
        sa.Column("upload_format", sa.String(20), nullable=False),
        sa.Column("weights_sha256", sa.String(64), nullable=False),
        sa.Column("weights_path", sa.Text(), nullable=False),
        sa.Column("created_at", TIME, nullable=False),
    )
    op.create_index("ix_submissions_dedupe", "submissions", ["owner_id", "weights_sha256", "model"])
    op.create_table(
        "evaluations",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("submission_id", sa.Integer(), sa.ForeignKey("submissions.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("suite_id", sa.Integer(), sa.ForeignKey("suites.id"), nullable=False),
        sa.Column("owner_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, index=True),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.Column("metrics", sa.JSON(), nullable=True),
        sa.Column("provenance", sa.JSON(), nullable=True),
        *(sa.Column(metric, sa.Float(), nullable=True) for metric in METRICS),
        sa.Column("created_at", TIME, nullable=False),
        sa.Column("started_at", TIME, nullable=True),
        sa.Column("finished_at", TIME, nullable=True),
        sa.Column("updated_at", TIME, nullable=False),
        sa.UniqueConstraint("submission_id", "suite_id", name="uq_evaluation_submission_suite"),
    )
    for metric in METRICS:  # the leaderboard: one suite, finished, visible, sorted by one metric
        op.create_index(f"ix_evaluations_board_{metric}", "evaluations", ["suite_id", "status", "public", metric])
    with op.batch_alter_table("suites") as batch:
        batch.create_foreign_key("fk_suites_baseline_evaluation", "evaluations", ["baseline_evaluation_id"], ["id"],
                                 ondelete="SET NULL")
    op.create_table(
        "shards",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("evaluation_id", sa.Integer(), sa.ForeignKey("evaluations.id", ondelete="CASCADE"),
                  nullable=False, index=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("smoke", sa.Boolean(), nullable=False),
        sa.Column("spec", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(300), nullable=True),
        sa.Column("task_id", sa.String(100), nullable=True),
        sa.Column("queued_at", TIME, nullable=True),
        sa.Column("started_at", TIME, nullable=True),
        sa.Column("heartbeat_at", TIME, nullable=True),
        sa.Column("finished_at", TIME, nullable=True),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=True),
        *(sa.Column(count, sa.BigInteger(), nullable=True) for count in COUNTS),
        sa.Column("skipped", sa.JSON(), nullable=True),
        sa.Column("manifest_sha256", sa.String(64), nullable=True),
        sa.Column("device", sa.String(200), nullable=True),
        sa.Column("batch_size", sa.Integer(), nullable=True),
        sa.Column("provenance", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.UniqueConstraint("evaluation_id", "key", name="uq_shard_evaluation_key"),
    )
    op.create_index("ix_shards_status_heartbeat", "shards", ["status", "heartbeat_at"])


def downgrade() -> None:
    op.drop_table("shards")
    with op.batch_alter_table("suites") as batch:
        batch.drop_constraint("fk_suites_baseline_evaluation", type_="foreignkey")
    op.drop_table("evaluations")
    op.drop_table("submissions")
    op.drop_table("suites")
    op.drop_table("datasets")
    op.drop_table("tokens")
    op.drop_table("users")
