"""Why an offline ONU is down, kept with its reading: the migration that adds the columns
keeps every row, and readings written and read back carry the cause and its class."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from sqlalchemy import create_engine, insert, inspect, select, text

from ispflow.store import migrate
from ispflow.store.db import Database, open_database
from ispflow.store.readings import save_readings
from ispflow.store.schema import olts, onus, optical_readings, pon_ports
from ispflow.store.signal_history import run_readings
from tests.support.readings import add_run

r = optical_readings


def _run(db: Database, run_id: str) -> None:
    with db.engine.begin() as conn:
        add_run(conn, run_id, datetime.now(UTC))


def test_the_migration_adds_the_columns_and_keeps_every_row(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    open_database(url).close()
    engine = create_engine(url)
    with engine.connect() as conn:
        command.downgrade(migrate.alembic_config(conn), "0011")
        conn.commit()
    with engine.begin() as conn:
        assert "down_cause" not in {c["name"] for c in inspect(conn).get_columns(r.name)}
        conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        olt = conn.execute(insert(olts).values(name="olt-1", vendor="huawei")).inserted_primary_key[
            0
        ]
        pon = conn.execute(
            insert(pon_ports).values(olt_id=olt, frame=0, slot=1, port=0)
        ).inserted_primary_key[0]
        conn.execute(
            insert(onus).values(
                olt_id=olt, pon_port_id=pon, frame=0, slot=1, port=0, onu_index=3, state="x"
            )
        )
        for onu in range(40):
            conn.execute(
                text(
                    "INSERT INTO optical_readings (olt, frame, slot, port, onu_index, rx_dbm, "
                    "state, signal_class, read_at) VALUES ('olt-1', 0, 1, 0, :onu, -20.5, "
                    "'online', 'good', '2027-01-01 00:00:00')"
                ),
                {"onu": onu},
            )
    engine.dispose()

    db = open_database(url)  # migrates to the newest schema
    try:
        with db.engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision()
            columns = {c["name"]: c for c in inspect(conn).get_columns(r.name)}
            assert columns["down_cause"]["nullable"] and columns["down_class"]["nullable"]
            rows = conn.execute(select(r.c.onu_index, r.c.rx_dbm, r.c.down_cause)).all()
            assert sorted(row.onu_index for row in rows) == list(range(40))
            assert {(row.rx_dbm, row.down_cause) for row in rows} == {(-20.5, None)}
            assert conn.execute(select(olts.c.name)).scalars().all() == ["olt-1"]
            assert conn.execute(select(onus.c.onu_index)).scalars().all() == [3]
    finally:
        db.close()


def test_readings_keep_why_an_onu_is_down(db: Database) -> None:
    _run(db, "run-1")
    readings = [
        {"port": "0/1/3", "onu_id": 1, "rx_dbm": -21.4, "signal": "good"},
        {
            "port": "0/1/3",
            "onu_id": 2,
            "rx_dbm": None,
            "signal": "offline",
            "down_cause": "dying-gasp",
            "down_class": "power",
        },
        {
            "port": "0/1/3",
            "onu_id": 3,
            "rx_dbm": None,
            "signal": "offline",
            "down_cause": "LOSi/LOBi",
            "down_class": "fibre",
        },
        {
            "port": "0/1/3",
            "onu_id": 4,
            "rx_dbm": None,
            "signal": "offline",
            "down_cause": "ONT is reset by ONT command from the NMS, twice",
            "down_class": "other",
        },
        {"port": "0/1/3", "onu_id": 5, "rx_dbm": None, "signal": "offline", "down_cause": None},
    ]
    assert save_readings(db, "olt-poa-01", readings, run_id="run-1") == 5
    found = {row["onu_id"]: row for row in run_readings(db, "run-1")}
    assert {k: (v["down_cause"], v["down_class"]) for k, v in found.items()} == {
        1: (None, None),
        2: ("dying-gasp", "power"),
        3: ("LOSi/LOBi", "fibre"),
        4: ("ONT is reset by ONT command from", "other"),  # cut to the column's width
        5: (None, None),
    }
