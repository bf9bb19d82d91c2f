"""Signal history retention: exact roll-ups, then raw readings and old roll-ups dropped, safe to
run again, beside another prune, and after a crash between its steps."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import threading
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from statistics import fmean
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, func, insert, select, text

from ispflow.core.errors import UsageError
from ispflow.store import signal_retention
from ispflow.store.db import Database, open_database
from ispflow.store.reading_partitions import day_partitions, ensure_days, ensure_for_write
from ispflow.store.readings import ReadingsWriter, prune_after_run, save_readings
from ispflow.store.schema import optical_daily, optical_hourly, optical_readings
from ispflow.store.signal_retention import prune
from ispflow.store.signal_rollups import roll_up
from tests.support.readings import add_run, assert_same_roll_ups, insert_readings

NOW = datetime(2026, 12, 6, 12, 15, tzinfo=UTC)
ONUS = [("olt-a", 0, 1, 3, 5, "HWTC00000005", "C-1042"), ("olt-a", 0, 1, 3, 6, None, "")]


def reading(onu: tuple, at: datetime, rx: float | None, **extra: Any) -> dict[str, Any]:
    olt, frame, slot, port, index, serial, contract = onu
    return {
        "run_id": None,
        "olt": olt,
        "frame": frame,
        "slot": slot,
        "port": port,
        "onu_index": index,
        "serial": serial,
        "contract": contract,
        "rx_dbm": rx,
        "state": "offline" if rx is None else "online",
        "signal_class": "offline" if rx is None else "good",
        "read_at": at,
    } | extra


def history(days: int = 20) -> list[dict[str, Any]]:
    """Two ONUs, read at :00, :15, :30 of 10h and 11h every day for `days` days up to NOW;
    the second ONU dark at 11:15."""
    rows = []
    start = datetime(NOW.year, NOW.month, NOW.day, tzinfo=UTC) - timedelta(days=days)
    for day in range(days + 1):
        for hour in (10, 11):
            for minute in (0, 15, 30):
                at = start + timedelta(days=day, hours=hour, minutes=minute)
                if at > NOW:
                    continue
                rx = -20.0 - day / 10 - minute / 100
                rows.append(reading(ONUS[0], at, rx))
                dark = hour == 11 and minute == 15
                rows.append(reading(ONUS[1], at, None if dark else rx - 3))
    return rows


def store(db: Database, rows: list[dict[str, Any]]) -> None:
    ensure_for_write(db, [row["read_at"] for row in rows])
    with db.engine.begin() as conn:
        insert_readings(conn, rows)


def expected(rows: list[dict[str, Any]], granularity: str) -> dict:
    """The roll-ups of `rows` computed here, by (onu index, bucket), for buckets closed at NOW."""
    closed = signal_retention.floor(NOW - signal_retention.GRACE, granularity)
    groups: dict[tuple, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        bucket = signal_retention.floor(row["read_at"], granularity)
        if bucket + signal_retention.STEP[granularity] <= closed:
            groups[(row["onu_index"], bucket)].append(row)
    summed = {}
    for key, group in groups.items():
        lit = [r["rx_dbm"] for r in group if r["rx_dbm"] is not None]
        newest = max(group, key=lambda r: r["read_at"])
        summed[key] = {
            "rx_min": min(lit) if lit else None,
            "rx_avg": fmean(lit) if lit else None,
            "rx_max": max(lit) if lit else None,
            "samples": len(group),
            "offline_samples": sum(r["state"] == "offline" for r in group),
            "rx_samples": len(lit),
            "serial": newest["serial"],
            "contract": newest["contract"],
        }
    return summed


def stored(db: Database, table: Any) -> dict:
    with db.engine.connect() as conn:
        return {
            (row.onu_index, row.bucket): {
                "rx_min": row.rx_min,
                "rx_avg": row.rx_avg,
                "rx_max": row.rx_max,
                "samples": row.samples,
                "offline_samples": row.offline_samples,
                "rx_samples": row.rx_samples,
                "serial": row.serial,
                "contract": row.contract,
            }
            for row in conn.execute(select(table))
        }


def raw_count(db: Database) -> int:
    with db.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(optical_readings)).scalar()


def oldest_raw(db: Database) -> datetime | None:
    with db.engine.connect() as conn:
        return conn.execute(select(func.min(optical_readings.c.read_at))).scalar()


def test_a_day_keeps_the_serial_and_contract_of_its_last_hour(db: Database) -> None:
    # The ONU at this place was replaced at 11:00 (new serial, new contract); at 12:00 it
    # was read with neither.
    day = datetime(NOW.year, NOW.month, NOW.day, tzinfo=UTC) - timedelta(days=2)
    old = ("olt-a", 0, 1, 3, 5, "HWTC0000000A", "C-1")
    new = ("olt-a", 0, 1, 3, 5, "HWTC0000000B", "C-2")
    unknown = ("olt-a", 0, 1, 3, 5, None, None)
    store(
        db,
        [
            reading(old, day + timedelta(hours=10), -20.0),
            reading(old, day + timedelta(hours=10, minutes=30), -21.0),
            reading(new, day + timedelta(hours=11), -19.0),
            reading(new, day + timedelta(hours=11, minutes=45), None),
            reading(unknown, day + timedelta(hours=12), -18.0),
            reading(new, day + timedelta(days=1, hours=1), -22.0),
        ],
    )
    prune(db, now=NOW, raw_days=7, rollup_days=400)
    hourly, daily = stored(db, optical_hourly), stored(db, optical_daily)
    assert [hourly[(5, day + timedelta(hours=h))]["serial"] for h in (10, 11, 12)] == [
        "HWTC0000000A",
        "HWTC0000000B",
        None,
    ]
    first, second = daily[(5, day)], daily[(5, day + timedelta(days=1))]
    assert (first["serial"], first["contract"]) == (None, None)
    assert (second["serial"], second["contract"]) == ("HWTC0000000B", "C-2")
    assert first["samples"] == 5 and first["offline_samples"] == 1 and first["rx_samples"] == 4
    assert first["rx_min"] == -21.0 and first["rx_max"] == -18.0
    assert first["rx_avg"] == pytest.approx((-20.0 - 21.0 - 19.0 - 18.0) / 4)
    # Without that last hour, the day is the replacement's.
    with db.engine.begin() as conn:
        conn.execute(optical_daily.delete().where(optical_daily.c.bucket == day))
        conn.execute(
            optical_hourly.delete().where(optical_hourly.c.bucket == day + timedelta(hours=12))
        )
        roll_up(conn, "day", day, day + timedelta(days=1))
    first = stored(db, optical_daily)[(5, day)]
    assert (first["serial"], first["contract"]) == ("HWTC0000000B", "C-2")


def test_roll_ups_are_exact_and_raw_readings_past_the_window_go(db: Database) -> None:
    rows = history()
    store(db, rows)
    result = prune(db, now=NOW, raw_days=7, rollup_days=400)
    assert_same_roll_ups(stored(db, optical_hourly), expected(rows, "hour"))
    assert_same_roll_ups(stored(db, optical_daily), expected(rows, "day"))
    edge = datetime(2026, 11, 29, tzinfo=UTC)
    assert result.raw_kept_from == edge
    assert oldest_raw(db) >= edge
    kept = [r for r in rows if r["read_at"] >= edge]
    assert raw_count(db) == len(kept)
    assert result.hourly_rolled_up == len(expected(rows, "hour"))
    assert result.daily_rolled_up == len(expected(rows, "day"))
    assert result.raw_rows_dropped + _partition_rows(result) == len(rows) - len(kept)
    # The hour still open (12h) and today are not rolled up: they are not over.
    hours = {bucket for _, bucket in stored(db, optical_hourly)}
    assert max(hours) == datetime(2026, 12, 6, 11, tzinfo=UTC)
    days = {bucket for _, bucket in stored(db, optical_daily)}
    assert max(days) == datetime(2026, 12, 5, tzinfo=UTC)


def test_a_bounded_prune_catches_a_long_history_up_over_several_calls(db: Database) -> None:
    """A run's own prune rolls up a few days at a time (a history never rolled up, after an
    upgrade, must not hold the first run's exit for the whole of it), drops nothing raw that
    is not rolled up yet, and the calls add up to one whole prune."""
    rows = history()
    store(db, rows)
    first = prune(db, now=NOW, raw_days=7, rollup_days=400, roll_up_days=2)
    hours = {bucket for _, bucket in stored(db, optical_hourly)}
    assert max(hours) < datetime(2026, 11, 18, tzinfo=UTC)  # two days from the oldest reading
    assert first.daily_rolled_up > 0
    # Of the raw readings past the window only those rolled up went; the rest wait.
    through = signal_retention.rolled_through(db)
    assert through is not None and through < datetime(2026, 11, 29, tzinfo=UTC)
    assert raw_count(db) == len([r for r in rows if r["read_at"] >= through])
    calls = 1
    while prune(db, now=NOW, raw_days=7, rollup_days=400, roll_up_days=2).hourly_rolled_up:
        calls += 1
    assert calls == 11  # 21 days of readings, two per call
    assert_same_roll_ups(stored(db, optical_hourly), expected(rows, "hour"))
    assert_same_roll_ups(stored(db, optical_daily), expected(rows, "day"))
    assert oldest_raw(db) >= datetime(2026, 11, 29, tzinfo=UTC)


def _partition_rows(result: signal_retention.PruneResult) -> int:
    # Six readings per ONU per day in these histories, two ONUs.
    return 12 * len(result.partitions_dropped)


def test_a_second_prune_changes_nothing(db: Database) -> None:
    rows = history()
    store(db, rows)
    prune(db, now=NOW, raw_days=7)
    hourly, daily, raw = stored(db, optical_hourly), stored(db, optical_daily), raw_count(db)
    again = prune(db, now=NOW, raw_days=7)
    assert (again.hourly_rolled_up, again.daily_rolled_up, again.raw_rows_dropped) == (0, 0, 0)
    assert again.partitions_dropped == []
    assert stored(db, optical_hourly) == hourly
    assert stored(db, optical_daily) == daily
    assert raw_count(db) == raw


def test_old_roll_ups_are_dropped(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISPFLOW_HISTORY_HOURLY_DAYS", "10")
    rows = history(days=30)
    store(db, rows)
    result = prune(db, now=NOW, raw_days=3, rollup_days=20)
    hours = {bucket for _, bucket in stored(db, optical_hourly)}
    days = {bucket for _, bucket in stored(db, optical_daily)}
    assert min(hours) == datetime(2026, 11, 26, 10, tzinfo=UTC)
    assert min(days) == datetime(2026, 11, 16, tzinfo=UTC)
    assert result.hourly_dropped == 2 * 2 * 20  # ONUs x hours a day x days before the edge
    assert result.daily_dropped == 2 * 10


def test_bad_days_are_refused_and_change_nothing(db: Database) -> None:
    store(db, history())
    for raw_days, rollup_days in ((-1, None), (0, None), (30, 10), (None, -5), (10**9, 10**9)):
        with pytest.raises(UsageError):
            prune(db, now=NOW, raw_days=raw_days, rollup_days=rollup_days)
    assert stored(db, optical_hourly) == {}
    assert raw_count(db) == len(history())


def test_a_crash_between_rolling_up_and_dropping_loses_and_doubles_nothing(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = history()
    store(db, rows)

    def crash(*args: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(signal_retention, "_drop_raw", crash)
    with pytest.raises(RuntimeError):
        prune(db, now=NOW, raw_days=7)
    assert raw_count(db) == len(rows)  # rolled up, nothing dropped yet
    monkeypatch.undo()
    prune(db, now=NOW, raw_days=7)
    assert_same_roll_ups(stored(db, optical_hourly), expected(rows, "hour"))
    assert_same_roll_ups(stored(db, optical_daily), expected(rows, "day"))


def test_a_crash_inside_a_roll_up_leaves_no_half_bucket(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = history()
    store(db, rows)
    real_set_mark = signal_retention._set_mark
    calls = {"n": 0}

    def crash_on_third(*args: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("killed")  # after the third day's upsert, before its mark
        real_set_mark(*args)

    monkeypatch.setattr(signal_retention, "_set_mark", crash_on_third)
    with pytest.raises(RuntimeError):
        prune(db, now=NOW, raw_days=7)
    monkeypatch.undo()
    prune(db, now=NOW, raw_days=7)
    assert_same_roll_ups(stored(db, optical_hourly), expected(rows, "hour"))


def test_a_prune_killed_after_rolling_up_is_finished_by_the_next(store_url: str) -> None:
    rows = history()
    with open_database(store_url) as db:
        store(db, rows)
    child = textwrap.dedent(
        """
        import os, sys
        from datetime import datetime
        from ispflow.store import signal_retention
        from ispflow.store.db import open_database

        def killed(*args):
            os._exit(9)  # no rollback, no cleanup: as a kill -9 between the steps

        signal_retention._drop_raw = killed
        db = open_database(sys.argv[1])
        signal_retention.prune(db, now=datetime.fromisoformat(sys.argv[2]), raw_days=7)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", child, store_url, NOW.isoformat()], capture_output=True, text=True
    )
    assert done.returncode == 9, done.stderr
    with open_database(store_url) as db:
        assert raw_count(db) == len(rows)
        prune(db, now=NOW, raw_days=7)
        assert_same_roll_ups(stored(db, optical_hourly), expected(rows, "hour"))
        assert_same_roll_ups(stored(db, optical_daily), expected(rows, "day"))
        assert oldest_raw(db) >= datetime(2026, 11, 29, tzinfo=UTC)


def test_two_prunes_in_two_threads_give_the_totals_of_one(db: Database) -> None:
    rows = history()
    store(db, rows)
    errors: list[BaseException] = []

    def run() -> None:
        try:
            prune(db, now=NOW, raw_days=7)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert_same_roll_ups(stored(db, optical_hourly), expected(rows, "hour"))
    assert_same_roll_ups(stored(db, optical_daily), expected(rows, "day"))
    assert raw_count(db) == len(
        [r for r in rows if r["read_at"] >= datetime(2026, 11, 29, tzinfo=UTC)]
    )


def test_two_prunes_in_two_processes_give_the_totals_of_one(store_url: str) -> None:
    rows = history()
    with open_database(store_url) as db:
        store(db, rows)
    child = textwrap.dedent(
        """
        import sys
        from datetime import datetime
        from ispflow.store.db import open_database
        from ispflow.store.signal_retention import prune

        db = open_database(sys.argv[1])
        print("ready", flush=True)
        sys.stdin.readline()
        result = prune(db, now=datetime.fromisoformat(sys.argv[2]), raw_days=7)
        print(result.hourly_rolled_up, result.daily_rolled_up, flush=True)
        """
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", child, store_url, NOW.isoformat()],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    written = [0, 0]
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        hours, days = (int(n) for n in out.split())
        written[0] += hours
        written[1] += days
    # Between them they wrote each bucket once.
    assert written == [len(expected(rows, "hour")), len(expected(rows, "day"))]
    with open_database(store_url) as db:
        assert_same_roll_ups(stored(db, optical_hourly), expected(rows, "hour"))
        assert_same_roll_ups(stored(db, optical_daily), expected(rows, "day"))


def test_the_dry_run_counts_and_changes_nothing(db: Database) -> None:
    rows = history()
    store(db, rows)
    preview = prune(db, now=NOW, raw_days=7, dry_run=True)
    assert stored(db, optical_hourly) == {}
    assert raw_count(db) == len(rows)
    done = prune(db, now=NOW, raw_days=7)
    assert preview.dry_run and not done.dry_run
    assert preview.hourly_rolled_up == done.hourly_rolled_up
    assert preview.daily_rolled_up == done.daily_rolled_up
    assert preview.raw_rows_dropped == done.raw_rows_dropped
    assert preview.partitions_dropped == done.partitions_dropped


def test_portuguese_and_empty_contract_names_are_kept(db: Database) -> None:
    at = NOW - timedelta(days=2)
    onu = ("olt-são-leopoldo", 0, 1, 3, 7, "ZTEG0000000A", "Associação São João")
    store(db, [reading(onu, at, -21.5), reading(onu, at + timedelta(minutes=15), None)])
    store(db, [reading(ONUS[1], at, -22.0)])
    prune(db, now=NOW, raw_days=1)
    with db.engine.connect() as conn:
        contracts = dict(conn.execute(select(optical_daily.c.olt, optical_daily.c.contract)).all())
    assert contracts == {"olt-são-leopoldo": "Associação São João", "olt-a": ""}


def test_the_readings_writer_prunes_when_it_closes_and_a_failed_prune_does_not_raise(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    store(db, history())
    writer = ReadingsWriter(db)
    writer.wait(writer.submit("olt-a", [{"port": "0/1/3", "onu_id": 5, "rx_dbm": -20.0}], None))
    writer.close()
    assert writer.prune_error is None
    assert writer.pruned is not None and writer.pruned.hourly_rolled_up > 0

    def broken(db: Database) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr("ispflow.store.readings.prune_after_readings", broken)
    writer = ReadingsWriter(db)
    writer.wait(writer.submit("olt-a", [{"port": "0/1/3", "onu_id": 5, "rx_dbm": -20.0}], None))
    writer.close()  # does not raise
    assert str(writer.prune_error) == "disk full"


def test_prune_after_audit_can_be_turned_off(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISPFLOW_HISTORY_PRUNE_AFTER_AUDIT", "false")
    store(db, history())
    writer = ReadingsWriter(db)
    writer.wait(writer.submit("olt-a", [{"port": "0/1/3", "onu_id": 5, "rx_dbm": -20.0}], None))
    writer.close()
    assert writer.pruned is None and writer.prune_error is None
    assert stored(db, optical_hourly) == {}


# -- PostgreSQL partitions ------------------------------------------------------------------
@pytest.fixture
def pg(db: Database) -> Database:
    if db.dialect_name != "postgresql":
        pytest.skip("partitions are PostgreSQL's")
    return db


def test_a_write_makes_its_day_partition_and_the_next(pg: Database) -> None:
    save_readings(pg, "olt-a", [{"port": "0/1/3", "onu_id": 5, "rx_dbm": -20.0}])
    today = datetime.now(UTC).date()
    with pg.engine.connect() as conn:
        days = day_partitions(conn)
        where = conn.execute(text("SELECT tableoid::regclass::text FROM optical_readings")).scalar()
    assert {today, today + timedelta(days=1)} <= set(days)
    assert where == days[today]


def test_rows_in_the_default_partition_move_into_a_new_day_partition(pg: Database) -> None:
    at = datetime(2026, 3, 1, 8, tzinfo=UTC)
    with pg.engine.begin() as conn:  # no partition for that day: the default takes it
        conn.execute(insert(optical_readings), [reading(ONUS[0], at, -20.0)])
    with pg.engine.begin() as conn:
        ensure_days(conn, [at.date()])
        ensure_days(conn, [at.date()])  # again: nothing to do
    with pg.engine.connect() as conn:
        where = conn.execute(text("SELECT tableoid::regclass::text FROM optical_readings")).scalar()
    assert where == "optical_readings_p20260301"


def test_prune_drops_whole_old_partitions(pg: Database) -> None:
    rows = history()
    store(pg, rows)
    result = prune(pg, now=NOW, raw_days=7)
    assert result.partitions_dropped[0] == "optical_readings_p20261116"
    assert result.partitions_dropped[-1] == "optical_readings_p20261128"
    with pg.engine.connect() as conn:
        left = day_partitions(conn)
    assert min(left) == datetime(2026, 11, 29).date()


def test_earlier_readings_look_in_recent_partitions_only(
    pg: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ispflow.store.signal_history import earlier_readings

    started = [NOW - timedelta(days=d) for d in (3, 2, 1, 0)]
    with pg.engine.begin() as conn:
        for n, at in enumerate(started):
            add_run(conn, f"run-{n}", at)
    store(pg, history(days=30))
    store(
        pg,
        [
            reading(ONUS[0], at + timedelta(minutes=5), -20.0 - n, run_id=f"run-{n}")
            for n, at in enumerate(started)
        ],  # fmt: skip
    )
    # The history is read through the driver's cursor, past SQLAlchemy's events.
    statements: list[tuple[str, Any]] = []
    execute = psycopg.Cursor.execute

    def keep(cursor: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
        if "FROM optical_readings" in str(query):
            statements.append((str(query), params))
        return execute(cursor, query, params, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", keep)
    found = earlier_readings(pg, "run-3", runs=2)
    monkeypatch.undo()
    assert [r["rx_dbm"] for r in found["olt-a:0/1/3:5"]] == [-22.0, -21.0]
    # The queries the audit runs (one per audit), explained: each reads the partition of its
    # audit's day only.
    assert len(statements) == 2
    read = []
    with pg.engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        for statement, parameters in statements:
            plan = "\n".join(row[0] for row in driver.execute("EXPLAIN " + statement, parameters))
            read.append(sorted(set(re.findall(r"optical_readings_p\d{8}", plan))))
    assert read == [["optical_readings_p20261205"], ["optical_readings_p20261204"]]


def test_many_writers_make_a_new_day_partition_once(pg: Database) -> None:
    day = datetime(2027, 1, 1, tzinfo=UTC).date()
    made: list[list[str]] = []
    errors: list[BaseException] = []

    def make() -> None:
        try:
            with pg.engine.begin() as conn:
                made.append(ensure_days(conn, [day]))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=make) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(made) == [[], [], [], ["optical_readings_p20270101"]]


def test_sqlite_deletes_raw_readings_place_by_place_in_batches(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    if db.dialect_name != "sqlite":
        pytest.skip("PostgreSQL drops partitions")
    monkeypatch.setattr(signal_retention, "DELETE_BATCH", 20)
    deleted: list[int] = []
    event.listen(
        db.engine,
        "after_cursor_execute",
        lambda conn, cursor, statement, *a: (
            deleted.append(cursor.rowcount)
            if statement.startswith("DELETE FROM optical_readings")
            else None
        ),
    )
    # 30 ONUs read 4 times a day for 3 days, written audit by audit as the writer does.
    places = [("olt-a", 0, 1, 3, n, f"HWTC{n:08d}", f"C-{n}") for n in range(30)]
    day = datetime(2026, 12, 4, tzinfo=UTC)
    rows = [
        reading(onu, day + timedelta(days=d, hours=h), -20.0)
        for d in range(3)
        for h in (1, 7, 13, 19)
        for onu in places
    ]
    store(db, rows)
    edge = datetime(2026, 12, 5, tzinfo=UTC)
    result = prune(db, now=edge + timedelta(days=1, minutes=30), raw_days=1)
    gone = [r for r in rows if r["read_at"] < edge]
    assert result.raw_rows_dropped == len(gone) == sum(deleted) == 120
    with db.engine.connect() as conn:
        left = conn.execute(select(optical_readings.c.read_at)).scalars().all()
    assert len(left) == len(rows) - len(gone) and min(left) >= edge
    # The first transaction takes one place (its 4 readings), then as many places as make
    # about DELETE_BATCH readings: one DELETE statement per transaction.
    assert deleted[0] == 4 and all(n <= 20 for n in deleted) and len(deleted) == 1 + 116 // 20 + 1
    # A prune with nothing to drop reads the first window of ids (not the whole table by
    # read_at) and deletes nothing.
    deleted.clear()
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    assert prune(db, now=edge + timedelta(days=1, minutes=30), raw_days=1).raw_rows_dropped == 0
    assert deleted == []
    reads = [s for s in statements if "FROM optical_readings" in s and "min(" not in s]
    assert reads and all("id >=" in s and "id <" in s for s in reads)


def test_sqlite_prunes_readings_written_newest_first_within_a_window(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Readings stored out of order (a backfill, newest first): the window of the oldest ids
    holds kept readings before the ones to drop, and the prune still drops those (a window
    is DELETE_BATCH ids: readings out of order further apart wait)."""
    if db.dialect_name != "sqlite":
        pytest.skip("PostgreSQL drops partitions")
    monkeypatch.setattr(signal_retention, "DELETE_BATCH", 200)
    rows = sorted(history(days=10), key=lambda row: row["read_at"], reverse=True)
    store(db, rows)
    edge = datetime(2026, 11, 29, tzinfo=UTC)
    result = prune(db, now=NOW, raw_days=7)
    assert result.raw_rows_dropped == len([r for r in rows if r["read_at"] < edge])
    with db.engine.connect() as conn:
        assert conn.execute(select(func.min(optical_readings.c.read_at))).scalar() >= edge


def test_a_busy_readings_table_leaves_partitions_to_the_next_prune(
    pg: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(signal_retention, "DROP_LOCK_TIMEOUT", "200ms")
    store(pg, history())
    reader = pg.engine.connect()
    try:
        reader.execute(select(func.count()).select_from(optical_readings))  # a long report
        busy = prune(pg, now=NOW, raw_days=7)
    finally:
        reader.close()
    assert busy.partitions_dropped == []
    assert busy.hourly_rolled_up > 0
    assert "left for the next prune" in caplog.text
    done = prune(pg, now=NOW, raw_days=7)
    assert done.partitions_dropped[0] == "optical_readings_p20261116"
    assert oldest_raw(pg) >= datetime(2026, 11, 29, tzinfo=UTC)


def test_settings_come_from_the_file_and_the_environment_wins(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ispflow.store.history_settings import history_settings

    config = tmp_path / "ispflow.yaml"
    config.write_text("history:\n  raw_days: 10\n  rollup_days: 200\n", encoding="utf-8")
    monkeypatch.setenv("ISPFLOW_CONFIG", str(config))
    chosen = history_settings()
    assert (chosen.raw_days, chosen.kept_hourly_days, chosen.rollup_days) == (10, 60, 200)
    assert chosen.prune_after_audit is True
    monkeypatch.setenv("ISPFLOW_HISTORY_RAW_DAYS", "21")
    assert history_settings().raw_days == 21
    config.write_text("history:\n  raw_days: 500\n", encoding="utf-8")
    with pytest.raises(UsageError, match="ISPFLOW_HISTORY_RAW_DAYS"):
        monkeypatch.setenv("ISPFLOW_HISTORY_RAW_DAYS", "lots")
        history_settings()
    monkeypatch.delenv("ISPFLOW_HISTORY_RAW_DAYS")
    with pytest.raises(UsageError, match="roll-ups must outlive"):
        history_settings()
    config.write_text("history:\n  raw_dayz: 5\n", encoding="utf-8")
    with pytest.raises(UsageError, match="raw_days"):
        history_settings()
    # Days past any calendar: refused with the rest, never an overflow in every read after.
    config.write_text("history:\n  rollup_days: 999999999\n", encoding="utf-8")
    with pytest.raises(UsageError, match="rollup_days .*a century"):
        history_settings()


def test_rolling_up_an_hour_summarises_the_read_at_block_ranges_first(pg: Database) -> None:
    """An hour is read through the BRIN index on read_at; ranges written since the last
    vacuum have no summary and would be read whole, so the roll-up summarises them."""
    day = datetime(2026, 12, 5, tzinfo=UTC)
    places = [("olt-a", 0, 1, 3, n, f"HWTC{n:08d}", None) for n in range(160)]
    rows = [
        reading(onu, day + timedelta(minutes=15 * k), -20.0) for k in range(96) for onu in places
    ]
    store(pg, rows)  # some hundred pages: whole block ranges, none summarised yet
    new_ranges = text(
        "SELECT coalesce(sum(brin_summarize_new_values(i.inhrelid::regclass)), 0) "
        "FROM pg_inherits i WHERE i.inhparent = to_regclass('ix_optical_readings_read_at')"
    )
    assert prune(pg, now=NOW, raw_days=30).hourly_rolled_up == 160 * 24
    with pg.engine.begin() as conn:
        assert conn.execute(new_ranges).scalar() == 0


def test_a_prune_with_no_roll_up_to_drop_deletes_none(db: Database) -> None:
    """The oldest bucket is read through its index first: a DELETE by a bound given as a
    parameter may be planned (once prepared) as a scan of the whole roll-up table."""
    store(db, history())
    prune(db, now=NOW, raw_days=7)
    deletes: list[str] = []
    event.listen(
        db.engine,
        "before_cursor_execute",
        lambda *a: deletes.append(a[2]) if a[2].startswith("DELETE FROM optical_") else None,
    )
    result = prune(db, now=NOW, raw_days=7)
    assert (result.hourly_dropped, result.daily_dropped) == (0, 0)
    assert not [s for s in deletes if "optical_hourly" in s or "optical_daily" in s]
    # Past their time they go as before.
    assert prune(db, now=NOW, raw_days=7, rollup_days=7).daily_dropped > 0


def test_a_store_with_no_hour_rolled_up_looks_for_its_oldest_reading_on_its_first_prune_only(
    db: Database,
) -> None:
    """A new store's first prune (nothing closed yet) looks for the oldest reading, which
    reads the whole readings table, once per grain; it then marks where rolling up starts,
    so the prunes after each audit of its first hour do not read the table again. A reading
    stored later for a time before that mark joins the roll-ups as a late one."""
    open_hour = NOW.replace(minute=0)
    store(db, [reading(ONUS[0], open_hour + timedelta(minutes=5), -20.0)])
    looks: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if re.search(r"min\(optical_readings\.read_at\)", statement):
            looks.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        first = prune(db, now=NOW, raw_days=7, rollup_days=400)
        looked_first = len(looks)
        second = prune(db, now=NOW + timedelta(minutes=5), raw_days=7, rollup_days=400)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert (first.hourly_rolled_up, first.daily_rolled_up) == (0, 0)
    assert (second.hourly_rolled_up, second.daily_rolled_up) == (0, 0)
    assert looked_first == 2
    assert len(looks) == 2
    # Once the hour is over, it is rolled up from the mark as any other.
    later = prune(db, now=open_hour + timedelta(hours=1, minutes=15), raw_days=7)
    assert later.hourly_rolled_up == 1
    # A reading from before the mark, stored now, is in the hour's roll-up at once.
    earlier = open_hour - timedelta(hours=3)
    save_readings(
        db,
        "olt-a",
        [{"port": "0/1/3", "onu_id": 6, "rx_dbm": -21.0, "signal": "warning"}],
        read_at=earlier + timedelta(minutes=1),
    )
    with db.engine.connect() as conn:
        rolled = conn.execute(
            select(func.count())
            .select_from(optical_hourly)
            .where(optical_hourly.c.bucket == earlier)
        ).scalar_one()
    assert rolled == 1


def test_a_worker_writer_leaves_the_prune_to_the_run(db: Database) -> None:
    """A distributed run's worker writes without pruning; `prune_after_run` prunes once for
    a run that stored readings, and does nothing for one that stored none."""
    store(db, history(days=2))
    with db.engine.begin() as conn:
        add_run(conn, "r-shards", NOW)
    writer = ReadingsWriter(db, prune=False)
    writer.wait(
        writer.submit("olt-a", [{"port": "0/1/3", "onu_id": 5, "rx_dbm": -20.0}], "r-shards")
    )
    writer.close()
    assert writer.pruned is None and stored(db, optical_hourly) == {}
    assert prune_after_run(db, "r-none") == (None, None)
    assert stored(db, optical_hourly) == {}
    pruned, error = prune_after_run(db, "r-shards")
    assert error is None and pruned is not None and pruned.hourly_rolled_up > 0
    assert stored(db, optical_hourly) != {}
