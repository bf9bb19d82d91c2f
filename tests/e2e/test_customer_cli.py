"""`ispflow customer find | import | export` and `ispflow contract show`, run as a user would
(the real command in a subprocess, on a SQLite store)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import Cli

HEADER = (
    "customer_code,name,doc,phones,email,street,number,district,city,state,zip,"
    "contract,plan,status,pppoe_login,concentrator"
)
ROWS = (
    "CLI-001,João da Silva,123.456.789-09,(51) 99123-4567,joao@example.com,Rua A,10,Centro,"
    "Porto Alegre,RS,90010-000,C-1001,500 Mega,active,joao.silva,bras-poa-01\n"
    "CLI-002,Maria Conceição Sá [ME],12.ABC.345/01DE-35,,,,,,São Paulo,SP,01310-100,,,,,\n"
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_import_find_show_export(sqlite_cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "clientes.csv", f"{HEADER}\n{ROWS}")

    dry = sqlite_cli("customer", "import", str(source), "--dry-run", "-o", "json")
    assert dry.returncode == 0, dry.stderr
    assert json.loads(dry.stdout)["customers_created"] == 2
    assert sqlite_cli("customer", "find", "joao").returncode == 1  # the dry run wrote nothing

    done = sqlite_cli("customer", "import", str(source))
    assert done.returncode == 0, done.stderr
    assert "customers" in done.stdout and "2" in done.stdout

    found = sqlite_cli("customer", "find", "silva JOAO")
    assert found.returncode == 0, found.stderr
    assert "João da Silva" in found.stdout
    assert "C-1001" in found.stdout and "123.456.789-09" in found.stdout

    by_phone = sqlite_cli("customer", "find", "99123-4567", "-o", "json")
    assert by_phone.returncode == 0, by_phone.stderr
    (customer,) = json.loads(by_phone.stdout)
    assert customer["code"] == "CLI-001"
    assert customer["contracts"][0]["pppoe_login"] == "joao.silva"

    # Brackets in a name are data, not markup.
    company = sqlite_cli("customer", "find", "12.ABC.345/01DE-35")
    assert company.returncode == 0, company.stderr
    assert "Maria Conceição Sá [ME]" in company.stdout

    shown = sqlite_cli("contract", "show", "C-1001")
    assert shown.returncode == 0, shown.stderr
    for text in ("João da Silva", "joao.silva", "bras-poa-01", "CEP 90010-000", "never read"):
        assert text in shown.stdout
    as_json = json.loads(sqlite_cli("contract", "show", "C-1001", "-o", "json").stdout)
    assert as_json["customer"]["doc_formatted"] == "123.456.789-09"

    to_file = sqlite_cli("customer", "export", str(tmp_path / "out.csv"))
    assert to_file.returncode == 0, to_file.stderr
    assert "2 row(s) written" in to_file.stderr  # one contract, one customer without any
    written = (tmp_path / "out.csv").read_bytes()
    assert written.startswith(b"\xef\xbb\xbf")  # for Excel
    to_stdout = sqlite_cli("customer", "export")
    assert to_stdout.returncode == 0, to_stdout.stderr
    assert to_stdout.stdout.splitlines() == written.decode("utf-8-sig").splitlines()
    assert to_stdout.stdout.splitlines()[0] == HEADER


def test_errors_are_messages_with_exit_codes(sqlite_cli: Cli, tmp_path: Path) -> None:
    bad_doc = sqlite_cli("customer", "find", "123.456.789-00")
    assert bad_doc.returncode == 2
    assert "CPF 123.456.789-00: check digits do not match (expected -09)" in bad_doc.stderr
    assert "Traceback" not in bad_doc.stderr

    bad_key = sqlite_cli("customer", "find", "x", "--by", "email")
    assert bad_key.returncode == 2
    assert "Traceback" not in bad_key.stderr

    short_phone = sqlite_cli("customer", "find", "4567", "--by", "phone")
    assert short_phone.returncode == 2
    assert "at least 8 digits" in short_phone.stderr

    nothing = sqlite_cli("customer", "find", "nobody")
    assert (nothing.returncode, nothing.stdout) == (1, "")
    assert "no customer matches 'nobody'" in nothing.stderr

    unknown = sqlite_cli("contract", "show", "C-404")
    assert unknown.returncode == 1
    assert "contract 'C-404' is not in the store" in unknown.stderr

    missing = sqlite_cli("customer", "import", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr and "Traceback" not in missing.stderr


def test_a_bad_file_writes_nothing_unless_bad_rows_are_skipped(
    sqlite_cli: Cli, tmp_path: Path
) -> None:
    bad = write(
        tmp_path / "bad.csv",
        f"{HEADER}\n{ROWS}CLI-003,Ana,529.982.247-00,,,,,,,XX,,C-3,,active,,\n",
    )
    refused = sqlite_cli("customer", "import", str(bad))
    assert refused.returncode == 2
    assert f"{bad}:4: doc: CPF 529.982.247-00: check digits do not match" in refused.stderr
    assert f"{bad}:4: state: 'XX' is not a Brazilian state" in refused.stderr
    assert "nothing was imported" in refused.stderr
    assert sqlite_cli("customer", "find", "joao").returncode == 1

    skipped = sqlite_cli("customer", "import", str(bad), "--skip-bad", "-o", "json")
    assert skipped.returncode == 1
    summary = json.loads(skipped.stdout)
    assert (summary["customers_created"], summary["rows_skipped"]) == (2, 1)
    assert len(summary["errors"]) == 2
    assert sqlite_cli("customer", "find", "joao").returncode == 0


def test_help_teaches_with_examples(sqlite_cli: Cli) -> None:
    top = sqlite_cli("--help")
    assert "customer" in top.stdout and "contract" in top.stdout
    for command in (("customer", "find"), ("customer", "import"), ("contract", "show")):
        shown = sqlite_cli(*command, "--help")
        assert shown.returncode == 0, shown.stderr
        assert "Examples" in shown.stdout
        assert f"ispflow {' '.join(command)}" in shown.stdout
