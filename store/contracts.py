"""Contracts and their ONUs: what to install for a contract, and what was installed.

A contract's ONU row holds the serial, PON and VLAN before the ONU is authorized (state
`pending`, no ONU id); authorizing fills in the id and marks it `authorized`, removing it marks
it `removed`. Each change is one transaction.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, select, update

from ispflow.core.quoting import quoted
from ispflow.store.db import Database
from ispflow.store.schema import contracts, cto_ports, ctos, customers, olts, onus, pon_ports

DESCRIPTION_MAX = 64


class ContractError(LookupError):
    pass


def port_numbers(port: str) -> tuple[int, int, int]:
    """The three numbers of a PON written "0/1/3" (Huawei F/S/P) or "1/1/3" (ZTE)."""
    parts = str(port).replace(" ", "").split("/")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise ValueError(f"PON port {quoted(port)} is not in the form 0/1/3")
    a, b, c = (int(p) for p in parts)
    return a, b, c


def onu_description(code: str, customer: str) -> str:
    """An OLT-safe description: the contract code and the customer's name without accents."""
    plain = unicodedata.normalize("NFKD", customer).encode("ascii", "ignore").decode("ascii")
    plain = re.sub(r"[^A-Za-z0-9 ._-]+", " ", plain)
    text = re.sub(r"\s+", "_", f"{code} {plain}".strip())
    return text[:DESCRIPTION_MAX]


def find_contract(db: Database, code: str) -> dict[str, Any]:
    """The contract with its customer and ONU (pending or authorized); ContractError if unknown."""
    query = (
        select(
            contracts.c.code,
            contracts.c.status,
            contracts.c.plan,
            customers.c.name.label("customer"),
            olts.c.name.label("olt"),
            olts.c.vendor,
            onus.c.frame,
            onus.c.slot,
            onus.c.port,
            onus.c.onu_index,
            onus.c.serial,
            onus.c.mac,
            onus.c.vlan,
            onus.c.description.label("onu_description"),
            onus.c.state.label("onu_state"),
            ctos.c.code.label("cto"),
            cto_ports.c.number.label("cto_port"),
        )
        .join(customers, customers.c.id == contracts.c.customer_id)
        .outerjoin(onus, onus.c.id == contracts.c.onu_id)
        .outerjoin(olts, olts.c.id == onus.c.olt_id)
        .outerjoin(cto_ports, cto_ports.c.id == contracts.c.cto_port_id)
        .outerjoin(ctos, ctos.c.id == cto_ports.c.cto_id)
        .where(contracts.c.code == code)
    )
    with db.engine.connect() as conn:
        row = conn.execute(query).mappings().first()
    if row is None:
        raise ContractError(f"contract {quoted(code)} is not in the store")
    if row["olt"] is None:
        raise ContractError(
            f"contract {code!r} has no ONU in the store (no OLT, PON and serial to install)"
        )
    return {
        "contract": row["code"],
        "status": row["status"],
        "plan": row["plan"],
        "customer": row["customer"],
        "olt": row["olt"],
        "vendor": row["vendor"],
        "port": f"{row['frame']}/{row['slot']}/{row['port']}",
        "onu_id": row["onu_index"],
        "serial": row["serial"],
        "mac": row["mac"],
        "vlan": row["vlan"],
        "onu_state": row["onu_state"],
        "cto": row["cto"],
        "cto_port": row["cto_port"],
        "description": onu_description(row["code"], row["customer"]),
        # What the OLT is to show for its ONU: the description recorded for it (one given
        # by `onu-describe`), else the standard one above.
        "label": row["onu_description"] or onu_description(row["code"], row["customer"]),
    }


def _olt_id(conn: Connection, olt: str, vendor: str | None) -> int:
    found = conn.execute(select(olts.c.id).where(olts.c.name == olt)).scalar()
    if found is not None:
        return int(found)
    return int(
        conn.execute(
            insert(olts).values(name=olt, vendor=vendor or "unknown")
        ).inserted_primary_key[0]
    )


def pon_port_id(conn: Connection, olt_id: int, frame: int, slot: int, port: int) -> int:
    """The PON port's row id, the row added if the store does not have it yet."""
    found = conn.execute(
        select(pon_ports.c.id).where(
            pon_ports.c.olt_id == olt_id,
            pon_ports.c.frame == frame,
            pon_ports.c.slot == slot,
            pon_ports.c.port == port,
        )
    ).scalar()
    if found is not None:
        return int(found)
    return int(
        conn.execute(
            insert(pon_ports).values(olt_id=olt_id, frame=frame, slot=slot, port=port)
        ).inserted_primary_key[0]
    )


def record_onu(
    db: Database,
    *,
    olt: str,
    port: str,
    onu_id: int,
    serial: str | None = None,
    mac: str | None = None,
    vlan: int | None = None,
    line_profile: str | int | None = None,
    service_profile: str | int | None = None,
    description: str | None = None,
    vendor: str | None = None,
    contract: str | None = None,
) -> dict[str, Any]:
    """Record an authorized ONU (found by serial or MAC, else new) and link it to its contract."""
    if not serial and not mac:
        raise ValueError("an ONU is recorded by serial or MAC")
    frame, slot, number = port_numbers(port)
    now = datetime.now(UTC)
    with db.engine.begin() as conn:
        contract_row = None
        if contract:
            contract_row = conn.execute(
                select(contracts.c.id, contracts.c.status).where(contracts.c.code == contract)
            ).first()
            if contract_row is None:
                raise ContractError(f"contract {quoted(contract)} is not in the store")
        if contract:
            _refuse_if_held(conn, serial, mac, contract)
        olt_id = _olt_id(conn, olt, vendor)
        pon_id = pon_port_id(conn, olt_id, frame, slot, number)
        key = onus.c.serial == serial if serial else onus.c.mac == mac
        existing = conn.execute(select(onus.c.id).where(key)).scalar()
        # Whatever the store still holds at this PON position is stale: the OLT just said
        # the position is this ONU's.
        conn.execute(
            update(onus)
            .where(onus.c.pon_port_id == pon_id, onus.c.onu_index == onu_id)
            .where(onus.c.id != (existing or -1))
            .values(onu_index=None, state="removed")
        )
        values = {
            "olt_id": olt_id,
            "pon_port_id": pon_id,
            "frame": frame,
            "slot": slot,
            "port": number,
            "onu_index": onu_id,
            "serial": serial,
            "mac": mac,
            "vlan": vlan,
            "line_profile": None if line_profile is None else str(line_profile),
            "service_profile": None if service_profile is None else str(service_profile),
            "description": description or None,
            "state": "authorized",
            "authorized_at": now,
        }
        if existing is None:
            row_id = int(conn.execute(insert(onus).values(**values)).inserted_primary_key[0])
        else:
            row_id = int(existing)
            conn.execute(update(onus).where(onus.c.id == row_id).values(**values))
        if contract_row is not None:
            status = "active" if contract_row.status == "pending" else contract_row.status
            conn.execute(
                update(contracts)
                .where(contracts.c.id == contract_row.id)
                .values(onu_id=row_id, status=status, updated_at=func.now())
            )
    return {"olt": olt, "port": port, "onu_id": onu_id, "serial": serial, "contract": contract}


def _refuse_if_held(conn: Connection, serial: str | None, mac: str | None, contract: str) -> None:
    # The check before the device change can lose a race with another run; the store itself
    # never links one ONU to two contracts.
    from ispflow.store.onu_owners import OnuTaken, holders

    others = [h for h in holders(conn, serial, mac) if h["contract"] != contract]
    if others:
        raise OnuTaken(
            f"ONU {serial or mac} is {others[0]['how']} contract {others[0]['contract']}: "
            f"not recorded on {contract}"
        )


def forget_onu(
    db: Database, *, olt: str, port: str, onu_id: int | None = None, serial: str | None = None
) -> int:
    """Mark an ONU removed from its OLT (the row and its contract link stay, as history)."""
    frame, slot, number = port_numbers(port)
    where = [olts.c.name == olt, onus.c.frame == frame, onus.c.slot == slot, onus.c.port == number]
    if serial:
        where.append(onus.c.serial == serial)
    elif onu_id is not None:
        where.append(onus.c.onu_index == onu_id)
    else:
        raise ValueError("give onu_id or serial")
    with db.engine.begin() as conn:
        ids = [
            r.id
            for r in conn.execute(
                select(onus.c.id).join(olts, olts.c.id == onus.c.olt_id).where(*where)
            )
        ]
        if not ids:
            return 0
        conn.execute(update(onus).where(onus.c.id.in_(ids)).values(onu_index=None, state="removed"))
    return len(ids)


def record_description(db: Database, *, olt: str, port: str, onu_id: int, description: str) -> int:
    """Keep the description an authorized ONU was given on its OLT; rows changed (0 or 1)."""
    frame, slot, number = port_numbers(port)
    with db.engine.begin() as conn:
        found = conn.execute(
            select(onus.c.id)
            .join(olts, olts.c.id == onus.c.olt_id)
            .where(
                olts.c.name == olt,
                onus.c.frame == frame,
                onus.c.slot == slot,
                onus.c.port == number,
                onus.c.onu_index == onu_id,
                onus.c.state == "authorized",
            )
        ).scalar()
        if found is None:
            return 0
        conn.execute(update(onus).where(onus.c.id == found).values(description=description))
    return 1


def contract_codes_near(db: Database, code: str) -> tuple[bool, list[str]]:
    """Whether the contract exists, and else the codes that look most like it."""
    import difflib

    with db.engine.connect() as conn:
        if conn.execute(select(contracts.c.id).where(contracts.c.code == code)).first():
            return True, []
        codes = [row.code for row in conn.execute(select(contracts.c.code))]
    return False, difflib.get_close_matches(code, codes, n=5)
