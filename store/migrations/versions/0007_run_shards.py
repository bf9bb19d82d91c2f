"""Run shards: the parts of a step sent to workers (`--runner celery`), with a lease each.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ispflow.store.columns import UTCDateTime

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "run_shards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(40), nullable=False),
        sa.Column("step_index", sa.Integer(), nullable=False),
        sa.Column("rollback", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("shard", sa.String(200), nullable=False, comment="site or host group name"),
        sa.Column("queue", sa.String(200), nullable=False),
        sa.Column("hosts", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False, server_default="queued"),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("worker", sa.String(255), nullable=True, comment="host:pid running it"),
        sa.Column("lease_until", UTCDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "history",
            sa.JSON(),
            nullable=False,
            comment="per finished attempt: worker, hosts run, hosts already done",
        ),
        sa.Column("created_at", UTCDateTime(), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", UTCDateTime(), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint(
            "status IN ('queued', 'running', 'done', 'failed')",
            name=op.f("ck_run_shards_status"),
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_run_shards_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_run_shards")),
        sa.UniqueConstraint(
            "run_id",
            "step_index",
            "rollback",
            "shard",
            name=op.f("uq_run_shards_run_id_step_index_rollback_shard"),
        ),
    )


def downgrade() -> None:
    op.drop_table("run_shards")
