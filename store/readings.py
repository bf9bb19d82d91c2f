"""Optical readings history: one transaction per OLT, however many ONUs it has."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select

from store.contracts import port_numbers as _port_numbers
from store.db import Database
from store.schema import contracts, olts, onus, optical_readings


def contracts_by_onu(db: Database, olt: str) -> dict[tuple[int, int, int, int], str]:
    """Contract codes of the ONUs the store knows on one OLT, by (frame, slot, port, onu id)."""
    query = (
        select(onus.c.frame, onus.c.slot, onus.c.port, onus.c.onu_index, contracts.c.code)
        .join(olts, olts.c.id == onus.c.olt_id)
        .join(contracts, contracts.c.onu_id == onus.c.id)
        .where(olts.c.name == olt)
    )
    with db.engine.connect() as conn:
        return {(r.frame, r.slot, r.port, r.onu_index): r.code for r in conn.execute(query)}


def save_readings(
    db: Database, olt: str, readings: Sequence[dict[str, Any]], run_id: str | None = None
) -> int:
    """Store one OLT's readings (records from the OLT parsers plus `signal`); returns the count."""
    if not readings:
        return 0
    owners = contracts_by_onu(db, olt)
    now = datetime.now(UTC)
    rows = []
    for reading in readings:
        frame, slot, port = _port_numbers(reading["port"])
        onu = int(reading["onu_id"])
        rx = reading.get("rx_dbm")
        rows.append(
            {
                "run_id": run_id,
                "olt": olt,
                "frame": frame,
                "slot": slot,
                "port": port,
                "onu_index": onu,
                "serial": reading.get("serial"),
                "rx_dbm": rx,
                "tx_dbm": reading.get("tx_dbm"),
                "olt_rx_dbm": reading.get("olt_rx_dbm"),
                "temperature": reading.get("temperature_c"),
                "state": "offline" if rx is None else "online",
                "signal_class": reading.get("signal") or "unknown",
                "read_at": now,
                "contract": owners.get((frame, slot, port, onu)),
            }
        )
    with db.engine.begin() as conn:
        conn.execute(insert(optical_readings), rows)
    return len(rows)
