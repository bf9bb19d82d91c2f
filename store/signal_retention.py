"""Keeping the signal history to size: roll readings up, then drop what is past its time.

A prune, in order, each step its own transaction(s), each safe to cut short and run again:

1. Roll up every closed hour (from raw readings) and then every closed day (from its hours)
   not rolled up yet (`optical_hourly`, `optical_daily`), a day of buckets per transaction,
   which also moves that granularity's mark (`optical_rollup_marks`). A bucket is final once
   behind its mark and is never summed again; a bucket is closed `GRACE` after it ends, so a
   write in flight at the hour still counts.
2. Drop raw readings older than `raw_days` (whole UTC days), but never any not yet behind
   both marks. PostgreSQL drops whole day partitions (and deletes the few rows its default
   partition holds); SQLite deletes `DELETE_BATCH` rows per transaction.
3. Drop hourly roll-ups older than `hourly_days` (never any of a day not rolled up yet) and
   daily ones older than `rollup_days`.

Two prunes at once (threads or processes) take turns at each step: each step runs in
`Database.serialized`, reads the marks inside it, and finds done what the other did.
"""

from __future__ import annotations

import hashlib
import itertools
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, and_, bindparam, delete, func, literal_column, select, text
from sqlalchemy.exc import OperationalError

from ispflow.store import journal_results, reading_batches
from ispflow.store.db import Database
from ispflow.store.history_settings import HistorySettings, history_settings
from ispflow.store.reading_partitions import (
    DEFAULT_PARTITION,
    day_partitions,
    day_start,
    forget_made,
)
from ispflow.store.schema import optical_readings, optical_rollup_marks
from ispflow.store.signal_rollups import STEP, TABLES, Granularity, floor, roll_up, summary

PRUNE_LOCK = int.from_bytes(
    hashlib.blake2b(b"ispflow.store.signal_retention", digest_size=8).digest(), "big", signed=True
)
# A bucket is rolled up this long after it ends: a reading stamped 10:59:59 may be committed
# a moment after 11:00.
GRACE = timedelta(minutes=10)
# Buckets rolled up per transaction: a day of readings (about 5 M rows for 51,200 ONUs read
# every 15 minutes) in one statement per granularity.
ROLLUP_SPAN = timedelta(days=1)
DELETE_BATCH = 5_000
PLACE = ("olt", "frame", "slot", "port", "onu_index")
# Days of buckets a run's own prune rolls up per grain: a 15-minute audit needs at most one.
AFTER_RUN_ROLL_UP_DAYS = 2
DROP_LOCK_TIMEOUT = "10s"
LOCK_NOT_AVAILABLE = "55P03"  # PostgreSQL's SQLSTATE for a lock_timeout

log = logging.getLogger(__name__)
r = optical_readings
marks = optical_rollup_marks


@dataclass
class PruneResult:
    """What a prune did (or, with dry_run, would do)."""

    hourly_rolled_up: int = 0  # ONU-hours written to optical_hourly
    daily_rolled_up: int = 0  # ONU-days written to optical_daily
    raw_rows_dropped: int = 0  # rows deleted (SQLite; PostgreSQL's default partition)
    partitions_dropped: list[str] = field(default_factory=list)  # PostgreSQL day partitions
    hourly_dropped: int = 0
    daily_dropped: int = 0
    # Step results dropped from the run journal with their raw readings (`journal_results`).
    results_dropped: int = 0
    raw_kept_from: datetime | None = None  # raw readings before this are gone (or would be)
    hourly_kept_from: datetime | None = None
    daily_kept_from: datetime | None = None
    dry_run: bool = False

    @property
    def rollups_dropped(self) -> int:
        return self.hourly_dropped + self.daily_dropped


@dataclass(frozen=True)
class Edges:
    """Where each grain of history starts, for a given `now` and settings."""

    raw: datetime
    hourly: datetime
    daily: datetime

    @classmethod
    def of(cls, now: datetime, settings: HistorySettings) -> Edges:
        today = floor(now, "day")
        return cls(
            raw=today - timedelta(days=settings.raw_days),
            hourly=today - timedelta(days=settings.kept_hourly_days),
            daily=today - timedelta(days=settings.rollup_days),
        )


def prune(
    db: Database,
    *,
    now: datetime | None = None,
    raw_days: int | None = None,
    rollup_days: int | None = None,
    dry_run: bool = False,
    roll_up_days: int | None = None,
) -> PruneResult:
    """Roll up closed buckets, then drop raw readings and roll-ups past their time.
    `raw_days`/`rollup_days` None: the `history:` settings. `roll_up_days`: at most that many
    days of buckets rolled up per grain (None: all that are closed); what is left waits for
    the next prune, and nothing not rolled up is dropped. Bad day counts raise UsageError
    before anything is changed."""
    settings = history_settings().with_days(raw_days, rollup_days)
    now = (now or datetime.now(UTC)).astimezone(UTC)
    edges = Edges.of(now, settings)
    result = PruneResult(
        raw_kept_from=edges.raw,
        hourly_kept_from=edges.hourly,
        daily_kept_from=edges.daily,
        dry_run=dry_run,
    )
    if dry_run:
        _preview(db, now, edges, result)
        return result
    result.hourly_rolled_up = _roll_up_closed(db, "hour", now, roll_up_days)
    result.daily_rolled_up = _roll_up_closed(db, "day", now, roll_up_days)
    _drop_raw(db, edges.raw, result)
    _forget_batches(db, edges.raw, result, now)
    result.hourly_dropped = _drop_rollups(db, "hour", edges.hourly)
    result.daily_dropped = _drop_rollups(db, "day", edges.daily)
    return result


def prune_after_readings(db: Database) -> PruneResult | None:
    """The prune a run does once it stored readings, unless `history.prune_after_audit` is
    false (then None). It rolls up at most `AFTER_RUN_ROLL_UP_DAYS` days per grain: after an
    upgrade a long history not rolled up yet is caught up over several runs (or at once by
    `ispflow readings prune`), not at the end of the first run while it waits."""
    if not history_settings().prune_after_audit:
        return None
    return prune(db, roll_up_days=AFTER_RUN_ROLL_UP_DAYS)


# -- roll-ups -------------------------------------------------------------------------------
def _mark(conn: Connection, granularity: Granularity) -> datetime | None:
    return conn.execute(
        select(marks.c.rolled_through).where(marks.c.granularity == granularity)
    ).scalar()


def _set_mark(conn: Connection, granularity: Granularity, through: datetime) -> None:
    done = conn.execute(
        marks.update().where(marks.c.granularity == granularity).values(rolled_through=through)
    )
    if done.rowcount == 0:
        conn.execute(marks.insert().values(granularity=granularity, rolled_through=through))


def _start(
    conn: Connection, granularity: Granularity, *, remember: bool = False
) -> datetime | None:
    """Where rolling up resumes: the mark, else the bucket of the oldest reading. With
    `remember`, that bucket becomes the mark (nothing is before it), so the prunes after each
    audit of a new store's first hour do not look through every reading again."""
    mark = _mark(conn, granularity)
    if mark is not None:
        return mark
    oldest = conn.execute(select(func.min(r.c.read_at))).scalar()
    if oldest is None:
        return None
    start = floor(oldest, granularity)
    if remember:
        _set_mark(conn, granularity, start)
    return start


def _closed(conn: Connection, granularity: Granularity, now: datetime) -> datetime | None:
    """Buckets before this are over (and, for days, all their hours rolled up)."""
    closed = floor(now - GRACE, granularity)
    if granularity == "day":
        hours = _mark(conn, "hour")
        if hours is None:
            return None
        closed = min(closed, floor(hours, "day"))
    return closed


def _roll_up_closed(
    db: Database, granularity: Granularity, now: datetime, days: int | None = None
) -> int:
    """Roll up the closed buckets after the mark, ROLLUP_SPAN per transaction; with `days`,
    at most that many transactions."""
    written = 0
    for _ in itertools.repeat(None) if days is None else range(days):
        with db.serialized(PRUNE_LOCK) as conn:
            # What is closed first: with no hour rolled up, no day is, and a store without a
            # mark would look for its oldest reading through the whole table for nothing.
            closed = _closed(conn, granularity, now)
            start = None if closed is None else _start(conn, granularity, remember=True)
            if start is None or closed is None or start >= closed:
                return written
            end = min(start + max(ROLLUP_SPAN, STEP[granularity]), closed)
            written += roll_up(conn, granularity, start, end)
            _set_mark(conn, granularity, end)
    return written


def rolled_through(db: Database) -> datetime | None:
    """Raw readings before this are in both roll-ups (None: not all of them yet)."""
    with db.engine.connect() as conn:
        hour, day = _mark(conn, "hour"), _mark(conn, "day")
    return None if hour is None or day is None else min(hour, day)


# -- dropping -------------------------------------------------------------------------------
def _drop_bound(conn: Connection, raw_edge: datetime) -> datetime | None:
    """Raw readings before this may go: past the raw window and in both roll-ups."""
    hour, day = _mark(conn, "hour"), _mark(conn, "day")
    if hour is None or day is None:
        return None
    return min(raw_edge, hour, day)


def _drop_raw(db: Database, raw_edge: datetime, result: PruneResult) -> None:
    partitioned = db.dialect_name == "postgresql"
    if partitioned:
        _drop_partitions(db, raw_edge, result)
    # One place first: how many readings a place holds behind the bound sizes the rest (a
    # store not pruned for months holds thousands each).
    positions_per_batch = 1
    while True:
        with db.serialized(PRUNE_LOCK) as conn:
            bound = _drop_bound(conn, raw_edge)
            if bound is None:
                return
            if partitioned:
                # The default partition only holds strays (days without a partition yet).
                result.raw_rows_dropped += conn.execute(
                    text(f"DELETE FROM {DEFAULT_PARTITION} WHERE read_at < :bound"),
                    {"bound": bound},
                ).rowcount
                return
            first = conn.execute(select(func.min(r.c.id))).scalar()
            if first is None:
                return
            done, positions, kept = _delete_oldest(conn, first, positions_per_batch, bound)
            result.raw_rows_dropped += done
        if kept or not positions:
            return
        # About DELETE_BATCH readings per transaction, however many days each place holds.
        per_position = max(1, done // positions)
        positions_per_batch = max(1, min(DELETE_BATCH, DELETE_BATCH // per_position))


def _forget_batches(db: Database, raw_edge: datetime, result: PruneResult, now: datetime) -> None:
    """The runs' batches go with their raw readings, what is behind the drop bound, and so do
    the journal results of the steps that stored them."""
    with db.serialized(PRUNE_LOCK) as conn:
        bound = _drop_bound(conn, raw_edge)
        if bound is not None:
            result.results_dropped += journal_results.drop_before(conn, bound, now=now)
            reading_batches.forget_before(conn, bound)


def _delete_oldest(
    conn: Connection, first: int, count: int, bound: datetime
) -> tuple[int, int, bool]:
    """SQLite: delete every reading before `bound` at the first `count` places (OLT, PON,
    ONU id) that the window of the DELETE_BATCH oldest readings (the first ids: readings are
    numbered as they are written) has a reading before `bound` at. Deleting place by place
    walks the (place, read_at) index and the table in order: the readings of one audit are
    written place after place, so one place's readings are a few rows on each page an audit
    filled. Deleting by windows of ids instead touched a different index page for every
    reading and wrote each of them to the WAL once per audit. Returns the readings deleted,
    the places, and whether the window is done and keeps a reading (then nothing older is
    left: later ids are later readings)."""
    window = and_(r.c.id >= first, r.c.id < first + DELETE_BATCH)
    place = [r.c[name] for name in PLACE]
    # The database picks the places (a window's rows through SQLAlchemy cost as much again
    # as deleting them); one more than wanted says whether the window holds others.
    doomed = conn.execute(
        select(*place)
        .where(window, r.c.read_at < bound)
        .group_by(*place)
        .order_by(func.min(r.c.id))
        .limit(count + 1)
    ).all()
    places = [tuple(row) for row in doomed[:count]]
    kept = len(doomed) <= count and (
        conn.execute(select(r.c.id).where(window, r.c.read_at >= bound).limit(1)).first()
        is not None
    )
    if not places:
        return 0, 0, kept
    where = [r.c[name] == bindparam(f"p_{name}") for name in PLACE]
    done = conn.execute(
        delete(r).where(*where, r.c.read_at < bound),
        [
            {f"p_{name}": value for name, value in zip(PLACE, place, strict=True)}
            for place in places
        ],
    ).rowcount
    return done, len(places), kept


def _drop_partitions(db: Database, raw_edge: datetime, result: PruneResult) -> None:
    """Drop the day partitions wholly before the drop bound, one per transaction. Dropping one
    locks the readings table: behind a long reader it waits DROP_LOCK_TIMEOUT at most (new
    queries queue behind a waiting drop), then leaves the rest to the next prune."""
    while True:
        try:
            with db.serialized(PRUNE_LOCK) as conn:
                bound = _drop_bound(conn, raw_edge)
                if bound is None:
                    return
                doomed = [
                    name
                    for day, name in sorted(day_partitions(conn).items())
                    if day_start(day) + timedelta(days=1) <= bound
                ]
                if not doomed:
                    break
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{DROP_LOCK_TIMEOUT}'")
                conn.exec_driver_sql(f"DROP TABLE {doomed[0]}")  # a name we made, never input
        except OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE:
                raise
            log.warning(
                "old readings partitions left for the next prune: the readings table is busy (%s)",
                exc.orig,
            )
            break
        result.partitions_dropped.append(doomed[0])
    if result.partitions_dropped:
        forget_made(db)


def _drop_rollups(db: Database, granularity: Granularity, edge: datetime) -> int:
    """Drop roll-ups before `edge`; hourly ones only once their days are rolled up."""
    table = TABLES[granularity]
    dropped = 0
    while True:
        with db.serialized(PRUNE_LOCK) as conn:
            bound = edge
            if granularity == "hour":
                days = _mark(conn, "day")
                if days is None:
                    return dropped
                bound = min(edge, days)
            # The oldest bucket through its index first: a prune finds nothing to drop most
            # of the time, and a DELETE by a bound given as a parameter may be planned (once
            # prepared) as a scan of the whole table.
            oldest_bucket = conn.execute(select(func.min(table.c.bucket))).scalar()
            if oldest_bucket is None or oldest_bucket >= bound:
                return dropped
            if db.dialect_name == "postgresql":
                return dropped + conn.execute(delete(table).where(table.c.bucket < bound)).rowcount
            rowid = literal_column("rowid")
            oldest = select(rowid).select_from(table).where(table.c.bucket < bound)
            done = conn.execute(
                delete(table).where(rowid.in_(oldest.limit(DELETE_BATCH).scalar_subquery()))
            ).rowcount
            dropped += done
        if done < DELETE_BATCH:
            return dropped


# -- dry run ----------------------------------------------------------------------------------
def _preview(db: Database, now: datetime, edges: Edges, result: PruneResult) -> None:
    """What a prune would do, counted without changing anything. Roll-ups are counted in
    ONU-buckets, as a prune would write them."""
    with db.engine.connect() as conn:
        dialect = conn.dialect.name
        for granularity in ("hour", "day"):
            start = _start(conn, granularity)
            closed = floor(now - GRACE, granularity)
            count = 0
            if start is not None and start < closed:
                pending = summary(dialect, granularity, start, closed).subquery()
                count = conn.execute(select(func.count()).select_from(pending)).scalar() or 0
            if granularity == "hour":
                result.hourly_rolled_up = count
            else:
                result.daily_rolled_up = count
        # After the roll-ups every closed bucket would be behind its mark.
        bound = min(edges.raw, floor(now - GRACE, "hour"), floor(now - GRACE, "day"))
        if dialect == "postgresql":
            parts = day_partitions(conn)
            result.partitions_dropped = [
                name
                for day, name in sorted(parts.items())
                if day_start(day) + timedelta(days=1) <= bound
            ]
            stray = text(f"SELECT count(*) FROM {DEFAULT_PARTITION} WHERE read_at < :bound")
            result.raw_rows_dropped = conn.execute(stray, {"bound": bound}).scalar() or 0
        else:
            result.raw_rows_dropped = (
                conn.execute(select(func.count()).where(r.c.read_at < bound)).scalar() or 0
            )
        for granularity, edge in (("hour", edges.hourly), ("day", edges.daily)):
            table = TABLES[granularity]
            count = (
                conn.execute(
                    select(func.count()).select_from(table).where(table.c.bucket < edge)
                ).scalar()
                or 0
            )
            if granularity == "hour":
                result.hourly_dropped = count
            else:
                result.daily_dropped = count
        result.results_dropped = journal_results.count_before(conn, bound)
