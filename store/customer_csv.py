"""Customers and contracts to and from CSV, for bringing an ERP's records into the store.

One row per contract; a customer with two contracts has two rows (repeating the customer's
columns), a customer without contracts one row with the contract columns empty. Columns:

    customer_code, name, doc, phones, email, street, number, district, city, state, zip,
    contract, plan, status, pppoe_login, concentrator

The header is required; columns may come in any order and may be left out (a column left out
is left alone in the store, an empty value clears it). Import creates or updates customers
(found by customer_code, else by doc) and contracts (by contract code); it never deletes.
Every row is checked before anything is written, and a file with errors writes nothing
unless the bad rows are to be skipped.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import Connection, bindparam, insert, select, update

from ispflow.core.quoting import quoted
from ispflow.store.csv_files import CsvImportError, read_file, unknown_or_twice
from ispflow.store.db import Database
from ispflow.store.documents import DocumentError, format_document, parse_document
from ispflow.store.normalize import digits, phone_key, search_key
from ispflow.store.schema import CONTRACT_STATUSES, contracts, customers
from ispflow.store.spreadsheet_cells import from_cell, to_row

CUSTOMER_COLUMNS = (
    "customer_code", "name", "doc", "phones", "email", "street", "number", "district", "city",
    "state", "zip",
)  # fmt: skip
CONTRACT_COLUMNS = ("contract", "plan", "status", "pppoe_login", "concentrator")
COLUMNS = CUSTOMER_COLUMNS + CONTRACT_COLUMNS
STATES = frozenset((
    "AC", "AL", "AP", "AM", "BA", "CE", "DF", "ES", "GO", "MA", "MT", "MS", "MG", "PA", "PB",
    "PR", "PE", "PI", "RJ", "RN", "RS", "RO", "RR", "SC", "SP", "SE", "TO",
))  # fmt: skip
PHONE_DIGITS = (8, 15)  # a number without area code .. an international one (E.164)
_PHONE_TEXT = re.compile(r"[\d\s()+.-]+")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_ZIP_TEXT = re.compile(r"[\d\s.-]+")


@dataclass
class ImportSummary:
    """What an import did (or, with dry_run, would do)."""

    rows: int = 0
    customers_created: int = 0
    customers_updated: int = 0
    customers_unchanged: int = 0
    contracts_created: int = 0
    contracts_updated: int = 0
    contracts_unchanged: int = 0
    rows_skipped: int = 0
    errors: list[str] = field(default_factory=list)
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- one value at a time --------------------------------------------------------------------
def _text(column: str, size: int) -> Callable[[str], dict[str, Any]]:
    def clean(value: str) -> dict[str, Any]:
        if len(value) > size:
            raise ValueError(f"longer than {size} characters")
        return {column: value or None}

    return clean


def _name(value: str) -> dict[str, Any]:
    if not value:
        raise ValueError("empty; every customer needs a name")
    if len(value) > 200:
        raise ValueError("longer than 200 characters")
    return {"name": value, "name_search": search_key(value)}


def _doc(value: str) -> dict[str, Any]:
    if not value:
        return {"doc": None, "doc_type": None}
    try:
        doc, kind = parse_document(value)
    except DocumentError as exc:
        raise ValueError(str(exc)) from None
    return {"doc": doc, "doc_type": kind}


def _phones(value: str) -> dict[str, Any]:
    phones = [p.strip() for p in value.split(";") if p.strip()]
    low, high = PHONE_DIGITS
    for phone in phones:
        if not _PHONE_TEXT.fullmatch(phone) or not low <= len(digits(phone)) <= high:
            raise ValueError(
                f"{quoted(phone)} is not a phone number ({low} to {high} digits; separate phones with ;)"
            )
    return {"phones": phones, "phone_search": phone_key(phones)}


def _email(value: str) -> dict[str, Any]:
    if value and (len(value) > 254 or not _EMAIL.fullmatch(value)):
        raise ValueError(f"{quoted(value)} is not an e-mail address")
    return {"email": value or None}


def _state(value: str) -> dict[str, Any]:
    if value and value.upper() not in STATES:
        raise ValueError(f"{quoted(value)} is not a Brazilian state (two letters: RS, SP, ...)")
    return {"state": value.upper() or None}


def _zip(value: str) -> dict[str, Any]:
    if value and (not _ZIP_TEXT.fullmatch(value) or len(digits(value)) != 8):
        raise ValueError(f"{quoted(value)} is not a CEP (8 digits, 90010-000)")
    return {"zip": digits(value) or None}


def _status(value: str) -> dict[str, Any]:
    status = value.lower()
    if status and status not in CONTRACT_STATUSES:
        raise ValueError(f"{quoted(value)} is not one of {', '.join(CONTRACT_STATUSES)}")
    # Empty: a new contract starts pending, an existing one keeps its status.
    return {"status": status or None}


_CUSTOMER_CLEANERS: dict[str, Callable[[str], dict[str, Any]]] = {
    "customer_code": _text("code", 64),
    "name": _name,
    "doc": _doc,
    "phones": _phones,
    "email": _email,
    "street": _text("street", 200),
    "number": _text("number", 20),
    "district": _text("district", 100),
    "city": _text("city", 100),
    "state": _state,
    "zip": _zip,
}
_CONTRACT_CLEANERS: dict[str, Callable[[str], dict[str, Any]]] = {
    "contract": _text("code", 64),
    "plan": _text("plan", 100),
    "status": _status,
    "pppoe_login": _text("pppoe_login", 128),
    "concentrator": _text("concentrator", 100),
}
# The store column each CSV column is reported under when two rows disagree.
_CSV_COLUMN = {"code": "customer_code"} | {
    column: column for column in CUSTOMER_COLUMNS if column != "customer_code"
}


# -- reading the file -----------------------------------------------------------------------
@dataclass
class _Row:
    line: int
    customer: dict[str, Any] = field(default_factory=dict)
    contract: dict[str, Any] = field(default_factory=dict)
    errors: list[tuple[str | None, str]] = field(default_factory=list)

    def error(self, column: str | None, message: str) -> None:
        self.errors.append((column, message))

    @property
    def key(self) -> tuple[str, str] | None:
        """Who the row's customer is within the file: its code, else its document."""
        if self.customer.get("code"):
            return ("code", self.customer["code"])
        if self.customer.get("doc"):
            return ("doc", self.customer["doc"])
        return None


def _header_problems(header: list[str]) -> list[str]:
    problems = unknown_or_twice(header, COLUMNS)
    if "name" not in header:
        problems.append("no 'name' column")
    if "customer_code" not in header and "doc" not in header:
        problems.append("no 'customer_code' or 'doc' column to tell customers apart")
    orphans = [n for n in CONTRACT_COLUMNS[1:] if n in header]
    if orphans and "contract" not in header:
        problems.append(f"{', '.join(orphans)} without a 'contract' column")
    return problems


def _clean(header: list[str], line: int, values: list[str]) -> _Row:
    row = _Row(line)
    if len(values) != len(header):
        row.error(None, f"{len(values)} values, the header has {len(header)} columns")
        return row
    given = dict(zip(header, (from_cell(v.strip()) for v in values), strict=True))
    for column, value in given.items():
        cleaners = _CUSTOMER_CLEANERS if column in _CUSTOMER_CLEANERS else _CONTRACT_CLEANERS
        target = row.customer if cleaners is _CUSTOMER_CLEANERS else row.contract
        try:
            target.update(cleaners[column](value))
        except ValueError as exc:
            row.error(column, str(exc))
    if not given.get("customer_code") and not given.get("doc"):
        row.error("customer_code", "empty, and so is doc: give one to tell the customer apart")
    if not given.get("contract"):
        extra = [c for c in CONTRACT_COLUMNS[1:] if given.get(c)]
        if extra:
            row.error("contract", f"empty, but the row has {', '.join(extra)}")
        row.contract = {}
    return row


# -- checking rows against each other and the store -----------------------------------------
def _check_file(rows: list[_Row]) -> None:
    first_of: dict[tuple[str, str], _Row] = {}
    doc_line: dict[str, tuple[int, tuple[str, str] | None]] = {}
    contract_line: dict[str, int] = {}
    login_line: dict[str, tuple[int, str]] = {}
    for row in rows:
        key = row.key
        first = first_of.setdefault(key, row) if key else row
        if first is not row:
            for column, value in row.customer.items():
                if column in first.customer and first.customer[column] != value:
                    if column in ("name_search", "doc_type", "phone_search"):
                        continue
                    row.error(
                        _CSV_COLUMN[column],
                        f"differs from line {first.line} for the same customer",
                    )
        doc = row.customer.get("doc")
        if doc:
            seen = doc_line.setdefault(doc, (row.line, key))
            if seen[1] != key:
                row.error("doc", f"{format_document(doc)} is also on line {seen[0]}")
        code = row.contract.get("code")
        if code:
            seen_line = contract_line.setdefault(code, row.line)
            if seen_line != row.line:
                row.error("contract", f"{code} is also on line {seen_line}")
        login = row.contract.get("pppoe_login")
        if login and code:
            seen_login = login_line.setdefault(login, (row.line, code))
            if seen_login[1] != code:
                row.error(
                    "pppoe_login", f"{login} is also on line {seen_login[0]} ({seen_login[1]})"
                )


@dataclass
class _Store:
    """What the store already holds, as far as the import needs it."""

    by_code: dict[str, dict[str, Any]]
    by_doc: dict[str, dict[str, Any]]
    contracts: dict[str, dict[str, Any]]
    logins: dict[str, str]


def _load_store(conn: Connection) -> _Store:
    people = [dict(r) for r in conn.execute(select(customers)).mappings()]
    deals = [dict(r) for r in conn.execute(select(contracts)).mappings()]
    return _Store(
        by_code={p["code"]: p for p in people if p["code"]},
        by_doc={p["doc"]: p for p in people if p["doc"]},
        contracts={d["code"]: d for d in deals},
        logins={d["pppoe_login"]: d["code"] for d in deals if d["pppoe_login"]},
    )


def _match(row: _Row, store: _Store) -> dict[str, Any] | None:
    """The store's customer the row updates (None: a new one); errors on the row if the row's
    code and document point at different customers."""
    code, doc = row.customer.get("code"), row.customer.get("doc")
    found = store.by_code.get(code) if code else None
    holder = store.by_doc.get(doc) if doc else None
    if found is None and holder is not None:
        if code and holder["code"] and holder["code"] != code:
            row.error(
                "doc", f"{format_document(doc)} belongs to customer {holder['code']} in the store"
            )
            return None
        return holder
    if found is not None and holder is not None and holder["id"] != found["id"]:
        owner = holder["code"] or f"id {holder['id']}"
        row.error("doc", f"{format_document(doc)} belongs to customer {owner} in the store")
    return found


def _check_store(rows: list[_Row], store: _Store) -> dict[int, dict[str, Any] | None]:
    matches: dict[int, dict[str, Any] | None] = {}
    for row in rows:
        matches[row.line] = _match(row, store)
        code, login = row.contract.get("code"), row.contract.get("pppoe_login")
        holder = store.logins.get(login) if login else None
        if holder is not None and holder != code:
            row.error("pppoe_login", f"{login} is used by contract {holder} in the store")
    return matches


# -- writing ------------------------------------------------------------------------------
def _changes(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    return {column: value for column, value in new.items() if old.get(column) != value}


def _group(rows: list[_Row], matches: dict[int, dict[str, Any] | None]) -> list[list[_Row]]:
    """The rows by customer, in file order: rows found in the store by code or by document
    go with the customer found."""
    groups: dict[Any, list[_Row]] = {}
    for row in rows:
        match = matches[row.line]
        groups.setdefault(("id", match["id"]) if match else row.key, []).append(row)
    return list(groups.values())


def _write_customers(
    conn: Connection | None,
    groups: list[list[_Row]],
    matches: dict[int, dict[str, Any] | None],
    summary: ImportSummary,
) -> list[int | None]:
    """Each group's customer id in the store (None for new ones on a dry run)."""
    ids: list[int | None] = []
    new_rows: list[dict[str, Any]] = []
    new_at: list[int] = []
    updates: list[dict[str, Any]] = []
    for group in groups:
        values: dict[str, Any] = {}
        for row in group:
            values.update({k: v for k, v in row.customer.items() if k not in values})
        match = matches[group[0].line]
        if match is None:
            summary.customers_created += 1
            new_at.append(len(ids))
            ids.append(None)
            new_rows.append({"phones": []} | values)
            continue
        ids.append(match["id"])
        changed = _changes(values, match)
        if changed:
            summary.customers_updated += 1
            updates.append(changed | {"row_id": match["id"]})
        else:
            summary.customers_unchanged += 1
    if conn is None:
        return ids
    if new_rows:
        created = conn.execute(
            insert(customers).returning(customers.c.id, sort_by_parameter_order=True),
            _same_keys(new_rows),
        ).scalars()
        for position, new_id in zip(new_at, created, strict=True):
            ids[position] = new_id
    _update_many(conn, customers, updates)
    return ids


def _update_many(conn: Connection, table: Any, updates: list[dict[str, Any]]) -> None:
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values in updates:
        by_columns.setdefault(tuple(sorted(k for k in values if k != "row_id")), []).append(values)
    for columns, batch in by_columns.items():
        statement = (
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values({column: bindparam(column) for column in columns})
        )
        conn.execute(statement, batch)


def _write_contracts(
    conn: Connection | None,
    groups: list[list[_Row]],
    customer_ids: list[int | None],
    store: _Store,
    summary: ImportSummary,
) -> None:
    new_rows: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for group, customer_id in zip(groups, customer_ids, strict=True):
        for row in group:
            if not row.contract:
                continue
            values = {k: v for k, v in row.contract.items() if k != "status" or v is not None}
            values["customer_id"] = customer_id
            existing = store.contracts.get(values["code"])
            if existing is None:
                summary.contracts_created += 1
                new_rows.append({"status": "pending"} | values)
                continue
            changed = _changes(values, existing)
            if changed:
                summary.contracts_updated += 1
                updates.append(changed | {"row_id": existing["id"]})
            else:
                summary.contracts_unchanged += 1
    if conn is None:
        return
    if new_rows:
        conn.execute(insert(contracts), _same_keys(new_rows))
    _update_many(conn, contracts, updates)


def _same_keys(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # An executemany takes the columns of its first row: every row needs all of them.
    columns = {column for row in rows for column in row}
    return [{column: row.get(column) for column in columns} for row in rows]


# -- the import as a whole --------------------------------------------------------------------
def import_customers(
    db: Database, path: str | Path, *, skip_bad: bool = False, dry_run: bool = False
) -> ImportSummary:
    """Import a CSV file of customers and contracts (see the module docstring for columns).

    Every row is checked first (documents, states, CEPs, statuses, duplicates in the file,
    logins already used in the store...). With errors, CsvImportError lists them all and
    nothing is written, unless `skip_bad`: then the good rows are imported and the summary
    lists the skipped rows' errors. Everything is written in one transaction; `dry_run`
    checks and counts without writing.
    """
    source = str(path)
    header, records = read_file(path, _header_problems)
    rows = [_clean(header, line, values) for line, values in records]
    _check_file(rows)
    summary = ImportSummary(rows=len(rows), dry_run=dry_run)
    with db.writing() as conn:
        store = _load_store(conn)
        matches = _check_store(rows, store)
        errors = [
            f"{source}:{row.line}: {column}: {message}"
            if column
            else f"{source}:{row.line}: {message}"
            for row in rows
            for column, message in row.errors
        ]
        if errors and not skip_bad:
            raise CsvImportError(errors)
        summary.errors = errors
        good = [row for row in rows if not row.errors]
        summary.rows_skipped = len(rows) - len(good)
        groups = _group(good, matches)
        target = None if dry_run else conn
        ids = _write_customers(target, groups, matches, summary)
        _write_contracts(target, groups, ids, store, summary)
    return summary


# -- export -------------------------------------------------------------------------------
def export_customers(db: Database, out: TextIO) -> int:
    """Write every customer and contract as CSV (the import's columns); returns the rows.

    Ordered by customer code (then document, then store id) and contract code, so that
    exporting, importing into an empty store and exporting again gives the same file.
    Documents and CEPs are written punctuated, which keeps spreadsheets from dropping their
    leading zeros; a cell a spreadsheet would run as a formula is quoted (store.spreadsheet_cells).
    """
    with db.engine.connect() as conn:
        people = [dict(r) for r in conn.execute(select(customers)).mappings()]
        deals: dict[int, list[dict[str, Any]]] = {}
        for deal in conn.execute(select(contracts)).mappings():
            deals.setdefault(deal["customer_id"], []).append(dict(deal))
    people.sort(key=lambda p: (p["code"] or "", p["doc"] or "", p["id"]))
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    written = 0
    for person in people:
        customer = _customer_cells(person)
        for deal in sorted(deals.get(person["id"], []), key=lambda d: d["code"]) or [None]:
            writer.writerow(to_row(customer + _contract_cells(deal)))
            written += 1
    return written


def _customer_cells(person: dict[str, Any]) -> list[str]:
    zip_code = person["zip"] or ""
    if len(zip_code) == 8:
        zip_code = f"{zip_code[:5]}-{zip_code[5:]}"
    return [
        person["code"] or "",
        person["name"],
        format_document(person["doc"]) if person["doc"] else "",
        ";".join(person["phones"] or []),
        person["email"] or "",
        person["street"] or "",
        person["number"] or "",
        person["district"] or "",
        person["city"] or "",
        person["state"] or "",
        zip_code,
    ]


def _contract_cells(deal: dict[str, Any] | None) -> list[str]:
    if deal is None:
        return [""] * len(CONTRACT_COLUMNS)
    return [
        deal["code"],
        deal["plan"] or "",
        deal["status"],
        deal["pppoe_login"] or "",
        deal["concentrator"] or "",
    ]
