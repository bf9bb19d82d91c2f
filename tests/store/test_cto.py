"""CTO and seal rules: the CTO is on the contract's PON, one contract per CTO port, a seal
code is used once."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import insert, select

from ispflow.store.contracts import record_onu
from ispflow.store.cto import FieldError, add_cto, link_cto, list_ctos, register_seal
from ispflow.store.db import Database
from ispflow.store.schema import contracts, customers, seals


def contract_on(db: Database, code: str, olt: str, port: str, onu_id: int, serial: str) -> None:
    with db.engine.begin() as conn:
        customer = conn.execute(
            insert(customers).values(
                code=f"K{code}", name=f"Cliente {code}", name_search=f"cliente {code}", phones=[]
            )
        ).inserted_primary_key[0]
        conn.execute(insert(contracts).values(code=code, customer_id=customer, status="pending"))
    record_onu(
        db,
        olt=olt,
        port=port,
        onu_id=onu_id,
        serial=serial,
        vendor="huawei",
        contract=code,
    )


@pytest.fixture
def plant(db: Database) -> Database:
    contract_on(db, "C-1", "olt-a", "0/1/0", 1, "HWTC00000001")
    contract_on(db, "C-2", "olt-a", "0/1/0", 2, "HWTC00000002")
    contract_on(db, "C-3", "olt-a", "0/1/1", 1, "HWTC00000003")
    add_cto(db, "CTO-A0", olt="olt-a", port="0/1/0", ports_total=8, location="Rua A, 10")
    add_cto(db, "CTO-A1", olt="olt-a", port="0/1/1", ports_total=8)
    return db


def cto_of(db: Database, contract: str) -> tuple[str | None, int | None]:
    from ispflow.store.contracts import find_contract

    found = find_contract(db, contract)
    return found["cto"], found["cto_port"]


def test_link_a_contract_to_a_cto_port_on_its_pon(plant: Database) -> None:
    assert link_cto(plant, "C-1", "CTO-A0", 3)["changed"] is True
    assert cto_of(plant, "C-1") == ("CTO-A0", 3)
    assert link_cto(plant, "C-1", "CTO-A0", 3)["changed"] is False
    # Moving to another port frees the first.
    link_cto(plant, "C-1", "CTO-A0", 4)
    link_cto(plant, "C-2", "CTO-A0", 3)
    assert cto_of(plant, "C-2") == ("CTO-A0", 3)
    listed = {c["cto"]: c for c in list_ctos(plant)}
    assert listed["CTO-A0"]["used"] == 2 and listed["CTO-A0"]["port"] == "0/1/0"
    assert listed["CTO-A1"]["used"] == 0
    assert [c["cto"] for c in list_ctos(plant, olt="olt-a", port="0/1/1")] == ["CTO-A1"]


def test_cto_on_another_pon_is_refused_naming_both(plant: Database) -> None:
    with pytest.raises(FieldError) as refused:
        link_cto(plant, "C-3", "CTO-A0", 1)
    message = str(refused.value)
    assert "CTO-A0" in message and "olt-a 0/1/0" in message
    assert "C-3" in message and "olt-a 0/1/1" in message
    assert cto_of(plant, "C-3") == (None, None)


def test_a_cto_port_holds_one_contract(plant: Database) -> None:
    link_cto(plant, "C-1", "CTO-A0", 5)
    with pytest.raises(FieldError, match="port 5 is already used by contract C-1"):
        link_cto(plant, "C-2", "CTO-A0", 5)
    assert cto_of(plant, "C-2") == (None, None)


def test_racing_links_on_one_port_leave_one_contract(plant: Database) -> None:
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def link(contract: str) -> None:
        start.wait()
        try:
            link_cto(plant, contract, "CTO-A0", 7)
            outcomes.append("ok")
        except FieldError as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=link, args=(c,)) for c in ("C-1", "C-2")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1
    assert [cto_of(plant, c) for c in ("C-1", "C-2")].count(("CTO-A0", 7)) == 1


@pytest.mark.parametrize(
    ("contract", "cto", "port", "message"),
    [
        ("C-404", "CTO-A0", 1, "contract 'C-404' is not in the store"),
        ("C-1", "CTO-NOPE", 1, "CTO CTO-NOPE is not in the store"),
        ("C-1", "CTO-A0", 9, "has ports 1-8; there is no port 9"),
        ("C-1", "CTO-A0", 0, "there is no port 0"),
        ("C-1", "CTO A0; reboot", 1, "is not valid"),
    ],
)
def test_bad_links_are_clear_errors(
    plant: Database, contract: str, cto: str, port: int, message: str
) -> None:
    with pytest.raises(FieldError, match=message):
        link_cto(plant, contract, cto, port)


def test_contract_without_onu_cannot_get_a_cto(plant: Database) -> None:
    with plant.engine.begin() as conn:
        customer = conn.execute(select(customers.c.id).limit(1)).scalar()
        conn.execute(insert(contracts).values(code="C-9", customer_id=customer))
    with pytest.raises(FieldError, match="no ONU"):
        link_cto(plant, "C-9", "CTO-A0", 1)


def test_add_cto_checks(plant: Database) -> None:
    with pytest.raises(FieldError, match="already exists"):
        add_cto(plant, "CTO-A0", olt="olt-a", port="0/1/0")
    with pytest.raises(FieldError, match="OLT 'olt-z' is not in the store"):
        add_cto(plant, "CTO-Z", olt="olt-z", port="0/1/0")
    with pytest.raises(FieldError, match="out of range"):
        add_cto(plant, "CTO-B", olt="olt-a", port="0/1/0", ports_total=0)


def test_seal_is_registered_once(plant: Database) -> None:
    assert register_seal(plant, "C-1", "L-000123", by="ana")["changed"] is True
    assert register_seal(plant, "C-1", "L-000123")["changed"] is False
    with pytest.raises(FieldError, match="seal L-000123 is already registered on contract C-1"):
        register_seal(plant, "C-2", "L-000123")
    # A new seal on C-1 replaces the current one; the old code stays used.
    register_seal(plant, "C-1", "L-000124")
    with pytest.raises(FieldError, match="already registered"):
        register_seal(plant, "C-2", "L-000123")
    with plant.engine.connect() as conn:
        current = conn.execute(
            select(seals.c.code)
            .join(contracts, contracts.c.seal_id == seals.c.id)
            .where(contracts.c.code == "C-1")
        ).scalar()
        by = conn.execute(select(seals.c.registered_by).where(seals.c.code == "L-000123")).scalar()
    assert current == "L-000124"
    assert by == "ana"
    with pytest.raises(FieldError, match="is not valid"):
        register_seal(plant, "C-2", "L 1\nreboot")
    with pytest.raises(FieldError, match="not in the store"):
        register_seal(plant, "C-404", "L-1")
