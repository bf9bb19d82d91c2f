"""Schedules: runbooks run every so often by `ispflow scheduler`, with a lease per schedule.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from ispflow.store.columns import UTCDateTime

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column(
            "runbook", sa.Text(), nullable=False, comment="shipped runbook name or file path"
        ),
        sa.Column(
            "vars", sa.JSON(), nullable=False, comment="as given with -e, checked when added"
        ),
        sa.Column("options", sa.JSON(), nullable=False, comment="limit, workers"),
        sa.Column("every_seconds", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("next_run_at", UTCDateTime(), nullable=False),
        sa.Column("last_run_at", UTCDateTime(), nullable=True),
        sa.Column("last_run_id", sa.String(40), nullable=True),
        sa.Column("last_status", sa.String(16), nullable=True),
        sa.Column(
            "locked_by",
            sa.String(255),
            nullable=True,
            comment="host:pid of the scheduler running it",
        ),
        sa.Column("locked_until", UTCDateTime(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False, server_default=sa.func.now()),
        sa.Column("updated_at", UTCDateTime(), nullable=False, server_default=sa.func.now()),
        sa.CheckConstraint("every_seconds > 0", name=op.f("ck_schedules_every_seconds")),
        sa.ForeignKeyConstraint(
            ["last_run_id"],
            ["runs.id"],
            name=op.f("fk_schedules_last_run_id_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_schedules")),
        sa.UniqueConstraint("name", name=op.f("uq_schedules_name")),
    )
    op.create_index(
        op.f("ix_schedules_enabled_next_run_at"),
        "schedules",
        ["enabled", "next_run_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_schedules_enabled_next_run_at"), table_name="schedules")
    op.drop_table("schedules")
