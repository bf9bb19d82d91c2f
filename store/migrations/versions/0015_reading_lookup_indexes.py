"""Readings lose their serial and contract indexes (the daily roll-ups gain them); on
PostgreSQL their place index drops read_at from its key.

Every reading written updated the serial and contract indexes at a random place: on
PostgreSQL they cost more than the table and its other indexes together. They served one
look-up, an ONU's newest reading for a contract (by contract code or serial), which now reads
the readings by place: where the contract's ONU is now, and where the daily roll-ups saw that
contract or serial before (`store.customers`).

On PostgreSQL the place index (olt, frame, slot, port, onu_index, read_at) becomes
(olt, frame, slot, port, onu_index): without read_at a place's readings of a day share one
deduplicated entry, and a day's index stays small enough for every audit's writes to find it
in memory. SQLite does not deduplicate and keeps read_at in the key. PostgreSQL also gets a
block range (BRIN) index on read_at, so rolling up an hour reads that hour's blocks, not the
whole day's partition. On a long history the new indexes take minutes to build.

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

READINGS = "optical_readings"
COLUMNS = ("serial", "contract")
PLACE = ["olt", "frame", "slot", "port", "onu_index"]


def upgrade() -> None:
    for column in COLUMNS:
        op.drop_index(op.f(f"ix_{READINGS}_{column}"), table_name=READINGS)
        op.create_index(op.f(f"ix_optical_daily_{column}"), "optical_daily", [column])
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_optical_readings_onu_read_at", table_name=READINGS)
        op.create_index("ix_optical_readings_onu", READINGS, PLACE)
        op.create_index("ix_optical_readings_read_at", READINGS, ["read_at"], postgresql_using="brin")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_optical_readings_read_at", table_name=READINGS)
        op.drop_index("ix_optical_readings_onu", table_name=READINGS)
        op.create_index("ix_optical_readings_onu_read_at", READINGS, [*PLACE, "read_at"])
    for column in COLUMNS:
        op.drop_index(op.f(f"ix_optical_daily_{column}"), table_name="optical_daily")
        op.create_index(op.f(f"ix_{READINGS}_{column}"), READINGS, [column])
