"""CSV files as users have them: spreadsheet and ERP exports as well as scripts' output."""

from __future__ import annotations

from pathlib import Path

import pytest

from ispflow.core.csv_items import read_csv


def written(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "items.csv"
    path.write_bytes(data)
    return path


def test_a_portuguese_excel_export_with_semicolons(tmp_path: Path) -> None:
    data = "contrato;cliente;observação\r\nC-1001;João da Conceição;inadimplência\r\n"
    rows = read_csv(written(tmp_path, data.encode("utf-8-sig")))
    assert rows == [
        {"contrato": "C-1001", "cliente": "João da Conceição", "observação": "inadimplência"}
    ]
    # Saved in Windows-1252 ("CSV" rather than "CSV UTF-8"): refused with its line and the
    # way out, never read as mangled names.
    with pytest.raises(ValueError, match=r"items\.csv:1: not UTF-8 text .*CSV UTF-8"):
        read_csv(written(tmp_path, data.encode("cp1252")))


def test_utf8_with_a_byte_order_mark_commas_and_quoted_separators(tmp_path: Path) -> None:
    data = '\ufeffcontract,note\nC-1001,"atraso; 2 faturas, bloqueio"\n'.encode()
    assert read_csv(written(tmp_path, data)) == [
        {"contract": "C-1001", "note": "atraso; 2 faturas, bloqueio"}
    ]


def test_tab_separated_and_a_single_column(tmp_path: Path) -> None:
    tabbed = written(tmp_path, b"contract\tplan\nC-1\t500M\n")
    assert read_csv(tabbed) == [{"contract": "C-1", "plan": "500M"}]
    single = written(tmp_path, b"contract\nC-1\nC-2\n")
    assert read_csv(single) == [{"contract": "C-1"}, {"contract": "C-2"}]


def test_a_separator_in_a_header_name_loses_to_the_one_between_names(tmp_path: Path) -> None:
    rows = read_csv(written(tmp_path, b"contract;name;note,extra\nC-1;Ana;x,y\n"))
    assert rows == [{"contract": "C-1", "name": "Ana", "note,extra": "x,y"}]


def test_bad_files_are_errors_naming_the_file_and_line(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"items\.csv:3: more values"):
        read_csv(written(tmp_path, b"contract;plan\nC-1;a\nC-2;b;c\n"))
    with pytest.raises(ValueError, match="no header row"):
        read_csv(written(tmp_path, b""))
    with pytest.raises(ValueError, match="cannot read"):
        read_csv(tmp_path / "nowhere.csv")
