"""Which OLTs each run stored readings of, and when: one row per OLT write, in its transaction.

A run's readings are found through these rows rather than through an index on the readings'
run id, which every reading written would update: the rows give the times to look at, and
PostgreSQL's block range index on (read_at, run_id) reads only the blocks of those times
that may hold the run. They also tell a resumed run, with one small look-up, whether it
stored an OLT before.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Connection, and_, delete, false, func, select

from ispflow.store.bulk_sql import insert_rows, timestamp_param
from ispflow.store.schema import optical_readings, reading_batches

COLUMNS = ("run_id", "olt", "read_at", "readings", "step_index")


def record(conn: Connection, batches: Iterable[tuple[str, str, datetime, int, int | None]]) -> None:
    """One row per (run id, OLT, read_at, readings, step index), in the caller's
    transaction."""
    dialect = conn.dialect.name
    rows = [(run, olt, timestamp_param(at, dialect), n, step) for run, olt, at, n, step in batches]
    if rows:
        insert_rows(conn, reading_batches.name, COLUMNS, rows)


def stored(
    conn: Connection, pairs: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], list[datetime]]:
    """For the (run id, OLT) pairs that stored readings before, the times they did."""
    wanted = set(pairs)
    if not wanted:
        return {}
    b = reading_batches.c
    rows = conn.execute(
        select(b.run_id, b.olt, b.read_at).where(
            b.run_id.in_(sorted({run for run, _ in wanted})),
            b.olt.in_(sorted({olt for _, olt in wanted})),
        )
    )
    found: dict[tuple[str, str], list[datetime]] = {}
    for run, olt, at in rows:
        if (run, olt) in wanted:
            found.setdefault((run, olt), []).append(at)
    return found


def windows(conn: Connection, run_ids: Sequence[str]) -> dict[str, tuple[datetime, datetime]]:
    """Per run that stored readings, the first and last time its batches were read."""
    ids = sorted(set(run_ids))
    if not ids:
        return {}
    b = reading_batches.c
    rows = conn.execute(
        select(b.run_id, func.min(b.read_at), func.max(b.read_at))
        .where(b.run_id.in_(ids))
        .group_by(b.run_id)
    )
    return {run: (low, high) for run, low, high in rows}


def bounded(conn: Connection) -> bool:
    """Whether run look-ups bound read_at by the batches' times: on PostgreSQL, where that is
    what finds the blocks; SQLite has an index on the run id instead."""
    return conn.dialect.name != "sqlite"


def of_runs(conn: Connection, run_ids: Sequence[str]) -> ColumnElement[bool]:
    """A condition on `optical_readings` for the readings of these runs: their run ids and,
    where `bounded`, read_at within the times their batches were read (what lets PostgreSQL
    read only the blocks of those times). False when none of them stored readings."""
    ids = sorted(set(run_ids))
    r = optical_readings.c
    if not ids:
        return false()
    if not bounded(conn):
        return r.run_id.in_(ids)
    spans = windows(conn, ids).values()
    if not spans:
        return false()
    low, high = min(low for low, _ in spans), max(high for _, high in spans)
    return and_(r.run_id.in_(ids), r.read_at >= low, r.read_at <= high)


def forget_before(conn: Connection, bound: datetime) -> int:
    """Drop the rows of batches read before `bound` (their readings are pruned)."""
    return conn.execute(delete(reading_batches).where(reading_batches.c.read_at < bound)).rowcount
