"""Stored evaluation documents: row revisions on evaluations, submissions and suites, and the documents table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REVISED = ("evaluations", "submissions", "suites")


def upgrade() -> None:
    for table in REVISED:
        op.add_column(table, sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "evaluation_documents",
        sa.Column("evaluation_id", sa.Integer(), sa.ForeignKey("evaluations.id", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("name", sa.String(20), primary_key=True),
        sa.Column("renderer", sa.String(64), nullable=False),
        sa.Column("evaluation_revision", sa.Integer(), nullable=False),
        sa.Column("submission_revision", sa.Integer(), nullable=False),
        sa.Column("suite_revision", sa.Integer(), nullable=False),
        sa.Column("gzip_body", sa.LargeBinary(), nullable=False),
        sa.Column("rendered_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("evaluation_documents")
    for table in REVISED:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("revision")
