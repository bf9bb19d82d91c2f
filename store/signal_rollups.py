"""Optical readings summed per ONU per hour or per day: min/avg/max rx, samples, offline.

An ONU is where the readings say it is (OLT, frame, slot, port, ONU id); a bucket keeps the
serial and contract of its newest reading. Hours are summed from raw readings, days from the
hours (a day's 24 hourly rows per ONU rather than its ~96 readings; the average weighted by
`rx_samples`, so it is the day's own). The raw summary also reads a day of raw readings as if
it were rolled up (`summary`). Writing is an upsert: a bucket summed again is replaced, never
added to.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import (
    BigInteger,
    Connection,
    Select,
    Table,
    and_,
    case,
    func,
    literal,
    select,
    type_coerce,
)

from ispflow.store.columns import UTCDateTime
from ispflow.store.reading_partitions import summarize_read_at
from ispflow.store.schema import (
    optical_daily,
    optical_hourly,
    optical_readings,
    place_number,
    pon_places,
    reading_place,
)

Granularity = Literal["hour", "day"]
TABLES: dict[Granularity, Table] = {"hour": optical_hourly, "day": optical_daily}
STEP: dict[Granularity, timedelta] = {"hour": timedelta(hours=1), "day": timedelta(days=1)}
ONU_COLUMNS = ("olt", "frame", "slot", "port", "onu_index")
SUMMARY_COLUMNS = (
    *ONU_COLUMNS, "bucket", "serial", "contract", "rx_min", "rx_avg", "rx_max", "samples",
    "offline_samples", "rx_samples",
)  # fmt: skip

r = optical_readings


def floor(moment: datetime, granularity: Granularity) -> datetime:
    """The start of the bucket `moment` (aware) falls in, UTC."""
    moment = moment.astimezone(UTC)
    if granularity == "hour":
        return moment.replace(minute=0, second=0, microsecond=0)
    return datetime.combine(moment.date(), time(), tzinfo=UTC)


def _bucket(dialect: str, granularity: Granularity, column: Any) -> Any:
    if dialect == "postgresql":
        return func.date_trunc(granularity, column, "UTC")
    # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff' in UTC: the bucket is its prefix, completed.
    if granularity == "hour":
        return func.substr(column, 1, 13).concat(literal(":00:00.000000"))
    return func.substr(column, 1, 10).concat(literal(" 00:00:00.000000"))


def summary(
    dialect: str, granularity: Granularity, lo: datetime, hi: datetime, *where: Any
) -> Select:
    """Per ONU and bucket, the raw readings read in [lo, hi) (and `where`), summed."""
    bucket = _bucket(dialect, granularity, r.c.read_at)
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
        func.count(b.rx_dbm).label("rx_samples"),
    ).group_by(*groups)


def days_from_hours(dialect: str, lo: datetime, hi: datetime) -> Select:
    """Per ONU and day, the hourly roll-ups of [lo, hi) (whole days) summed. The serial and
    contract are the day's last hour's, joined back by its key: numbering every hour of a
    day of 51,200 ONUs to find it sorted 1.2 M rows on disk, seconds at the prune after
    midnight; grouping needs no order."""
    h = optical_hourly
    hours = (
        select(
            *(h.c[name] for name in ONU_COLUMNS),
            _bucket(dialect, "day", h.c.bucket).label("day"),
            h.c.bucket,
            *(h.c[name] for name in SUMMARY_COLUMNS[-6:]),
        )
        .where(h.c.bucket >= lo, h.c.bucket < hi)
        .subquery("hours")
    )
    o = hours.c
    keys = [o[name] for name in ONU_COLUMNS]
    lit = func.sum(o.rx_samples)
    days = (
        select(
            *keys,
            type_coerce(o.day, UTCDateTime()).label("bucket"),
            func.max(o.bucket).label("last_hour"),
            func.min(o.rx_min).label("rx_min"),
            (func.sum(o.rx_avg * o.rx_samples) / func.nullif(lit, 0)).label("rx_avg"),
            func.max(o.rx_max).label("rx_max"),
            func.sum(o.samples).label("samples"),
            func.sum(o.offline_samples).label("offline_samples"),
            lit.label("rx_samples"),
        )
        .group_by(*keys, o.day)
        .subquery("days")
    )
    d, last = days.c, h.alias("last_hour")
    same_hour = and_(
        *(last.c[name] == d[name] for name in ONU_COLUMNS), last.c.bucket == d.last_hour
    )
    return select(
        *(d[name] for name in ONU_COLUMNS),
        d.bucket,
        last.c.serial,
        last.c.contract,
        *(d[name] for name in SUMMARY_COLUMNS[-6:]),
    ).select_from(days.join(last, same_hour))


def upsert_for(dialect: str) -> Callable[..., Any]:
    # Imported here: loading a dialect costs every process that only uses the other one.
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def roll_up(conn: Connection, granularity: Granularity, lo: datetime, hi: datetime) -> int:
    """Write the roll-ups of the buckets in [lo, hi) (whole buckets); how many were written.
    Days are summed from the hourly roll-ups, which must be done through `hi`."""
    table = TABLES[granularity]
    dialect = conn.dialect.name
    if dialect == "postgresql":
        # A day of a fleet is tens of thousands of groups: summed in memory, not in batches
        # spilled to disk (the default is 4 MB), for this transaction only.
        conn.exec_driver_sql("SET LOCAL work_mem = '64MB'")
        if granularity == "hour":
            summarize_read_at(conn)
    insert = upsert_for(dialect)
    source = (
        summary(dialect, granularity, lo, hi)
        if granularity == "hour"
        else days_from_hours(dialect, lo, hi)
    )
    statement = insert(table).from_select(list(SUMMARY_COLUMNS), source)
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


def position_filter(
    table: Any, olt: str, frame: int, slot: int, port: int, onu_index: int | None = None
) -> Any:
    """A PON's rows in `table` (one ONU's with `onu_index`). On the readings the place number
    is compared too: PostgreSQL's place index is keyed on it."""
    c = table.c
    match = [c.olt == olt, c.frame == frame, c.slot == slot, c.port == port]
    if onu_index is not None:
        match.append(c.onu_index == onu_index)
    if table is optical_readings:
        place = reading_place(c.frame, c.slot, c.port, c.onu_index)
        if onu_index is None:
            low, high = pon_places(frame, slot, port)
            match += [place >= literal(low, BigInteger), place <= literal(high, BigInteger)]
        else:
            match.append(place == literal(place_number(frame, slot, port, onu_index), BigInteger))
    return and_(*match)
