"""Reading the CSV files people export from spreadsheets and ERPs, for the store's imports.

What every import needs alike: text and separator as `core.csv_text` takes them, blank lines
skipped, each row with the line it starts on (a quoted value may span lines), and header
problems reported as FILE:LINE: message before any row is read.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from pathlib import Path

from ispflow.core.csv_text import NotUtf8, csv_text, separator


class CsvImportError(ValueError):
    """The file cannot be imported; `errors` holds every problem as FILE:LINE: column: message."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} error(s); nothing was imported\n" + "\n".join(errors))


def decode(data: bytes, source: str) -> str:
    try:
        return csv_text(data)
    except NotUtf8 as exc:
        raise CsvImportError([f"{source}:{exc.line}: {exc}"]) from None


def read_rows(
    text: str, source: str, header_problems: Callable[[list[str]], list[str]]
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header (lower-case names) and each row with its line; CsvImportError for a file
    that cannot be read or a header `header_problems` finds fault with."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator(text))
    header: list[str] | None = None
    records: list[tuple[int, list[str]]] = []
    start = 1
    try:
        for values in reader:
            # A quoted value may span lines: a row's line is where it starts.
            line, start = start, reader.line_num + 1
            if not any(v.strip() for v in values):
                continue
            if header is None:
                header = [v.strip().lower() for v in values]
                problems = header_problems(header)
                if problems:
                    raise CsvImportError([f"{source}:{line}: {p}" for p in problems])
            else:
                records.append((line, values))
    except csv.Error as exc:
        raise CsvImportError([f"{source}:{reader.line_num}: {exc}"]) from None
    if header is None:
        raise CsvImportError([f"{source}:1: empty file; the first line names the columns"])
    return header, records


def unknown_or_twice(header: list[str], columns: Sequence[str]) -> list[str]:
    """The header problems every import checks: names it does not know, names given twice."""
    problems = []
    unknown = [name for name in header if name not in columns]
    if unknown:
        problems.append(
            f"unknown column(s) {', '.join(repr(n) for n in unknown)}; "
            f"the columns are {', '.join(columns)}"
        )
    twice = sorted({name for name in header if header.count(name) > 1})
    if twice:
        problems.append(f"column(s) given twice: {', '.join(twice)}")
    return problems


def read_file(
    path: str | Path, header_problems: Callable[[list[str]], list[str]]
) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """`read_rows` of a file: its header and rows, or CsvImportError naming the file."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise CsvImportError([f"{source}: cannot read: {exc.strerror or exc}"]) from None
    return read_rows(decode(data, source), source, header_problems)
