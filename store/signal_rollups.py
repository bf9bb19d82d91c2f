"""Optical readings summed per ONU per hour or per day: min/avg/max rx, samples, offline.

An ONU is where the readings say it is (OLT, frame, slot, port, ONU id); a bucket keeps the
serial and contract of its newest reading. The same summary serves two ends: filling the
roll-up tables (`roll_up`, an upsert, so a bucket summed again is replaced, never added) and
reading a day of raw readings as if it were rolled up (`summary`).
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import Connection, Select, Table, and_, case, func, literal, select, type_coerce
from sqlalchemy.dialects import postgresql, sqlite

from ispflow.store.columns import UTCDateTime
from ispflow.store.schema import optical_daily, optical_hourly, optical_readings

Granularity = Literal["hour", "day"]
TABLES: dict[Granularity, Table] = {"hour": optical_hourly, "day": optical_daily}
STEP: dict[Granularity, timedelta] = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
ONU_COLUMNS = ("olt", "frame", "slot", "port", "onu_index")
SUMMARY_COLUMNS = (
    *ONU_COLUMNS, "bucket", "serial", "contract", "rx_min", "rx_avg", "rx_max", "samples",
    "offline_samples",
)  # fmt: skip

r = optical_readings


def floor(moment: datetime, granularity: Granularity) -> datetime:
    """The start of the bucket `moment` (aware) falls in, UTC."""
    moment = moment.astimezone(UTC)
    if granularity == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    return datetime.combine(moment.date(), time(), tzinfo=UTC)


def _bucket(dialect: str, granularity: Granularity) -> Any:
    if dialect == "postgresql":
        return func.date_trunc(granularity, r.c.read_at, "UTC")
    # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC: the bucket is its prefix, completed.
    if granularity == "hour":
        return func.substr(r.c.read_at, 1, 13).concat(literal(":00:00.000000"))
    return func.substr(r.c.read_at, 1, 10).concat(literal(" 00:00:00.000000"))


def summary(
    dialect: str, granularity: Granularity, lo: datetime, hi: datetime, *where: Any
) -> Select:
    """Per ONU and bucket, the readings read in [lo, hi) (and `where`), summed."""
    bucket = _bucket(dialect, granularity)
    keys = [r.c[name] for name in ONU_COLUMNS]
    newest = func.row_number().over(
        partition_by=[*keys, bucket], order_by=[r.c.read_at.desc(), r.c.id.desc()]
    )
    bucketed = (
        select(
            *keys,
            type_coerce(bucket, UTCDateTime()).label("bucket"),
            r.c.serial,
            r.c.contract,
            r.c.rx_dbm,
            r.c.state,
            newest.label("newest"),
        )
        .where(r.c.read_at >= lo, r.c.read_at < hi, *where)
        .subquery("bucketed")
    )
    b = bucketed.c
    groups = [b[name] for name in ONU_COLUMNS] + [b.bucket]
    return select(
        *groups,
        func.max(case((b.newest == 1, b.serial))).label("serial"),
        func.max(case((b.newest == 1, b.contract))).label("contract"),
        func.min(b.rx_dbm).label("rx_min"),
        func.avg(b.rx_dbm).label("rx_avg"),
        func.max(b.rx_dbm).label("rx_max"),
        func.count().label("samples"),
        func.sum(case((b.state == "offline", 1), else_=0)).label("offline_samples"),
    ).group_by(*groups)


def roll_up(conn: Connection, granularity: Granularity, lo: datetime, hi: datetime) -> int:
    """Write the roll-ups of the buckets in [lo, hi) (whole buckets); how many were written."""
    table = TABLES[granularity]
    dialect = conn.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(table).from_select(
        list(SUMMARY_COLUMNS), summary(dialect, granularity, lo, hi)
    )
    statement = statement.on_conflict_do_update(
        index_elements=[*ONU_COLUMNS, "bucket"],
        set_={
            name: statement.excluded[name]
            for name in SUMMARY_COLUMNS
            if name not in (*ONU_COLUMNS, "bucket")
        },
    )
    # SQLAlchemy keeps an INSERT's row count only when asked.
    return conn.execute(statement.execution_options(preserve_rowcount=True)).rowcount


def position_filter(table: Any, olt: str, frame: int, slot: int, port: int) -> Any:
    return and_(
        table.c.olt == olt, table.c.frame == frame, table.c.slot == slot, table.c.port == port
    )
