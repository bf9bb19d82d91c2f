"""The readings of one audit, with each ONU's CTO and its earlier readings, for analysis."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from ispflow.store import reading_batches
from ispflow.store.db import Database
from ispflow.store.schema import contracts, cto_ports, ctos, optical_readings
from ispflow.store.schema import runs as runs_table

r = optical_readings
CLOCK_SLACK = timedelta(hours=1)


def position_key(reading: Mapping[str, Any]) -> str:
    """An ONU by where it is: bulk reads do not always carry the serial."""
    return f"{reading['olt']}:{reading['port']}:{reading['onu_id']}"


def _shaped(row: Any) -> dict[str, Any]:
    return {
        "olt": row.olt,
        "port": f"{row.frame}/{row.slot}/{row.port}",
        "onu_id": row.onu_index,
        "serial": row.serial,
        "rx_dbm": row.rx_dbm,
        "signal": row.signal_class,
        "contract": row.contract,
        "read_at": row.read_at,
        "down_cause": row.down_cause,
        "down_class": row.down_class,
    }


def run_readings(db: Database, run_id: str) -> list[dict[str, Any]]:
    """The run's readings, each with the CTO of its contract (None without one)."""
    query = (
        select(r, ctos.c.code.label("cto"))
        .outerjoin(contracts, contracts.c.code == r.c.contract)
        .outerjoin(cto_ports, cto_ports.c.id == contracts.c.cto_port_id)
        .outerjoin(ctos, ctos.c.id == cto_ports.c.cto_id)
        .order_by(r.c.olt, r.c.frame, r.c.slot, r.c.port, r.c.onu_index)
    )
    with db.engine.connect() as conn:
        query = query.where(reading_batches.of_runs(conn, [run_id]))
        return [_shaped(row) | {"cto": row.cto} for row in conn.execute(query)]


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
        found: dict[str, list[dict[str, Any]]] = defaultdict(list)
        if not earlier:
            return {}
        query = (
            select(r)
            .where(reading_batches.of_runs(conn, [row.id for row in earlier]))
            .order_by(r.c.read_at.desc())
        )
        for row in conn.execute(query):
            reading = _shaped(row)
            found[position_key(reading)].append(reading)
    return dict(found)
