"""The readings of one audit, with each ONU's CTO and its earlier readings, for analysis.

Both reads hand a fleet's readings over (a run's, and six runs' of history: 300,000 rows for
51,200 ONUs), so the rows come through the driver as plain tuples: SQLAlchemy's processing of
each row and column cost most of the step. A reading's `read_at` goes through the column's own
type (`UTCDateTime`) once per distinct value (an OLT's readings share it); a port string is
made once per PON and an ONU's key once per place.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, select

from ispflow.store import reading_batches
from ispflow.store.bulk_sql import timestamp_param
from ispflow.store.db import Database
from ispflow.store.schema import optical_readings
from ispflow.store.schema import runs as runs_table

# What analysis reads of a reading. The queries below name their parameters ({run}, {low},
# {high}), for `_fetch` to put in the driver's placeholders.
_COLUMNS = (
    "r.olt, r.frame, r.slot, r.port, r.onu_index, r.serial, r.rx_dbm, r.signal_class, "
    "r.contract, r.read_at, r.down_cause, r.down_class"
)

_RUN_SQL = (
    "SELECT " + _COLUMNS + ", t.code, c.status FROM optical_readings r "
    "LEFT JOIN contracts c ON c.code = r.contract "
    "LEFT JOIN cto_ports p ON p.id = c.cto_port_id "
    "LEFT JOIN ctos t ON t.id = p.cto_id "
    "WHERE r.run_id = {run}{window} "
    "ORDER BY r.olt, r.frame, r.slot, r.port, r.onu_index"
)

# One run at a time, newest first, in no order within it: a place's readings are put in order
# after, when they are not already. Ordering every reading of six runs by read_at was a sort
# of 300,000 rows on PostgreSQL, spilled to disk (44 MB) under the default work_mem.
_EARLIER_SQL = "SELECT " + _COLUMNS + " FROM optical_readings r WHERE r.run_id = {run}{window}"
# Where run look-ups are bounded (PostgreSQL): the times the run's batches were read, which
# keep the query to those days' partitions and those times' blocks.
_WINDOW = " AND r.read_at >= {low} AND r.read_at <= {high}"


def position_key(reading: Mapping[str, Any]) -> str:
    """An ONU by where it is: bulk reads do not always carry the serial."""
    return f"{reading['olt']}:{reading['port']}:{reading['onu_id']}"


class _ReadTimes(dict[Any, datetime]):
    """`read_at` as the driver gives it, to what the column's type makes of it (aware, UTC):
    worked out once per value, since an OLT's readings share theirs."""

    def __init__(self, conn: Connection) -> None:
        super().__init__()
        column = optical_readings.c.read_at.type.dialect_impl(conn.dialect)
        self._convert = column.result_processor(conn.dialect, None) or (lambda value: value)

    def __missing__(self, raw: Any) -> datetime:
        when = self[raw] = self._convert(raw)
        return when


class _Ports(dict[tuple[int, int, int], str]):
    """A PON's port string, made once for all its ONUs' readings."""

    def __missing__(self, where: tuple[int, int, int]) -> str:
        port = self[where] = "/".join(map(str, where))
        return port


def _fetch(conn: Connection, sql: str, run_id: str) -> list[tuple[Any, ...]]:
    """The run's rows as the driver gives them (`read_at` unconverted); none when the run
    stored no readings."""
    params: dict[str, Any] = {"run": run_id}
    window = ""
    if reading_batches.bounded(conn):
        span = reading_batches.windows(conn, [run_id]).get(run_id)
        if span is None:
            return []
        low, high = (timestamp_param(at, conn.dialect.name) for at in span)
        params |= {"low": low, "high": high}
        window = _WINDOW
    driver = conn.connection.driver_connection
    assert driver is not None
    # The driver's own placeholders: psycopg's %(name)s, sqlite3's :name.
    marks = {
        name: f"%({name})s" if conn.dialect.name == "postgresql" else f":{name}" for name in params
    }
    sql = sql.format(window=window.format(**marks), **marks)
    cursor = driver.cursor()
    try:
        if conn.dialect.name == "postgresql":
            # Binary: numbers and times without parsing their text, on either side.
            cursor.execute(sql, params, binary=True)
        else:
            cursor.execute(sql, params)
        return cursor.fetchall()
    finally:
        cursor.close()


def run_readings(db: Database, run_id: str) -> list[dict[str, Any]]:
    """The run's readings, each with the CTO and the status of its contract (None without
    one)."""
    with db.engine.connect() as conn:
        times, ports = _ReadTimes(conn), _Ports()
        return [
            {
                "olt": olt,
                "port": ports[(frame, slot, port)],
                "onu_id": onu,
                "serial": serial,
                "rx_dbm": rx,
                "signal": signal,
                "contract": contract,
                "read_at": times[at],
                "down_cause": cause,
                "down_class": down,
                "cto": cto,
                "contract_status": status,
            }
            for (
                olt,
                frame,
                slot,
                port,
                onu,
                serial,
                rx,
                signal,
                contract,
                at,
                cause,
                down,
                cto,
                status,
            ) in _fetch(conn, _RUN_SQL, run_id)
        ]


def earlier_readings(db: Database, run_id: str, *, runs: int) -> dict[str, list[dict[str, Any]]]:
    """Each ONU's readings in the `runs` audits of the same runbook before this one, newest
    first, keyed by `position_key`. Bounded by audits rather than days, so the work is the
    same whether audits run nightly or every half hour. Read from raw readings: an audit older
    than the raw window (`history.raw_days`) has none left, and the history is shorter."""
    with db.engine.connect() as conn:
        current = conn.execute(
            select(runs_table.c.runbook, runs_table.c.started_at).where(runs_table.c.id == run_id)
        ).first()
        if current is None:
            return {}
        earlier = conn.execute(
            select(runs_table.c.id, runs_table.c.started_at)
            .where(
                runs_table.c.runbook == current.runbook,
                runs_table.c.started_at < current.started_at,
                runs_table.c.dry_run.is_(False),
            )
            .order_by(runs_table.c.started_at.desc())
            .limit(runs)
        ).all()
        if not earlier:
            return {}
        times, ports = _ReadTimes(conn), _Ports()
        by_place: dict[tuple[str, int, int, int, int], list[dict[str, Any]]] = {}
        # ONUs whose readings, taken run by run, are not newest first: read twice by one run,
        # or by runs whose reads overlapped in time.
        unsorted: list[list[dict[str, Any]]] = []
        for run in earlier:
            rows = _fetch(conn, _EARLIER_SQL, run.id)
            for olt, frame, slot, port, onu, serial, rx, signal, contract, at, cause, down in rows:
                read_at = times[at]
                place = (olt, frame, slot, port, onu)
                readings = by_place.get(place)
                if readings is None:
                    readings = by_place[place] = []
                    pon = ports[(frame, slot, port)]
                else:
                    last = readings[-1]
                    pon = last["port"]
                    if last["read_at"] < read_at:
                        unsorted.append(readings)
                readings.append(
                    {
                        "olt": olt,
                        "port": pon,
                        "onu_id": onu,
                        "serial": serial,
                        "rx_dbm": rx,
                        "signal": signal,
                        "contract": contract,
                        "read_at": read_at,
                        "down_cause": cause,
                        "down_class": down,
                    }
                )
    for readings in unsorted:
        readings.sort(key=itemgetter("read_at"), reverse=True)
    return {position_key(readings[0]): readings for readings in by_place.values()}
