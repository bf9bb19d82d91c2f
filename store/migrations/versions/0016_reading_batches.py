"""Runs find their readings through `reading_batches`; on PostgreSQL readings lose their run
index and their place index keys on one number.

`reading_batches` gets one row per OLT a run wrote (run, OLT, read_at, how many readings),
filled here from the readings already stored. On PostgreSQL:

- the B-tree on `run_id` is dropped: every reading updated it (about a sixth of the write).
  The block range (BRIN) index on `read_at` becomes one on (`read_at`, `run_id` as a bloom
  filter), and a run's readings are read from the blocks of the times its batches record;
- the place index (olt, frame, slot, port, onu_index) becomes (olt, one number for the place),
  which costs a reading about half as much to write;
- the readings' id sequence hands each session ids a thousand at a time.

On a long history the fill reads every reading once and the new indexes take minutes to
build: let it run outside the audit window.

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = "0016"
down_revision: str | Sequence[str] | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READINGS = "optical_readings"
PLACE = ["olt", "frame", "slot", "port", "onu_index"]
PLACE_NUMBER = "(((CAST(frame AS BIGINT) * 256 + slot) * 256 + port) * 4096 + onu_index)"
BLOOM = "text_bloom_ops(n_distinct_per_range = 16)"


def upgrade() -> None:
    op.create_table(
        "reading_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(length=40), nullable=False),
        sa.Column("olt", sa.String(length=100), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("readings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reading_batches")),
    )
    op.execute(
        f"INSERT INTO reading_batches (run_id, olt, read_at, readings) "
        f"SELECT run_id, olt, read_at, count(*) FROM {READINGS} WHERE run_id IS NOT NULL "
        "GROUP BY run_id, olt, read_at ORDER BY min(id)"
    )
    op.create_index(op.f("ix_reading_batches_run_id"), "reading_batches", ["run_id"])
    op.create_index(op.f("ix_reading_batches_read_at"), "reading_batches", ["read_at"])
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_optical_readings_run_id", table_name=READINGS)
    op.drop_index("ix_optical_readings_read_at", table_name=READINGS)
    op.execute(
        f"CREATE INDEX ix_optical_readings_read_at_run_id ON {READINGS} "
        f"USING brin (read_at, run_id {BLOOM})"
    )
    op.drop_index("ix_optical_readings_onu", table_name=READINGS)
    op.execute(f"CREATE INDEX ix_optical_readings_place ON {READINGS} (olt, {PLACE_NUMBER})")
    op.execute(f"ALTER SEQUENCE {READINGS}_id_seq CACHE 1000")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(f"ALTER SEQUENCE {READINGS}_id_seq CACHE 1")
        op.drop_index("ix_optical_readings_place", table_name=READINGS)
        op.create_index("ix_optical_readings_onu", READINGS, PLACE)
        op.drop_index("ix_optical_readings_read_at_run_id", table_name=READINGS)
        op.create_index("ix_optical_readings_read_at", READINGS, ["read_at"], postgresql_using="brin")
        op.create_index("ix_optical_readings_run_id", READINGS, ["run_id"])
    op.drop_index(op.f("ix_reading_batches_read_at"), table_name="reading_batches")
    op.drop_index(op.f("ix_reading_batches_run_id"), table_name="reading_batches")
    op.drop_table("reading_batches")
