"""Optical readings history: one OLT's readings in one transaction, linked to contracts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import event, insert, select

from ispflow.store.db import Database
from ispflow.store.errors import StoreError
from ispflow.store.reading_partitions import ensure_for_write
from ispflow.store.readings import ReadingsWriter, save_readings
from ispflow.store.schema import contracts, customers, olts, onus, optical_readings, pon_ports
from tests.store.test_customers import add_onu


def seed(db: Database) -> None:
    with db.engine.begin() as conn:
        olt = conn.execute(
            insert(olts).values(name="olt-poa-01", vendor="huawei")
        ).inserted_primary_key[0]
        pon = conn.execute(
            insert(pon_ports).values(olt_id=olt, frame=0, slot=1, port=3)
        ).inserted_primary_key[0]
        onu = add_onu(conn, olt, pon, 5, "HWTC00000005")
        customer = conn.execute(
            insert(customers).values(name="Maria Souza", name_search="maria souza", phones=[])
        ).inserted_primary_key[0]
        conn.execute(
            insert(contracts).values(
                code="C-1042", customer_id=customer, status="active", onu_id=onu
            )
        )


def test_readings_are_one_transaction_and_know_their_contract(db: Database) -> None:
    seed(db)
    # PostgreSQL: the day's partition is made once, before the first write of the day.
    ensure_for_write(db, [datetime.now(UTC)])
    commits: list[int] = []
    event.listen(db.engine, "commit", lambda conn: commits.append(1))
    readings = [
        {"port": "0/1/3", "onu_id": 5, "rx_dbm": -21.4, "olt_rx_dbm": -24.0, "signal": "good"},
        {"port": "0/1/3", "onu_id": 6, "rx_dbm": None, "signal": "offline"},
    ] + [{"port": "0/1/4", "onu_id": i, "rx_dbm": -28.1, "signal": "critical"} for i in range(100)]
    assert save_readings(db, "olt-poa-01", readings) == 102
    assert len(commits) == 1
    with db.engine.connect() as conn:
        rows = conn.execute(select(optical_readings).order_by(optical_readings.c.id)).all()
    assert len(rows) == 102
    first, second = rows[0], rows[1]
    assert (first.contract, first.rx_dbm, first.state, first.signal_class) == (
        "C-1042",
        -21.4,
        "online",
        "good",
    )
    assert (second.contract, second.rx_dbm, second.state) == (None, None, "offline")
    assert first.read_at.tzinfo is not None


def test_the_active_contract_wins_and_large_batches_keep_their_order(db: Database) -> None:
    seed(db)
    with db.engine.begin() as conn:
        customer = conn.execute(select(customers.c.id)).scalar_one()
        onu = conn.execute(select(onus.c.id)).scalar_one()
        # The ONU's contract was cancelled and replaced: the new one is the active one.
        conn.execute(contracts.update().values(status="cancelled"))
        conn.execute(
            insert(contracts).values(
                code="C-2001", customer_id=customer, status="active", onu_id=onu
            )
        )
    readings = [{"port": "0/1/4", "onu_id": i, "rx_dbm": -20.0 - i / 100} for i in range(900)]
    readings.insert(450, {"port": "0/1/3", "onu_id": 5, "rx_dbm": -19.5, "signal": "good"})
    assert save_readings(db, "olt-poa-01", readings, None) == 901
    with db.engine.connect() as conn:
        rows = conn.execute(select(optical_readings).order_by(optical_readings.c.id)).all()
    assert [(r.port, r.onu_index) for r in rows] == [
        (int(x["port"][-1]), x["onu_id"]) for x in readings
    ]
    assert [r.contract for r in rows if r.contract] == ["C-2001"]
    assert rows[450].rx_dbm == -19.5 and rows[450].signal_class == "good"
    assert rows[0].signal_class == "unknown"


def test_with_no_active_contract_the_newest_wins_and_any_code_is_kept_whole(
    db: Database,
) -> None:
    seed(db)
    with db.engine.begin() as conn:
        customer = conn.execute(select(customers.c.id)).scalar_one()
        olt = conn.execute(select(olts.c.id)).scalar_one()
        pon = conn.execute(select(pon_ports.c.id)).scalar_one()
        onu = conn.execute(select(onus.c.id)).scalar_one()
        conn.execute(contracts.update().values(status="cancelled"))
        # Codes as an ERP may write them: a comma, a control character, accents.
        for code in ("C-2001,a", "C-2002\x1fb", "C-2003 inadimplência"):
            conn.execute(
                insert(contracts).values(
                    code=code, customer_id=customer, status="cancelled", onu_id=onu
                )
            )
        other = add_onu(conn, olt, pon, 6, "HWTC00000006")
        conn.execute(
            insert(contracts).values(
                code="C-3000\x1f,", customer_id=customer, status="suspended", onu_id=other
            )
        )
    readings = [
        {"port": "0/1/3", "onu_id": 5, "rx_dbm": -20.0, "signal": "good"},
        {"port": "0/1/3", "onu_id": 6, "rx_dbm": -21.0, "signal": "good"},
        {"port": "0/1/3", "onu_id": 7, "rx_dbm": -22.0, "signal": "good"},
    ]
    assert save_readings(db, "olt-poa-01", readings) == 3
    with db.engine.connect() as conn:
        rows = conn.execute(select(optical_readings).order_by(optical_readings.c.id)).all()
    assert [r.contract for r in rows] == ["C-2003 inadimplência", "C-3000\x1f,", None]


def test_readings_of_an_olt_the_store_does_not_know_are_kept_without_contract(
    db: Database,
) -> None:
    readings = [{"port": "0/1/0", "onu_id": 1, "rx_dbm": -22.0, "signal": "good"}]
    assert save_readings(db, "olt-not-in-store", readings) == 1
    with db.engine.connect() as conn:
        row = conn.execute(select(optical_readings)).one()
    assert (row.olt, row.contract, row.signal_class) == ("olt-not-in-store", None, "good")


def test_the_writer_puts_several_olts_in_one_transaction_and_reports_each_failure(
    db: Database,
) -> None:
    seed(db)
    ensure_for_write(db, [datetime.now(UTC)])
    commits: list[int] = []
    event.listen(db.engine, "commit", lambda conn: commits.append(1))
    writer = ReadingsWriter(db, flush_interval=0.5)
    one = [{"port": "0/1/3", "onu_id": 5, "rx_dbm": -21.0, "signal": "good"}]
    try:
        tickets = [writer.submit(f"olt-{n}", one, None) for n in range(5)]
        for ticket in tickets:
            writer.wait(ticket)
        assert len(commits) == 1  # five OLTs queued together, one transaction
        # A reading the store cannot hold (a level that is not a number): that OLT's rows
        # are refused, and only those; the OLT queued beside it is stored.
        garbled = [{"port": "0/1/3", "onu_id": 5, "rx_dbm": "-21,0 dBm", "signal": "good"}]
        bad = writer.submit("olt-poa-01", garbled, "no-such-run")
        good = writer.submit("olt-5", one, None)
        with pytest.raises(StoreError, match="the readings of olt-poa-01"):
            writer.wait(bad)
        writer.wait(good)
    finally:
        writer.close()
    with db.engine.connect() as conn:
        olts_stored = sorted(conn.execute(select(optical_readings.c.olt)).scalars())
    assert olts_stored == [f"olt-{n}" for n in range(6)]


def test_a_run_that_stores_an_olt_again_replaces_its_readings_never_doubles_them(
    db: Database,
) -> None:
    """A resumed run reads an OLT again when its first write was cut short: one reading per
    run, OLT and ONU, whatever it did before; other runs' readings stay."""
    from datetime import UTC, datetime

    from ispflow.store.schema import runs

    seed(db)
    with db.engine.begin() as conn:
        for run in ("r1", "r2"):
            conn.execute(
                insert(runs).values(
                    id=run, runbook="onu-signal", vars={}, status="running", options={},
                    hosts=[], steps=[], started_at=datetime.now(UTC),
                )
            )  # fmt: skip
    first = [{"port": "0/1/3", "onu_id": i, "rx_dbm": -20.0, "signal": "good"} for i in range(8)]
    save_readings(db, "olt-poa-01", first, run_id="r1")
    again = [{**r, "rx_dbm": -21.0} for r in first[:5]]
    save_readings(db, "olt-poa-01", again, run_id="r1")
    save_readings(db, "olt-poa-01", first, run_id="r2")
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(
                optical_readings.c.run_id, optical_readings.c.onu_index, optical_readings.c.rx_dbm
            )
        ).all()
    by_run = {
        run: sorted((r.onu_index, r.rx_dbm) for r in rows if r.run_id == run)
        for run in ("r1", "r2")
    }
    assert by_run["r1"] == [(i, -21.0) for i in range(5)] + [(i, -20.0) for i in range(5, 8)]
    assert by_run["r2"] == [(i, -20.0) for i in range(8)]


def test_olts_written_together_each_get_their_contracts_and_a_run_twice_keeps_its_last(
    db: Database,
) -> None:
    """Several OLTs in one transaction: their contracts come from one query, and a run that
    hands the same OLT over twice before the writer takes them has the second replace the
    first, as two transactions would."""
    from ispflow.store.schema import runs

    seed(db)
    with db.engine.begin() as conn:
        olt = conn.execute(
            insert(olts).values(name="olt-poa-02", vendor="zte")
        ).inserted_primary_key[0]
        pon = conn.execute(
            insert(pon_ports).values(olt_id=olt, frame=1, slot=2, port=7)
        ).inserted_primary_key[0]
        onu = conn.execute(
            insert(onus).values(
                olt_id=olt, pon_port_id=pon, frame=1, slot=2, port=7, onu_index=5,
                serial="ZTEG00000005", state="authorized",
            )
        ).inserted_primary_key[0]  # fmt: skip
        customer = conn.execute(select(customers.c.id)).scalar_one()
        conn.execute(
            insert(contracts).values(code="C-7", customer_id=customer, status="active", onu_id=onu)
        )
        conn.execute(
            insert(runs).values(
                id="r1", runbook="signal-audit", vars={}, status="running", options={},
                hosts=[], steps=[], started_at=datetime.now(UTC),
            )
        )  # fmt: skip
    ensure_for_write(db, [datetime.now(UTC)])
    commits: list[int] = []
    event.listen(db.engine, "commit", lambda conn: commits.append(1))
    first = [{"port": "0/1/3", "onu_id": n, "rx_dbm": -20.0, "signal": "good"} for n in (5, 6)]
    again = [{"port": "0/1/3", "onu_id": 5, "rx_dbm": -22.0, "signal": "good"}]
    other = [{"port": "1/2/7", "onu_id": 5, "rx_dbm": -19.0, "signal": "good"}]
    writer = ReadingsWriter(db, flush_interval=0.5)
    try:
        tickets = [
            writer.submit("olt-poa-01", first, "r1"),
            writer.submit("olt-poa-02", other, "r1"),
            writer.submit("olt-poa-01", again, "r1"),
        ]
        for ticket in tickets:
            writer.wait(ticket)
        assert len(commits) == 1
    finally:
        writer.close()
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(
                optical_readings.c.olt,
                optical_readings.c.onu_index,
                optical_readings.c.rx_dbm,
                optical_readings.c.contract,
            ).order_by(optical_readings.c.olt, optical_readings.c.onu_index)
        ).all()
    assert [tuple(row) for row in rows] == [
        ("olt-poa-01", 5, -22.0, "C-1042"),
        ("olt-poa-01", 6, -20.0, None),
        ("olt-poa-02", 5, -19.0, "C-7"),
    ]
