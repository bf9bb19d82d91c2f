"""One ONU, one contract: which contracts hold an ONU (by serial or MAC), and the refusal
to give it to another.

A contract holds an ONU when its ONU row carries that serial (installed, or waiting to be
installed for a pending contract) or when the stock reserved or installed that ONU for it.
Cancelled contracts hold nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, or_, select

from ispflow.store.contracts import ContractError
from ispflow.store.db import Database
from ispflow.store.schema import contracts, olts, onus, stock_items

LIVE = ("active", "suspended", "pending")
WAITING = "waiting to be installed for"


class OnuTaken(ContractError):
    """The ONU belongs to another contract; the message names it and how."""


def holders(conn: Connection, serial: str | None, mac: str | None) -> list[dict[str, Any]]:
    """Every live contract that holds the ONU, with how: installed / waiting / reserved."""
    if not serial and not mac:
        return []
    on_onu = onus.c.serial == serial if serial else onus.c.mac == mac
    rows = conn.execute(
        select(
            contracts.c.code,
            contracts.c.status,
            onus.c.state,
            onus.c.onu_index,
            onus.c.frame,
            onus.c.slot,
            onus.c.port,
            olts.c.name.label("olt"),
        )
        .select_from(onus)
        .join(contracts, contracts.c.onu_id == onus.c.id)
        .join(olts, olts.c.id == onus.c.olt_id)
        .where(on_onu, contracts.c.status.in_(LIVE), onus.c.state != "removed")
    ).all()
    found = [
        {
            "contract": row.code,
            "how": "installed on" if row.onu_index is not None else WAITING,
            "where": f"{row.olt} {row.frame}/{row.slot}/{row.port}"
            + (f" id {row.onu_index}" if row.onu_index is not None else ""),
        }
        for row in rows
    ]
    in_stock = stock_items.c.serial == serial if serial else stock_items.c.mac == mac
    reserved = conn.execute(
        select(contracts.c.code, stock_items.c.state)
        .join(contracts, contracts.c.id == stock_items.c.contract_id)
        .where(
            in_stock,
            contracts.c.status.in_(LIVE),
            or_(stock_items.c.state == "reserved", stock_items.c.state == "installed"),
        )
    ).all()
    known = {entry["contract"] for entry in found}
    found += [
        {"contract": row.code, "how": f"{row.state} in the stock for", "where": "stock"}
        for row in reserved
        if row.code not in known
    ]
    return found


def check_onu_free(
    db: Database, *, serial: str | None, mac: str | None = None, contract: str | None = None
) -> None:
    """Refuse to give `contract` an ONU that another contract holds (OnuTaken names it and
    how). Without a contract (an ONU authorized by hand), refuse an ONU installed on a
    contract or kept for one in the stock: by hand it would be taken from that customer, or
    relabelled on the OLT with another name. An ONU only waiting for a contract may go in by
    hand: it is that contract's own ONU, which nobody else holds."""
    with db.engine.connect() as conn:
        others = [h for h in holders(conn, serial, mac) if h["contract"] != contract]
    if not contract:
        others = [h for h in others if h["how"] != WAITING]
    if not others:
        return
    said = "; ".join(f"{h['how']} contract {h['contract']} ({h['where']})" for h in others)
    if contract:
        raise OnuTaken(
            f"ONU {serial or mac} is {said}, not free for {contract}: pick another ONU, or "
            "release it from that contract first"
        )
    raise OnuTaken(
        f"ONU {serial or mac} is {said}, not free to authorize by hand: name the contract "
        f"(contract={others[0]['contract']}), or release the ONU from it first"
    )


def shared_onus(conn: Connection) -> list[dict[str, Any]]:
    """ONUs that two or more live contracts point at (for reconciliation)."""
    rows = conn.execute(
        select(onus.c.serial, onus.c.mac, contracts.c.code)
        .join(contracts, and_(contracts.c.onu_id == onus.c.id, contracts.c.status.in_(LIVE)))
        .order_by(onus.c.id, contracts.c.code)
    ).all()
    by_onu: dict[str, list[str]] = {}
    for row in rows:
        by_onu.setdefault(row.serial or row.mac, []).append(row.code)
    return [{"onu": onu, "contracts": codes} for onu, codes in by_onu.items() if len(codes) > 1]
