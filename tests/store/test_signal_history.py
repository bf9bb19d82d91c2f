"""What an audit's analysis reads back: the run's readings with their CTO and contract status,
and each ONU's readings in the audits of the same runbook before it, newest first, on both
databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from ispflow.store.db import Database
from ispflow.store.reading_partitions import ensure_for_write
from ispflow.store.schema import contracts, cto_ports, ctos, customers, runs
from ispflow.store.signal_history import earlier_readings, position_key, run_readings
from tests.support.readings import insert_readings

# Recent, so the raw window holds every reading; whole minutes, as readings are stored.
NOW = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(hours=6)
STARTS = [NOW + timedelta(minutes=15 * n) for n in range(5)]  # run-0 .. run-4


def _runs(db: Database) -> None:
    rows = [
        {"id": f"run-{n}", "runbook": "signal-audit", "dry_run": False, "started_at": at}
        for n, at in enumerate(STARTS)
    ]
    rows += [
        # Between run-2 and run-3, and not audits whose history counts.
        {"id": "dry", "runbook": "signal-audit", "dry_run": True, "started_at": STARTS[2]},
        {"id": "other", "runbook": "backup", "dry_run": False, "started_at": STARTS[2]},
    ]
    with db.engine.begin() as conn:
        for row in rows:
            conn.execute(
                insert(runs).values(
                    **row, vars={}, status="ok", options={}, hosts=[], steps=["onu.optical"]
                )
            )


def _reading(
    run: str, place: tuple[str, str, int], at: datetime, rx: float | None, **extra: Any
) -> dict[str, Any]:
    olt, port, onu = place
    frame, slot, pon = (int(part) for part in port.split("/"))
    return {
        "run_id": run,
        "olt": olt,
        "frame": frame,
        "slot": slot,
        "port": pon,
        "onu_index": onu,
        "serial": extra.get("serial"),
        "rx_dbm": rx,
        "state": "offline" if rx is None else "online",
        "signal_class": extra.get("signal", "offline" if rx is None else "good"),
        "read_at": at,
        "contract": extra.get("contract"),
        "down_cause": extra.get("down_cause"),
        "down_class": extra.get("down_class"),
    }


def _store(db: Database, rows: list[dict[str, Any]]) -> None:
    """Rows as given, in this order: some are what the writer never makes (a run holding
    two readings of one ONU), and the order they go in is the order a scan finds them."""
    ensure_for_write(db, [row["read_at"] for row in rows])
    with db.writing() as conn:
        for row in rows:
            insert_readings(conn, [row])


def _expected(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "olt": row["olt"],
        "port": f"{row['frame']}/{row['slot']}/{row['port']}",
        "onu_id": row["onu_index"],
        "serial": row["serial"],
        "rx_dbm": row["rx_dbm"],
        "signal": row["signal_class"],
        "contract": row["contract"],
        "read_at": row["read_at"],
        "down_cause": row["down_cause"],
        "down_class": row["down_class"],
    }


A = ("olt-a", "0/1/3", 5)
B = ("olt-a", "0/1/3", 6)
C = ("olt-b", "0/2/0", 1)
D = ("olt-b", "0/2/0", 2)


def test_earlier_readings_are_each_onus_newest_first(db: Database) -> None:
    _runs(db)
    minutes = [at + timedelta(minutes=2) for at in STARTS]
    a3_late = _reading("run-3", A, minutes[3] + timedelta(minutes=9), -23.5)
    rows = [
        _reading("run-0", A, minutes[0], -20.0),  # one audit too many back
        _reading("run-1", A, minutes[1], -21.0, serial="HWTC0001", contract="C-1"),
        _reading("run-1", C, minutes[1], -19.25, serial="ZTEG0002"),
        # Read hours before its run began (a worker's clock behind): found all the same, as
        # the run's batch says when it was read.
        _reading("run-1", D, STARTS[1] - timedelta(hours=2), -18.0),
        _reading("run-2", A, minutes[2], -22.0, serial="HWTC0001", contract="C-1"),
        _reading("run-2", B, minutes[2], None, down_cause="dying-gasp", down_class="power"),
        # run-2 still reading after run-3 has: this one is newer than run-3's of C.
        _reading("run-2", C, minutes[3] + timedelta(minutes=5), -19.5),
        # run-3 read A twice, the later reading stored first.
        a3_late,
        _reading("run-3", A, minutes[3], -23.0),
        _reading("run-3", B, minutes[3], -24.0, signal="weak"),
        _reading("run-3", C, minutes[3], -19.75),
        _reading("dry", A, minutes[2] + timedelta(minutes=1), -30.0),
        _reading("other", A, minutes[2] + timedelta(minutes=1), -31.0),
        _reading("run-4", A, minutes[4], -25.0),  # the run itself
    ]
    _store(db, rows)

    found = earlier_readings(db, "run-4", runs=3)

    by_rx = {row["rx_dbm"]: row for row in rows if row["rx_dbm"] is not None}
    offline = rows[5]
    assert found == {
        "olt-a:0/1/3:5": [_expected(by_rx[rx]) for rx in (-23.5, -23.0, -22.0, -21.0)],
        "olt-a:0/1/3:6": [_expected(by_rx[-24.0]), _expected(offline)],
        "olt-b:0/2/0:1": [_expected(by_rx[rx]) for rx in (-19.5, -19.75, -19.25)],
        "olt-b:0/2/0:2": [_expected(by_rx[-18.0])],
    }
    for readings in found.values():
        for reading in readings:
            assert reading["read_at"].tzinfo is UTC
            assert type(reading["onu_id"]) is int
            assert reading["rx_dbm"] is None or type(reading["rx_dbm"]) is float
    assert [position_key(r) for r in found["olt-a:0/1/3:5"]] == ["olt-a:0/1/3:5"] * 4
    assert found["olt-a:0/1/3:6"][1]["rx_dbm"] is None
    assert found["olt-a:0/1/3:6"][1]["signal"] == "offline"

    assert earlier_readings(db, "run-0", runs=3) == {}
    assert earlier_readings(db, "no-such-run", runs=3) == {}
    assert list(earlier_readings(db, "run-1", runs=3)) == ["olt-a:0/1/3:5"]


def test_run_readings_are_in_place_order_with_their_cto(db: Database) -> None:
    _runs(db)
    with db.engine.begin() as conn:
        customer = conn.execute(
            insert(customers).values(name="Ana", name_search="ana", phones=[])
        ).inserted_primary_key[0]
        cto = conn.execute(insert(ctos).values(code="CTO-7", ports_total=8)).inserted_primary_key[0]
        port = conn.execute(insert(cto_ports).values(cto_id=cto, number=3)).inserted_primary_key[0]
        conn.execute(insert(contracts).values(code="C-1", customer_id=customer, cto_port_id=port))
        conn.execute(insert(contracts).values(code="C-2", customer_id=customer, status="active"))
    at = STARTS[3] + timedelta(minutes=1)
    rows = [
        _reading("run-3", C, at, -19.0, contract="C-2"),
        _reading("run-3", B, at, None, down_cause="LOSi", down_class="fibre"),
        _reading("run-3", A, at + timedelta(seconds=3), -21.0, contract="C-1", serial="HW1"),
        _reading("run-2", A, STARTS[2], -20.0, contract="C-1"),
    ]
    _store(db, rows)

    found = run_readings(db, "run-3")

    assert found == [
        _expected(rows[2]) | {"cto": "CTO-7", "contract_status": "pending"},
        _expected(rows[1]) | {"cto": None, "contract_status": None},  # no contract
        _expected(rows[0]) | {"cto": None, "contract_status": "active"},  # no CTO
    ]
    assert all(reading["read_at"].tzinfo is UTC for reading in found)
    assert run_readings(db, "no-such-run") == []
