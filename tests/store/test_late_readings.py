"""Readings written into an hour or day already rolled up join its roll-ups: the same sums as
if they had been there when it was rolled up, never counted twice, kept past the raw window."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from ispflow.store.db import Database
from ispflow.store.readings import ReadingsWriter, save_readings
from ispflow.store.schema import optical_daily, optical_hourly, optical_readings
from ispflow.store.signal_retention import prune
from ispflow.store.signal_rollups import roll_up
from tests.support.readings import add_run, assert_same_roll_ups

NOW = datetime(2026, 12, 6, 12, 15, tzinfo=UTC)
DAY = datetime(2026, 12, 4, tzinfo=UTC)
HOUR = DAY + timedelta(hours=10)


def onu(onu_id: int, rx: float | None, serial: str = "") -> dict[str, Any]:
    return {
        "port": "0/1/3",
        "onu_id": onu_id,
        "serial": serial or f"HWTC{onu_id:08X}",
        "rx_dbm": rx,
        "signal": "offline" if rx is None else "good",
    }


def roll_ups(db: Database, table: Any) -> dict[tuple[int, datetime], dict[str, Any]]:
    names = ("serial", "rx_min", "rx_avg", "rx_max", "samples", "offline_samples", "rx_samples")
    with db.engine.connect() as conn:
        return {
            (row.onu_index, row.bucket): {name: getattr(row, name) for name in names}
            for row in conn.execute(select(table))
        }


def summed_from_raw(db: Database) -> tuple[dict, dict]:
    """The hourly and daily roll-ups summed afresh from the raw readings (which must all still
    be there), in a transaction rolled back: what a late reading should come to."""
    with db.engine.connect() as conn, conn.begin() as transaction:
        for table in (optical_daily, optical_hourly):
            conn.execute(table.delete())
        roll_up(conn, "hour", DAY - timedelta(days=30), NOW.replace(minute=0))
        roll_up(conn, "day", DAY - timedelta(days=30), DAY + timedelta(days=1))
        names = ("serial", "rx_min", "rx_avg", "rx_max", "samples", "offline_samples", "rx_samples")
        fresh = tuple(
            {
                (row.onu_index, row.bucket): {name: getattr(row, name) for name in names}
                for row in conn.execute(select(table))
            }
            for table in (optical_hourly, optical_daily)
        )
        transaction.rollback()
    return fresh


def test_a_reading_stamped_in_a_rolled_up_hour_joins_its_hour_and_day(db: Database) -> None:
    save_readings(db, "olt-a", [onu(5, -20.0), onu(6, -23.0), onu(7, None)], read_at=HOUR)
    prune(db, now=NOW, raw_days=7, rollup_days=400)
    assert roll_ups(db, optical_hourly)[(5, HOUR)]["samples"] == 1
    # A worker whose clock ran 20 minutes behind writes its reading of the same hour now.
    late = [onu(5, -25.0), onu(6, None), onu(7, -21.5), onu(8, -19.0)]
    save_readings(db, "olt-a", late, read_at=HOUR + timedelta(minutes=20))

    hourly, daily = roll_ups(db, optical_hourly), roll_ups(db, optical_daily)
    assert hourly[(5, HOUR)] | {"rx_avg": None} == {
        "serial": "HWTC00000005", "rx_min": -25.0, "rx_avg": None, "rx_max": -20.0,
        "samples": 2, "offline_samples": 0, "rx_samples": 2,
    }  # fmt: skip
    assert hourly[(5, HOUR)]["rx_avg"] == pytest.approx(-22.5)
    assert (hourly[(6, HOUR)]["rx_min"], hourly[(6, HOUR)]["rx_max"]) == (-23.0, -23.0)
    assert (hourly[(6, HOUR)]["offline_samples"], hourly[(6, HOUR)]["rx_samples"]) == (1, 1)
    assert hourly[(7, HOUR)]["rx_avg"] == pytest.approx(-21.5)  # dark, then lit
    assert hourly[(8, HOUR)]["samples"] == 1  # an ONU first read late
    fresh_hourly, fresh_daily = summed_from_raw(db)
    assert_same_roll_ups(hourly, fresh_hourly)
    assert_same_roll_ups(daily, fresh_daily)
    # Pruning again sums nothing twice.
    prune(db, now=NOW, raw_days=7, rollup_days=400)
    assert_same_roll_ups(roll_ups(db, optical_hourly), fresh_hourly)
    assert_same_roll_ups(roll_ups(db, optical_daily), fresh_daily)


def test_a_late_reading_of_a_run_through_the_writer_counts_once(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The writer's own prune would use today's date; this test's clock is NOW.
    monkeypatch.setenv("ISPFLOW_HISTORY_PRUNE_AFTER_AUDIT", "false")
    with db.engine.begin() as conn:
        add_run(conn, "r-early", HOUR)
        add_run(conn, "r-late", HOUR)
    save_readings(db, "olt-a", [onu(5, -20.0)], "r-early", read_at=HOUR)
    save_readings(db, "olt-b", [onu(5, -18.0)], "r-early", read_at=HOUR)
    prune(db, now=NOW, raw_days=7, rollup_days=400)
    writer = ReadingsWriter(db)
    late = HOUR + timedelta(minutes=5)
    writer.submit("olt-a", [onu(5, -26.0)], "r-late", read_at=late)
    writer.submit("olt-b", [onu(5, -17.0)], "r-late", read_at=late)
    writer.close()  # both OLTs in one transaction
    with db.engine.connect() as conn:
        rows = {
            (row.olt, row.samples, row.rx_min, row.rx_max)
            for row in conn.execute(select(optical_hourly).where(optical_hourly.c.bucket == HOUR))
        }
    assert rows == {("olt-a", 2, -26.0, -20.0), ("olt-b", 2, -18.0, -17.0)}


def test_a_late_reading_past_the_raw_window_stays_in_its_roll_ups(db: Database) -> None:
    old = datetime(2026, 11, 16, 10, tzinfo=UTC)  # 20 days before NOW, raw kept 7
    save_readings(db, "olt-a", [onu(5, -20.0)], read_at=old)
    prune(db, now=NOW, raw_days=7, rollup_days=400)
    save_readings(db, "olt-a", [onu(5, -24.0)], read_at=old + timedelta(minutes=30))
    prune(db, now=NOW, raw_days=7, rollup_days=400)
    with db.engine.connect() as conn:
        raw = conn.execute(select(optical_readings).where(optical_readings.c.read_at < NOW)).all()
    assert raw == []  # its raw reading went with the window, as the others did
    for table, bucket in ((optical_hourly, old), (optical_daily, old.replace(hour=0))):
        summed = roll_ups(db, table)[(5, bucket)]
        assert (summed["samples"], summed["rx_min"], summed["rx_max"]) == (2, -24.0, -20.0)
        assert summed["rx_avg"] == pytest.approx(-22.0)


def test_a_reading_in_an_hour_not_rolled_up_yet_is_left_to_the_prune(db: Database) -> None:
    save_readings(db, "olt-a", [onu(5, -20.0)], read_at=HOUR)
    prune(db, now=NOW, raw_days=7, rollup_days=400)
    open_hour = NOW.replace(minute=0)
    save_readings(db, "olt-a", [onu(5, -22.0)], read_at=open_hour + timedelta(minutes=5))
    assert (5, open_hour) not in roll_ups(db, optical_hourly)
    prune(db, now=open_hour + timedelta(hours=1, minutes=15), raw_days=7, rollup_days=400)
    assert roll_ups(db, optical_hourly)[(5, open_hour)]["samples"] == 1


def test_readings_in_a_store_with_no_roll_up_yet_wait_for_the_prune(db: Database) -> None:
    save_readings(db, "olt-a", [onu(5, -20.0)], read_at=HOUR)
    save_readings(db, "olt-a", [onu(5, -22.0)], read_at=HOUR + timedelta(minutes=5))
    assert roll_ups(db, optical_hourly) == {}
    prune(db, now=NOW, raw_days=7, rollup_days=400)
    assert roll_ups(db, optical_hourly)[(5, HOUR)]["samples"] == 2


def test_late_readings_written_by_two_threads_at_once_all_count(db: Database) -> None:
    """Two writers merging into the same hour (two workers behind on their clocks): every
    reading counts once."""
    save_readings(db, "olt-a", [onu(5, -20.0)], read_at=HOUR)
    prune(db, now=NOW, raw_days=7, rollup_days=400)
    errors: list[BaseException] = []

    def write(first_minute: int) -> None:
        try:
            for minute in range(first_minute, 60, 2):
                at = HOUR + timedelta(minutes=minute, seconds=1)
                save_readings(db, "olt-a", [onu(5, -20.0 - minute / 10)], read_at=at)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(first,)) for first in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    fresh_hourly, fresh_daily = summed_from_raw(db)
    assert fresh_hourly[(5, HOUR)]["samples"] == 60
    assert_same_roll_ups(roll_ups(db, optical_hourly), fresh_hourly)
    assert_same_roll_ups(roll_ups(db, optical_daily), fresh_daily)
