"""The contracts a PPP block or unblock works on, as the store gives them to each
concentrator: only the named ones, only its own, none left out."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, event, insert

from ispflow.store import bulk_sql
from ispflow.store.billing import (
    contracts_elsewhere,
    ppp_contracts,
    record_blocks,
    record_unblocks,
    remember_profiles,
)
from ispflow.store.db import Database, open_database
from ispflow.store.schema import contracts, customers


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    with database.engine.begin() as conn:
        customer = conn.execute(
            insert(customers).values(name="Maria da Conceição", name_search="maria da conceicao")
        ).inserted_primary_key[0]
        rows = [
            ("C-1", "maria.1", "bras-01"),
            ("C-2", "maria.2", "bras-01"),
            ("C-3", "maria.3", "bras-02"),
            ("C-4", None, "bras-02"),
            ("C-5", "maria.5", None),
        ]
        for code, login, concentrator in rows:
            conn.execute(
                insert(contracts).values(
                    code=code,
                    customer_id=customer,
                    status="active",
                    pppoe_login=login,
                    concentrator=concentrator,
                )
            )
    yield database
    database.close()


def test_one_concentrator_gets_only_its_named_contracts(db: Database) -> None:
    named = ["C-1", "C-3", "C-4", "C-5", "C-404"]
    assert sorted(ppp_contracts(db, named, "bras-01")) == ["C-1"]  # C-2 is not named
    assert sorted(ppp_contracts(db, named, "bras-02")) == ["C-3", "C-4"]
    assert ppp_contracts(db, named, "bras-99") == {}


def test_without_a_concentrator_every_named_contract_the_store_knows(db: Database) -> None:
    found = ppp_contracts(db, ["C-5", "C-1", "C-404", "C-4", "C-1"], None)
    assert sorted(found) == ["C-1", "C-4", "C-5"]
    assert found["C-5"].concentrator is None and found["C-4"].login is None
    assert found["C-1"].login == "maria.1" and found["C-1"].concentrator == "bras-01"


def test_more_names_than_one_statement_can_carry(db: Database) -> None:
    named = [f"C-{n}" for n in range(2000)]
    assert sorted(ppp_contracts(db, named, None)) == ["C-1", "C-2", "C-3", "C-4", "C-5"]


def _many(db: Database, count: int) -> list[str]:
    with db.engine.begin() as conn:
        customer = conn.execute(
            insert(customers).values(name="João Grande", name_search="joao grande")
        ).inserted_primary_key[0]
        codes = [f"M-{n:04d}" for n in range(count)]
        conn.execute(
            insert(contracts),
            [
                {"code": c, "customer_id": customer, "status": "active", "concentrator": "bras-09"}
                for c in codes
            ],
        )
    return codes


def _stored(db: Database) -> list[tuple[object, ...]]:
    """The written columns as the driver gives them back: the storage format itself. The
    block's time differs between two runs; its form (type, digits masked) must not."""
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql(
            "SELECT code, blocked, block_reason, blocked_at, unblock_profile, ip_address, "
            "overdue_since FROM contracts ORDER BY code"
        )
        return [
            (*row[:3], type(row[3]).__name__, re.sub(r"\d", "9", str(row[3])), *row[4:])
            for row in rows
        ]


def _block_and_unblock(db: Database, codes: list[str]) -> None:
    remember_profiles(db, {c: f"plano-{n % 3}" for n, c in enumerate(codes)})
    record_blocks(
        db,
        [
            {"code": c, "reason": "inadimplência", "unblock_profile": "plano-1g",
             "address": f"100.96.0.{n % 250}" if n % 2 else None}
            for n, c in enumerate(codes)
        ],
    )  # fmt: skip
    record_unblocks(db, [{"code": c, "address": "100.64.0.9"} for c in codes[::3]])


def test_bulk_records_store_what_one_statement_per_contract_stores(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = []
    for update_from in (True, False):
        monkeypatch.setattr(bulk_sql, "SQLITE_UPDATE_FROM", update_from)
        database = open_database(db_url)
        try:
            with database.engine.begin() as conn:
                conn.execute(delete(contracts))
            codes = _many(database, 950)
            _block_and_unblock(database, codes)
            stored.append(_stored(database))
        finally:
            database.close()
    assert stored[0] == stored[1]
    blocked = [row for row in stored[0] if "inadimplência" in row]
    assert len(blocked) == 950 - len(range(0, 950, 3))


def test_on_sqlite_many_contracts_take_a_few_statements_not_one_per_contract(
    tmp_path: Path,
) -> None:
    # An executemany is a GIL hand-over per row: beside busy worker threads, seconds.
    database = open_database(f"sqlite:///{tmp_path / 'store.db'}")
    codes = _many(database, 950)
    statements: list[tuple[str, bool]] = []

    def seen(conn: object, cursor: object, sql: str, params: object, context: object,
             executemany: bool) -> None:  # fmt: skip
        if sql.lstrip().upper().startswith(("UPDATE", "WITH")):
            statements.append((sql, executemany))

    event.listen(database.engine, "before_cursor_execute", seen)
    try:
        remember_profiles(database, {c: "plano-1g" for c in codes})
        record_blocks(database, [{"code": c, "reason": "x", "address": None} for c in codes])
    finally:
        database.close()
    # 950 contracts, 400 a statement: three statements for each of the two writes.
    assert len(statements) == 6 and not any(many for _, many in statements)


def test_a_contract_named_twice_keeps_the_last_values(db: Database) -> None:
    remember_profiles(db, {"C-1": "plano-a"})
    record_blocks(
        db,
        [{"code": "C-1", "reason": "first"}, {"code": "C-2", "reason": "x"},
         {"code": "C-1", "reason": "last"}],
    )  # fmt: skip
    found = ppp_contracts(db, ["C-1", "C-2"], None)
    assert found["C-1"].block_reason == "last" and found["C-1"].blocked
    assert found["C-2"].block_reason == "x"


def test_contracts_on_no_concentrator_of_the_run(db: Database) -> None:
    named = ["C-1", "C-2", "C-3", "C-4", "C-5", "C-404"]
    found = contracts_elsewhere(db, named, {"bras-01"})
    assert sorted(found) == ["C-3", "C-4", "C-404", "C-5"]
    assert found["C-404"] is None and found["C-5"] is not None
    assert found["C-5"].concentrator is None and found["C-3"].concentrator == "bras-02"
    assert contracts_elsewhere(db, named[:5], {"bras-01", "bras-02"}) == {"C-5": found["C-5"]}
    assert contracts_elsewhere(db, ["C-1", "C-3", "C-4"], {"bras-01", "bras-02"}) == {}


def test_when_every_contract_is_on_the_run_only_counts_are_read(db: Database) -> None:
    codes = _many(db, 1000)  # on bras-09: two chunks of names
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda c, cur, sql, *a: statements.append(sql))
    assert contracts_elsewhere(db, codes, {"bras-09"}) == {}
    assert len(statements) == 2 and all("count(" in s.lower() for s in statements)
    statements.clear()
    found = contracts_elsewhere(db, [*codes, "M-9999"], {"bras-09"})
    assert found == {"M-9999": None}
    # The chunk holding the unknown code is read in full; the other only counted.
    assert ["count(" in s.lower() for s in statements] == [True, True, False]


def test_a_concentrators_few_named_contracts_are_read_by_name(db: Database) -> None:
    codes = _many(db, 950)  # bras-09's
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda c, cur, sql, *a: statements.append(sql))
    assert sorted(ppp_contracts(db, codes[:3], "bras-09")) == codes[:3]
    assert ppp_contracts(db, codes[:3], "bras-01") == {}
    # A lookup reads its contracts' rows only, not the concentrator's 950.
    assert all(" IN (" in sql for sql in statements)
    statements.clear()
    # More names than a statement carries: the concentrator's contracts, kept if named.
    found = ppp_contracts(db, [*codes, "C-1", "C-404"], "bras-09")
    assert sorted(found) == codes
    assert len(statements) == 1 and " IN (" not in statements[0]
