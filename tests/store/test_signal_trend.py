"""An ONU's trend and a PON's day across the raw window, hourly and daily roll-ups."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, datetime, timedelta
from statistics import fmean

import pytest

from ispflow.core.errors import UsageError
from ispflow.store.db import Database
from ispflow.store.signal_retention import prune
from ispflow.store.signal_trend import onu_trend, pon_day
from tests.store.test_signal_retention import NOW, expected, history, reading, store

RAW_EDGE = datetime(2026, 11, 29, tzinfo=UTC)  # NOW's day less 7 days
HOURLY_EDGE = datetime(2026, 11, 26, tzinfo=UTC)  # less 10 days


@pytest.fixture
def pruned(db: Database, monkeypatch: pytest.MonkeyPatch) -> Database:
    monkeypatch.setenv("ISPFLOW_HISTORY_RAW_DAYS", "7")
    monkeypatch.setenv("ISPFLOW_HISTORY_HOURLY_DAYS", "10")
    store(db, history(days=30))
    prune(db, now=NOW)
    return db


def test_the_trend_is_raw_in_the_window_then_hourly_then_daily(pruned: Database) -> None:
    points = onu_trend(pruned, olt="olt-a", port="0/1/3", onu_id=5, days=20, now=NOW)
    assert [p["bucket"] for p in points] == sorted(p["bucket"] for p in points)
    kinds = Counter(p["granularity"] for p in points)
    # 10 days (16-25 Nov) by day, 3 (26-28 Nov) by hour, 7 days and today raw.
    assert kinds == {"day": 10, "hour": 3 * 2, "raw": 7 * 6 + 6}
    assert all(p["bucket"] >= RAW_EDGE for p in points if p["granularity"] == "raw")
    hours = [p for p in points if p["granularity"] == "hour"]
    assert HOURLY_EDGE <= min(p["bucket"] for p in hours) < RAW_EDGE
    days = [p for p in points if p["granularity"] == "day"]
    assert max(p["bucket"] for p in days) < HOURLY_EDGE
    want = expected(history(days=30), "day")[(5, days[0]["bucket"])]
    assert days[0]["rx_min"] == pytest.approx(want["rx_min"])
    assert days[0]["rx_avg"] == pytest.approx(want["rx_avg"])
    assert days[0]["samples"] == want["samples"] == 6


def test_the_trend_by_day_is_one_point_a_day_summing_the_same_samples(pruned: Database) -> None:
    fine = onu_trend(pruned, olt="olt-a", port="0/1/3", onu_id=6, days=20, now=NOW)
    daily = onu_trend(pruned, olt="olt-a", port="0/1/3", onu_id=6, days=20, now=NOW, by_day=True)
    assert {p["granularity"] for p in daily} == {"day"}
    buckets = [p["bucket"] for p in daily]
    assert buckets == sorted(set(buckets))
    # The days past the raw window come from the daily roll-ups, the others from raw readings
    # summed by the database: every day has the same samples either way.
    by_day: dict[date, list[dict]] = {}
    for point in fine:
        by_day.setdefault(point["bucket"].astimezone(UTC).date(), []).append(point)
    for point in daily:
        same = by_day[point["bucket"].astimezone(UTC).date()]
        assert point["samples"] == sum(p["samples"] for p in same)
        assert point["offline_samples"] == sum(p["offline_samples"] for p in same)
        assert point["rx_min"] == pytest.approx(min(p["rx_min"] for p in same if p["rx_min"]))
        assert point["rx_max"] == pytest.approx(max(p["rx_max"] for p in same if p["rx_max"]))
    assert len(daily) == len(by_day) == 21
    assert buckets[-1] == datetime(2026, 12, 6, tzinfo=UTC)  # today, from raw readings


def test_a_dark_sample_counts_offline_and_has_no_light(pruned: Database) -> None:
    points = onu_trend(pruned, olt="olt-a", port="0/1/3", onu_id=6, days=2, now=NOW)
    dark = [p for p in points if p["offline_samples"]]
    assert dark and all(p["rx_avg"] is None and p["samples"] == 1 for p in dark)
    assert {p["granularity"] for p in points} == {"raw"}


def test_a_trend_before_any_prune_reads_raw_readings(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISPFLOW_HISTORY_RAW_DAYS", "7")
    store(db, history(days=10))
    points = onu_trend(db, olt="olt-a", port="0/1/3", onu_id=5, days=10, now=NOW)
    assert {p["granularity"] for p in points} == {"raw"}
    # From 26 Nov 12:15: nine whole days of six readings, and today's six (26 Nov's are older).
    assert len(points) == 9 * 6 + 6


def test_a_pon_day_comes_from_raw_inside_the_window_and_roll_ups_outside(
    pruned: Database,
) -> None:
    inside = pon_day(pruned, olt="olt-a", port="0/1/3", day=date(2026, 11, 29), now=NOW)
    outside = pon_day(pruned, olt="olt-a", port="0/1/3", day=date(2026, 11, 28), now=NOW)
    assert {r["source"] for r in inside} == {"raw"}
    assert {r["source"] for r in outside} == {"day"}
    rows = history(days=30)
    for found, day in ((inside, datetime(2026, 11, 29, tzinfo=UTC)),
                       (outside, datetime(2026, 11, 28, tzinfo=UTC))):  # fmt: skip
        assert [r["onu_id"] for r in found] == [5, 6]
        for row in found:
            want = expected(rows, "day")[(row["onu_id"], day)]
            assert row["rx_avg"] == pytest.approx(want["rx_avg"])
            assert row["rx_max"] == pytest.approx(want["rx_max"])
            assert (row["samples"], row["offline_samples"]) == (
                want["samples"],
                want["offline_samples"],
            )
            assert (row["serial"], row["contract"]) == (want["serial"], want["contract"])
    assert [r["contract"] for r in inside] == ["C-1042", ""]
    assert pon_day(pruned, olt="olt-a", port="0/1/4", day=date(2026, 11, 28), now=NOW) == []


def test_bad_questions_are_refused(pruned: Database) -> None:
    with pytest.raises(UsageError, match="0/1/3"):
        onu_trend(pruned, olt="olt-a", port="0-1-3", onu_id=5, days=3, now=NOW)
    with pytest.raises(UsageError, match="at least one day"):
        onu_trend(pruned, olt="olt-a", port="0/1/3", onu_id=5, days=0, now=NOW)
    with pytest.raises(UsageError):
        pon_day(pruned, olt="olt-a", port="x", day=(NOW - timedelta(days=1)).date())


def test_contract_show_summarises_the_onu_past_the_raw_window(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ispflow.store.customers import contract_details
    from tests.store.test_readings import seed

    monkeypatch.setenv("ISPFLOW_HISTORY_RAW_DAYS", "7")
    seed(db)  # C-1042 on olt-poa-01 0/1/3, ONU 5
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    onu = ("olt-poa-01", 0, 1, 3, 5, "HWTC00000005", "C-1042")
    rows = [
        reading(onu, today - timedelta(days=day) + timedelta(hours=10, minutes=m), rx)
        for day in range(1, 26)
        for m, rx in ((0, -20.0 - day / 10), (30, None))
    ]
    store(db, rows)
    result = prune(db)
    assert result.raw_rows_dropped + len(result.partitions_dropped) > 0
    trend = contract_details(db, "C-1042")["signal_trend"]
    assert trend["samples"] == 50 and trend["offline_samples"] == 25
    assert trend["rx_min"] == pytest.approx(-22.5)
    assert trend["rx_max"] == pytest.approx(-20.1)
    assert trend["rx_avg"] == pytest.approx(fmean(-20.0 - d / 10 for d in range(1, 26)))
    assert trend["since"] < today - timedelta(days=7)


def test_a_contract_trend_leaves_out_whoever_had_its_onu_id_before(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ispflow.store.customers import contract_details
    from tests.store.test_readings import seed

    monkeypatch.setenv("ISPFLOW_HISTORY_RAW_DAYS", "7")
    seed(db)  # C-1042 on olt-poa-01 0/1/3, ONU 5, serial HWTC00000005
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    # A cancelled contract's dark, weak ONU had ONU id 5 for 20 days; C-1042's ONU took it
    # 5 days ago, read first before the store linked it to the contract.
    before = ("olt-poa-01", 0, 1, 3, 5, "ZTEG0000C0DE", "C-0999-cancelado")
    mine = ("olt-poa-01", 0, 1, 3, 5, "HWTC00000005", "C-1042")
    unlinked = ("olt-poa-01", 0, 1, 3, 5, "HWTC00000005", None)
    at = today + timedelta(hours=10)
    rows = [reading(before, at - timedelta(days=day), rx) for day in range(6, 26)
            for rx in (-27.5, None)]  # fmt: skip
    rows.append(reading(unlinked, at - timedelta(days=5, minutes=30), -19.0))
    rows += [reading(mine, at - timedelta(days=day), -19.5) for day in range(1, 6)]
    store(db, rows)
    prune(db)  # the old owner's days past the raw window are roll-ups now
    trend = contract_details(db, "C-1042")["signal_trend"]
    assert trend["samples"] == 6 and trend["offline_samples"] == 0
    assert trend["rx_min"] == pytest.approx(-19.5) and trend["rx_max"] == pytest.approx(-19.0)
    assert trend["since"] >= today - timedelta(days=6)
    # The place's trend, asked for without a contract, still has everything.
    place = onu_trend(db, olt="olt-poa-01", port="0/1/3", onu_id=5, days=30, by_day=True)
    assert sum(p["samples"] for p in place) == 46
