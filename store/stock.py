"""The ONU stock ("estoque"): devices the ISP received, from the shelf to a customer and back.

An item is known by its GPON serial, its MAC, or both. Its life:

    in_stock -> reserved -> installed -> returned -> in_stock
                reserved -> in_stock (released)
    any state -> defective

A reservation ties the item to a contract and, when the contract has an open installation
order, to that order. State changes are conditional UPDATEs ("... WHERE state = 'in_stock'"),
so of two people reserving the same ONU at once, on SQLite or PostgreSQL, exactly one wins.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Connection, Select, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from ispflow.core.quoting import quoted
from ispflow.store.db import Database
from ispflow.store.schema import (
    STOCK_STATES,
    STOCK_TECHNOLOGIES,
    contracts,
    service_orders,
    stock_items,
)

INSTALLATION_QUEUE = "installation"
OPEN_ORDER_STATUSES = ("open", "waiting")
# Which state each state may move to ("defective" is reachable from every other state).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "in_stock": ("reserved", "defective"),
    "reserved": ("installed", "in_stock", "defective"),
    "installed": ("returned", "defective"),
    "returned": ("in_stock", "defective"),
    "defective": (),
}

_SERIAL = re.compile(r"[A-Z]{4}[0-9A-F]{8}")
_HEX_SERIAL = re.compile(r"[0-9A-F]{16}")
_SEPARATORS = re.compile(r"[\s:.-]")
_DAY_BR = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_DAY_ISO = re.compile(r"\d{4}-\d{2}-\d{2}")


class StockError(ValueError):
    """A stock operation that cannot be done; the message names the item and what is in the way."""


# -- normalisation --------------------------------------------------------------------------
def normalize_serial(value: str) -> str:
    """`HWTC1A2B3C4D` from `hwtc-1a2b3c4d`, `HWTC 1A2B3C4D` or the all-hex `485754431A2B3C4D`
    (OLTs show both forms; the first 8 hex digits are the vendor id's 4 letters)."""
    text = _SEPARATORS.sub("", (value or "").strip()).upper()
    if _HEX_SERIAL.fullmatch(text):
        vendor = bytes.fromhex(text[:8]).decode("ascii", errors="replace")
        if vendor.isascii() and vendor.isalpha() and vendor.isupper():
            text = vendor + text[8:]
    if not _SERIAL.fullmatch(text):
        raise StockError(
            f"{value!r} is not a GPON serial (4 letters and 8 hex digits, like HWTC1A2B3C4D)"
        )
    return text


def normalize_mac(value: str) -> str:
    """`aa:bb:cc:dd:ee:ff` from `AA-BB-CC-DD-EE-FF`, `aabb.ccdd.eeff` or `aabbccddeeff`."""
    text = _SEPARATORS.sub("", (value or "").strip()).lower()
    if not re.fullmatch(r"[0-9a-f]{12}", text):
        raise StockError(f"{value!r} is not a MAC address (like aa:bb:cc:dd:ee:ff)")
    return ":".join(text[i : i + 2] for i in range(0, 12, 2))


def normalize_technology(value: str | None) -> str:
    text = (value or "GPON").strip().upper() or "GPON"
    if text not in STOCK_TECHNOLOGIES:
        raise StockError(f"{value!r} is not one of {', '.join(STOCK_TECHNOLOGIES)}")
    return text


def normalize_model(value: str | None) -> str:
    # Upper-case so that "hg8245h" typed by one person and "HG8245H" by another are one model.
    text = " ".join((value or "").split()).upper()
    if not text:
        raise StockError("no model; every ONU needs one (HG8245H, F660, ...)")
    if len(text) > 64:
        raise StockError("model is longer than 64 characters")
    return text


def normalize_vendor(value: str | None) -> str | None:
    text = " ".join((value or "").split()).lower()
    if len(text) > 32:
        raise StockError("vendor is longer than 32 characters")
    return text or None


def parse_day(value: str | date) -> date:
    """A date written YYYY-MM-DD or DD/MM/YYYY (as Brazilian spreadsheets write it)."""
    if isinstance(value, date):
        return value
    text = (value or "").strip()
    found = _DAY_BR.fullmatch(text) or _DAY_ISO.fullmatch(text)
    try:
        if found is not None and found.re is _DAY_BR:
            day, month, year = (int(part) for part in found.groups())
            return date(year, month, day)
        if found is not None:
            return date.fromisoformat(text)
    except ValueError:
        pass  # 31/02/2026: the right shape, not a day
    raise StockError(f"{value!r} is not a date (YYYY-MM-DD or DD/MM/YYYY)")


def _states(value: str | None) -> str | None:
    if value is not None and value not in STOCK_STATES:
        raise StockError(f"{value!r} is not a stock state ({', '.join(STOCK_STATES)})")
    return value


# -- reading --------------------------------------------------------------------------------
def _select() -> Select[Any]:
    return (
        select(
            stock_items,
            contracts.c.code.label("contract"),
            service_orders.c.protocol.label("service_order"),
        )
        .outerjoin(contracts, contracts.c.id == stock_items.c.contract_id)
        .outerjoin(service_orders, service_orders.c.id == stock_items.c.service_order_id)
    )


def _item(row: Any) -> dict[str, Any]:
    return {
        "id": row["id"],
        "serial": row["serial"],
        "mac": row["mac"],
        "model": row["model"],
        "vendor": row["vendor"],
        "technology": row["technology"],
        "received_on": row["received_on"],
        "state": row["state"],
        "contract": row["contract"],
        "service_order": row["service_order"],
        "note": row["note"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }


def _name(item: dict[str, Any]) -> str:
    return f"ONU {item['serial'] or item['mac']}"


def _match(ref: str) -> Any:
    """Where-clause for a serial or a MAC; 12 hex digits may be either, so both are tried."""
    conditions = []
    for normalize, column in (
        (normalize_serial, stock_items.c.serial),
        (normalize_mac, stock_items.c.mac),
    ):
        try:
            conditions.append(column == normalize(ref))
        except StockError:
            continue
    if not conditions:
        raise StockError(f"{quoted(ref)} is neither a GPON serial (HWTC1A2B3C4D) nor a MAC address")
    return or_(*conditions)


def _find(conn: Connection, ref: str) -> dict[str, Any]:
    rows = conn.execute(_select().where(_match(ref))).mappings().all()
    if not rows:
        raise StockError(f"no ONU {ref!r} in the stock")
    if len(rows) > 1:
        raise StockError(
            f"{quoted(ref)} is the serial of one ONU and the MAC of another; be explicit"
        )
    return _item(rows[0])


def get_item(db: Database, serial_or_mac: str) -> dict[str, Any]:
    """The stock item with this GPON serial or MAC (any usual spelling of either)."""
    with db.engine.connect() as conn:
        return _find(conn, serial_or_mac)


def list_items(
    db: Database,
    *,
    state: str | None = None,
    model: str | None = None,
    vendor: str | None = None,
    contract: str | None = None,
    received_since: date | str | None = None,
    received_until: date | str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Stock items, oldest received first (the shelf is used first in, first out)."""
    query = _select().order_by(stock_items.c.received_on, stock_items.c.id)
    if _states(state):
        query = query.where(stock_items.c.state == state)
    if model:
        query = query.where(stock_items.c.model == normalize_model(model))
    if vendor:
        query = query.where(stock_items.c.vendor == normalize_vendor(vendor))
    if contract:
        query = query.where(contracts.c.code == contract.strip())
    if received_since:
        query = query.where(stock_items.c.received_on >= parse_day(received_since))
    if received_until:
        query = query.where(stock_items.c.received_on <= parse_day(received_until))
    if limit:
        query = query.limit(limit)
    with db.engine.connect() as conn:
        return [_item(row) for row in conn.execute(query).mappings()]


# -- adding ---------------------------------------------------------------------------------
def clean_item(
    *,
    serial: str | None = None,
    mac: str | None = None,
    model: str | None = None,
    vendor: str | None = None,
    technology: str | None = None,
    received_on: date | str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """The row to insert for these values, normalised; StockError on the first bad one."""
    serial = serial.strip() if serial else None
    mac = mac.strip() if mac else None
    if not serial and not mac:
        raise StockError("give the ONU's serial, its MAC, or both")
    return {
        "serial": normalize_serial(serial) if serial else None,
        "mac": normalize_mac(mac) if mac else None,
        "model": normalize_model(model),
        "vendor": normalize_vendor(vendor),
        "technology": normalize_technology(technology),
        "received_on": parse_day(received_on) if received_on else date.today(),
        "note": (note or "").strip() or None,
    }


def already_in_stock(conn: Connection, row: dict[str, Any]) -> tuple[str, str] | None:
    """(column, why) if `row` cannot be added because its serial or MAC is taken, else None."""
    for column in ("serial", "mac"):
        if row.get(column) is None:
            continue
        found = conn.execute(
            select(stock_items.c.state, stock_items.c.received_on).where(
                stock_items.c[column] == row[column]
            )
        ).first()
        if found is not None:
            return column, (
                f"{column} {row[column]} is already in the stock "
                f"({found.state}, received {found.received_on.isoformat()})"
            )
    return None


def add_item(
    db: Database,
    *,
    serial: str | None = None,
    mac: str | None = None,
    model: str,
    vendor: str | None = None,
    technology: str | None = None,
    received_on: date | str | None = None,
    note: str | None = None,
) -> dict[str, Any]:
    """Put a received ONU in the stock (state in_stock); a serial or MAC already there is an error."""
    row = clean_item(
        serial=serial,
        mac=mac,
        model=model,
        vendor=vendor,
        technology=technology,
        received_on=received_on,
        note=note,
    )
    try:
        with db.writing() as conn:
            taken = already_in_stock(conn, row)
            if taken:
                raise StockError(taken[1])
            conn.execute(insert(stock_items).values(**row))
    except IntegrityError:
        # Someone else added the same serial or MAC between the check and the insert.
        with db.engine.connect() as conn:
            taken = already_in_stock(conn, row)
        raise StockError(taken[1] if taken else "the ONU is already in the stock") from None
    return get_item(db, row["serial"] or row["mac"])


# -- state changes --------------------------------------------------------------------------
def _refuse(item: dict[str, Any], target: str) -> StockError:
    allowed = TRANSITIONS[item["state"]]
    held = f" for contract {item['contract']}" if item["contract"] else ""
    if item["state"] == target:
        return StockError(f"{_name(item)} is already {target}{held}")
    hint = f" (from {item['state']} it can go to {', '.join(allowed)})" if allowed else ""
    return StockError(
        f"{_name(item)} is {item['state']}{held}: it cannot go from {item['state']} to "
        f"{target}{hint}"
    )


def _move(conn: Connection, item: dict[str, Any], target: str, values: dict[str, Any]) -> None:
    """Move `item` to `target` if nobody moved it since it was read; else a StockError
    naming the state it is in now."""
    if target not in TRANSITIONS[item["state"]]:
        raise _refuse(item, target)
    moved = conn.execute(
        update(stock_items)
        .where(stock_items.c.id == item["id"], stock_items.c.state == item["state"])
        .values(state=target, updated_at=datetime.now(UTC), **values)
    ).rowcount
    if moved != 1:
        # Another transaction got there first: report what it left.
        raise _refuse(_find(conn, item["serial"] or item["mac"]), target)


def _change(db: Database, ref: str, target: str, values: dict[str, Any]) -> dict[str, Any]:
    with db.writing() as conn:
        item = _find(conn, ref)
        _move(conn, item, target, values)
    return get_item(db, item["serial"] or item["mac"])


def _note(note: str | None) -> dict[str, Any]:
    return {"note": note.strip()} if note and note.strip() else {}


def _contract_id(conn: Connection, code: str) -> int:
    found = conn.execute(select(contracts.c.id).where(contracts.c.code == code.strip())).scalar()
    if found is None:
        raise StockError(f"contract {quoted(code)} is not in the store")
    return int(found)


def _order_id(conn: Connection, contract_id: int, code: str, protocol: str | None) -> int | None:
    """The service order the reservation is for: the one given, else the contract's open
    installation order (the oldest, if there are several), else none."""
    if protocol is None:
        return conn.execute(
            select(service_orders.c.id)
            .where(
                service_orders.c.contract_id == contract_id,
                service_orders.c.queue == INSTALLATION_QUEUE,
                service_orders.c.status.in_(OPEN_ORDER_STATUSES),
            )
            .order_by(service_orders.c.opened_at, service_orders.c.id)
            .limit(1)
        ).scalar()
    order = conn.execute(
        select(service_orders.c.id, service_orders.c.contract_id, service_orders.c.status).where(
            service_orders.c.protocol == protocol.strip()
        )
    ).first()
    if order is None:
        raise StockError(f"no service order {protocol!r} in the store")
    if order.contract_id is not None and order.contract_id != contract_id:
        raise StockError(f"service order {protocol} is for another contract than {code}")
    if order.status == "closed":
        raise StockError(f"service order {protocol} is closed")
    return int(order.id)


def reserve(
    db: Database, serial_or_mac: str, contract: str, service_order: str | None = None
) -> dict[str, Any]:
    """Set an ONU in stock aside for a contract (and its installation order, given by
    protocol or found: the contract's open order in the installation queue)."""
    with db.writing() as conn:
        item = _find(conn, serial_or_mac)
        contract_id = _contract_id(conn, contract)
        order_id = _order_id(conn, contract_id, contract, service_order)
        _move(conn, item, "reserved", {"contract_id": contract_id, "service_order_id": order_id})
    return get_item(db, item["serial"] or item["mac"])


def release(db: Database, serial_or_mac: str, *, note: str | None = None) -> dict[str, Any]:
    """Put a reserved ONU (not installed after all) or a returned one (checked, working) back
    on the shelf, unlinked from its contract and order."""
    return _change(
        db,
        serial_or_mac,
        "in_stock",
        {"contract_id": None, "service_order_id": None} | _note(note),
    )


def mark_installed(db: Database, serial_or_mac: str, *, note: str | None = None) -> dict[str, Any]:
    """A reserved ONU is now at its contract's premises."""
    return _change(db, serial_or_mac, "installed", _note(note))


def mark_returned(db: Database, serial_or_mac: str, *, note: str | None = None) -> dict[str, Any]:
    """An installed ONU came back (cancelled contract, replacement). It keeps its contract,
    so it is known where it came from, until it goes back on the shelf."""
    return _change(db, serial_or_mac, "returned", _note(note))


def mark_defective(db: Database, serial_or_mac: str, *, note: str | None = None) -> dict[str, Any]:
    """The ONU does not work; from any state. Its links stay, to tell where it failed."""
    return _change(db, serial_or_mac, "defective", _note(note))
