"""Optical readings history: one OLT's readings in one transaction, linked to contracts."""

from __future__ import annotations

from sqlalchemy import event, insert, select

from store.db import Database
from store.readings import save_readings
from store.schema import contracts, customers, olts, onus, optical_readings, pon_ports


def seed(db: Database) -> None:
    with db.engine.begin() as conn:
        olt = conn.execute(
            insert(olts).values(name="olt-poa-01", vendor="huawei")
        ).inserted_primary_key[0]
        pon = conn.execute(
            insert(pon_ports).values(olt_id=olt, frame=0, slot=1, port=3)
        ).inserted_primary_key[0]
        onu = conn.execute(
            insert(onus).values(
                olt_id=olt,
                pon_port_id=pon,
                frame=0,
                slot=1,
                port=3,
                onu_index=5,
                serial="HWTC00000005",
                state="authorized",
            )
        ).inserted_primary_key[0]
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
