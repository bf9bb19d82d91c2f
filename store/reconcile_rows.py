"""What the store says is on the network, in the shapes reconciliation compares."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from ispflow.store.db import Database
from ispflow.store.schema import contracts, cto_ports, ctos, customers, olts, onus

# SQLite's limit on bound parameters per statement, with room to spare.
IN_CHUNK = 900


def _onu_rows() -> Any:
    return (
        select(
            onus.c.id,
            olts.c.name.label("olt"),
            onus.c.frame,
            onus.c.slot,
            onus.c.port,
            onus.c.onu_index,
            onus.c.serial,
            onus.c.mac,
            onus.c.state,
            onus.c.vlan,
            onus.c.description,
            contracts.c.code.label("contract"),
            contracts.c.status.label("contract_status"),
            customers.c.name.label("customer"),
            ctos.c.code.label("cto"),
            cto_ports.c.number.label("cto_port"),
        )
        .join(olts, olts.c.id == onus.c.olt_id)
        .outerjoin(contracts, contracts.c.onu_id == onus.c.id)
        .outerjoin(customers, customers.c.id == contracts.c.customer_id)
        .outerjoin(cto_ports, cto_ports.c.id == contracts.c.cto_port_id)
        .outerjoin(ctos, ctos.c.id == cto_ports.c.cto_id)
    )


def _shaped(row: Any) -> dict[str, Any]:
    return {
        "olt": row.olt,
        "port": f"{row.frame}/{row.slot}/{row.port}",
        "onu_id": row.onu_index,
        "serial": row.serial,
        "mac": row.mac,
        "state": row.state,
        "contract": row.contract,
        "contract_status": row.contract_status,
        "customer": row.customer,
        "vlan": row.vlan,
        "description": row.description,
        "cto": row.cto,
        "cto_port": row.cto_port,
    }


def authorized_onus(db: Database, olt: str) -> list[dict[str, Any]]:
    """The ONUs the store says are authorized on `olt`, with their contract (if any)."""
    query = _onu_rows().where(olts.c.name == olt, onus.c.state == "authorized")
    with db.engine.connect() as conn:
        return [_shaped(r) for r in conn.execute(query)]


def onus_by_serial(db: Database, serials: Iterable[str]) -> dict[str, dict[str, Any]]:
    """The store's record of each of these serials, wherever it is recorded."""
    wanted = sorted({s for s in serials if s})
    found: dict[str, dict[str, Any]] = {}
    with db.engine.connect() as conn:
        for start in range(0, len(wanted), IN_CHUNK):
            chunk = wanted[start : start + IN_CHUNK]
            for row in conn.execute(_onu_rows().where(onus.c.serial.in_(chunk))):
                found[row.serial] = _shaped(row)
    return found


def ppp_logins(db: Database) -> dict[str, dict[str, Any]]:
    """Every contract's PPPoE login: its contract code, status and concentrator."""
    query = select(
        contracts.c.pppoe_login, contracts.c.code, contracts.c.status, contracts.c.concentrator
    ).where(contracts.c.pppoe_login.is_not(None))
    with db.engine.connect() as conn:
        return {
            r.pppoe_login: {"contract": r.code, "status": r.status, "concentrator": r.concentrator}
            for r in conn.execute(query)
        }


def concentrator_contracts(db: Database, concentrator: str) -> list[dict[str, Any]]:
    """The contracts the store puts on one concentrator: login, status and block state."""
    query = select(
        contracts.c.code,
        contracts.c.pppoe_login,
        contracts.c.status,
        contracts.c.blocked,
        contracts.c.ip_address,
    ).where(contracts.c.concentrator == concentrator, contracts.c.pppoe_login.is_not(None))
    with db.engine.connect() as conn:
        return [
            {
                "contract": r.code,
                "login": r.pppoe_login,
                "status": r.status,
                "blocked": bool(r.blocked),
                "ip_address": r.ip_address,
            }
            for r in conn.execute(query.order_by(contracts.c.code))
        ]
