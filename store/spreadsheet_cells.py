"""CSV cells a spreadsheet takes as text, never as a formula, and back.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is run as a formula by
Excel and LibreOffice when the file is opened (OWASP: CSV Injection), so a customer named
`=HYPERLINK("http://x","y")` would become a link. Exports prefix such a cell with a single
quote, which spreadsheets take as "this is text": a phone `+55 11 99999-0000` is written
`'+55 11 99999-0000` and reads as the number, not as a broken sum.

Imports drop one leading quote from every cell. For that to give back exactly what was
exported, a value that itself starts with a quote is exported with one more (`'Vila'` as
`''Vila'`); `from_cell(to_cell(v)) == v` for every string.
"""

from __future__ import annotations

from collections.abc import Iterable

QUOTE = "'"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_ESCAPED_STARTS = (*FORMULA_STARTS, QUOTE)


def to_cell(value: str) -> str:
    """The value as a cell a spreadsheet shows as text."""
    return QUOTE + value if value.startswith(_ESCAPED_STARTS) else value


def from_cell(cell: str) -> str:
    """The value an exported cell holds: its first quote, if any, dropped."""
    return cell[1:] if cell.startswith(QUOTE) else cell


def to_row(values: Iterable[str]) -> list[str]:
    """`to_cell` of each value of a row."""
    return [to_cell(value) for value in values]
