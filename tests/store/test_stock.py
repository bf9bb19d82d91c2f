"""The ONU stock: normalisation, every transition allowed and refused, the link to the
contract's installation order, and one winner when two people reserve one ONU (SQLite and
PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import update

from ispflow.store import stock
from ispflow.store.customer_csv import import_customers
from ispflow.store.db import Database
from ispflow.store.onu_owners import OnuTaken, check_onu_free
from ispflow.store.schema import stock_items
from ispflow.store.stock import StockError
from ispflow.store.tickets.model import NewTicket
from ispflow.store.tickets.store_backend import StoreTicketBackend

SERIAL = "HWTC1A2B3C4D"

CUSTOMERS = (
    "customer_code,name,doc,contract,plan,status\n"
    "CLI-1,João da Silva,123.456.789-09,C-1001,500 Mega,pending\n"
    "CLI-2,Maria Sá,,C-1002,300 Mega,pending\n"
)


@pytest.fixture
def contracts(db: Database, tmp_path: Path) -> Database:
    """C-1001 and C-1002 in the store, as an ERP import brings them."""
    source = tmp_path / "clientes.csv"
    source.write_text(CUSTOMERS, encoding="utf-8")
    import_customers(db, source)
    return db


def _state(db: Database, ref: str = SERIAL) -> str:
    return stock.get_item(db, ref)["state"]


def _set_state(db: Database, state: str) -> None:
    with db.writing() as conn:
        conn.execute(update(stock_items).values(state=state))


# -- normalisation ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    ["HWTC1A2B3C4D", "hwtc1a2b3c4d", " HWTC-1A2B3C4D ", "485754431A2B3C4D", "48575443 1a2b3c4d"],
)
def test_serial_spellings(text: str) -> None:
    assert stock.normalize_serial(text) == SERIAL


@pytest.mark.parametrize("text", ["HWTC1A2B3C4", "HWTC1A2B3C4G", "1234ABCDABCD", "", "HW TC"])
def test_bad_serials(text: str) -> None:
    with pytest.raises(StockError, match="not a GPON serial"):
        stock.normalize_serial(text)


@pytest.mark.parametrize(
    "text", ["aa:bb:cc:dd:ee:0f", "AA-BB-CC-DD-EE-0F", "aabb.ccdd.ee0f", "AABBCCDDEE0F"]
)
def test_mac_spellings(text: str) -> None:
    assert stock.normalize_mac(text) == "aa:bb:cc:dd:ee:0f"


def test_dates_both_ways() -> None:
    assert stock.parse_day("2026-11-24") == date(2026, 11, 24)
    assert stock.parse_day("24/11/2026") == date(2026, 11, 24)
    for bad in ("31/02/2026", "2026-13-01", "11/24", "ontem"):
        with pytest.raises(StockError, match="not a date"):
            stock.parse_day(bad)


def test_add_normalises_and_reads_back_by_either_key(db: Database) -> None:
    added = stock.add_item(
        db,
        serial="hwtc-1a2b3c4d",
        mac="AA-BB-CC-DD-EE-FF",
        model=" hg8245h ",
        vendor="Huawei",
        technology="gpon",
        received_on="24/11/2026",
        note="NF 1234",
    )
    assert added | {"id": 0, "created_at": None, "updated_at": None} == {
        "id": 0,
        "serial": SERIAL,
        "mac": "aa:bb:cc:dd:ee:ff",
        "model": "HG8245H",
        "vendor": "huawei",
        "technology": "GPON",
        "received_on": date(2026, 11, 24),
        "state": "in_stock",
        "contract": None,
        "service_order": None,
        "note": "NF 1234",
        "created_at": None,
        "updated_at": None,
    }
    assert stock.get_item(db, "aabb.ccdd.eeff")["serial"] == SERIAL
    assert stock.get_item(db, "485754431A2B3C4D")["mac"] == "aa:bb:cc:dd:ee:ff"
    with pytest.raises(StockError, match="no ONU 'ZTEG00000001' in the stock"):
        stock.get_item(db, "ZTEG00000001")
    with pytest.raises(StockError, match="neither a GPON serial"):
        stock.get_item(db, "banana")


def test_mac_only_and_serial_only_items_coexist(db: Database) -> None:
    stock.add_item(db, mac="00:11:22:33:44:55", model="F660", technology="EPON")
    stock.add_item(db, mac="00:11:22:33:44:56", model="F660", technology="EPON")
    stock.add_item(db, serial=SERIAL, model="HG8245H")
    stock.add_item(db, serial="ZTEG12345678", model="F660")
    assert len(stock.list_items(db)) == 4
    # Received today when no date is given.
    assert stock.get_item(db, "00:11:22:33:44:55")["received_on"] == date.today()


def test_add_refuses_bad_and_duplicate_items(db: Database) -> None:
    with pytest.raises(StockError, match="serial, its MAC, or both"):
        stock.add_item(db, model="HG8245H")
    with pytest.raises(StockError, match="no model"):
        stock.add_item(db, serial=SERIAL, model=" ")
    with pytest.raises(StockError, match="'xpon' is not one of GPON, EPON"):
        stock.add_item(db, serial=SERIAL, model="HG8245H", technology="xpon")
    stock.add_item(
        db, serial=SERIAL, mac="aa:bb:cc:dd:ee:ff", model="HG8245H", received_on="2026-11-01"
    )
    with pytest.raises(
        StockError,
        match=r"serial HWTC1A2B3C4D is already in the stock \(in_stock, received 2026-11-01\)",
    ):
        stock.add_item(db, serial="hwtc1a2b3c4d", model="HG8245H")
    with pytest.raises(StockError, match="mac aa:bb:cc:dd:ee:ff is already in the stock"):
        stock.add_item(db, mac="AABBCCDDEEFF", model="F660")
    assert len(stock.list_items(db)) == 1


def test_list_filters(db: Database, contracts: Database) -> None:
    stock.add_item(
        db, serial="HWTC00000001", model="HG8245H", vendor="huawei", received_on="2026-10-01"
    )
    stock.add_item(
        db, serial="HWTC00000002", model="HG8245H", vendor="huawei", received_on="2026-11-01"
    )
    stock.add_item(db, serial="ZTEG00000003", model="F660", vendor="ZTE", received_on="2026-11-15")
    stock.reserve(db, "ZTEG00000003", "C-1001")

    def serials(**filters: object) -> list[str]:
        return [i["serial"] for i in stock.list_items(db, **filters)]  # type: ignore[arg-type]

    assert serials() == ["HWTC00000001", "HWTC00000002", "ZTEG00000003"]
    assert serials(state="in_stock") == ["HWTC00000001", "HWTC00000002"]
    assert serials(model="hg8245h") == ["HWTC00000001", "HWTC00000002"]
    assert serials(vendor="zte") == ["ZTEG00000003"]
    assert serials(contract="C-1001") == ["ZTEG00000003"]
    assert serials(received_since="01/11/2026") == ["HWTC00000002", "ZTEG00000003"]
    assert serials(received_until=date(2026, 11, 1)) == ["HWTC00000001", "HWTC00000002"]
    assert serials(received_since="2026-11-02", received_until="2026-11-30") == ["ZTEG00000003"]
    assert serials(limit=1) == ["HWTC00000001"]
    with pytest.raises(StockError, match="'lost' is not a stock state"):
        stock.list_items(db, state="lost")


# -- transitions ----------------------------------------------------------------------------
def test_full_life_of_an_onu(db: Database, contracts: Database) -> None:
    stock.add_item(db, serial=SERIAL, model="HG8245H")
    reserved = stock.reserve(db, SERIAL, "C-1001")
    assert (reserved["state"], reserved["contract"]) == ("reserved", "C-1001")
    installed = stock.mark_installed(db, SERIAL)
    assert (installed["state"], installed["contract"]) == ("installed", "C-1001")
    returned = stock.mark_returned(db, SERIAL, note="contract cancelled")
    # Where it came from is kept until it is back on the shelf.
    assert (returned["state"], returned["contract"], returned["note"]) == (
        "returned",
        "C-1001",
        "contract cancelled",
    )
    back = stock.release(db, SERIAL)
    assert (back["state"], back["contract"], back["service_order"]) == ("in_stock", None, None)


def test_release_of_a_reservation_unlinks_it(db: Database, contracts: Database) -> None:
    stock.add_item(db, serial=SERIAL, model="HG8245H")
    stock.reserve(db, SERIAL, "C-1001")
    released = stock.release(db, SERIAL, note="customer gave up")
    assert (released["state"], released["contract"], released["note"]) == (
        "in_stock",
        None,
        "customer gave up",
    )
    # And it can be reserved for someone else.
    assert stock.reserve(db, SERIAL, "C-1002")["contract"] == "C-1002"


@pytest.mark.parametrize("state", ["in_stock", "reserved", "installed", "returned"])
def test_anything_can_become_defective(db: Database, contracts: Database, state: str) -> None:
    stock.add_item(db, serial=SERIAL, model="HG8245H")
    _set_state(db, state)
    item = stock.mark_defective(db, SERIAL, note="no PON light")
    assert (item["state"], item["note"]) == ("defective", "no PON light")


REFUSED = [
    ("in_stock", stock.mark_installed, "installed"),
    ("in_stock", stock.mark_returned, "returned"),
    ("in_stock", stock.release, "in_stock"),
    ("reserved", stock.mark_returned, "returned"),
    ("installed", stock.release, "in_stock"),
    ("installed", stock.mark_installed, "installed"),
    ("returned", stock.mark_installed, "installed"),
    ("defective", stock.release, "in_stock"),
    ("defective", stock.mark_installed, "installed"),
    ("defective", stock.mark_returned, "returned"),
    ("defective", stock.mark_defective, "defective"),
]


@pytest.mark.parametrize(("state", "change", "target"), REFUSED)
def test_refused_transitions_name_both_states(
    db: Database, state: str, change: object, target: str
) -> None:
    stock.add_item(db, serial=SERIAL, model="HG8245H")
    _set_state(db, state)
    if state == target:
        expected = f"ONU {SERIAL} is already {state}"
    else:
        expected = f"cannot go from {state} to {target}"
    with pytest.raises(StockError, match=expected):
        change(db, SERIAL)  # type: ignore[operator]
    assert _state(db) == state


@pytest.mark.parametrize("state", ["reserved", "installed", "returned", "defective"])
def test_reserve_refuses_what_is_not_in_stock(
    db: Database, contracts: Database, state: str
) -> None:
    stock.add_item(db, serial=SERIAL, model="HG8245H")
    stock.reserve(db, SERIAL, "C-1001")
    _set_state(db, state)
    with pytest.raises(StockError, match=f"is (already )?{state} for contract C-1001") as refused:
        stock.reserve(db, SERIAL, "C-1002")
    if state != "reserved":
        assert f"cannot go from {state} to reserved" in str(refused.value)
    assert stock.get_item(db, SERIAL)["contract"] == "C-1001"


def test_reserve_needs_a_known_contract_and_order(db: Database, contracts: Database) -> None:
    stock.add_item(db, serial=SERIAL, model="HG8245H")
    with pytest.raises(StockError, match="contract 'C-9' is not in the store"):
        stock.reserve(db, SERIAL, "C-9")
    with pytest.raises(StockError, match="no service order '123' in the store"):
        stock.reserve(db, SERIAL, "C-1001", "123")
    other = StoreTicketBackend(db).open(
        NewTicket(subject="Instalação", queue="installation", contract="C-1002")
    )
    with pytest.raises(StockError, match=f"{other.protocol} is for another contract than C-1001"):
        stock.reserve(db, SERIAL, "C-1001", other.protocol)
    assert _state(db) == "in_stock"


# -- the installation order -----------------------------------------------------------------
def test_reservation_links_the_open_installation_order(db: Database, contracts: Database) -> None:
    tickets = StoreTicketBackend(db)
    # Not these: another queue, another contract, a closed installation.
    tickets.open(NewTicket(subject="Sem sinal", queue="remote-support", contract="C-1001"))
    tickets.open(NewTicket(subject="Instalação", queue="installation", contract="C-1002"))
    done = tickets.open(NewTicket(subject="Instalação", queue="installation", contract="C-1001"))
    tickets.close(done.ref, "ana", "INST-OK", "installed")
    order = tickets.open(
        NewTicket(subject="Instalação fibra", queue="installation", contract="C-1001")
    )
    tickets.set_status(order.ref, "ana", "waiting")
    stock.add_item(db, serial=SERIAL, model="HG8245H")
    stock.add_item(db, serial="ZTEG00000001", model="F660")

    item = stock.reserve(db, SERIAL, "C-1001")
    assert (item["contract"], item["service_order"]) == ("C-1001", order.protocol)
    assert stock.mark_installed(db, SERIAL)["service_order"] == order.protocol

    # Once the installation is closed, a reservation is linked to the contract only.
    tickets.close(order.ref, "ana", "INST-OK", "installed")
    assert stock.reserve(db, "ZTEG00000001", "C-1001")["service_order"] is None


def test_an_order_given_by_protocol_wins(db: Database, contracts: Database) -> None:
    tickets = StoreTicketBackend(db)
    tickets.open(NewTicket(subject="Instalação", queue="installation", contract="C-1001"))
    swap = tickets.open(NewTicket(subject="Troca de ONU", queue="field", contract="C-1001"))
    stock.add_item(db, serial=SERIAL, model="HG8245H")
    assert stock.reserve(db, SERIAL, "C-1001", swap.protocol)["service_order"] == swap.protocol
    tickets.close(swap.ref, "ana", "OK", "swapped")
    stock.release(db, SERIAL)
    with pytest.raises(StockError, match=f"service order {swap.protocol} is closed"):
        stock.reserve(db, SERIAL, "C-1001", swap.protocol)


# -- races --------------------------------------------------------------------------------------
def test_one_winner_out_of_eight_reservations(db: Database, contracts: Database) -> None:
    stock.add_item(db, serial=SERIAL, model="HG8245H")
    barrier = threading.Barrier(8)
    won: list[str] = []
    lost: list[str] = []

    def contender(contract: str) -> None:
        barrier.wait()
        try:
            stock.reserve(db, SERIAL, contract)
            won.append(contract)
        except StockError as exc:
            lost.append(str(exc))

    threads = [
        threading.Thread(target=contender, args=("C-1001" if i % 2 else "C-1002",))
        for i in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(won) == 1 and len(lost) == 7
    assert stock.get_item(db, SERIAL)["contract"] == won[0]
    assert all(f"reserved for contract {won[0]}" in message for message in lost)


def test_by_hand_an_onu_the_stock_keeps_for_a_contract_is_refused(
    db: Database, contracts: Database
) -> None:
    """No contract named (values by hand): an ONU on the shelf is free, one reserved for a
    contract is not, and the refusal names the contract; released, it is free again."""
    stock.add_item(db, serial=SERIAL, model="HG8245H")
    check_onu_free(db, serial=SERIAL)
    stock.reserve(db, SERIAL, "C-1001")
    with pytest.raises(
        OnuTaken, match=r"reserved in the stock for contract C-1001 .*contract=C-1001"
    ):
        check_onu_free(db, serial=SERIAL)
    check_onu_free(db, serial=SERIAL, contract="C-1001")  # its own contract may have it
    stock.release(db, SERIAL)
    check_onu_free(db, serial=SERIAL)
