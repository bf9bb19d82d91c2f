"""Finding customers by id, code, name, CPF/CNPJ and phone, with their contracts (SQLite and
PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Connection, event, insert, update

from ispflow.store.contracts import ContractError
from ispflow.store.customers import SearchError, contract_details, find_customers
from ispflow.store.db import Database, open_database
from ispflow.store.documents import DocumentError
from ispflow.store.normalize import phone_key, search_key
from ispflow.store.schema import (
    contracts,
    cto_ports,
    ctos,
    customers,
    olts,
    onus,
    optical_daily,
    optical_readings,
    pon_ports,
    seals,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    database = open_database(db_url)
    yield database
    database.close()


def _id(conn: Connection, statement: Any) -> int:
    return int(conn.execute(statement).inserted_primary_key[0])


def add_customer(conn: Connection, name: str, **values: Any) -> int:
    phones = values.pop("phones", [])
    return _id(
        conn,
        insert(customers).values(
            name=name,
            name_search=search_key(name),
            phones=phones,
            phone_search=phone_key(phones),
            **values,
        ),
    )


def add_onu(conn: Connection, olt: int, pon: int, onu_index: int, serial: str) -> int:
    return _id(
        conn,
        insert(onus).values(
            olt_id=olt,
            pon_port_id=pon,
            frame=0,
            slot=1,
            port=3,
            onu_index=onu_index,
            serial=serial,
            state="authorized",
        ),
    )


def reading(
    serial: str, contract: str | None, rx: float, klass: str, hours_ago: float, onu: int = 5
) -> dict:
    return {
        "olt": "olt-poa-01",
        "frame": 0,
        "slot": 1,
        "port": 3,
        "onu_index": onu,
        "serial": serial,
        "contract": contract,
        "rx_dbm": rx,
        "state": "online",
        "signal_class": klass,
        "read_at": NOW - timedelta(hours=hours_ago),
    }


@pytest.fixture
def seeded(db: Database) -> dict[str, int]:
    ids: dict[str, int] = {}
    with db.engine.begin() as conn:
        olt = _id(conn, insert(olts).values(name="olt-poa-01", vendor="huawei"))
        pon = _id(conn, insert(pon_ports).values(olt_id=olt, frame=0, slot=1, port=3))
        cto = _id(conn, insert(ctos).values(code="CTO-POA-001", pon_port_id=pon, ports_total=16))
        cto_port = _id(conn, insert(cto_ports).values(cto_id=cto, number=3))
        onu_joao = add_onu(conn, olt, pon, 5, "HWTC00000005")
        onu_maria = add_onu(conn, olt, pon, 6, "HWTC00000006")
        ids["joao"] = add_customer(
            conn,
            "João da Silva Sauro",
            code="CLI-001",
            doc="12345678909",
            doc_type="cpf",
            phones=["+55 (51) 99123-4567", "51 3333-4444"],
            city="Porto Alegre",
            state="RS",
        )
        ids["maria"] = add_customer(
            conn,
            "Maria Conceição Sá",
            code="CLI-002",
            doc="12ABC34501DE35",
            doc_type="cnpj",
            phones=["(11) 98765-4321"],
            street="Rua das Flores",
            number="10",
            district="Centro",
            city="São Paulo",
            state="SP",
            zip="01310100",
        )
        ids["pedro"] = add_customer(
            conn,
            "JOÃO PEDRO ALVES",
            code="CLI-003",
            doc="52998224725",
            doc_type="cpf",
            phones=["51988887777"],
        )
        ids["ana"] = add_customer(conn, "Ana Sílvia Souza", code="77")
        ids["c1001"] = _id(
            conn,
            insert(contracts).values(
                code="C-1001",
                customer_id=ids["joao"],
                plan="500 Mega",
                status="active",
                pppoe_login="joao.silva",
                concentrator="bras-poa-01",
                ip_address="100.64.0.10",
                onu_id=onu_joao,
                cto_port_id=cto_port,
            ),
        )
        seal = _id(conn, insert(seals).values(code="LAC-0001", contract_id=ids["c1001"]))
        conn.execute(update(contracts).where(contracts.c.id == ids["c1001"]).values(seal_id=seal))
        ids["c1002"] = _id(
            conn,
            insert(contracts).values(
                code="C-1002",
                customer_id=ids["joao"],
                plan="100 Mega",
                status="suspended",
                blocked=True,
                block_reason="fatura vencida",
            ),
        )
        ids["c2001"] = _id(
            conn,
            insert(contracts).values(
                code="C-2001", customer_id=ids["maria"], status="active", onu_id=onu_maria
            ),
        )
        # Only seals.contract_id points at this seal: the contract's own seal_id is not set.
        conn.execute(
            insert(seals).values(
                code="LAC-0002", contract_id=ids["c2001"], registered_at=NOW - timedelta(days=2)
            )
        )
        conn.execute(
            insert(seals).values(
                code="LAC-0003", contract_id=ids["c2001"], registered_at=NOW - timedelta(days=1)
            )
        )
        conn.execute(
            insert(optical_readings),
            [
                reading("HWTC00000005", "C-1001", -20.1, "good", 3),
                reading("HWTC00000005", "C-1001", -26.3, "warning", 1),
                # The newest reading of the ONU did not know its contract.
                reading("HWTC00000005", None, -27.5, "critical", 0.5),
                reading("HWTC00000006", None, -19.0, "good", 5, onu=6),
                reading("HWTC00000006", None, -21.0, "good", 2, onu=6),
                reading("HWTC99999999", "C-9999", -10.0, "good", 0),
            ],
        )
    return ids


def names(found: list[dict[str, Any]]) -> list[str]:
    return [customer["name"] for customer in found]


# -- names -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("joao", ["João da Silva Sauro", "JOÃO PEDRO ALVES"]),
        ("JOÃO", ["João da Silva Sauro", "JOÃO PEDRO ALVES"]),
        ("silva joão", ["João da Silva Sauro"]),
        ("  Sauro   da ", ["João da Silva Sauro"]),
        ("silv", ["Ana Sílvia Souza", "João da Silva Sauro"]),
        ("sílvia", ["Ana Sílvia Souza"]),
        ("conceicao sa", ["Maria Conceição Sá"]),
        ("CONCEIÇÃO", ["Maria Conceição Sá"]),
        ("maria pedro", []),
        ("s%a", []),
        ("a_v", []),
    ],
)
def test_names_match_every_word_ignoring_accents_case_and_order(
    db: Database, seeded: dict[str, int], query: str, expected: list[str]
) -> None:
    assert names(find_customers(db, query)) == expected
    assert names(find_customers(db, query, by="name")) == expected


def test_limit(db: Database, seeded: dict[str, int]) -> None:
    assert names(find_customers(db, "joao", limit=1)) == ["João da Silva Sauro"]
    with pytest.raises(SearchError):
        find_customers(db, "joao", limit=0)


# -- documents -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "by", "expected"),
    [
        ("123.456.789-09", None, "João da Silva Sauro"),
        ("123456789-09", None, "João da Silva Sauro"),
        ("12345678909", None, "João da Silva Sauro"),
        ("12345678909", "doc", "João da Silva Sauro"),
        ("529.982.247-25", "doc", "JOÃO PEDRO ALVES"),
        ("12.ABC.345/01DE-35", None, "Maria Conceição Sá"),
        ("12.abc.345/01de-35", None, "Maria Conceição Sá"),
        ("12ABC34501DE35", None, "Maria Conceição Sá"),
        ("12abc34501de35", "doc", "Maria Conceição Sá"),
    ],
)
def test_documents_with_or_without_punctuation(
    db: Database, seeded: dict[str, int], query: str, by: str | None, expected: str
) -> None:
    assert names(find_customers(db, query, by=by)) == [expected]


@pytest.mark.parametrize(
    ("query", "by", "message"),
    [
        ("123.456.789-00", None, "CPF 123.456.789-00: check digits do not match (expected -09)"),
        ("12345678900", "doc", "CPF 123.456.789-00: check digits do not match (expected -09)"),
        ("12.ABC.345/01DE-99", None, "CNPJ 12.ABC.345/01DE-99: check digits do not match"),
        ("111.111.111-11", None, "all digits the same"),
        ("123", "doc", "3 characters"),
    ],
)
def test_a_punctuated_or_forced_document_is_checked_strictly(
    db: Database, seeded: dict[str, int], query: str, by: str | None, message: str
) -> None:
    with pytest.raises(DocumentError) as caught:
        find_customers(db, query, by=by)
    assert message in str(caught.value)


def test_bare_digits_with_wrong_check_digits_are_a_phone_not_an_error(
    db: Database, seeded: dict[str, int]
) -> None:
    assert find_customers(db, "12345678900") == []


# -- phones ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("(51) 99123-4567", ["João da Silva Sauro"]),
        ("+55 51 99123-4567", ["João da Silva Sauro"]),
        ("5551991234567", ["João da Silva Sauro"]),
        ("99123-4567", ["João da Silva Sauro"]),
        ("991234567", ["João da Silva Sauro"]),
        ("3333-4444", ["João da Silva Sauro"]),
        ("(51) 3333.4444", ["João da Silva Sauro"]),
        # Stored without country code, searched with it (and the other way round above).
        ("+55 (51) 98888-7777", ["JOÃO PEDRO ALVES"]),
        ("0 51 98888 7777", ["JOÃO PEDRO ALVES"]),
        ("98888-7777", ["JOÃO PEDRO ALVES"]),
        ("11 98765 4321", ["Maria Conceição Sá"]),
        # The middle of a number is not its end.
        ("99123456", []),
    ],
)
def test_phones_in_any_formatting_with_or_without_area_and_country_code(
    db: Database, seeded: dict[str, int], query: str, expected: list[str]
) -> None:
    assert names(find_customers(db, query)) == expected
    assert names(find_customers(db, query, by="phone")) == expected


def test_too_short_a_phone_is_refused(db: Database, seeded: dict[str, int]) -> None:
    with pytest.raises(SearchError, match="at least 8 digits"):
        find_customers(db, "4567", by="phone")


# -- ids and codes ---------------------------------------------------------------------------
def test_store_id_and_codes(db: Database, seeded: dict[str, int]) -> None:
    assert names(find_customers(db, str(seeded["maria"]))) == ["Maria Conceição Sá"]
    assert names(find_customers(db, str(seeded["maria"]), by="id")) == ["Maria Conceição Sá"]
    assert names(find_customers(db, "CLI-003")) == ["JOÃO PEDRO ALVES"]
    assert names(find_customers(db, "CLI-003", by="id")) == ["JOÃO PEDRO ALVES"]
    assert names(find_customers(db, "77")) == ["Ana Sílvia Souza"]
    assert find_customers(db, "CLI-003", by="name") == []
    assert find_customers(db, "9999") == []


def test_bad_searches(db: Database, seeded: dict[str, int]) -> None:
    with pytest.raises(SearchError, match="empty"):
        find_customers(db, "   ")
    with pytest.raises(SearchError, match="id, name, doc, phone"):
        find_customers(db, "joao", by="email")


# -- what comes back -------------------------------------------------------------------------
def test_each_customer_comes_with_its_contracts_onu_cto_seal_and_latest_signal(
    db: Database, seeded: dict[str, int]
) -> None:
    (joao,) = find_customers(db, "123.456.789-09")
    assert joao["code"] == "CLI-001"
    assert joao["doc_formatted"] == "123.456.789-09"
    assert joao["phones"] == ["+55 (51) 99123-4567", "51 3333-4444"]
    first, second = joao["contracts"]
    assert first["code"] == "C-1001"
    assert first["plan"] == "500 Mega"
    assert (first["status"], first["blocked"]) == ("active", False)
    assert first["pppoe_login"] == "joao.silva"
    assert first["concentrator"] == "bras-poa-01"
    assert first["ip_address"] == "100.64.0.10"
    assert first["onu"] == {
        "olt": "olt-poa-01",
        "port": "0/1/3",
        "onu_id": 5,
        "serial": "HWTC00000005",
        "state": "authorized",
    }
    assert first["cto"] == {"code": "CTO-POA-001", "port": 3}
    assert first["seal"] == "LAC-0001"
    # The newest reading of the ONU, found by its serial, beats older ones by contract code.
    signal = first["signal"]
    assert (signal["rx_dbm"], signal["signal_class"]) == (-27.5, "critical")
    assert signal["read_at"] == NOW - timedelta(minutes=30)
    assert second["code"] == "C-1002"
    assert (second["status"], second["blocked"], second["block_reason"]) == (
        "suspended",
        True,
        "fatura vencida",
    )
    assert (second["onu"], second["cto"], second["seal"], second["signal"]) == (
        None,
        None,
        None,
        None,
    )
    (ana,) = find_customers(db, "77")
    assert ana["contracts"] == []


def test_contract_details(db: Database, seeded: dict[str, int]) -> None:
    details = contract_details(db, "C-2001")
    assert details["seal"] == "LAC-0003"  # the newest seal registered to the contract
    assert details["signal"]["rx_dbm"] == -21.0
    assert details["onu"]["serial"] == "HWTC00000006"
    customer = details["customer"]
    assert customer["name"] == "Maria Conceição Sá"
    assert customer["doc_formatted"] == "12.ABC.345/01DE-35"
    assert customer["address"] == {
        "street": "Rua das Flores",
        "number": "10",
        "district": "Centro",
        "city": "São Paulo",
        "state": "SP",
        "zip": "01310100",
    }
    assert "contracts" not in customer
    assert contract_details(db, seeded["c1002"])["code"] == "C-1002"
    assert contract_details(db, str(seeded["c1001"]))["signal"]["signal_class"] == "critical"


def test_an_unknown_contract_is_a_lookup_error(db: Database, seeded: dict[str, int]) -> None:
    with pytest.raises(LookupError, match="contract 'C-404' is not in the store"):
        contract_details(db, "C-404")
    with pytest.raises(ContractError):
        contract_details(db, "424242")


def daily(contract: str | None, serial: str | None, onu: int, day: datetime) -> dict:
    """The daily roll-up a prune leaves of an ONU's day (only where and who matter here)."""
    return {
        "olt": "olt-poa-01", "frame": 0, "slot": 1, "port": 3, "onu_index": onu,
        "bucket": day.replace(hour=0), "serial": serial, "contract": contract,
        "samples": 1, "offline_samples": 0, "rx_samples": 1,
    }  # fmt: skip


def test_the_number_of_queries_does_not_grow_with_the_customers_found(db: Database) -> None:
    with db.engine.begin() as conn:
        for number in range(60):
            customer = add_customer(conn, f"Cliente Teste {number:02d}", code=f"T{number}")
            conn.execute(
                insert(contracts).values(code=f"K-{number}", customer_id=customer, status="active")
            )
            # Contracts without an ONU now: their readings are found where the daily
            # roll-ups saw their code.
            conn.execute(
                insert(optical_readings).values(
                    reading("S", f"K-{number}", -20.0, "good", number, onu=number)
                    | {"serial": None}
                )
            )
            conn.execute(
                insert(optical_daily).values(
                    daily(f"K-{number}", None, number, NOW - timedelta(hours=number))
                )
            )
    statements: list[str] = []
    event.listen(db.engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
    found = find_customers(db, "cliente teste", limit=60)
    assert len(found) == 60
    assert all(c["contracts"][0]["signal"]["rx_dbm"] == -20.0 for c in found)
    assert len(statements) <= 5


def test_the_newest_reading_is_found_where_the_onu_was_seen_before(
    db: Database, seeded: dict[str, int]
) -> None:
    """Readings are looked up by position: where the contract's ONU is now, and where the
    daily roll-ups saw its contract code or serial (an ONU moved to another PON position)."""
    old_day = NOW - timedelta(days=1)
    with db.engine.begin() as conn:
        # C-2001's ONU (serial ...06, now at ONU id 6) was at ONU id 40 the day before; a
        # newer reading there, by serial, beats the ones at its present place. Another ONU's
        # reading at 40 (neither the code nor the serial) is not its.
        conn.execute(
            insert(optical_readings),
            [
                reading("HWTC00000006", None, -23.5, "warning", 1, onu=40),
                reading("HWTC00000077", "C-7777", -11.0, "good", 0, onu=40),
            ],
        )
        conn.execute(insert(optical_daily).values(daily(None, "HWTC00000006", 40, old_day)))
    signal = contract_details(db, "C-2001")["signal"]
    assert (signal["rx_dbm"], signal["signal_class"]) == (-23.5, "warning")
    # Without the roll-up the old place is not known: the newest at its present place.
    with db.engine.begin() as conn:
        conn.execute(optical_daily.delete())
    assert contract_details(db, "C-2001")["signal"]["rx_dbm"] == -21.0
