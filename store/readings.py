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
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Select, String, cast, delete, func, select

from ispflow.store import reading_batches
from ispflow.store.bulk_sql import copy_rows, insert_rows, timestamp_param
from ispflow.store.contracts import port_numbers as _port_numbers
from ispflow.store.db import Database
from ispflow.store.group_commit import GroupCommitWriter
from ispflow.store.late_readings import LateSummary, late_grains, merge
from ispflow.store.reading_partitions import ensure_for_write
from ispflow.store.schema import contracts, olts, onus, optical_readings
from ispflow.store.signal_retention import PruneResult, prune_after_readings
from ispflow.store.signal_rollups import Granularity

log = logging.getLogger(__name__)

READING_COLUMNS = (
    "run_id", "olt", "frame", "slot", "port", "onu_index", "serial", "rx_dbm", "tx_dbm",
    "olt_rx_dbm", "temperature", "state", "signal_class", "read_at", "contract", "down_cause",
    "down_class",
)  # fmt: skip

# Where `_rows` puts an ONU's place, serial, contract and rx.
_PLACE = slice(READING_COLUMNS.index("olt"), READING_COLUMNS.index("onu_index") + 1)
_SERIAL, _CONTRACT, _RX = (READING_COLUMNS.index(c) for c in ("serial", "contract", "rx_dbm"))

# The columns' PostgreSQL types, for COPY's binary form.
READING_TYPES = (
    "text", "text", "int4", "int4", "int4", "int4", "text", "float8", "float8",
    "float8", "float8", "text", "text", "timestamptz", "text", "text", "text",
)  # fmt: skip

DOWN_CAUSE_WIDTH = optical_readings.c.down_cause.type.length or 32


def _owners(conn: Connection, olt_names: Sequence[str]) -> dict[str, dict[str, str]]:
    """Per OLT name, the contract code of each ONU place the store knows ("frame/slot/port/
    onu id", as `_pon` starts it), for all the OLTs of a transaction in one query. An ONU
    with several contracts (one cancelled and replaced, say) maps to its active one, else its
    newest."""
    names = sorted(set(olt_names))
    if not names:
        return {}
    if conn.dialect.name == "sqlite":
        return _owners_sqlite(conn, names)
    # Read through the driver, the best contract of each ONU listed last (the last wins): a
    # fleet's ONUs as SQLAlchemy rows cost more than the join.
    sql = (
        "SELECT l.name, n.frame, n.slot, n.port, n.onu_index, c.code FROM onus n "
        "JOIN olts l ON l.id = n.olt_id JOIN contracts c ON c.onu_id = n.id "
        "WHERE n.onu_index IS NOT NULL AND l.name = ANY(%s) "
        "ORDER BY CASE WHEN c.status = 'active' THEN 1 ELSE 0 END, c.id"
    )
    driver = conn.connection.driver_connection
    assert driver is not None
    found: dict[str, dict[str, str]] = {}
    with driver.cursor() as cursor:
        cursor.execute(sql, (names,))
        for olt, frame, slot, port, onu, code in cursor.fetchall():
            found.setdefault(olt, {})[f"{frame}/{slot}/{port}/{onu}"] = code
    return found


# Between the codes of an OLT's list: a control character no contract code is expected to
# hold; one that does is found by the count, and that OLT is read row by row.
_CODE_SEPARATOR = "\x1f"


def _owners_sqlite(conn: Connection, names: list[str]) -> dict[str, dict[str, str]]:
    # SQLite hands rows over one at a time, letting go of the interpreter lock for each:
    # under 20 busy workers a thousand ONUs fetched row by row cost more than the insert
    # that follows. The database picks each place's contract and returns an OLT's places and
    # codes as two strings, in the same order, which become the map at C speed.
    best = _best_contracts(names).subquery()
    query = select(
        best.c.olt,
        func.group_concat(best.c.place, ","),
        func.group_concat(best.c.code, _CODE_SEPARATOR),
    ).group_by(best.c.olt)
    found: dict[str, dict[str, str]] = {}
    for olt, places, codes in conn.execute(query):
        keys, values = places.split(","), codes.split(_CODE_SEPARATOR)
        if len(keys) == len(values):
            found[olt] = dict(zip(keys, values, strict=True))
        else:
            found[olt] = {place: code for _, place, code in conn.execute(_best_contracts([olt]))}
    return found


def _best_contracts(names: list[str]) -> Select[tuple[str, str, str]]:
    """(OLT, place, code): the active contract of each ONU place on these OLTs, else its
    newest."""
    place = (
        cast(onus.c.frame, String) + "/" + cast(onus.c.slot, String) + "/"
        + cast(onus.c.port, String) + "/" + cast(onus.c.onu_index, String)
    )  # fmt: skip
    rank = (
        func.row_number()
        .over(
            partition_by=(olts.c.id, onus.c.frame, onus.c.slot, onus.c.port, onus.c.onu_index),
            order_by=((contracts.c.status == "active").desc(), contracts.c.id.desc()),
        )
        .label("rank")
    )
    ranked = (
        select(olts.c.name.label("olt"), place.label("place"), contracts.c.code, rank)
        .select_from(onus)
        .join(olts, olts.c.id == onus.c.olt_id)
        .join(contracts, contracts.c.onu_id == onus.c.id)
        .where(olts.c.name.in_(names), onus.c.onu_index.is_not(None))
        .subquery()
    )
    return select(ranked.c.olt, ranked.c.place, ranked.c.code).where(ranked.c.rank == 1)


def _pon(port: str) -> tuple[int, int, int, str]:
    """A PON's three numbers, and the start of its ONUs' places as `_owners` writes them."""
    frame, slot, number = _port_numbers(port)
    return frame, slot, number, f"{frame}/{slot}/{number}/"


OnuKey = tuple[int, int, int, int]  # frame, slot, port, ONU id


@dataclass(frozen=True)
class OltReadings:
    """One OLT's readings (records from the OLT parsers plus `signal`) as read at one time."""

    olt: str
    readings: Sequence[dict[str, Any]]
    run_id: str | None
    read_at: datetime
    # The run's step that read them: its journal results go when these readings do.
    step_index: int | None = None


def _write_batches(conn: Connection, batches: Sequence[OltReadings]) -> None:
    """Several OLTs' readings in the caller's transaction. A run that stores the same OLT
    twice in one transaction has its two writes done in turn, so the second replaces the
    first as it would in two transactions."""
    part: list[OltReadings] = []
    seen: set[tuple[str | None, str]] = set()
    for batch in batches:
        key = (batch.run_id, batch.olt)
        if batch.run_id is not None and key in seen:
            _write_part(conn, part)
            part, seen = [], set()
        part.append(batch)
        seen.add(key)
    _write_part(conn, part)


def _write_part(conn: Connection, batches: Sequence[OltReadings]) -> None:
    """OLTs that no run stores twice here: the contracts of all of them in one query, what
    their runs stored before in one (`reading_batches`, which gets a row per OLT), then
    their rows in one COPY (PostgreSQL; the row tuples are made as COPY sends them, so this
    thread encodes while the server inserts) or a few multi-row INSERTs (SQLite); last, the
    summary of readings stamped in an hour already rolled up goes into its roll-ups."""
    if not batches:
        return
    owners = _owners(conn, [batch.olt for batch in batches])
    late = late_grains(conn, {batch.read_at for batch in batches})
    of_runs = [(batch.run_id, batch) for batch in batches if batch.run_id is not None]
    _drop_earlier(conn, of_runs)
    reading_batches.record(
        conn, [(run, b.olt, b.read_at, len(b.readings), b.step_index) for run, b in of_runs]
    )
    if conn.dialect.name == "postgresql":
        copy_rows(
            conn,
            optical_readings.name,
            READING_COLUMNS,
            _rows(batches, owners, "postgresql"),
            READING_TYPES,
        )
    else:
        insert_rows(
            conn, optical_readings.name, READING_COLUMNS, list(_rows(batches, owners, "sqlite"))
        )
    if late:
        _merge_late(conn, batches, owners, late)


def _rows(
    batches: Sequence[OltReadings], owners: dict[str, dict[str, str]], dialect: str
) -> Iterator[tuple[Any, ...]]:
    pon_of = functools.lru_cache(maxsize=None)(_pon)  # a few PONs, many ONUs each
    width = DOWN_CAUSE_WIDTH
    for batch in batches:
        run_id, olt = batch.run_id, batch.olt
        read_at = timestamp_param(batch.read_at, dialect)
        contract_of = owners.get(olt, {}).get
        for reading in batch.readings:
            get = reading.get
            frame, slot, port, place = pon_of(reading["port"])
            onu = int(reading["onu_id"])
            rx, tx, olt_rx, temp = (
                get("rx_dbm"),
                get("tx_dbm"),
                get("olt_rx_dbm"),
                get("temperature_c"),
            )
            cause = get("down_cause")
            yield (
                run_id,
                olt,
                frame,
                slot,
                port,
                onu,
                get("serial"),
                None if rx is None else float(rx),
                None if tx is None else float(tx),
                None if olt_rx is None else float(olt_rx),
                None if temp is None else float(temp),
                "offline" if rx is None else "online",
                get("signal") or "unknown",
                read_at,
                contract_of(place + str(onu)),
                str(cause)[:width] if cause else None,
                get("down_class"),
            )


def _merge_late(
    conn: Connection,
    batches: Sequence[OltReadings],
    owners: dict[str, dict[str, str]],
    late: dict[datetime, list[Granularity]],
) -> None:
    """The batches stamped behind a roll-up mark, summed from the rows just written, into
    the roll-ups they belong to (`late_readings`)."""
    for batch in batches:
        grains = late.get(batch.read_at)
        if not grains:
            continue
        summed = LateSummary()
        for row in _rows([batch], owners, conn.dialect.name):
            summed.add(row[_PLACE], row[_SERIAL], row[_CONTRACT], row[_RX])
        for granularity in grains:
            merge(conn, granularity, batch.read_at, summed)


def _drop_earlier(conn: Connection, batches: Sequence[tuple[str, OltReadings]]) -> None:
    """A reading is kept once per run, OLT and ONU: a resumed run that reads an OLT again
    (its first write was cut short, or never acknowledged) replaces what it stored, never
    adds a second copy. One look-up in `reading_batches` for all the OLTs written together
    finds nothing on a first write; readings are read only for an OLT it found, at the times
    that OLT was stored."""
    if not batches:
        return
    wanted = {(run_id, batch.olt): batch for run_id, batch in batches}
    before = reading_batches.stored(conn, wanted)
    if not before:
        return
    t = optical_readings.c
    doomed = []
    bounded = reading_batches.bounded(conn)
    for (run_id, olt), times in before.items():
        positions = _positions(wanted[(run_id, olt)])
        window = [t.read_at >= min(times), t.read_at <= max(times)] if bounded else []
        earlier = conn.execute(
            select(t.id, t.frame, t.slot, t.port, t.onu_index, t.read_at).where(
                t.run_id == run_id, t.olt == olt, *window
            )
        )
        doomed += [row for row in earlier if tuple(row[1:5]) in positions]
    if not doomed:
        return
    # The bound on read_at lets PostgreSQL look in the partitions of those days only.
    since = min(row.read_at for row in doomed)
    ids = [row.id for row in doomed]
    for start in range(0, len(ids), 500):
        conn.execute(
            delete(optical_readings).where(t.id.in_(ids[start : start + 500]), t.read_at >= since)
        )


def _positions(batch: OltReadings) -> set[OnuKey]:
    return {(*_port_numbers(reading["port"]), int(reading["onu_id"])) for reading in batch.readings}


def save_readings(
    db: Database,
    olt: str,
    readings: Sequence[dict[str, Any]],
    run_id: str | None = None,
    *,
    read_at: datetime | None = None,
) -> int:
    """Store one OLT's readings (read now, unless `read_at` says when) in one transaction;
    returns the count."""
    if not readings:
        return 0
    batch = OltReadings(olt, readings, run_id, read_at or datetime.now(UTC))
    ensure_for_write(db, [batch.read_at])
    with db.writing() as conn:
        _write_batches(conn, [batch])
    return len(readings)


class ReadingsWriter:
    """Readings of many OLTs, written by one thread; `wait` tells whether an OLT's were."""

    def __init__(
        self,
        db: Database,
        *,
        flush_interval: float = 0.05,
        max_olts: int = 20,
        prune: bool = True,
    ) -> None:
        """`prune` False: closing only writes (a distributed run's worker, whose coordinator
        prunes once for all of them: `prune_after_run`)."""
        self._db = db
        self._prune = prune
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
        step_index: int | None = None,
    ) -> int:
        """Queue one OLT's readings (read now, unless `read_at` says when) as step
        `step_index` of the run read them; returns a ticket for `wait` (0: nothing to
        write)."""
        if not readings:
            return 0
        when = read_at or datetime.now(UTC)
        return self._writer.submit(OltReadings(olt, readings, run_id, when, step_index))

    def wait(self, ticket: int) -> None:
        """Block until that OLT's readings are committed; StoreError if they could not be."""
        if ticket:
            self._writer.wait(ticket)

    def close(self) -> None:
        """Write what is queued; then, if readings were written, prune the history
        (`history.prune_after_audit`). A prune that fails is logged, never raised: the
        readings are stored, and the next prune finishes the work."""
        self._writer.close()
        if not self.wrote or not self._prune:
            return
        self.wrote = False
        self.pruned, self.prune_error = _prune_quietly(lambda: prune_after_readings(self._db))

    def _write(self, batches: Sequence[OltReadings]) -> None:
        ensure_for_write(self._db, [batch.read_at for batch in batches])
        with self._db.writing() as conn:
            _write_batches(conn, batches)
        self.wrote = True


def prune_after_run(db: Database, run_id: str) -> tuple[PruneResult | None, Exception | None]:
    """The prune of a run whose readings its workers stored without pruning (each shard would
    prune in turn, one after the other): once, if any were stored. Returns what it did, or
    why it failed (logged, never raised, as at a writer's close)."""

    def if_stored() -> PruneResult | None:
        with db.engine.connect() as conn:
            if not reading_batches.windows(conn, [run_id]):
                return None
        return prune_after_readings(db)

    return _prune_quietly(if_stored)


def _prune_quietly(
    prune: Callable[[], PruneResult | None],
) -> tuple[PruneResult | None, Exception | None]:
    # The readings are stored whatever happens here: a failed prune is the next one's work.
    try:
        return prune(), None
    except Exception as exc:
        log.warning(
            "the readings are stored, but pruning the signal history failed: %s "
            "(the next audit, or `ispflow readings prune`, tries again)",
            exc,
        )
        return None, exc
