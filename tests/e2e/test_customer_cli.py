"""`ispflow customer find | import | export` and `ispflow contract show`, run as a user would
(the real command in a subprocess, on a SQLite store)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from ispflow.store.db import open_database
from ispflow.store.normalize import phone_key, search_key
from ispflow.store.schema import contracts, customers
from ispflow.store.spreadsheet_cells import FORMULA_STARTS
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


# What an ERP or a form let through: formulas, a phone with its country code, text that starts
# with a quote, accents, empty values.
TRICKY = {
    "code": "CLI-777",
    "name": '=HYPERLINK("http://x","y")',
    "doc": None,
    "doc_type": None,
    "phones": ["+55 11 99999-0000", "(51) 3333-4444"],
    "email": None,
    "street": "@SUM(1+1)",
    "number": "-2+3",
    "district": "'Morro' da Cruz",
    "city": "São João",
    "state": "SP",
    "zip": None,
}
PLAIN = {
    "code": "CLI-778",
    "name": "Maria Conceição",
    "doc": "12345678909",
    "doc_type": "cpf",
    "phones": [],
    "email": None,
    "street": None,
    "number": None,
    "district": None,
    "city": None,
    "state": None,
    "zip": "90010000",
}
CONTRACT = {
    "code": "C-7001",
    "plan": "Bloqueio por inadimplência",
    "status": "suspended",
    "pppoe_login": "@sao.joao",
    "concentrator": None,
}
CUSTOMER_FIELDS = (*TRICKY, "name_search", "phone_search")


def stored(url: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every exported field of the store's customers and contracts, by code."""
    database = open_database(url)
    try:
        with database.engine.connect() as conn:
            people = conn.execute(select(customers)).mappings().all()
            deals = conn.execute(
                select(contracts, customers.c.code.label("customer")).join(customers)
            ).mappings()
            return (
                {p["code"]: {f: p[f] for f in CUSTOMER_FIELDS} for p in people},
                {d["code"]: {f: d[f] for f in (*CONTRACT, "customer")} for d in deals},
            )
    finally:
        database.close()


def test_export_is_safe_in_a_spreadsheet_and_imports_back_the_same(
    sqlite_cli: Cli, inventory: Path, tmp_path: Path
) -> None:
    database = open_database(sqlite_cli.db)
    try:
        with database.engine.begin() as conn:
            for person in (TRICKY, PLAIN):
                keys = {"name_search": search_key(person["name"])}
                keys["phone_search"] = phone_key(person["phones"]) if person["phones"] else None
                conn.execute(insert(customers).values(person | keys))
            owner = conn.execute(select(customers.c.id).where(customers.c.code == "CLI-777"))
            conn.execute(insert(contracts).values(CONTRACT | {"customer_id": owner.scalar_one()}))
    finally:
        database.close()

    exported = sqlite_cli("customer", "export", str(tmp_path / "out.csv"))
    assert exported.returncode == 0, exported.stderr
    written = (tmp_path / "out.csv").read_bytes()
    assert (tmp_path / "out.csv").stat().st_mode & 0o777 == 0o600  # personal data
    header, tricky, plain = csv.reader(written.decode("utf-8-sig").splitlines())
    cells = dict(zip(header, tricky, strict=True))
    assert cells["name"] == '\'=HYPERLINK("http://x","y")'
    assert cells["street"] == "'@SUM(1+1)"
    assert cells["phones"] == "'+55 11 99999-0000;(51) 3333-4444"  # text, not a sum
    assert cells["number"] == "'-2+3"
    assert cells["district"] == "''Morro' da Cruz"  # the value's own quote survives import
    assert (cells["city"], cells["plan"]) == ("São João", "Bloqueio por inadimplência")
    assert (cells["pppoe_login"], cells["email"], cells["zip"]) == ("'@sao.joao", "", "")
    assert dict(zip(header, plain, strict=True))["doc"] == "123.456.789-09"
    assert not [c for row in (tricky, plain) for c in row if c.startswith(FORMULA_STARTS)]

    (tmp_path / "fresh").mkdir()
    fresh = Cli(tmp_path, f"sqlite:///{tmp_path / 'fresh' / 'ispflow.db'}", inventory)
    imported = fresh("customer", "import", str(tmp_path / "out.csv"), "-o", "json")
    assert imported.returncode == 0, imported.stderr
    assert stored(fresh.db) == stored(sqlite_cli.db)
    people, deals = stored(fresh.db)
    assert {f: people["CLI-777"][f] for f in TRICKY} == TRICKY
    assert {f: people["CLI-778"][f] for f in PLAIN} == PLAIN
    assert deals == {"C-7001": CONTRACT | {"customer": "CLI-777"}}
    again = fresh("customer", "export", str(tmp_path / "again.csv"))
    assert again.returncode == 0, again.stderr
    assert (tmp_path / "again.csv").read_bytes() == written


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
