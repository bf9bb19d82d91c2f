"""CTOs (splitter boxes) and seals ("lacres") on contracts.

Rules the field team relies on: a CTO hangs off one PON port, and a contract can only use a
CTO of the PON its ONU is on; a CTO port holds one contract; a seal code is used once, ever
(a physical seal cannot be put on a second box). Each change is one transaction.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ispflow.core.quoting import quoted
from ispflow.store.contracts import pon_port_id, port_numbers
from ispflow.store.db import Database
from ispflow.store.schema import contracts, cto_ports, ctos, olts, onus, pon_ports, seals

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}$")


class FieldError(ValueError):
    """A CTO or seal change that breaks a rule; the message names what is in the way."""


def _code(kind: str, value: str) -> str:
    text = (value or "").strip()
    if not CODE.match(text):
        raise FieldError(
            f"{kind} code {value!r} is not valid: 1-64 letters, digits, '.', '_', '/' or '-'"
        )
    return text


def _pon_text(row: Any) -> str:
    return f"{row.olt} {row.frame}/{row.slot}/{row.port}"


def add_cto(
    db: Database,
    code: str,
    *,
    olt: str,
    port: str,
    ports_total: int = 16,
    location: str | None = None,
) -> dict[str, Any]:
    """Register a CTO on an OLT's PON port (the OLT must be in the store)."""
    code = _code("CTO", code)
    if not 1 <= int(ports_total) <= 256:
        raise FieldError(f"CTO {code}: {ports_total} ports is out of range (1-256)")
    frame, slot, number = port_numbers(port)
    with db.writing() as conn:
        olt_id = conn.execute(select(olts.c.id).where(olts.c.name == olt)).scalar()
        if olt_id is None:
            raise FieldError(f"OLT {quoted(olt)} is not in the store")
        if conn.execute(select(ctos.c.id).where(ctos.c.code == code)).first():
            raise FieldError(f"CTO {code} already exists")
        pon_id = pon_port_id(conn, olt_id, frame, slot, number)
        conn.execute(
            insert(ctos).values(
                code=code, pon_port_id=pon_id, ports_total=int(ports_total), location=location
            )
        )
    return {"cto": code, "olt": olt, "port": f"{frame}/{slot}/{number}", "ports": ports_total}


def list_ctos(db: Database, *, olt: str | None = None, port: str | None = None) -> list[dict]:
    """CTOs with their PON and how many of their ports hold a contract."""
    used = (
        select(cto_ports.c.cto_id, contracts.c.id.label("contract_id"))
        .join(contracts, contracts.c.cto_port_id == cto_ports.c.id)
        .subquery()
    )
    query = (
        select(
            ctos.c.code,
            ctos.c.ports_total,
            ctos.c.location,
            olts.c.name.label("olt"),
            pon_ports.c.frame,
            pon_ports.c.slot,
            pon_ports.c.port,
            func.count(used.c.contract_id).label("used"),
        )
        .outerjoin(pon_ports, pon_ports.c.id == ctos.c.pon_port_id)
        .outerjoin(olts, olts.c.id == pon_ports.c.olt_id)
        .outerjoin(used, used.c.cto_id == ctos.c.id)
        .group_by(
            ctos.c.code,
            ctos.c.ports_total,
            ctos.c.location,
            olts.c.name,
            pon_ports.c.frame,
            pon_ports.c.slot,
            pon_ports.c.port,
        )
        .order_by(ctos.c.code)
    )
    if olt:
        query = query.where(olts.c.name == olt)
    if port:
        frame, slot, number = port_numbers(port)
        query = query.where(
            pon_ports.c.frame == frame, pon_ports.c.slot == slot, pon_ports.c.port == number
        )
    with db.engine.connect() as conn:
        return [
            {
                "cto": r.code,
                "olt": r.olt,
                "port": None if r.frame is None else f"{r.frame}/{r.slot}/{r.port}",
                "ports": r.ports_total,
                "used": r.used,
                "location": r.location,
            }
            for r in conn.execute(query)
        ]


def _contract(conn: Connection, code: str) -> Any:
    row = conn.execute(
        select(
            contracts.c.id,
            contracts.c.code,
            contracts.c.cto_port_id,
            contracts.c.seal_id,
            onus.c.pon_port_id,
            onus.c.frame,
            onus.c.slot,
            onus.c.port,
            olts.c.name.label("olt"),
        )
        .outerjoin(onus, onus.c.id == contracts.c.onu_id)
        .outerjoin(olts, olts.c.id == onus.c.olt_id)
        .where(contracts.c.code == code)
    ).first()
    if row is None:
        raise FieldError(f"contract {quoted(code)} is not in the store")
    return row


def link_cto(db: Database, contract: str, cto: str, port: int) -> dict[str, Any]:
    """Put a contract's drop on a CTO port (moving it off any port it had)."""
    cto = _code("CTO", cto)
    port = int(port)
    try:
        with db.writing() as conn:
            result = _link(conn, contract, cto, port)
    except IntegrityError:
        # Two links raced for one port; the unique key kept one, say who holds it.
        with db.engine.connect() as conn:
            holder = _holder(conn, cto, port)
        raise FieldError(f"CTO {cto} port {port} is already used by contract {holder}") from None
    return result


def _holder(conn: Connection, cto: str, port: int) -> str | None:
    return conn.execute(
        select(contracts.c.code)
        .join(cto_ports, cto_ports.c.id == contracts.c.cto_port_id)
        .join(ctos, ctos.c.id == cto_ports.c.cto_id)
        .where(ctos.c.code == cto, cto_ports.c.number == port)
    ).scalar()


def _link(conn: Connection, contract: str, cto: str, port: int) -> dict[str, Any]:
    row = _contract(conn, contract)
    box = conn.execute(
        select(
            ctos.c.id,
            ctos.c.ports_total,
            ctos.c.pon_port_id,
            olts.c.name.label("olt"),
            pon_ports.c.frame,
            pon_ports.c.slot,
            pon_ports.c.port,
        )
        .outerjoin(pon_ports, pon_ports.c.id == ctos.c.pon_port_id)
        .outerjoin(olts, olts.c.id == pon_ports.c.olt_id)
        .where(ctos.c.code == cto)
    ).first()
    if box is None:
        raise FieldError(f"CTO {cto} is not in the store (add it with `ispflow cto add`)")
    if not 1 <= port <= box.ports_total:
        raise FieldError(f"CTO {cto} has ports 1-{box.ports_total}; there is no port {port}")
    if row.pon_port_id is None:
        raise FieldError(
            f"contract {contract} has no ONU in the store, so its PON is unknown; "
            "record the ONU before linking a CTO"
        )
    if box.pon_port_id is None:
        raise FieldError(f"CTO {cto} has no PON recorded")
    if box.pon_port_id != row.pon_port_id:
        raise FieldError(
            f"CTO {cto} is on PON {_pon_text(box)}, but contract {contract}'s ONU is on "
            f"PON {_pon_text(row)}"
        )
    holder = _holder(conn, cto, port)
    if holder is not None and holder != contract:
        raise FieldError(f"CTO {cto} port {port} is already used by contract {holder}")
    port_id = conn.execute(
        select(cto_ports.c.id).where(cto_ports.c.cto_id == box.id, cto_ports.c.number == port)
    ).scalar()
    if port_id is None:
        port_id = conn.execute(
            insert(cto_ports).values(cto_id=box.id, number=port)
        ).inserted_primary_key[0]
    changed = row.cto_port_id != port_id
    if changed:
        conn.execute(update(contracts).where(contracts.c.id == row.id).values(cto_port_id=port_id))
    return {"contract": contract, "cto": cto, "cto_port": port, "changed": changed}


def register_seal(
    db: Database, contract: str, code: str, *, by: str | None = None
) -> dict[str, Any]:
    """Record the seal put on a contract's CTO connection; the contract's current seal."""
    code = _code("seal", code)
    try:
        with db.writing() as conn:
            row = _contract(conn, contract)
            existing = conn.execute(
                select(seals.c.id, contracts.c.code.label("contract"))
                .outerjoin(contracts, contracts.c.id == seals.c.contract_id)
                .where(seals.c.code == code)
            ).first()
            if existing is not None:
                if existing.contract == contract and row.seal_id == existing.id:
                    return {"contract": contract, "seal": code, "changed": False}
                owner = f"contract {existing.contract}" if existing.contract else "another contract"
                raise FieldError(f"seal {code} is already registered on {owner}")
            seal_id = conn.execute(
                insert(seals).values(code=code, contract_id=row.id, registered_by=by)
            ).inserted_primary_key[0]
            conn.execute(update(contracts).where(contracts.c.id == row.id).values(seal_id=seal_id))
    except IntegrityError:
        raise FieldError(f"seal {code} is already registered") from None
    return {"contract": contract, "seal": code, "changed": True}


def cto_pon(db: Database, cto: str) -> tuple[str, str] | None:
    """The OLT and PON a CTO hangs on, if the store knows it."""
    query = (
        select(olts.c.name, pon_ports.c.frame, pon_ports.c.slot, pon_ports.c.port)
        .select_from(ctos)
        .join(pon_ports, pon_ports.c.id == ctos.c.pon_port_id)
        .join(olts, olts.c.id == pon_ports.c.olt_id)
        .where(ctos.c.code == cto)
    )
    with db.engine.connect() as conn:
        row = conn.execute(query).first()
    return (row.name, f"{row.frame}/{row.slot}/{row.port}") if row else None


def check_cto_known(db: Database, cto: str) -> None:
    """Refuse a CTO code the store does not have, naming the nearest ones."""
    import difflib

    with db.engine.connect() as conn:
        codes = [row.code for row in conn.execute(select(ctos.c.code))]
    if cto in codes:
        return
    near = difflib.get_close_matches(cto, codes, n=3)
    hint = f"; did you mean {', '.join(near)}?" if near else " (`ispflow cto list` shows them)"
    raise ValueError(f"no CTO {cto!r} in the store{hint}")
