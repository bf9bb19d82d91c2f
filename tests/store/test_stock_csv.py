"""ONUs from and to CSV: every error with its line and nothing written, --skip-bad, Excel's
files, and a lossless round trip (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from ispflow.store import stock
from ispflow.store.db import Database, open_database
from ispflow.store.stock_csv import CsvImportError, export_items, import_items

GOOD = """serial,mac,model,vendor,technology,received_on,note
hwtc-1a2b3c4d,,hg8245h,Huawei,gpon,24/11/2026,NF 1234
ZTEG00000001,00-11-22-33-44-55,F660,zte,,2026-11-20,
,aa:bb:cc:dd:ee:ff,F660,zte,EPON,2026-11-20,"caixa 3, prateleira B"
"""


def write(tmp_path: Path, text: str, name: str = "entrega.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def exported(db: Database) -> str:
    out = io.StringIO()
    export_items(db, out)
    return out.getvalue()


def test_import_normalises_every_column(db: Database, tmp_path: Path) -> None:
    summary = import_items(db, write(tmp_path, GOOD))
    assert (summary.rows, summary.added, summary.rows_skipped) == (3, 3, 0)
    item = stock.get_item(db, "HWTC1A2B3C4D")
    assert (item["model"], item["vendor"], item["technology"], item["received_on"]) == (
        "HG8245H",
        "huawei",
        "GPON",
        date(2026, 11, 24),
    )
    assert stock.get_item(db, "00:11:22:33:44:55")["serial"] == "ZTEG00000001"
    epon = stock.get_item(db, "aa:bb:cc:dd:ee:ff")
    assert (epon["technology"], epon["note"], epon["state"]) == (
        "EPON",
        "caixa 3, prateleira B",
        "in_stock",
    )


def test_dry_run_counts_and_writes_nothing(db: Database, tmp_path: Path) -> None:
    summary = import_items(db, write(tmp_path, GOOD), dry_run=True)
    assert (summary.added, summary.dry_run) == (3, True)
    assert stock.list_items(db) == []


def test_excel_semicolons_and_bom(db: Database, tmp_path: Path) -> None:
    text = "serial;model;received_on\r\nHWTC1A2B3C4D;HG8245H;01/12/2026\r\n"
    path = write(tmp_path, text, encoding="utf-8-sig")
    assert import_items(db, path).added == 1
    assert stock.get_item(db, "HWTC1A2B3C4D")["received_on"] == date(2026, 12, 1)


BAD = """serial,mac,model,received_on
HWTC00000001,,HG8245H,2026-11-01
HWTC0000000X,,HG8245H,2026-11-01
HWTC00000002,not-a-mac,,31/02/2026
HWTC00000001,,HG8245H,2026-11-01
,,HG8245H,2026-11-01
HWTC00000003,,HG8245H
ZTEG00000009,,F660,2026-11-01
"""


def test_every_error_with_its_line_and_nothing_written(db: Database, tmp_path: Path) -> None:
    stock.add_item(db, serial="ZTEG00000009", model="F660", received_on="2026-10-01")
    path = write(tmp_path, BAD)
    with pytest.raises(CsvImportError) as failed:
        import_items(db, path)
    assert failed.value.errors == [
        f"{path}:3: serial: 'HWTC0000000X' is not a GPON serial (4 letters and 8 hex digits, "
        "like HWTC1A2B3C4D)",
        f"{path}:4: mac: 'not-a-mac' is not a MAC address (like aa:bb:cc:dd:ee:ff)",
        f"{path}:4: model: no model; every ONU needs one (HG8245H, F660, ...)",
        f"{path}:4: received_on: '31/02/2026' is not a date (YYYY-MM-DD or DD/MM/YYYY)",
        f"{path}:5: serial: HWTC00000001 is also on line 2",
        f"{path}:6: serial: empty, and so is mac: give one to tell the ONU apart",
        f"{path}:7: 3 values, the header has 4 columns",
        f"{path}:8: serial: serial ZTEG00000009 is already in the stock "
        "(in_stock, received 2026-10-01)",
    ]
    assert "nothing was imported" in str(failed.value)
    assert [i["serial"] for i in stock.list_items(db)] == ["ZTEG00000009"]


def test_skip_bad_imports_the_good_rows(db: Database, tmp_path: Path) -> None:
    stock.add_item(db, serial="ZTEG00000009", model="F660", received_on="2026-10-01")
    summary = import_items(db, write(tmp_path, BAD), skip_bad=True)
    assert (summary.rows, summary.added, summary.rows_skipped) == (7, 1, 6)
    assert len(summary.errors) == 8
    assert [i["serial"] for i in stock.list_items(db)] == ["ZTEG00000009", "HWTC00000001"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("serial,modelo\nHWTC00000001,X\n", "unknown column(s) 'modelo'"),
        ("vendor,model\nzte,F660\n", "no 'serial' or 'mac' column"),
        ("serial\nHWTC00000001\n", "no 'model' column"),
        ("serial,model,serial\n", "column(s) given twice: serial"),
        ("\n\n", "empty file"),
    ],
)
def test_bad_headers(db: Database, tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(CsvImportError) as failed:
        import_items(db, path)
    assert message in failed.value.errors[0]
    assert failed.value.errors[0].startswith(f"{path}:1: ")


def test_not_utf8(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "serial,model,note\nHWTC00000001,X,caixa ção\n", encoding="latin-1")
    with pytest.raises(CsvImportError, match=r":2: not UTF-8 text"):
        import_items(db, path)


def test_round_trip(db: Database, tmp_path: Path, store_url: str) -> None:
    import_items(db, write(tmp_path, GOOD))
    first = exported(db)
    assert first.splitlines()[0] == "serial,mac,model,vendor,technology,received_on,note"
    assert "HWTC1A2B3C4D,,HG8245H,huawei,GPON,2026-11-24,NF 1234" in first.splitlines()
    (tmp_path / "again").mkdir()
    other = open_database(f"sqlite:///{tmp_path / 'again' / 'store.db'}")
    try:
        import_items(other, write(tmp_path, first, "export.csv"))
        assert exported(other) == first
    finally:
        other.close()


def test_formulas_are_quoted_and_come_back(db: Database, tmp_path: Path) -> None:
    notes = {
        "HWTC00000001": "=cmd|' /C calc'!A0",
        "HWTC00000002": "-2+3 na caixa",
        "HWTC00000003": "'lote' de São João",
        "HWTC00000004": "@SUM(1+1)",
        "HWTC00000005": "devolvida por inadimplência",
    }
    for serial, note in notes.items():
        stock.add_item(db, serial=serial, model="=1+1", received_on="2026-11-20", note=note)
    first = exported(db)
    assert "HWTC00000001,,'=1+1,,GPON,2026-11-20,'=cmd|' /C calc'!A0" in first.splitlines()
    assert "HWTC00000003,,'=1+1,,GPON,2026-11-20,''lote' de São João" in first.splitlines()
    (tmp_path / "again").mkdir()
    other = open_database(f"sqlite:///{tmp_path / 'again' / 'store.db'}")
    try:
        import_items(other, write(tmp_path, first, "export.csv"))
        assert {i["serial"]: i["note"] for i in stock.list_items(other)} == notes
        assert {i["model"] for i in stock.list_items(other)} == {"=1+1"}
        assert exported(other) == first
    finally:
        other.close()
