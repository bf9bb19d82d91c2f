"""Finding customers and their contracts, the way support staff look them up.

A customer is found by store id or code, by name, by CPF/CNPJ or by phone; each comes back
with its contracts, and each contract with its ONU, CTO port, seal and the newest optical
reading of that ONU. Whatever the number of customers found, the lookup is a handful of
queries: contracts, seals and readings are fetched for all matched customers at once.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    and_,
    false,
    literal,
    or_,
    select,
    union_all,
)

from ispflow.core.quoting import quoted
from ispflow.store.contracts import ContractError
from ispflow.store.db import Database
from ispflow.store.documents import (
    DocumentError,
    format_document,
    looks_like_document,
    parse_document,
)
from ispflow.store.normalize import digits, search_key
from ispflow.store.schema import (
    contracts,
    cto_ports,
    ctos,
    customers,
    olts,
    onus,
    optical_daily,
    optical_readings,
    seals,
)
from ispflow.store.signal_rollups import position_filter
from ispflow.store.signal_trend import onu_summary

__all__ = ["SEARCH_KEYS", "ContractError", "SearchError", "contract_details", "find_customers"]

SEARCH_KEYS = ("id", "name", "doc", "phone")
# Fewer digits than a landline without its area code would match too many phones.
PHONE_MIN_DIGITS = 8
# Short enough to be a store id; longer numbers are phones or documents.
ID_MAX_DIGITS = 9
# SQLite's limit on bound parameters per statement, with room to spare.
IN_CHUNK = 900
# SQLite joins at most 500 SELECTs with UNION ALL.
POSITIONS_PER_STATEMENT = 400
# How far back `contract show` summarises the ONU's signal: past the raw window, from roll-ups.
TREND_DAYS = 30
_PHONE_TEXT = re.compile(r"[\d\s()+.-]+")


class SearchError(ValueError):
    """A search that cannot be run as given (empty, unknown key, too few phone digits)."""


def find_customers(
    db: Database, query: str, *, by: str | None = None, limit: int = 50
) -> list[dict[str, Any]]:
    """Customers matching `query`, ordered by name, each with its contracts.

    `by` forces the key: "id" (store id or customer code), "name", "doc" (CPF/CNPJ) or
    "phone". Without it the query decides:

    - punctuated like a document (123.456.789-09, 12.345.678/0001-95, 12.ABC.345/01DE-35):
      that CPF/CNPJ, checked strictly (a wrong check digit is a DocumentError, not "nothing
      found"); the same with `by="doc"`, punctuated or not;
    - bare digits: the customer code equal to them, plus
      * up to 9 digits: the store id;
      * 11 or 14 digits that are a valid CPF/CNPJ: that document;
      * 8 digits or more: the phones ending with them (an 11-digit number with valid check
        digits is still tried as a phone: a mobile number passes the check one time in a
        hundred);
    - digits with phone punctuation ("(51) 99123-4567", "+55 51 99123 4567"): the phone;
    - anything else: the customer code, or names holding every word of the query (any
      order, parts of words, accents and case ignored), or a valid alphanumeric CNPJ.

    Phones match on their digits: a query of 8 digits or more finds the phones ending with
    it, so the area code (DDD) and country code can be left out; a leading 0 or 55 country
    code in the query is dropped, so it also finds phones stored without them.

    Each customer: id, code, name, doc, doc_type, doc_formatted, phones, email, address
    (street, number, district, city, state, zip) and contracts (see `contract_details`).
    """
    if limit < 1:
        raise SearchError("the limit must be 1 or more")
    condition = _condition(query, by)
    statement = (
        select(*_CUSTOMER_COLUMNS).where(condition).order_by(*_name_order(db), customers.c.id)
    )
    with db.engine.connect() as conn:
        found = [_customer(row) for row in conn.execute(statement.limit(limit)).mappings()]
        if not found:
            return []
        by_id = {customer["id"]: customer for customer in found}
        rows = []
        for chunk in _chunks(list(by_id)):
            rows += _contract_rows(conn, contracts.c.customer_id.in_(chunk))
        for row, contract in zip(rows, _complete(conn, rows), strict=True):
            by_id[row["customer_id"]]["contracts"].append(contract)
    return found


def contract_details(db: Database, ref: str | int) -> dict[str, Any]:
    """One contract by code (or, if no contract has that code, by store id), with its
    customer; ContractError (a LookupError) if there is none.

    Keys: id, code, plan, status, blocked, block_reason, pppoe_login, concentrator,
    ip_address, onu (olt, port "F/S/P", onu_id, serial, state, or None), cto (code, port, or
    None), seal, signal (rx_dbm, signal_class, state, read_at of the ONU's newest reading, or
    None), customer (as `find_customers` gives it, without contracts) and signal_trend (the
    contract's last TREND_DAYS days on its ONU as `signal_trend.onu_summary` gives them, or
    None).
    """
    text = str(ref).strip()
    if not text:
        raise ContractError("give a contract code or id")
    with db.engine.connect() as conn:
        rows = _contract_rows(conn, contracts.c.code == text)
        if not rows and text.isascii() and text.isdigit() and len(text) <= 18:
            rows = _contract_rows(conn, contracts.c.id == int(text))
        if not rows:
            raise ContractError(f"contract {quoted(text)} is not in the store")
        (contract,) = _complete(conn, rows)
        owner = conn.execute(
            select(*_CUSTOMER_COLUMNS).where(customers.c.id == rows[0]["customer_id"])
        ).mappings()
        customer = _customer(owner.one())
    del customer["contracts"]
    trend = _signal_trend(db, contract["code"], contract["onu"])
    return contract | {"customer": customer, "signal_trend": trend}


def _signal_trend(db: Database, code: str, onu: dict[str, Any] | None) -> dict[str, Any] | None:
    """The contract's last TREND_DAYS days on its ONU, from raw readings and, past the raw
    window, roll-ups: its own readings only, not those of whoever had the ONU id before."""
    if onu is None or onu["onu_id"] is None:
        return None
    return onu_summary(
        db,
        olt=onu["olt"],
        port=onu["port"],
        onu_id=int(onu["onu_id"]),
        days=TREND_DAYS,
        contract=code,
        serial=onu.get("serial"),
    )


# -- what to search -------------------------------------------------------------------------
def _condition(query: str, by: str | None) -> ColumnElement[bool]:
    text = query.strip()
    if not text:
        raise SearchError("the search is empty: give an id, code, name, CPF/CNPJ or phone")
    if by is None:
        return _guess(text)
    if by == "id":
        return _by_id(text)
    if by == "name":
        return _by_name(text)
    if by == "doc":
        return customers.c.doc == parse_document(text)[0]
    if by == "phone":
        return _by_phone(_phone_digits(text), text)
    raise SearchError(f"search by {', '.join(SEARCH_KEYS)}, not {quoted(by)}")


def _guess(text: str) -> ColumnElement[bool]:
    if looks_like_document(text):
        return customers.c.doc == parse_document(text)[0]
    found: list[ColumnElement[bool]] = [customers.c.code == text]
    number = text.isascii() and text.isdigit()
    if number and len(text) <= ID_MAX_DIGITS:
        found.append(customers.c.id == int(text))
    if len(text) in ((11, 14) if number else (14,)):
        found += _by_valid_doc(text)
    if (number or _PHONE_TEXT.fullmatch(text)) and len(_phone_digits(text)) >= PHONE_MIN_DIGITS:
        found.append(_by_phone(_phone_digits(text), text))
    elif not number and any(c.isalpha() for c in text):
        found.append(_by_name(text))
    return or_(*found)


def _by_valid_doc(text: str) -> list[ColumnElement[bool]]:
    try:
        return [customers.c.doc == parse_document(text)[0]]
    except DocumentError:
        return []


def _by_id(text: str) -> ColumnElement[bool]:
    if text.isascii() and text.isdigit() and len(text) <= 18:
        return or_(customers.c.id == int(text), customers.c.code == text)
    return customers.c.code == text


def _by_name(text: str) -> ColumnElement[bool]:
    words = search_key(text).split()
    if not words:
        return false()
    return and_(*(customers.c.name_search.contains(word, autoescape=True) for word in words))


def _phone_digits(text: str) -> str:
    number = digits(text).lstrip("0")
    # 55 followed by 10 or 11 digits is Brazil's country code; DDD 55 numbers are shorter.
    if len(number) >= 12 and number.startswith("55"):
        number = number[2:]
    return number


def _by_phone(number: str, text: str) -> ColumnElement[bool]:
    if len(number) < PHONE_MIN_DIGITS:
        raise SearchError(
            f"phone {text!r}: give at least {PHONE_MIN_DIGITS} digits (the number without "
            "the area code is enough)"
        )
    # phone_search is "5551991234567 5133334444": padded with spaces, a phone ends with the
    # number when the number is followed by the space that closes its token.
    padded = literal(" ") + customers.c.phone_search + literal(" ")
    return padded.like(f"%{number} %")


def _name_order(db: Database) -> list[ColumnElement[Any]]:
    # PostgreSQL sorts by the server's locale, SQLite by code point; "C" makes both agree.
    if db.dialect_name == "postgresql":
        return [customers.c.name_search.collate("C"), customers.c.name.collate("C")]
    return [customers.c.name_search, customers.c.name]


# -- what to return -------------------------------------------------------------------------
_CUSTOMER_COLUMNS = (
    customers.c.id,
    customers.c.code,
    customers.c.name,
    customers.c.doc,
    customers.c.doc_type,
    customers.c.phones,
    customers.c.email,
    customers.c.street,
    customers.c.number,
    customers.c.district,
    customers.c.city,
    customers.c.state,
    customers.c.zip,
)
ADDRESS_KEYS = ("street", "number", "district", "city", "state", "zip")


def _customer(row: Any) -> dict[str, Any]:
    doc = row["doc"]
    return {
        "id": row["id"],
        "code": row["code"],
        "name": row["name"],
        "doc": doc,
        "doc_type": row["doc_type"],
        "doc_formatted": format_document(doc) if doc else None,
        "phones": list(row["phones"] or []),
        "email": row["email"],
        "address": {key: row[key] for key in ADDRESS_KEYS},
        "contracts": [],
    }


def _contract_rows(conn: Connection, where: ColumnElement[bool]) -> list[dict[str, Any]]:
    statement = (
        select(
            contracts.c.id,
            contracts.c.code,
            contracts.c.customer_id,
            contracts.c.plan,
            contracts.c.status,
            contracts.c.blocked,
            contracts.c.block_reason,
            contracts.c.pppoe_login,
            contracts.c.concentrator,
            contracts.c.ip_address,
            olts.c.name.label("olt"),
            onus.c.frame,
            onus.c.slot,
            onus.c.port,
            onus.c.onu_index,
            onus.c.serial,
            onus.c.state.label("onu_state"),
            ctos.c.code.label("cto"),
            cto_ports.c.number.label("cto_port"),
            seals.c.code.label("seal"),
        )
        .select_from(contracts)
        .outerjoin(onus, onus.c.id == contracts.c.onu_id)
        .outerjoin(olts, olts.c.id == onus.c.olt_id)
        .outerjoin(cto_ports, cto_ports.c.id == contracts.c.cto_port_id)
        .outerjoin(ctos, ctos.c.id == cto_ports.c.cto_id)
        .outerjoin(seals, seals.c.id == contracts.c.seal_id)
        .where(where)
        .order_by(contracts.c.customer_id, contracts.c.code)
    )
    return [dict(row) for row in conn.execute(statement).mappings()]


def _complete(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The contracts as returned, with the seals and readings of all of them fetched at once."""
    unsealed = [row["id"] for row in rows if row["seal"] is None]
    sealed = _seals_by_contract(conn, unsealed)
    newest_readings = _newest_readings(conn, rows)
    result = []
    for row, newest in zip(rows, newest_readings, strict=True):
        result.append(_contract(row, row["seal"] or sealed.get(row["id"]), newest))
    return result


def _contract(
    row: dict[str, Any], seal: str | None, reading: dict[str, Any] | None
) -> dict[str, Any]:
    onu = None
    if row["onu_state"] is not None:
        onu = {
            "olt": row["olt"],
            "port": f"{row['frame']}/{row['slot']}/{row['port']}",
            "onu_id": row["onu_index"],
            "serial": row["serial"],
            "state": row["onu_state"],
        }
    signal = None
    if reading is not None:
        signal = {key: reading[key] for key in ("rx_dbm", "signal_class", "state", "read_at")}
    return {
        "id": row["id"],
        "code": row["code"],
        "plan": row["plan"],
        "status": row["status"],
        "blocked": bool(row["blocked"]),
        "block_reason": row["block_reason"],
        "pppoe_login": row["pppoe_login"],
        "concentrator": row["concentrator"],
        "ip_address": row["ip_address"],
        "onu": onu,
        "cto": None if row["cto"] is None else {"code": row["cto"], "port": row["cto_port"]},
        "seal": seal,
        "signal": signal,
    }


def _seals_by_contract(conn: Connection, contract_ids: list[int]) -> dict[int, str]:
    """The newest seal registered to each contract whose own seal_id is not set."""
    newest: dict[int, str] = {}
    for chunk in _chunks(contract_ids):
        rows = conn.execute(
            select(seals.c.contract_id, seals.c.code)
            .where(seals.c.contract_id.in_(chunk))
            .order_by(seals.c.registered_at, seals.c.id)
        )
        newest.update({row.contract_id: row.code for row in rows})
    return newest


Position = tuple[str, int, int, int, int]  # OLT, frame, slot, port, ONU id


def _newest_readings(conn: Connection, rows: Sequence[dict[str, Any]]) -> list[dict | None]:
    """Per contract, its ONU's newest optical reading: one with the contract's code or the
    ONU's serial, whichever is newer. Readings have no index by code or serial (it would cost
    every write more than the rest); they are looked for by position, in the readings' own
    (position, read_at) index: where the contract's ONU is now, and wherever the daily
    roll-ups saw the code or serial (an ONU moved, a contract whose ONU was removed). A
    reading at a position the ONU left today is found once today is rolled up."""
    seen = _seen_at(
        conn,
        [row["code"] for row in rows],
        [row["serial"] for row in rows if row["serial"]],
    )
    wanted: list[tuple[int, Position, str, str | None]] = []
    for number, row in enumerate(rows):
        code, serial = row["code"], row["serial"]
        positions = set(seen.get(("contract", code), ()))
        if serial:
            positions |= seen.get(("serial", serial), set())
        if row["olt"] is not None and row["onu_index"] is not None:
            positions.add((row["olt"], row["frame"], row["slot"], row["port"], row["onu_index"]))
        wanted += [(number, position, code, serial) for position in sorted(positions)]
    newest: list[dict | None] = [None] * len(rows)
    r = optical_readings.c
    for chunk in _chunks(wanted, POSITIONS_PER_STATEMENT):
        branches = []
        for number, (olt, frame, slot, port, onu), code, serial in chunk:
            own = (
                r.contract == code
                if serial is None
                else or_(r.contract == code, r.serial == serial)
            )
            branches.append(
                select(
                    select(
                        literal(number).label("number"),
                        r.id,
                        r.rx_dbm,
                        r.signal_class,
                        r.state,
                        r.read_at,
                    )
                    .where(position_filter(optical_readings, olt, frame, slot, port, onu), own)
                    .order_by(r.read_at.desc(), r.id.desc())
                    .limit(1)
                    .subquery()
                )
            )
        for found in conn.execute(union_all(*branches)).mappings():
            reading = dict(found)
            number = reading.pop("number")
            held = newest[number]
            if held is None or (held["read_at"], held["id"]) < (reading["read_at"], reading["id"]):
                newest[number] = reading
    return newest


def _seen_at(
    conn: Connection, codes: list[str], serials: list[str]
) -> dict[tuple[str, str], set[Position]]:
    """Where the daily roll-ups saw each contract code and each serial."""
    d = optical_daily.c
    codes, serials = sorted(set(codes)), sorted(set(serials))
    seen: dict[tuple[str, str], set[Position]] = {}
    for start in range(0, max(len(codes), len(serials)), IN_CHUNK):
        some_codes, some_serials = (
            codes[start : start + IN_CHUNK],
            serials[start : start + IN_CHUNK],
        )
        rows = conn.execute(
            select(d.contract, d.serial, d.olt, d.frame, d.slot, d.port, d.onu_index)
            .where(or_(d.contract.in_(some_codes), d.serial.in_(some_serials)))
            .distinct()
        )
        for code, serial, *where in rows:
            position = tuple(where)
            for key in (("contract", code), ("serial", serial)):
                if key[1] is not None:
                    seen.setdefault(key, set()).add(position)
    return seen


def _chunks(values: Sequence[Any], size: int = IN_CHUNK) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
