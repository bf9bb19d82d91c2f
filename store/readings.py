"""Optical readings history: each OLT's readings in one transaction, with their contract.

`save_readings` writes one OLT's readings and returns when they are committed.
`ReadingsWriter` is for a fleet read: workers hand their OLT's readings over and go on to the
next OLT while one thread writes them, several OLTs per transaction (SQLite has one writer at
a time; twenty workers each committing their own would queue behind one another).
On PostgreSQL rows go in with COPY, into the day's partition (made before the write).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, String, cast, delete, func, select

from ispflow.store.bulk_sql import copy_rows, insert_rows, timestamp_param
from ispflow.store.contracts import port_numbers as _port_numbers
from ispflow.store.db import Database
from ispflow.store.group_commit import GroupCommitWriter
from ispflow.store.reading_partitions import ensure_for_write
from ispflow.store.schema import contracts, olts, onus, optical_readings
from ispflow.store.signal_retention import PruneResult, prune_after_readings

log = logging.getLogger(__name__)

READING_COLUMNS = (
    "run_id", "olt", "frame", "slot", "port", "onu_index", "serial", "rx_dbm", "tx_dbm",
    "olt_rx_dbm", "temperature", "state", "signal_class", "read_at", "contract", "down_cause",
    "down_class",
)  # fmt: skip

# The columns' PostgreSQL types, for COPY's binary form.
READING_TYPES = (
    "text", "text", "int4", "int4", "int4", "int4", "text", "float8", "float8",
    "float8", "float8", "text", "text", "timestamptz", "text", "text", "text",
)  # fmt: skip

DOWN_CAUSE_WIDTH = optical_readings.c.down_cause.type.length or 32


def contracts_by_onu(db: Database, olt: str) -> dict[tuple[int, int, int, int], str]:
    """Contract codes of the ONUs the store knows on one OLT, by (frame, slot, port, onu id)."""
    with db.engine.connect() as conn:
        return _contracts_by_onu(conn, olt)


def _contracts_by_onu(conn: Connection, olt: str) -> dict[tuple[int, int, int, int], str]:
    # An ONU with several contracts (one cancelled and replaced, say) maps to its active one,
    # else its newest. The database returns the whole map as one string: fetched row by row,
    # a thousand ONUs hand the interpreter lock back and forth a thousand times, which under
    # 20 busy workers costs more than the insert that follows.
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


@dataclass(frozen=True)
class OltReadings:
    """One OLT's readings (records from the OLT parsers plus `signal`) as read at one time."""

    olt: str
    readings: Sequence[dict[str, Any]]
    run_id: str | None
    read_at: datetime


def _insert(conn: Connection, batch: OltReadings) -> None:
    owners = _contracts_by_onu(conn, batch.olt)
    read_at = timestamp_param(batch.read_at, conn.dialect.name)
    numbers = functools.lru_cache(maxsize=None)(_port_numbers)  # a few PONs, many ONUs each
    rows = []
    for reading in batch.readings:
        frame, slot, port = numbers(reading["port"])
        onu = int(reading["onu_id"])
        rx = reading.get("rx_dbm")
        rows.append(
            (
                batch.run_id,
                batch.olt,
                frame,
                slot,
                port,
                onu,
                reading.get("serial"),
                _number(rx),
                _number(reading.get("tx_dbm")),
                _number(reading.get("olt_rx_dbm")),
                _number(reading.get("temperature_c")),
                "offline" if rx is None else "online",
                reading.get("signal") or "unknown",
                read_at,
                owners.get((frame, slot, port, onu)),
                _down_cause(reading.get("down_cause")),
                reading.get("down_class"),
            )
        )
    if batch.run_id is not None:
        _drop_earlier(conn, batch.run_id, batch.olt, {row[2:6] for row in rows})
    if conn.dialect.name == "postgresql":
        copy_rows(conn, optical_readings.name, READING_COLUMNS, rows, READING_TYPES)
    else:
        insert_rows(conn, optical_readings.name, READING_COLUMNS, rows)


def _number(value: Any) -> float | None:
    """A measure as the column holds it (parsers give floats; an int or numeric text too)."""
    return None if value is None else float(value)


def _down_cause(words: Any) -> str | None:
    """The OLT's words as the column holds them: a longer wording is cut, not refused."""
    return str(words)[:DOWN_CAUSE_WIDTH] if words else None


def _drop_earlier(
    conn: Connection, run_id: str, olt: str, keys: set[tuple[int, int, int, int]]
) -> None:
    """A reading is kept once per run, OLT and ONU: a resumed run that reads an OLT again
    (its first write was cut short, or never acknowledged) replaces what it stored, never
    adds a second copy. One indexed look-up by run finds nothing on a first write."""
    t = optical_readings.c
    earlier = conn.execute(
        select(t.id, t.frame, t.slot, t.port, t.onu_index, t.read_at).where(
            t.run_id == run_id, t.olt == olt
        )
    ).all()
    doomed = [row for row in earlier if tuple(row[1:5]) in keys]
    if not doomed:
        return
    # The bound on read_at lets PostgreSQL look in the partitions of those days only.
    since = min(row.read_at for row in doomed)
    ids = [row.id for row in doomed]
    for start in range(0, len(ids), 500):
        conn.execute(
            delete(optical_readings).where(t.id.in_(ids[start : start + 500]), t.read_at >= since)
        )


def save_readings(
    db: Database, olt: str, readings: Sequence[dict[str, Any]], run_id: str | None = None
) -> int:
    """Store one OLT's readings in one transaction; returns the count."""
    if not readings:
        return 0
    batch = OltReadings(olt, readings, run_id, datetime.now(UTC))
    ensure_for_write(db, [batch.read_at])
    with db.writing() as conn:
        _insert(conn, batch)
    return len(readings)


class ReadingsWriter:
    """Readings of many OLTs, written by one thread; `wait` tells whether an OLT's were."""

    def __init__(self, db: Database, *, flush_interval: float = 0.05, max_olts: int = 20) -> None:
        self._db = db
        self.wrote = False
        # What the prune at close did, or why it failed.
        self.pruned: PruneResult | None = None
        self.prune_error: Exception | None = None
        self._writer: GroupCommitWriter[OltReadings] = GroupCommitWriter(
            self._write,
            lambda batch: f"the readings of {batch.olt}",
            flush_interval=flush_interval,
            max_batch=max_olts,
            name="ispflow-readings",
        )

    def submit(
        self,
        olt: str,
        readings: Sequence[dict[str, Any]],
        run_id: str | None,
        *,
        read_at: datetime | None = None,
    ) -> int:
        """Queue one OLT's readings (read now, unless `read_at` says when); returns a ticket
        for `wait` (0: nothing to write)."""
        if not readings:
            return 0
        when = read_at or datetime.now(UTC)
        return self._writer.submit(OltReadings(olt, readings, run_id, when))

    def wait(self, ticket: int) -> None:
        """Block until that OLT's readings are committed; StoreError if they could not be."""
        if ticket:
            self._writer.wait(ticket)

    def close(self) -> None:
        """Write what is queued; then, if readings were written, prune the history
        (`history.prune_after_audit`). A prune that fails is logged, never raised: the
        readings are stored, and the next prune finishes the work."""
        self._writer.close()
        if not self.wrote:
            return
        self.wrote = False
        try:
            self.pruned = prune_after_readings(self._db)
        except Exception as exc:
            self.prune_error = exc
            log.warning(
                "the readings are stored, but pruning the signal history failed: %s "
                "(the next audit, or `ispflow readings prune`, tries again)",
                exc,
            )

    def _write(self, batches: Sequence[OltReadings]) -> None:
        ensure_for_write(self._db, [batch.read_at for batch in batches])
        with self._db.writing() as conn:
            for batch in batches:
                _insert(conn, batch)
        self.wrote = True
