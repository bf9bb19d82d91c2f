"""How readings are found: a run's through its batches, an ONU's and a PON's by place.

On PostgreSQL the readings keep no index on the run id and key their place index on one
number: the queries must say exactly what the indexes hold, or every look-up reads a whole
day's partition. The plans are checked among enough readings of other ONUs and runs that the
planner prices them as on a day of audits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, select, text

from ispflow.store.db import Database
from ispflow.store.reading_partitions import partition_name, summarize_read_at
from ispflow.store.readings import save_readings
from ispflow.store.schema import reading_batches
from ispflow.store.signal_history import earlier_readings, run_readings
from ispflow.store.signal_trend import onu_trend, pon_day
from tests.support.readings import add_run


def _run(db: Database, run_id: str, started_at: datetime) -> None:
    with db.engine.begin() as conn:
        add_run(conn, run_id, started_at)


def _pon(rx: float, onus: range = range(1, 9)) -> list[dict[str, Any]]:
    return [{"port": "0/1/3", "onu_id": onu, "rx_dbm": rx - onu / 10} for onu in onus] + [
        {"port": "0/2/0", "onu_id": onu, "rx_dbm": rx} for onu in onus
    ]


def test_each_olt_write_of_a_run_records_one_batch(db: Database) -> None:
    started = datetime.now(UTC) - timedelta(minutes=5)
    _run(db, "run-1", started)
    save_readings(db, "olt-a", _pon(-20.0), run_id="run-1")
    save_readings(db, "olt-b", _pon(-21.0, range(1, 3)), run_id="run-1")
    save_readings(db, "olt-c", _pon(-22.0))  # no run: no batch
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(reading_batches.c.run_id, reading_batches.c.olt, reading_batches.c.readings)
        ).all()
    assert sorted(tuple(row) for row in rows) == [("run-1", "olt-a", 16), ("run-1", "olt-b", 4)]
    assert len(run_readings(db, "run-1")) == 20
    assert run_readings(db, "run-unknown") == []


def test_a_runs_readings_say_their_contracts_status(db: Database) -> None:
    from ispflow.store.schema import contracts
    from tests.store.test_readings import seed

    seed(db)  # C-1042, active, on olt-poa-01 0/1/3 ONU 5
    _run(db, "run-1", datetime.now(UTC) - timedelta(minutes=5))
    with db.engine.begin() as conn:
        conn.execute(contracts.update().values(status="cancelled"))
    save_readings(db, "olt-poa-01", _pon(-20.0, range(4, 7)), run_id="run-1")
    found = {(r["port"], r["onu_id"]): r for r in run_readings(db, "run-1")}
    assert found[("0/1/3", 5)]["contract"] == "C-1042"
    assert found[("0/1/3", 5)]["contract_status"] == "cancelled"
    assert {r["contract_status"] for key, r in found.items() if key != ("0/1/3", 5)} == {None}


def test_a_resumed_write_replaces_the_readings_and_adds_a_batch(db: Database) -> None:
    _run(db, "run-1", datetime.now(UTC) - timedelta(minutes=5))
    save_readings(db, "olt-a", _pon(-20.0), run_id="run-1")
    save_readings(db, "olt-a", _pon(-25.0, range(1, 3)), run_id="run-1")
    found = {(r["port"], r["onu_id"]): r["rx_dbm"] for r in run_readings(db, "run-1")}
    assert len(found) == 16  # one reading per ONU, never two
    assert found[("0/2/0", 1)] == -25.0 and found[("0/2/0", 5)] == -20.0
    with db.engine.connect() as conn:
        assert conn.execute(select(reading_batches.c.readings)).scalars().all() == [16, 4]


def test_earlier_runs_are_read_newest_first(db: Database) -> None:
    now = datetime.now(UTC)
    for n in range(3):
        _run(db, f"run-{n}", now - timedelta(minutes=30 - n))
        save_readings(db, "olt-a", _pon(-20.0 - n), run_id=f"run-{n}")
    history = earlier_readings(db, "run-2", runs=2)
    assert [r["rx_dbm"] for r in history["olt-a:0/2/0:1"]] == [-21.0, -20.0]


@pytest.fixture
def pg(db: Database) -> Database:
    if db.dialect_name != "postgresql":
        pytest.skip("the block range and expression indexes are PostgreSQL's")
    return db


@contextmanager
def _statements(db: Database) -> Iterator[list[tuple[str, Any]]]:
    """The statements on the readings, through SQLAlchemy or straight through the driver's
    cursor (as the audit's history step reads)."""
    kept: list[tuple[str, Any]] = []

    def keep(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        if "FROM optical_readings" in statement:
            kept.append((statement, parameters))

    execute = psycopg.Cursor.execute

    def keep_driver(cursor: Any, query: Any, params: Any = None, **kwargs: Any) -> Any:
        keep(None, cursor, str(query), params)
        return execute(cursor, query, params, **kwargs)

    event.listen(db.engine, "before_cursor_execute", keep)
    psycopg.Cursor.execute = keep_driver  # type: ignore[method-assign]
    try:
        yield kept
    finally:
        psycopg.Cursor.execute = execute  # type: ignore[method-assign]
        event.remove(db.engine, "before_cursor_execute", keep)


def _plans(db: Database, read: Callable[[], object]) -> list[str]:
    with _statements(db) as statements:
        read()
    assert statements
    plans = []
    with db.engine.connect() as conn:
        driver = conn.connection.driver_connection
        assert driver is not None
        for statement, parameters in statements:
            plan = [row[0] for row in driver.execute("EXPLAIN " + statement, parameters)]
            plans.append("\n".join(plan))
    return plans


def _children(db: Database, index: str) -> set[str]:
    with db.engine.connect() as conn:
        return set(
            conn.execute(
                text(
                    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                    "WHERE i.inhparent = to_regclass(:index)"
                ),
                {"index": index},
            ).scalars()
        )


def _fill(db: Database, count: int) -> None:
    """Readings of other runs around the ones looked for, so plans are priced as on a day of
    audits rather than on a few rows, and the block ranges summarised as a prune does. They
    are kept to today (UTC): just after midnight, minutes back would fill yesterday's
    partition and leave today's holding a few rows, which the planner rightly scans."""
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO optical_readings (run_id, olt, frame, slot, port, onu_index, "
                "state, signal_class, read_at) SELECT 'other-' || (n / 5000), 'olt-z', 0, "
                "n % 16, 0, n % 64, 'online', 'good', greatest("
                "now() - interval '1 minute' * (n / 5000), "
                "date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') "
                "FROM generate_series(1, :count) AS n"
            ),
            {"count": count},
        )
        summarize_read_at(conn)
        conn.exec_driver_sql("ANALYZE optical_readings")


def _uses(plan: str, indexes: set[str]) -> bool:
    """Whether the plan reads today's partition (the one holding readings; the empty ones
    are scanned for nothing) through one of `indexes`."""
    today = partition_name(datetime.now(UTC).date())
    return f"Seq Scan on {today} " not in plan and any(
        name.startswith(today) and name in plan for name in indexes
    )


def test_an_onus_trend_and_a_pons_day_read_the_place_index(pg: Database) -> None:
    save_readings(pg, "olt-a", _pon(-20.0))
    _fill(pg, 100_000)
    place = _children(pg, "ix_optical_readings_place")
    now = datetime.now(UTC)
    trend = _plans(pg, lambda: onu_trend(pg, olt="olt-a", port="0/1/3", onu_id=5, days=2))
    day = _plans(pg, lambda: pon_day(pg, olt="olt-a", port="0/1/3", day=now.date(), now=now))
    for plan in trend + day:
        assert _uses(plan, place), plan
    # The place number picks the right ONUs: a PON's range holds its own and no other PON's.
    assert [row["onu_id"] for row in pon_day(pg, olt="olt-a", port="0/1/3", day=now.date())] == [
        *range(1, 9)
    ]
    [point] = onu_trend(pg, olt="olt-a", port="0/1/3", onu_id=5, days=2)
    assert point["rx_avg"] == pytest.approx(-20.5)


def test_a_runs_readings_are_read_through_the_block_range_index(pg: Database) -> None:
    now = datetime.now(UTC)
    for n in range(2):
        _run(pg, f"run-{n}", now - timedelta(minutes=20 - n))
        save_readings(pg, "olt-a", _pon(-20.0), run_id=f"run-{n}")
    _fill(pg, 100_000)
    blocks = _children(pg, "ix_optical_readings_read_at_run_id")
    plans = _plans(pg, lambda: earlier_readings(pg, "run-1", runs=1))
    plans += _plans(pg, lambda: run_readings(pg, "run-1"))
    for plan in plans:
        assert _uses(plan, blocks), plan
