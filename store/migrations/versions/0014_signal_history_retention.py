"""Signal history at fleet scale: hourly and daily roll-ups of the optical readings and their
marks; on PostgreSQL the readings partitioned by day of read_at.

On PostgreSQL the readings move: the old table is renamed, the partitioned one made with a
partition for each day the old one holds (and the default partition), the rows copied, the old
table dropped. The copy is one statement; a history of 100 M rows takes minutes and the
readings table is locked meanwhile. The id sequence carries over, so ids keep counting.

On both databases the readings lose their foreign key to the runs: checking it costs a look-up
in `runs` for every reading written (about a sixth of the write), runs are never deleted, and
the history keeps its run ids as it keeps OLT names and contract codes, as they were. On
SQLite that rebuilds the readings table.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | Sequence[str] | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READINGS = "optical_readings"
OLD = "optical_readings_unpartitioned"
SEQUENCE = "optical_readings_id_seq"
DEFAULT_PARTITION = "optical_readings_default"
RUN_KEY = "fk_optical_readings_run_id_runs"
INDEXES = {
    "ix_optical_readings_onu_read_at": ["olt", "frame", "slot", "port", "onu_index", "read_at"],
    "ix_optical_readings_run_id": ["run_id"],
    "ix_optical_readings_serial": ["serial"],
    "ix_optical_readings_contract": ["contract"],
}
COLUMNS = (
    "id, run_id, olt, frame, slot, port, onu_index, serial, rx_dbm, tx_dbm, olt_rx_dbm, "
    "temperature, state, signal_class, read_at, contract, down_cause, down_class"
)


def upgrade() -> None:
    for name, comment in (("optical_hourly", "start of the hour, UTC"),
                          ("optical_daily", "start of the day, UTC")):  # fmt: skip
        _create_rollup(name, comment)
    op.create_table(
        "optical_rollup_marks",
        sa.Column("granularity", sa.String(length=8), nullable=False, comment="hour | day"),
        sa.Column("rolled_through", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("granularity", name=op.f("pk_optical_rollup_marks")),
    )
    if op.get_bind().dialect.name == "postgresql":
        _partition_readings()
    else:
        with op.batch_alter_table(READINGS) as batch:
            batch.drop_constraint(RUN_KEY, type_="foreignkey")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _unpartition_readings()
    else:
        with op.batch_alter_table(READINGS) as batch:
            batch.create_foreign_key(RUN_KEY, "runs", ["run_id"], ["id"], ondelete="SET NULL")
    op.drop_table("optical_rollup_marks")
    for name in ("optical_daily", "optical_hourly"):
        op.drop_index(op.f(f"ix_{name}_bucket"), table_name=name)
        op.drop_table(name)


def _create_rollup(name: str, comment: str) -> None:
    op.create_table(
        name,
        sa.Column("olt", sa.String(length=100), nullable=False),
        sa.Column("frame", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("onu_index", sa.Integer(), nullable=False),
        sa.Column("bucket", sa.DateTime(timezone=True), nullable=False, comment=comment),
        sa.Column(
            "serial", sa.String(length=32), nullable=True, comment="of the bucket's newest reading"
        ),
        sa.Column(
            "contract",
            sa.String(length=64),
            nullable=True,
            comment="of the bucket's newest reading",
        ),
        sa.Column("rx_min", sa.Float(), nullable=True),
        sa.Column("rx_avg", sa.Float(), nullable=True, comment="over the readings with light"),
        sa.Column("rx_max", sa.Float(), nullable=True),
        sa.Column("samples", sa.Integer(), nullable=False, comment="readings in the bucket"),
        sa.Column("offline_samples", sa.Integer(), nullable=False, comment="of which offline"),
        sa.Column(
            "rx_samples",
            sa.Integer(),
            nullable=False,
            comment="of which with light: rx_avg's weight",
        ),
        sa.PrimaryKeyConstraint(
            "olt", "frame", "slot", "port", "onu_index", "bucket", name=op.f(f"pk_{name}")
        ),
    )
    op.create_index(op.f(f"ix_{name}_bucket"), name, ["bucket"])


def _readings_table(*, partitioned: bool) -> None:
    """The readings table with its columns as 0001-0012 left them, id from the old sequence;
    partitioned without the runs' foreign key, else (a downgrade) with it."""
    key = ["id", "read_at"] if partitioned else ["id"]
    run_key = [] if partitioned else [
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"], name=op.f(RUN_KEY), ondelete="SET NULL")
    ]  # fmt: skip
    options = {"postgresql_partition_by": "RANGE (read_at)"} if partitioned else {}
    op.create_table(
        READINGS,
        sa.Column(
            "id", sa.BigInteger(), nullable=False, server_default=sa.text(f"nextval('{SEQUENCE}')")
        ),
        sa.Column("run_id", sa.String(length=40), nullable=True),
        sa.Column("olt", sa.String(length=100), nullable=False),
        sa.Column("frame", sa.Integer(), nullable=False),
        sa.Column("slot", sa.Integer(), nullable=False),
        sa.Column("port", sa.Integer(), nullable=False),
        sa.Column("onu_index", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=32), nullable=True),
        sa.Column("rx_dbm", sa.Float(), nullable=True),
        sa.Column("tx_dbm", sa.Float(), nullable=True),
        sa.Column("olt_rx_dbm", sa.Float(), nullable=True),
        sa.Column("temperature", sa.Float(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("signal_class", sa.String(length=16), nullable=False),
        sa.Column("read_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("contract", sa.String(length=64), nullable=True),
        sa.Column(
            "down_cause",
            sa.String(length=32),
            nullable=True,
            comment="the OLT's words for the last down cause of an offline ONU",
        ),
        sa.Column(
            "down_class",
            sa.String(length=8),
            nullable=True,
            comment="power | fibre | other; NULL when the OLT did not say",
        ),
        *run_key,
        sa.PrimaryKeyConstraint(*key, name=op.f("pk_optical_readings")),
        **options,
    )


def _set_aside_readings() -> None:
    """Rename the readings table out of the way; its indexes and keys go (their names are
    the new table's), its sequence stays for the new table."""
    op.execute(f"ALTER TABLE {READINGS} RENAME TO {OLD}")
    op.execute(f"ALTER SEQUENCE {SEQUENCE} OWNED BY NONE")
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    op.execute(f"ALTER TABLE {OLD} DROP CONSTRAINT pk_optical_readings")
    op.execute(f"ALTER TABLE {OLD} DROP CONSTRAINT IF EXISTS {RUN_KEY}")


def _fill_and_index() -> None:
    op.execute(f"INSERT INTO {READINGS} ({COLUMNS}) SELECT {COLUMNS} FROM {OLD}")
    op.execute(f"DROP TABLE {OLD} CASCADE")
    op.execute(f"ALTER SEQUENCE {SEQUENCE} OWNED BY {READINGS}.id")
    # Made after the copy: one sort per index instead of an index update per row.
    for name, columns in INDEXES.items():
        op.create_index(name, READINGS, columns)


def _partition_readings() -> None:
    _set_aside_readings()
    _readings_table(partitioned=True)
    op.execute(f"CREATE TABLE {DEFAULT_PARTITION} PARTITION OF {READINGS} DEFAULT")
    days = op.get_bind().execute(
        sa.text(f"SELECT DISTINCT (read_at AT TIME ZONE 'UTC')::date FROM {OLD}")
    )
    for (day,) in days:
        _day_partition(day)
    _fill_and_index()


def _unpartition_readings() -> None:
    _set_aside_readings()
    _readings_table(partitioned=False)
    _fill_and_index()


def _day_partition(day: date) -> None:
    # As store.reading_partitions names and bounds them; DDL takes no parameters, and the
    # literals come from dates.
    lo = datetime.combine(day, time(), tzinfo=UTC)
    hi = lo + timedelta(days=1)
    op.get_bind().exec_driver_sql(
        f"CREATE TABLE {READINGS}_p{day:%Y%m%d} PARTITION OF {READINGS} "
        f"FOR VALUES FROM ('{lo.isoformat()}') TO ('{hi.isoformat()}')"
    )
