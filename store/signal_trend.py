"""An ONU's signal over time, and a PON's ONUs over one day, from whichever grain is kept.

Which grain a stretch of time comes from (`onu_trend`):

- inside the raw window (the last `history.raw_days` whole UTC days and today): every raw
  reading, one point each (`granularity` 'raw');
- older: the ONU's hourly roll-ups, for each day it has any ('hour');
- older days without hourly roll-ups (past `history.hourly_days`): its daily roll-up ('day');
- a day with no roll-up at all but raw readings still kept (no prune has run since they were
  read): the raw readings.

With `by_day`, one point per day throughout ('day'): the daily roll-ups, and the days they do
not cover yet summed from raw readings by the database. A long trend then costs the same
whatever the history holds: at most one point per day.

A place (OLT, PON, ONU id) changes hands: an ONU id freed by a cancelled contract is given to
the next customer on that PON. A contract's trend (`contract=`) counts only its own readings:
those stored with its code, and those stored with no contract yet with its ONU's serial (a
reading right after the ONU was authorized); roll-ups by the contract they were kept with (a
bucket's last hour's).

Every point has the same keys: `bucket` (the reading's time, or the hour's or day's start,
UTC), `granularity`, `rx_min`, `rx_avg`, `rx_max` (dBm; None when every sample was dark),
`samples` and `offline_samples`. A raw point is a bucket of one sample.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import Any

from sqlalchemy import ColumnElement, Connection, and_, case, func, or_, select, true

from ispflow.core.errors import UsageError
from ispflow.store.contracts import port_numbers
from ispflow.store.db import Database
from ispflow.store.history_settings import history_settings
from ispflow.store.reading_partitions import day_start
from ispflow.store.schema import optical_daily, optical_hourly, optical_readings
from ispflow.store.signal_retention import Edges
from ispflow.store.signal_rollups import floor, position_filter, summary

r = optical_readings


def _position(port: str) -> tuple[int, int, int]:
    try:
        return port_numbers(port)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _rollup_point(row: Any, granularity: str) -> dict[str, Any]:
    return {
        "bucket": row.bucket,
        "granularity": granularity,
        "rx_min": row.rx_min,
        "rx_avg": row.rx_avg,
        "rx_max": row.rx_max,
        "samples": row.samples,
        "offline_samples": row.offline_samples,
    }


def onu_trend(
    db: Database,
    *,
    olt: str,
    port: str,
    onu_id: int,
    days: int,
    now: datetime | None = None,
    by_day: bool = False,
    contract: str | None = None,
    serial: str | None = None,
) -> list[dict[str, Any]]:
    """One ONU's points over the last `days` days, oldest first (see the module's rule).
    With `contract`, only that contract's (and, stored with no contract, `serial`'s)."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise UsageError(f"a trend covers at least one day, not {days!r}")
    frame, slot, pon = _position(port)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    start = now - timedelta(days=days)
    raw_edge = Edges.of(now, history_settings()).raw
    onu = _Onu(olt, frame, slot, pon, onu_id, contract, serial)
    if by_day:
        return _daily_trend(db, onu, start, raw_edge)
    with db.engine.connect() as conn:
        hourly = _rollups(conn, optical_hourly, onu, start, raw_edge)
        points = [_rollup_point(row, "hour") for row in hourly]
        by_hour = {floor(p["bucket"], "day") for p in points}
        daily = _rollups(conn, optical_daily, onu, start, raw_edge)
        points += [_rollup_point(row, "day") for row in daily if row.bucket not in by_hour]
        summed = {floor(p["bucket"], "day") for p in points}
        # A raw window holds some 1,400 readings of an ONU: made into points in one pass.
        points += [
            {
                "bucket": read_at,
                "granularity": "raw",
                "rx_min": rx,
                "rx_avg": rx,
                "rx_max": rx,
                "samples": 1,
                "offline_samples": 1 if state == "offline" else 0,
            }
            for read_at, rx, state in _raw(conn, onu, start)
            if read_at >= raw_edge or floor(read_at, "day") not in summed
        ]
    return sorted(points, key=itemgetter("bucket"))


@dataclass(frozen=True)
class _Onu:
    """Whose trend: a place, and optionally the contract (and serial) it is read for."""

    olt: str
    frame: int
    slot: int
    pon: int
    onu_id: int
    contract: str | None = None
    serial: str | None = None

    def place(self, table: Any) -> ColumnElement[bool]:
        return position_filter(table, self.olt, self.frame, self.slot, self.pon, self.onu_id)

    def owned(self, table: Any) -> ColumnElement[bool]:
        """Rows of the contract: its code, or no code and its serial. Every row without one."""
        if self.contract is None:
            return true()
        mine = table.c.contract == self.contract
        if self.serial:
            mine = or_(mine, and_(table.c.contract.is_(None), table.c.serial == self.serial))
        return mine


def _daily_trend(
    db: Database, onu: _Onu, start: datetime, raw_edge: datetime
) -> list[dict[str, Any]]:
    with db.engine.connect() as conn:
        points = [
            _rollup_point(row, "day") for row in _rollups(conn, optical_daily, onu, start, raw_edge)
        ]
        summed = {p["bucket"] for p in points}
        # Raw readings from `start`, not the day's start: a trend covers `days` days back.
        raw = summary(
            conn.dialect.name,
            "day",
            start,
            datetime.max.replace(tzinfo=UTC),
            and_(onu.place(r), onu.owned(r)),
        )
        points += [
            _rollup_point(row, "day") for row in conn.execute(raw) if row.bucket not in summed
        ]
    return sorted(points, key=lambda p: p["bucket"])


def _rollups(
    conn: Connection, table: Any, onu: _Onu, start: datetime, end: datetime
) -> Iterable[Any]:
    if start >= end:
        return []
    granularity = "hour" if table is optical_hourly else "day"
    return conn.execute(
        select(table)
        .where(
            onu.place(table),
            onu.owned(table),
            table.c.bucket >= floor(start, granularity),
            table.c.bucket < end,
        )
        .order_by(table.c.bucket)
    ).all()


def _raw(conn: Connection, onu: _Onu, start: datetime) -> Iterable[Any]:
    return conn.execute(
        select(r.c.read_at, r.c.rx_dbm, r.c.state)
        .where(
            onu.place(r),
            onu.owned(r),
            r.c.read_at >= start,
        )
        .order_by(r.c.read_at, r.c.id)
    ).all()


def pon_day(
    db: Database, *, olt: str, port: str, day: date, now: datetime | None = None
) -> list[dict[str, Any]]:
    """One PON's ONUs over one UTC day, by ONU id: from raw readings when the day is inside the
    raw window (or has no daily roll-up yet), else from the daily roll-ups. Each row says
    which (`source`: 'raw' | 'day')."""
    frame, slot, pon = _position(port)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    lo = day_start(day)
    hi = lo + timedelta(days=1)
    raw_edge = Edges.of(now, history_settings()).raw
    with db.engine.connect() as conn:
        if lo < raw_edge:
            t = optical_daily
            rows = conn.execute(
                select(t)
                .where(position_filter(t, olt, frame, slot, pon), t.c.bucket == lo)
                .order_by(t.c.onu_index)
            ).all()
            if rows:
                return [_pon_row(row, "day") for row in rows]
        query = summary(
            conn.dialect.name, "day", lo, hi, position_filter(r, olt, frame, slot, pon)
        ).order_by("onu_index")
        return [_pon_row(row, "raw") for row in conn.execute(query)]


def _pon_row(row: Any, source: str) -> dict[str, Any]:
    return {
        "onu_id": row.onu_index,
        "serial": row.serial,
        "contract": row.contract,
        "rx_min": row.rx_min,
        "rx_avg": row.rx_avg,
        "rx_max": row.rx_max,
        "samples": int(row.samples),
        "offline_samples": int(row.offline_samples),
        "source": source,
    }


def raw_window_start(now: datetime | None = None) -> datetime:
    """Raw readings older than this are pruned (or soon will be): the `history.raw_days`
    edge, whole UTC days back from today."""
    return Edges.of((now or datetime.now(UTC)).astimezone(UTC), history_settings()).raw


def fleet_days(db: Database, days: Iterable[date]) -> dict[date, dict[str, Any]]:
    """The daily roll-ups of every ONU, summed per day, for days whose raw readings may be
    gone: `onus`, `rx_avg` (over the samples with light), `samples`, `offline_samples`."""
    t = optical_daily
    starts = sorted({day_start(day) for day in days})
    if not starts:
        return {}
    lit = t.c.samples - t.c.offline_samples
    query = (
        select(
            t.c.bucket,
            func.count().label("onus"),
            func.sum(t.c.rx_avg * lit).label("rx_sum"),
            func.sum(case((t.c.rx_avg.is_not(None), lit), else_=0)).label("lit"),
            func.sum(t.c.samples).label("samples"),
            func.sum(t.c.offline_samples).label("offline_samples"),
        )
        .where(t.c.bucket.in_(starts))
        .group_by(t.c.bucket)
    )
    with db.engine.connect() as conn:
        return {
            row.bucket.date(): {
                "onus": int(row.onus),
                "rx_avg": float(row.rx_sum) / int(row.lit) if row.lit else None,
                "samples": int(row.samples),
                "offline_samples": int(row.offline_samples),
            }
            for row in conn.execute(query)
        }


def onu_summary(
    db: Database,
    *,
    olt: str,
    port: str,
    onu_id: int,
    days: int,
    now: datetime | None = None,
    contract: str | None = None,
    serial: str | None = None,
) -> dict[str, Any] | None:
    """One ONU's last `days` days in one line: min/avg/max rx, samples, offline samples, from
    its trend by day (roll-ups, and raw readings summed by the database); None without any.
    `contract` and `serial` as for `onu_trend`."""
    points = onu_trend(
        db,
        olt=olt,
        port=port,
        onu_id=onu_id,
        days=days,
        now=now,
        by_day=True,
        contract=contract,
        serial=serial,
    )
    if not points:
        return None
    lit = [(p["rx_avg"], p["samples"] - p["offline_samples"]) for p in points]
    weight = sum(n for avg, n in lit if avg is not None)
    lows = [p["rx_min"] for p in points if p["rx_min"] is not None]
    highs = [p["rx_max"] for p in points if p["rx_max"] is not None]
    return {
        "days": days,
        "since": points[0]["bucket"],
        "rx_min": min(lows, default=None),
        "rx_avg": sum(avg * n for avg, n in lit if avg is not None) / weight if weight else None,
        "rx_max": max(highs, default=None),
        "samples": sum(p["samples"] for p in points),
        "offline_samples": sum(p["offline_samples"] for p in points),
    }
