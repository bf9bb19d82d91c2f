"""Readings lose their serial and contract indexes; the daily roll-ups gain them.

Every reading written updated both indexes at a random place: on PostgreSQL they cost more
than the table and its other indexes together. They served one look-up, an ONU's newest
reading for a contract (by contract code or serial), which now reads the ONU's position in
the readings' own (position, read_at) index: the contract's ONU where it is now, and where
the daily roll-ups saw that contract or serial before (`store.customers`).

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | Sequence[str] | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("serial", "contract")


def upgrade() -> None:
    for column in COLUMNS:
        op.drop_index(op.f(f"ix_optical_readings_{column}"), table_name="optical_readings")
        op.create_index(op.f(f"ix_optical_daily_{column}"), "optical_daily", [column])


def downgrade() -> None:
    for column in COLUMNS:
        op.drop_index(op.f(f"ix_optical_daily_{column}"), table_name="optical_daily")
        op.create_index(op.f(f"ix_optical_readings_{column}"), "optical_readings", [column])
