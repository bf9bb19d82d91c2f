"""The rule that keeps exported cells from running as spreadsheet formulas, and its inverse."""

from __future__ import annotations

import csv
import io
from itertools import product

import pytest

from ispflow.store.csv_files import read_rows
from ispflow.store.spreadsheet_cells import FORMULA_STARTS, from_cell, to_cell, to_row


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ('=HYPERLINK("http://x","y")', '\'=HYPERLINK("http://x","y")'),
        ("@SUM(1+1)", "'@SUM(1+1)"),
        ("+55 11 99999-0000", "'+55 11 99999-0000"),
        ("-2+3", "'-2+3"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("'Morro' da Cruz", "''Morro' da Cruz"),
        ("'", "''"),
        ("''", "'''"),
        ("'=1", "''=1"),
    ],
)
def test_formula_starts_and_quotes_are_quoted(value: str, cell: str) -> None:
    assert to_cell(value) == cell
    assert from_cell(cell) == value


@pytest.mark.parametrize(
    "value",
    ["", "São João", "inadimplência", "a=b", "1+1", "(51) 99123-4567", "90010-000", " =x"],
)
def test_other_values_are_written_as_they_are(value: str) -> None:
    assert to_cell(value) == value
    assert from_cell(value) == value


def test_every_short_string_comes_back() -> None:
    alphabet = [*FORMULA_STARTS, "'", "a", " ", "ç"]
    for size in range(4):
        for letters in product(alphabet, repeat=size):
            value = "".join(letters)
            cell = to_cell(value)
            assert not cell.startswith(FORMULA_STARTS), repr(value)
            assert from_cell(cell) == value, repr(value)


def test_a_row_through_the_csv_module_and_the_import_reader() -> None:
    values = ["=1+1", "'x", "+55 11 99999-0000", "São João", "", "a,b", 'say "hi"']
    out = io.StringIO(newline="")
    csv.writer(out).writerow(["a", "b", "c", "d", "e", "f", "g"])
    csv.writer(out).writerow(to_row(values))
    _, rows = read_rows(out.getvalue(), "cells.csv", lambda header: [])
    assert [from_cell(cell.strip()) for cell in rows[0][1]] == values
