"""The contracts a PPP block or unblock works on, as the store gives them to each
concentrator: only the named ones, only its own, none left out."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import insert

from ispflow.store.billing import ppp_contracts
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
