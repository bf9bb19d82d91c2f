"""Optical readings history: one transaction per OLT, however many ONUs it has."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, cast, func, select

from store.bulk_sql import insert_rows, timestamp_param
from store.contracts import port_numbers as _port_numbers
from store.db import Database
from store.schema import contracts, olts, onus, optical_readings


def contracts_by_onu(db: Database, olt: str) -> dict[tuple[int, int, int, int], str]:
    """Contract codes of the ONUs the store knows on one OLT, by (frame, slot, port, onu id).

    An ONU with several contracts (one cancelled and replaced, say) maps to its active one,
    else its newest. The database returns the whole map as one string: fetched row by row,
    a thousand ONUs hand the interpreter lock back and forth a thousand times, which under
    20 busy workers costs more than the insert that follows.
    """
    entry = (
        cast(onus.c.frame, String) + "/" + cast(onus.c.slot, String) + "/"
        + cast(onus.c.port, String) + "/" + cast(onus.c.onu_index, String) + "\t"
        + contracts.c.status + "\t" + cast(contracts.c.id, String) + "\t" + contracts.c.code
    )  # fmt: skip
    query = (
        select(func.aggregate_strings(entry, "\n"))
        .select_from(onus)
        .join(olts, olts.c.id == onus.c.olt_id)
        .join(contracts, contracts.c.onu_id == onus.c.id)
        .where(olts.c.name == olt, onus.c.onu_index.is_not(None))
    )
    with db.engine.connect() as conn:
        packed = conn.execute(query).scalar()
    best: dict[tuple[int, int, int, int], tuple[bool, int, str]] = {}
    for line in (packed or "").split("\n"):
        if not line:
            continue
        where, status, key, code = line.split("\t", 3)
        frame, slot, port, onu = (int(part) for part in where.split("/"))
        rank = (status == "active", int(key), code)
        if best.get((frame, slot, port, onu), (False, -1, ""))[:2] < rank[:2]:
            best[(frame, slot, port, onu)] = rank
    return {onu: rank[2] for onu, rank in best.items()}


READING_COLUMNS = (
    "run_id", "olt", "frame", "slot", "port", "onu_index", "serial", "rx_dbm", "tx_dbm",
    "olt_rx_dbm", "temperature", "state", "signal_class", "read_at", "contract",
)  # fmt: skip


def save_readings(
    db: Database, olt: str, readings: Sequence[dict[str, Any]], run_id: str | None = None
) -> int:
    """Store one OLT's readings (records from the OLT parsers plus `signal`); returns the count."""
    if not readings:
        return 0
    owners = contracts_by_onu(db, olt)
    now = timestamp_param(datetime.now(UTC), db.dialect_name)
    rows = []
    numbers = functools.lru_cache(maxsize=None)(_port_numbers)  # a few PONs, many ONUs each
    for reading in readings:
        frame, slot, port = numbers(reading["port"])
        onu = int(reading["onu_id"])
        rx = reading.get("rx_dbm")
        rows.append(
            (
                run_id,
                olt,
                frame,
                slot,
                port,
                onu,
                reading.get("serial"),
                rx,
                reading.get("tx_dbm"),
                reading.get("olt_rx_dbm"),
                reading.get("temperature_c"),
                "offline" if rx is None else "online",
                reading.get("signal") or "unknown",
                now,
                owners.get((frame, slot, port, onu)),
            )
        )
    with db.writing() as conn:
        insert_rows(conn, optical_readings.name, READING_COLUMNS, rows)
    return len(rows)
