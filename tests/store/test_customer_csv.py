"""Customers and contracts from and to CSV: every error with its line, all or nothing unless
bad rows are skipped, Excel's files, and a lossless round trip (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select

from ispflow.lab.seed_store import LabOnu, seed_lab
from ispflow.store.customer_csv import (
    COLUMNS,
    CsvImportError,
    ImportSummary,
    export_customers,
    import_customers,
)
from ispflow.store.db import Database, open_database
from ispflow.store.schema import contracts, customers

HEADER = ",".join(COLUMNS)
JOAO = (
    "CLI-001,João da Silva,123.456.789-09,(51) 99123-4567;51 3333-4444,joao@example.com,"
    "Rua das Flores,10,Centro,Porto Alegre,RS,90010-000"
)
MARIA = "CLI-002,Maria Conceição Sá,12.ABC.345/01DE-35,,,,,,São Paulo,sp,01310100"
GOOD = f"""{HEADER}
{JOAO},C-1001,500 Mega,active,joao.silva,bras-poa-01
{JOAO},C-1002,100 Mega,,joao.silva2,bras-poa-01
{MARIA},,,,,
"""


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.close()


def write(tmp_path: Path, text: str, name: str = "clientes.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def counts(db: Database) -> tuple[int, int]:
    with db.engine.connect() as conn:
        return (
            conn.execute(select(func.count()).select_from(customers)).scalar_one(),
            conn.execute(select(func.count()).select_from(contracts)).scalar_one(),
        )


def exported(db: Database) -> str:
    out = io.StringIO()
    export_customers(db, out)
    return out.getvalue()


def test_import_creates_then_updates_then_leaves_alone(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    first = import_customers(db, path)
    assert (first.rows, first.customers_created, first.contracts_created) == (3, 2, 2)
    with db.engine.connect() as conn:
        joao = conn.execute(select(customers).where(customers.c.code == "CLI-001")).one()
        maria = conn.execute(select(customers).where(customers.c.code == "CLI-002")).one()
        deals = {r.code: r for r in conn.execute(select(contracts))}
    assert (joao.doc, joao.doc_type, joao.name_search) == ("12345678909", "cpf", "joao da silva")
    assert joao.phones == ["(51) 99123-4567", "51 3333-4444"]
    assert joao.phone_search == "51991234567 5133334444"
    assert (joao.zip, joao.state) == ("90010000", "RS")
    assert (maria.doc, maria.doc_type, maria.state, maria.zip) == (
        "12ABC34501DE35",
        "cnpj",
        "SP",
        "01310100",
    )
    assert (maria.phones, maria.phone_search, maria.email) == ([], None, None)
    assert deals["C-1001"].customer_id == joao.id
    assert (deals["C-1001"].status, deals["C-1001"].pppoe_login) == ("active", "joao.silva")
    assert deals["C-1002"].status == "pending"  # no status given to a new contract

    again = import_customers(db, path)
    assert (again.customers_unchanged, again.contracts_unchanged) == (2, 2)
    assert (again.customers_created, again.customers_updated, again.contracts_updated) == (0, 0, 0)

    changed = GOOD.replace("joao@example.com", "joao@example.net").replace(
        "100 Mega,,", "100 Mega,suspended,"
    )
    third = import_customers(db, write(tmp_path, changed))
    assert (third.customers_updated, third.customers_unchanged) == (1, 1)
    assert (third.contracts_updated, third.contracts_unchanged) == (1, 1)
    assert counts(db) == (2, 2)
    with db.engine.connect() as conn:
        email = conn.execute(select(customers.c.email).where(customers.c.code == "CLI-001"))
        status = conn.execute(select(contracts.c.status).where(contracts.c.code == "C-1002"))
        assert (email.scalar_one(), status.scalar_one()) == ("joao@example.net", "suspended")


def test_every_error_is_reported_with_its_line_and_nothing_is_written(
    db: Database, tmp_path: Path
) -> None:
    text = f"""{HEADER}
{JOAO},C-1001,500 Mega,active,joao.silva,bras-poa-01
CLI-010,Ana,123.456.789-00,51 99999-1111,ana@,,,,,XX,9001,C-1010,,activ,,
CLI-011,,,,,,,,,,,C-1011,,,,
CLI-012,Bia,529.982.247-25,12,,,,,,,,C-1001,,,joao.silva,
CLI-013,Carla,123.456.789-09,,,,,,,,,,plan,,,
,Dani,,,,,,,,,,,,,,
CLI-001,João da Silva,123.456.789-09,,,,,,,,,,,,,
"""
    path = write(tmp_path, text)
    with pytest.raises(CsvImportError) as caught:
        import_customers(db, path)
    p = str(path)
    assert caught.value.errors == [
        f"{p}:3: doc: CPF 123.456.789-00: check digits do not match (expected -09)",
        f"{p}:3: email: 'ana@' is not an e-mail address",
        f"{p}:3: state: 'XX' is not a Brazilian state (two letters: RS, SP, ...)",
        f"{p}:3: zip: '9001' is not a CEP (8 digits, 90010-000)",
        f"{p}:3: status: 'activ' is not one of active, suspended, cancelled, pending",
        f"{p}:4: name: empty; every customer needs a name",
        f"{p}:5: phones: '12' is not a phone number (8 to 15 digits; separate phones with ;)",
        f"{p}:5: contract: C-1001 is also on line 2",
        f"{p}:6: contract: empty, but the row has plan",
        f"{p}:6: doc: 123.456.789-09 is also on line 2",
        f"{p}:7: customer_code: empty, and so is doc: give one to tell the customer apart",
        f"{p}:8: phones: differs from line 2 for the same customer",
        f"{p}:8: email: differs from line 2 for the same customer",
        f"{p}:8: street: differs from line 2 for the same customer",
        f"{p}:8: number: differs from line 2 for the same customer",
        f"{p}:8: district: differs from line 2 for the same customer",
        f"{p}:8: city: differs from line 2 for the same customer",
        f"{p}:8: state: differs from line 2 for the same customer",
        f"{p}:8: zip: differs from line 2 for the same customer",
    ]
    assert "nothing was imported" in str(caught.value)
    assert counts(db) == (0, 0)


def test_conflicts_with_the_store(db: Database, tmp_path: Path) -> None:
    import_customers(db, write(tmp_path, GOOD))
    text = f"""{HEADER}
CLI-020,Eva,,,,,,,,,,C-2020,,active,joao.silva,
CLI-021,Fabi,12.ABC.345/01DE-35,,,,,,,,,,,,,
CLI-002,Maria Conceição Sá,123.456.789-09,,,,,,,,,,,,,
"""
    path = write(tmp_path, text, "conflicts.csv")
    with pytest.raises(CsvImportError) as caught:
        import_customers(db, path)
    assert caught.value.errors == [
        f"{path}:2: pppoe_login: joao.silva is used by contract C-1001 in the store",
        f"{path}:3: doc: 12.ABC.345/01DE-35 belongs to customer CLI-002 in the store",
        f"{path}:4: doc: 123.456.789-09 belongs to customer CLI-001 in the store",
    ]


def test_header_problems_are_named(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "nome,doc,name,telefone,doc\nx,y,z,w,v\n")
    with pytest.raises(CsvImportError) as caught:
        import_customers(db, path)
    assert caught.value.errors[0].startswith(f"{path}:1: unknown column(s) 'nome', 'telefone';")
    assert caught.value.errors[1] == f"{path}:1: column(s) given twice: doc"
    with pytest.raises(CsvImportError, match="no 'name' column"):
        import_customers(db, write(tmp_path, "customer_code\nA\n"))
    with pytest.raises(CsvImportError, match="plan without a 'contract' column"):
        import_customers(db, write(tmp_path, "customer_code,name,plan\nA,B,C\n"))
    with pytest.raises(CsvImportError, match="empty file"):
        import_customers(db, write(tmp_path, "\n\n"))
    with pytest.raises(CsvImportError, match=r":3: 3 values, the header has 2 columns"):
        import_customers(db, write(tmp_path, "customer_code,name\nA,B\nC,D,E\n"))


def test_skip_bad_imports_the_good_rows(db: Database, tmp_path: Path) -> None:
    text = f"""{HEADER}
{JOAO},C-1001,500 Mega,active,joao.silva,bras-poa-01
CLI-010,Ana,123.456.789-00,,,,,,,,,C-1010,,,,
{MARIA},C-2001,,,,
"""
    path = write(tmp_path, text)
    summary = import_customers(db, path, skip_bad=True)
    assert summary == ImportSummary(
        rows=3,
        customers_created=2,
        contracts_created=2,
        rows_skipped=1,
        errors=[f"{path}:3: doc: CPF 123.456.789-00: check digits do not match (expected -09)"],
    )
    assert counts(db) == (2, 2)


def test_dry_run_counts_without_writing(db: Database, tmp_path: Path) -> None:
    summary = import_customers(db, write(tmp_path, GOOD), dry_run=True)
    assert (summary.customers_created, summary.contracts_created, summary.dry_run) == (2, 2, True)
    assert counts(db) == (0, 0)


def test_excel_semicolons_and_byte_order_mark(db: Database, tmp_path: Path) -> None:
    text = (
        "Name;Doc;Customer_Code;Phones;Contract;Status\r\n"
        'José Ávila;529.982.247-25;CLI-9;"51 99999-1111";C-9;Active\r\n'
        '"Conceição; Irmãos";12.345.678/0001-95;;;;\r\n'
    )
    path = write(tmp_path, text, encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    summary = import_customers(db, path)
    assert (summary.customers_created, summary.contracts_created) == (2, 1)
    with db.engine.connect() as conn:
        rows = conn.execute(select(customers.c.name, customers.c.doc).order_by(customers.c.id))
        assert rows.all() == [
            ("José Ávila", "52998224725"),
            ("Conceição; Irmãos", "12345678000195"),
        ]


def test_a_customer_without_a_code_is_found_by_document(db: Database, tmp_path: Path) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            insert(customers).values(
                name="Old Name", name_search="old name", doc="52998224725", phones=[]
            )
        )
    path = write(tmp_path, "name,doc,customer_code\nNew Name,529.982.247-25,CLI-7\n")
    summary = import_customers(db, path)
    assert (summary.customers_created, summary.customers_updated) == (0, 1)
    with db.engine.connect() as conn:
        row = conn.execute(select(customers.c.name, customers.c.name_search, customers.c.code))
        assert row.one() == ("New Name", "new name", "CLI-7")


def test_not_utf8_is_refused_with_its_line(db: Database, tmp_path: Path) -> None:
    path = write(tmp_path, "name,doc\nJosé,529.982.247-25\n", encoding="cp1252")
    with pytest.raises(CsvImportError, match=r"clientes.csv:2: not UTF-8 text"):
        import_customers(db, path)


def test_round_trip(db: Database, tmp_path: Path) -> None:
    olt = {"name": "olt-poa-01", "vendor": "huawei"}
    lab_onus = [
        LabOnu("olt-poa-01", "huawei", "0/1/1", f"HWTC{n:08X}", n if n % 5 else None)
        for n in range(1, 40)
    ]
    seed_lab(db, [olt], lab_onus, concentrators=1)
    # The lab's contracts are C-1001...: the ERP's get other codes.
    import_customers(db, write(tmp_path, GOOD.replace("C-100", "ERP-100")))
    first = exported(db)
    assert first.count("\r\n") == 1 + 39 + 3
    with db.engine.begin() as conn:
        conn.execute(delete(contracts))
        conn.execute(delete(customers))
    summary = import_customers(db, write(tmp_path, first, "export.csv"))
    assert (summary.customers_created, summary.contracts_created) == (41, 41)
    assert exported(db) == first
