"""Signal history at fleet scale: ingest, size on disk and the reads that must stay flat.

    python bench/history.py [--millions 1,10] [--databases sqlite,postgresql]
                            [--olts 50] [--pons 16] [--onus 64] [--every-min 15]
                            [--pg postgresql://postgres@127.0.0.1:5432/postgres] [--keep]

A fleet of --olts x --pons x --onus ONUs (51,200 by default) is audited every --every-min
minutes of simulated time, ending now, until the store holds each of --millions million
readings: 1 million is about 5 hours of audits, 100 million about 20 days. Each size gets a
new store (a SQLite file in a temporary folder; a new PostgreSQL database, dropped after
unless --keep) and is measured from this one run:

* ingest  - every audit is one run row and one batch of readings per OLT, handed to the
            store's own writer (`ReadingsWriter`, the path `onu.optical` takes) and waited
            for; only the writer's time counts, not making up the values. Beside it, on a
            sample of the same rows: naive, one INSERT statement per reading through
            SQLAlchemy (what a first script does), and floor, the database's own bulk path
            into a bare table (a plain logged one, in the same database) with no index, key
            or constraint (COPY on PostgreSQL, executemany of one prepared INSERT on SQLite).
* bytes   - the store's growth on disk per reading (readings, their indexes and roll-ups).
* reads   - the audit's history step (`earlier_readings` of the newest audit, as
            `signal.analyze` asks for it), one ONU's 90-day trend (`onu_trend`: every raw
            reading in the raw window, then roll-ups; and by day, one point a day), one PON's
            view of the day of the last audit (`pon_day`); each the median of 9 runs with a
            warm cache. Every size's history ends the same number of audits into a UTC day
            (as many as the smallest size holds, a whole day at most), so the PON's day holds
            as many readings per ONU at every size: the table shows them (ONUs x readings).
            The trend is timed on 4 probe ONUs on different OLTs (the median of their
            medians), and each probe has the same history at every size: the largest size's
            (20 days of audits when that is 100 million). A smaller store's fleet holds less
            (5 hours at 1 million): without it the trend returned 20 points at 1 million and
            1,512 (14 raw days, then hourly roll-ups) at 100 million, and the comparison
            timed the length of one ONU's history, not the size of the table. Before the
            fleet's first audit, the probes' earlier audits are written through the same
            writer and rolled up by the store's own prune, which also drops the raw days
            the prunes after each audit would have dropped by the end: the fleet's prunes
            then drop no day of the probes' alone. The table shows every probe's points
            (one number when they agree) and the probes' readings written on top of the
            size (4 x 1,933 = 7,732 at 1 million when 100 million is the largest; none at
            the largest, where the probes are ONUs of the fleet like any other). They are
            left out of the ingest rate and the bytes per reading.
* prune   - the prune a run does at its end (`ispflow readings prune` with the settings),
            after every audit: it rolls up each hour once it is over and each day once its
            hours are, so it is timed apart from the write (median and longest). Then the
            oldest day still raw falls out of the window (`history.raw_days`, 14 by default):
            once what closed since the last audit is rolled up (and the probes' raw days
            before the fleet's first dropped), the prune that drops the fleet's oldest day is
            timed alone (with fewer readings than a day's, what there is; with the probes'
            few of that day).

The summary compares each read at the largest size with the smallest (target: within 2x)
and prints the ingest rate against naive and floor (target on PostgreSQL: >= 200,000
readings/s) and the day's prune (target: well under a second).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg  # noqa: E402
from sqlalchemy import func, insert, select, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402

from ispflow.store.db import Database, open_database  # noqa: E402
from ispflow.store.history_settings import history_settings  # noqa: E402
from ispflow.store.readings import READING_COLUMNS, ReadingsWriter  # noqa: E402
from ispflow.store.schema import optical_readings, runs  # noqa: E402
from ispflow.store.signal_history import earlier_readings  # noqa: E402
from ispflow.store.signal_retention import PruneResult, prune  # noqa: E402
from ispflow.store.signal_trend import onu_trend, pon_day  # noqa: E402
from ispflow.tasks.signal_analysis import AuditSettings  # noqa: E402

RUNBOOK = "signal-audit"
SAMPLE_ROWS = 51_200
PROBES = 4  # ONUs whose 90-day trend is timed, each with the largest size's history


@dataclass
class Fleet:
    olts: int
    pons: int
    onus: int
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    @property
    def size(self) -> int:
        return self.olts * self.pons * self.onus

    def names(self) -> list[str]:
        return [f"olt-{n:02d}" for n in range(1, self.olts + 1)]

    @staticmethod
    def port(pon: int) -> str:
        return f"0/{1 + pon // 8}/{pon % 8}"

    def probes(self) -> list[tuple[str, str, int]]:
        """The ONUs whose trend is timed (OLT, PON, ONU id), on different OLTs and PONs: the
        first is on the PON whose day is timed."""
        names = self.names()
        places = (
            (
                names[(self.olts // 2 + k * self.olts // PROBES) % self.olts],
                self.port((3 + 5 * k) % self.pons),
                (self.onus // 2 - 1 + 13 * k) % self.onus + 1,
            )
            for k in range(PROBES)
        )
        return list(dict.fromkeys(places))

    def batches(self) -> dict[str, list[dict[str, Any]]]:
        """One reading per ONU of each OLT, the records the OLT parsers give `onu.optical`."""
        batches: dict[str, list[dict[str, Any]]] = {}
        for olt in self.names():
            rows = []
            for pon in range(self.pons):
                for onu in range(1, self.onus + 1):
                    rows.append(
                        {
                            "port": self.port(pon),
                            "onu_id": onu,
                            "serial": f"HWTC{self.rng.getrandbits(32):08X}",
                            "rx_dbm": round(self.rng.uniform(-27.0, -17.0), 2),
                            "tx_dbm": 2.1,
                            "olt_rx_dbm": -24.5,
                            "temperature_c": 41.0,
                            "signal": "ok",
                        }
                    )
            batches[olt] = rows
        return batches

    def drift(self, batches: dict[str, list[dict[str, Any]]]) -> None:
        """The next audit's values: a little noise, about one ONU in 200 offline."""
        gauss, chance = self.rng.gauss, self.rng.random
        for rows in batches.values():
            for reading in rows:
                if chance() < 0.005:
                    reading["rx_dbm"], reading["signal"] = None, "offline"
                else:
                    reading["rx_dbm"], reading["signal"] = round(-22.0 + gauss(0, 2.0), 2), "ok"


@dataclass
class Measured:
    database: str
    readings: int
    audits: int
    span: timedelta
    probe_readings: int  # written on top of `readings`: the probes' history before the fleet's
    ingest_s: float
    naive_rate: float
    floor_rate: float
    bytes_per_reading: float
    history_step: float
    trend_90d: float
    trend_points: list[int]  # each probe's
    daily_90d: float
    daily_points: list[int]
    pon_day: float
    pon_day_onus: int
    pon_day_samples: int  # readings per ONU in that day
    prune_median: float
    prune_max: float
    prunes_that_dropped: int
    day_prune: float
    day_rows: int
    day_dropped: bool

    @property
    def ingest_rate(self) -> float:
        return self.readings / self.ingest_s


# -- stores -------------------------------------------------------------------------------
@contextmanager
def new_store(kind: str, pg_admin: str, folder: Path, keep: bool) -> Iterator[Database]:
    if kind == "sqlite":
        db = open_database(f"sqlite:///{folder / f'history-{uuid.uuid4().hex[:6]}.db'}")
        try:
            yield db
        finally:
            db.close()
        return
    name = f"ispflow_bench_history_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = make_url(pg_admin).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db = open_database(make_url(admin).set(database=name).render_as_string(False))
    try:
        yield db
    finally:
        db.close()
        if not keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        else:
            print(f"  kept database {name}")


def disk_bytes(db: Database) -> int:
    if db.dialect_name == "sqlite":
        db.checkpoint()
        path = Path(db.url.database or "")
        return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))
    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_database_size(current_database())")).scalar())


# -- ingest -------------------------------------------------------------------------------
def start_audit(db: Database, at: datetime) -> str:
    run_id = f"{at:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:4]}"
    with db.writing() as conn:
        conn.execute(
            insert(runs).values(
                id=run_id, runbook=RUNBOOK, vars={}, status="ok", dry_run=False, options={},
                hosts=[], steps=["onu.optical"], started_at=at, finished_at=at,
            )
        )  # fmt: skip
    return run_id


def ingest(
    db: Database, fleet: Fleet, audits: int, every: timedelta, end: datetime
) -> tuple[float, list[float], list[tuple[float, PruneResult]]]:
    """Write `audits` audits through the store's writer, each followed by the prune a run
    does at its end. Returns the writer's seconds, each prune's seconds, and the prunes that
    dropped raw readings of the fleet's audits (with what they did)."""
    batches = fleet.batches()
    spent, prunes, drops = 0.0, [], []
    first = end - every * (audits - 1)
    report_every = max(1, audits // 10)
    for n in range(audits):
        at = first + every * n
        run_id = start_audit(db, at)
        fleet.drift(batches)
        writer = ReadingsWriter(db)
        started = time.perf_counter()
        tickets = [writer.submit(olt, rows, run_id, read_at=at) for olt, rows in batches.items()]
        for ticket in tickets:
            writer.wait(ticket)
        spent += time.perf_counter() - started
        writer.close()
        started = time.perf_counter()
        said = prune(db, now=at + timedelta(minutes=1))
        prunes.append(time.perf_counter() - started)
        # A day of the probes' history alone is not a day of the fleet's.
        fleet_edge = said.raw_kept_from is not None and said.raw_kept_from > first
        if (said.partitions_dropped or said.raw_rows_dropped) and fleet_edge:
            drops.append((prunes[-1], said))
        if (n + 1) % report_every == 0:
            done = (n + 1) * fleet.size
            print(f"    {done:>12,} readings, {done / spent:>9,.0f}/s written, "
                  f"prunes so far: median {statistics.median(prunes):.2f} s, "
                  f"longest {max(prunes):.2f} s", flush=True)  # fmt: skip
    return spent, prunes, drops


def probe_history(
    db: Database, fleet: Fleet, since: datetime, until: datetime, every: timedelta, end: datetime
) -> int:
    """The probes' audits from `since` (the largest size's first audit) to before `until`
    (this size's first), through the store's writer, then the store's prune: it rolls them
    up and drops the raw days the prunes after each audit would have dropped by `end`, so
    the fleet's prunes drop none of them alone (unless this size's fleet spans nearly the
    whole raw window: then one may, and is not counted as dropping a day). Their runs are not
    in `runs`: the history step reads the fleet's audits only. Returns the readings written."""
    times = []
    while since < until:
        times.append(since)
        since += every
    if not times:
        return 0
    rng = random.Random(11)  # apart from the fleet's, whose values stay as they were
    places: dict[str, list[dict[str, Any]]] = {}
    for olt, port, onu in fleet.probes():
        places.setdefault(olt, []).append(
            {"port": port, "onu_id": onu, "serial": f"HWTC{rng.getrandbits(32):08X}",
             "tx_dbm": 2.1, "olt_rx_dbm": -24.5, "temperature_c": 41.0}
        )  # fmt: skip
    # A day of the probes' audits per transaction: thousands of them, a few rows each.
    writer = ReadingsWriter(db, max_olts=len(places) * 96)
    tickets = []
    for at in times:
        for olt, onus in places.items():
            rows = [
                onu | {"rx_dbm": None, "signal": "offline"}
                if rng.random() < 0.005
                else onu | {"rx_dbm": round(-22.0 + rng.gauss(0, 2.0), 2), "signal": "ok"}
                for onu in onus
            ]
            tickets.append(writer.submit(olt, rows, f"probe-{at:%Y%m%dT%H%M}", read_at=at))
    for ticket in tickets:
        writer.wait(ticket)
    writer.close()
    now = times[-1] + timedelta(minutes=1)
    kept = history_settings().raw_days - (end.date() - now.date()).days
    prune(db, now=now, raw_days=max(1, kept))
    return len(times) * len(fleet.probes())


def sample_rows(fleet: Fleet, at: datetime) -> list[tuple[Any, ...]]:
    rows = []
    for olt, batch in fleet.batches().items():
        for r in batch:
            frame, slot, port = (int(p) for p in r["port"].split("/"))
            rows.append(
                (None, olt, frame, slot, port, r["onu_id"], r["serial"], r["rx_dbm"],
                 r["tx_dbm"], r["olt_rx_dbm"], r["temperature_c"], "online", r["signal"],
                 at, None, None, None)
            )  # fmt: skip
            if len(rows) == SAMPLE_ROWS:
                return rows
    return rows


def naive_rate(db: Database, rows: list[tuple[Any, ...]]) -> float:
    """One INSERT per reading through SQLAlchemy, then the rows are taken out again."""
    values = [dict(zip(READING_COLUMNS, row, strict=True)) for row in rows]
    with db.writing() as conn:
        started = time.perf_counter()
        for value in values:
            conn.execute(insert(optical_readings).values(**value))
        spent = time.perf_counter() - started
        conn.execute(optical_readings.delete().where(optical_readings.c.run_id.is_(None)))
    return len(rows) / spent


def floor_rate(db: Database, rows: list[tuple[Any, ...]]) -> float:
    """The database's own bulk path into a bare table of the same columns."""
    columns = ", ".join(READING_COLUMNS)
    typed = (
        "run_id text, olt text, frame int, slot int, port int, onu_index int, serial text, "
        "rx_dbm float8, tx_dbm float8, olt_rx_dbm float8, temperature float8, state text, "
        "signal_class text, read_at {ts}, contract text, down_cause text, down_class text"
    )
    if db.dialect_name == "sqlite":
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute(f"CREATE TABLE bench_bare ({typed.format(ts='text')})")
            plain = [row[:13] + (row[13].isoformat(" "),) + row[14:] for row in rows]
            started = time.perf_counter()
            cursor.executemany(
                f"INSERT INTO bench_bare ({columns}) VALUES ({', '.join('?' * 17)})", plain
            )
            raw.commit()
            spent = time.perf_counter() - started
            cursor.execute("DROP TABLE bench_bare")
        finally:
            raw.close()
        return len(rows) / spent
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute(f"CREATE TABLE bench_bare ({typed.format(ts='timestamptz')})")
        started = time.perf_counter()
        with cursor.copy(f"COPY bench_bare ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        raw.commit()
        spent = time.perf_counter() - started
        cursor.execute("DROP TABLE bench_bare")
        raw.commit()
    finally:
        raw.close()
    return len(rows) / spent


# -- reads --------------------------------------------------------------------------------
def median_time(action: Callable[[], Any], reps: int = 9) -> tuple[float, Any]:
    answer = action()  # warm: the first read fills caches, as on a store in use
    times = []
    for _ in range(reps):
        started = time.perf_counter()
        answer = action()
        times.append(time.perf_counter() - started)
    return statistics.median(times), answer


def newest_run(db: Database) -> str:
    with db.engine.connect() as conn:
        return conn.execute(
            text("SELECT id FROM runs ORDER BY started_at DESC LIMIT 1")
        ).scalar_one()


def oldest_day(db: Database, since: datetime) -> tuple[date, int]:
    """The first day the raw readings from `since` hold, and how many readings it holds (all
    of that day's)."""
    t = optical_readings.c
    with db.engine.connect() as conn:
        first = conn.execute(select(func.min(t.read_at)).where(t.read_at >= since)).scalar_one()
        day = first.astimezone(UTC).date()
        start = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        rows = conn.execute(
            select(func.count()).where(t.read_at >= start, t.read_at < start + timedelta(days=1))
        ).scalar_one()
    return day, rows


def history_end(now: datetime, every: timedelta, day_audits: int) -> datetime:
    """The last audit: the `day_audits`-th of its UTC day (the latest such time by `now`)."""
    midnight = datetime.combine(now.date(), datetime.min.time(), tzinfo=UTC)
    end = midnight + every * (day_audits - 1)
    return end if end <= now else end - timedelta(days=1)


def audits_for(millions: float, fleet: Fleet) -> int:
    return max(2, round(millions * 1_000_000 / fleet.size))


def measure(kind: str, millions: float, fleet: Fleet, args: argparse.Namespace) -> Measured:
    audits = audits_for(millions, fleet)
    every = timedelta(minutes=args.every_min)
    end = history_end(
        datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=1),
        every,
        args.day_audits,
    )
    with (
        tempfile.TemporaryDirectory(prefix="ispflow-history-") as folder,
        new_store(kind, args.pg, Path(folder), args.keep) as db,
    ):
        print(
            f"  {kind}: {audits} audits of {fleet.size:,} ONUs every {args.every_min} min "
            f"({audits * fleet.size:,} readings over {every * (audits - 1)})",
            flush=True,
        )
        rows = sample_rows(fleet, end)
        naive = naive_rate(db, rows[:5_000])
        floor = floor_rate(db, rows)
        first = end - every * (audits - 1)
        started = time.perf_counter()
        probe_rows = probe_history(
            db, fleet, end - every * (args.probe_audits - 1), first, every, end
        )
        if probe_rows:
            print(f"    probes' history before the fleet's: {probe_rows:,} readings in "
                  f"{time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip
        before = disk_bytes(db)
        spent, prunes, drops = ingest(db, fleet, audits, every, end)
        size = (disk_bytes(db) - before) / (audits * fleet.size)

        run_id = newest_run(db)
        history, _ = median_time(lambda: earlier_readings(db, run_id, runs=AuditSettings().history))
        probes = fleet.probes()
        trends, points, dailies, daily_points = [], [], [], []
        for olt, port, onu in probes:
            trend = partial(onu_trend, db, olt=olt, port=port, onu_id=onu, days=90, now=end)
            took, said = median_time(trend)
            trends.append(took)
            points.append(len(said))
            took, said = median_time(partial(trend, by_day=True))
            dailies.append(took)
            daily_points.append(len(said))
        # The day of the last audit: as many audits into it at every size.
        olt, port, _ = probes[0]
        day_view, onus = median_time(lambda: pon_day(db, olt=olt, port=port, day=end.date()))

        # The oldest day of the fleet's still raw falls out of the window: first the prune
        # that rolls up what closed since the last audit and drops the probes' raw days
        # before it (none at the largest size), then the one that drops that day, timed alone.
        day, day_rows = oldest_day(db, first)
        raw_days = history_settings().raw_days
        at = datetime.combine(day, datetime.min.time(), tzinfo=UTC) + timedelta(
            days=raw_days + 1, minutes=1
        )
        at = max(at, end + timedelta(minutes=1))
        up_to_day = (at.date() - day).days
        prune(db, now=at, raw_days=up_to_day, rollup_days=max(up_to_day, 400))
        started = time.perf_counter()
        said = prune(db, now=at)
        day_prune = time.perf_counter() - started
        dropped = len(said.partitions_dropped) or said.raw_rows_dropped
        return Measured(
            kind, audits * fleet.size, audits, every * (audits - 1), probe_rows, spent, naive,
            floor, size, history, statistics.median(trends), points, statistics.median(dailies),
            daily_points, day_view, len(onus),
            max((row["samples"] for row in onus), default=0),
            statistics.median(prunes), max(prunes), len(drops), day_prune, day_rows,
            bool(dropped),
        )  # fmt: skip


# -- output -------------------------------------------------------------------------------
def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def counts(points: list[int]) -> str:
    """The probes' point counts: one number when they agree."""
    low, high = min(points), max(points)
    return f"{low}" if low == high else f"{low}-{high}"


def show(results: list[Measured]) -> None:
    print(
        "\n                      readings (+probes')   ingest/s    naive/s    floor/s  B/reading"
        "   history step    90-day trend (points)   by day (points)   PON day (ONUs x readings)"
        "   day prune (readings)"
    )
    for m in results:
        day = f"{ms(m.day_prune)} ({m.day_rows:,})" if m.day_dropped else "   (none dropped)"
        print(f"  {m.database:10} {m.readings:>12,} (+{m.probe_readings:>6,})"
              f" {m.ingest_rate:>10,.0f} {m.naive_rate:>10,.0f}"
              f" {m.floor_rate:>10,.0f} {m.bytes_per_reading:>10.0f}   {ms(m.history_step)}"
              f"   {ms(m.trend_90d)} ({counts(m.trend_points):>4})"
              f"   {ms(m.daily_90d)} ({counts(m.daily_points):>3})"
              f"   {ms(m.pon_day)} ({m.pon_day_onus:>3}x{m.pon_day_samples:<3})"
              f"   {day}")  # fmt: skip
    for kind in sorted({m.database for m in results}):
        mine = sorted((m for m in results if m.database == kind), key=lambda m: m.readings)
        small, big = mine[0], mine[-1]
        print(f"\n{kind}:")
        for m in mine:
            print(f"  {m.readings:>12,}: ingest {m.ingest_rate / m.naive_rate:5.1f}x naive, "
                  f"{m.ingest_rate / m.floor_rate:4.2f} of the floor; prune after each audit "
                  f"median {m.prune_median:.2f} s, longest {m.prune_max:.2f} s "
                  f"({m.prunes_that_dropped} of them dropped a day)")  # fmt: skip
        if big is not small:
            factor = big.readings / small.readings
            # What each read returned at both sizes: the probes hold the same history at
            # every size, so their trends should have as many points.
            for name, a, b, said in (
                ("history step", small.history_step, big.history_step, ""),
                ("90-day trend", small.trend_90d, big.trend_90d,
                 f"; {counts(small.trend_points)} vs {counts(big.trend_points)} points"),
                ("90-day trend by day", small.daily_90d, big.daily_90d,
                 f"; {counts(small.daily_points)} vs {counts(big.daily_points)} points"),
                ("PON day view", small.pon_day, big.pon_day,
                 f"; {small.pon_day_samples} vs {big.pon_day_samples} readings per ONU"),
            ):  # fmt: skip
                verdict = "meets" if b <= 2 * a else "misses"
                print(f"  {name}: {b / a:4.2f}x the time at {factor:.0f}x the readings "
                      f"({verdict} the 2x target{said})")  # fmt: skip
        if kind == "postgresql":
            verdict = "meets" if big.ingest_rate >= 200_000 else "misses"
            print(f"  ingest {big.ingest_rate:,.0f} readings/s {verdict} the 200,000/s target")
        dropped = [m for m in mine if m.day_dropped]
        if dropped:
            worst = max(m.day_prune for m in dropped)
            verdict = "meets" if worst < 1.0 else "misses"
            print(
                f"  dropping a day: at most {worst:.3f} s ({verdict} the 'well under a "
                "second' target)"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--millions", default="1,10", help="store sizes, comma-separated")
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--olts", type=int, default=50)
    parser.add_argument("--pons", type=int, default=16)
    parser.add_argument("--onus", type=int, default=64)
    parser.add_argument("--every-min", type=int, default=15, help="minutes between audits")
    parser.add_argument(
        "--pg",
        default=os.environ.get("ISPFLOW_TEST_PG", "postgresql://postgres@127.0.0.1/postgres"),
    )
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL databases")
    args = parser.parse_args()
    # The bench prunes after each audit itself, to time it apart from the write.
    os.environ["ISPFLOW_HISTORY_PRUNE_AFTER_AUDIT"] = "false"
    fleet = Fleet(args.olts, args.pons, args.onus)
    sizes = [float(m) for m in args.millions.split(",")]
    args.day_audits = min(audits_for(min(sizes), fleet), 24 * 60 // args.every_min)
    args.probe_audits = audits_for(max(sizes), fleet)
    results = []
    for kind in args.databases.split(","):
        for millions in sizes:
            print(f"{millions:g} million readings", flush=True)
            results.append(measure(kind.strip(), millions, fleet, args))
    show(results)


if __name__ == "__main__":
    main()
