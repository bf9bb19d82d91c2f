"""ONUs received, from and to CSV: a supplier's delivery note or the warehouse's spreadsheet.

Columns (header required, any order; serial or mac, and model, must be there):

    serial, mac, model, vendor, technology, received_on, note

received_on is YYYY-MM-DD or DD/MM/YYYY (empty: today). Import only adds ONUs, in_stock; a
serial or MAC given twice in the file, or already in the store, is an error on its line.
Like the customers' import, every row is checked before anything is written, and a file with
errors writes nothing unless the bad rows are to be skipped.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import insert, select

from ispflow.store.csv_files import CsvImportError, read_file, unknown_or_twice
from ispflow.store.db import Database
from ispflow.store.schema import stock_items
from ispflow.store.spreadsheet_cells import from_cell, to_row
from ispflow.store.stock import (
    StockError,
    already_in_stock,
    normalize_mac,
    normalize_model,
    normalize_serial,
    normalize_technology,
    normalize_vendor,
    parse_day,
)

__all__ = ["COLUMNS", "CsvImportError", "StockImportSummary", "export_items", "import_items"]

COLUMNS = ("serial", "mac", "model", "vendor", "technology", "received_on", "note")


@dataclass
class StockImportSummary:
    """What an import did (or, with dry_run, would do)."""

    rows: int = 0
    added: int = 0
    rows_skipped: int = 0
    errors: list[str] = field(default_factory=list)
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _optional(clean: Callable[[str], Any]) -> Callable[[str], Any]:
    return lambda value: clean(value) if value else None


def _note(value: str) -> str | None:
    if len(value) > 2000:
        raise StockError("longer than 2000 characters")
    return value or None


_CLEANERS: dict[str, Callable[[str], Any]] = {
    "serial": _optional(normalize_serial),
    "mac": _optional(normalize_mac),
    "model": normalize_model,
    "vendor": normalize_vendor,
    "technology": normalize_technology,
    "received_on": _optional(parse_day),
    "note": _note,
}


@dataclass
class _Row:
    line: int
    values: dict[str, Any] = field(default_factory=dict)
    errors: list[tuple[str | None, str]] = field(default_factory=list)


def _header_problems(header: list[str]) -> list[str]:
    problems = unknown_or_twice(header, COLUMNS)
    if "serial" not in header and "mac" not in header:
        problems.append("no 'serial' or 'mac' column to tell the ONUs apart")
    if "model" not in header:
        problems.append("no 'model' column")
    return problems


def _clean(header: list[str], line: int, values: list[str]) -> _Row:
    row = _Row(line)
    if len(values) != len(header):
        row.errors.append((None, f"{len(values)} values, the header has {len(header)} columns"))
        return row
    for column, value in zip(header, (from_cell(v.strip()) for v in values), strict=True):
        try:
            row.values[column] = _CLEANERS[column](value)
        except StockError as exc:
            row.errors.append((column, str(exc)))
    if not row.values.get("serial") and not row.values.get("mac") and not row.errors:
        row.errors.append(("serial", "empty, and so is mac: give one to tell the ONU apart"))
    return row


def _check_file(rows: list[_Row]) -> None:
    seen: dict[tuple[str, str], int] = {}
    for row in rows:
        for column in ("serial", "mac"):
            value = row.values.get(column)
            if value is None:
                continue
            first = seen.setdefault((column, value), row.line)
            if first != row.line:
                row.errors.append((column, f"{value} is also on line {first}"))


def import_items(
    db: Database, path: str | Path, *, skip_bad: bool = False, dry_run: bool = False
) -> StockImportSummary:
    """Add the ONUs of a CSV file to the stock (see the module docstring for the columns).

    With errors, CsvImportError lists them all as FILE:LINE: column: message and nothing is
    written, unless `skip_bad`: then the good rows are added and the summary lists the bad
    rows' errors. One transaction; `dry_run` checks and counts without writing.
    """
    source = str(path)
    header, records = read_file(path, _header_problems)
    rows = [_clean(header, line, values) for line, values in records]
    _check_file(rows)
    summary = StockImportSummary(rows=len(rows), dry_run=dry_run)
    with db.writing() as conn:
        for row in rows:
            if row.errors:
                continue  # its serial may be malformed: nothing to look up
            taken = already_in_stock(conn, row.values)
            if taken:
                row.errors.append(taken)
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
        good = [row.values for row in rows if not row.errors]
        summary.rows_skipped = len(rows) - len(good)
        summary.added = len(good)
        if good and not dry_run:
            conn.execute(insert(stock_items), [_complete(values) for values in good])
    return summary


def _complete(values: dict[str, Any]) -> dict[str, Any]:
    # An executemany takes its columns from the first row: every row gets all of them.
    row = {column: values.get(column) for column in COLUMNS}
    row["technology"] = row["technology"] or "GPON"
    row["received_on"] = row["received_on"] or date.today()
    return row


def export_items(db: Database, out: TextIO, *, state: str | None = None) -> int:
    """Write the stock as CSV in the import's columns; returns the rows written.

    Ordered by day received, serial and MAC, so that importing the file into an empty store
    and exporting again gives the same file. States and links are not columns: the file
    describes the devices, `ispflow stock list --json` their whereabouts. A cell a spreadsheet
    would run as a formula is quoted (store.spreadsheet_cells).
    """
    query = select(stock_items)
    if state:
        query = query.where(stock_items.c.state == state)
    with db.engine.connect() as conn:
        items = [dict(row) for row in conn.execute(query).mappings()]
    items.sort(key=lambda i: (i["received_on"], i["serial"] or "", i["mac"] or "", i["id"]))
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for item in items:
        writer.writerow(
            to_row(
                [
                    item["serial"] or "",
                    item["mac"] or "",
                    item["model"],
                    item["vendor"] or "",
                    item["technology"],
                    item["received_on"].isoformat(),
                    item["note"] or "",
                ]
            )
        )
    return len(items)
