"""IP pools and address lists made equal to what is wanted, on the lab's concentrators."""

from __future__ import annotations

from librouteros.query import Key

from tests.lab.conftest import RunningLab, step_results
from tests.lab.test_ppp import api, free_contracts


def pools(lab: RunningLab, name: str) -> dict[str, str]:
    router = api(lab, name)
    try:
        return {p["name"]: p["ranges"] for p in router.path("ip", "pool")}
    finally:
        router.close()


def test_pool_is_created_resized_and_guarded(lab: RunningLab) -> None:
    one = ("-l", "bras-01", "-e", "pool=banco-2")
    created = lab.run_json("pool-sync", *one, "-e", "ranges=100.80.0.2-100.80.0.254")
    [result] = step_results(created, "ensure pool")
    assert result["status"] == "changed" and result["result"]["action"] == "created"
    assert pools(lab, "bras-01")["banco-2"] == "100.80.0.2-100.80.0.254"

    again = lab.run_json("pool-sync", *one, "-e", "ranges=100.80.0.2-100.80.0.254")
    [result] = step_results(again, "ensure pool")
    assert result["status"] == "ok" and result["result"]["action"] == "none"

    grown = lab.run_json("pool-sync", *one, "-e", "ranges=100.80.0.2-100.80.3.254")
    assert step_results(grown, "ensure pool")[0]["result"]["action"] == "resized"
    assert pools(lab, "bras-01")["banco-2"] == "100.80.0.2-100.80.3.254"

    clash = lab.run_json(
        "pool-sync", "-l", "bras-01", "-e", "pool=banco-3", "-e", "ranges=100.64.0.100/30",
        expect=1,
    )  # fmt: skip
    [result] = step_results(clash, "ensure pool")
    assert "overlaps pool clientes" in result["error"]
    assert "banco-3" not in pools(lab, "bras-01")

    before = pools(lab, "bras-01")["clientes"]
    shrink = lab.run_json(
        "pool-sync", "-l", "bras-01", "-e", "pool=clientes", "-e", "ranges=100.64.63.250/31",
        expect=1,
    )  # fmt: skip
    assert "in use would fall outside" in step_results(shrink, "ensure pool")[0]["error"]
    assert pools(lab, "bras-01")["clientes"] == before


def test_pools_from_a_file_go_to_their_concentrators(lab: RunningLab) -> None:
    csv = lab.root / "pools.csv"
    csv.write_text(
        "concentrator,pool,ranges\nbras-01,banco-a,100.81.0.0/24\nbras-02,banco-b,100.82.0.0/24\n"
    )
    lab.run_json("pool-sync", "-e", f"items={csv}")
    assert pools(lab, "bras-01")["banco-a"] == "100.81.0.0-100.81.0.255"
    assert "banco-b" not in pools(lab, "bras-01")
    assert pools(lab, "bras-02")["banco-b"] == "100.82.0.0-100.82.0.255"


def listed(lab: RunningLab, name: str, list_name: str) -> set[str]:
    router = api(lab, name)
    try:
        entries = router.path("ip", "firewall", "address-list")
        return {
            e["address"]
            for e in entries.select(Key("address"), Key("dynamic")).where(Key("list") == list_name)
            if not e.get("dynamic")
        }
    finally:
        router.close()


def test_address_list_sync_sends_only_the_difference(lab: RunningLab) -> None:
    router = api(lab, "bras-01")
    try:
        router.path("ip", "firewall", "address-list").add(list="liberados", address="10.9.9.9")
    finally:
        router.close()
    csv = lab.root / "liberados.csv"
    csv.write_text("address\n10.1.1.1\n10.1.1.2\n10.1.1.3\n")
    first = lab.run_json("address-list-sync", "-l", "bras-01", "-e", "list=liberados",
                         "-e", f"items={csv}")  # fmt: skip
    [result] = step_results(first, "sync list")
    assert result["result"]["added"] == ["10.1.1.1", "10.1.1.2", "10.1.1.3"]
    assert result["result"]["removed"] == ["10.9.9.9"]
    assert listed(lab, "bras-01", "liberados") == {"10.1.1.1", "10.1.1.2", "10.1.1.3"}

    again = lab.run_json("address-list-sync", "-l", "bras-01", "-e", "list=liberados",
                         "-e", f"items={csv}")  # fmt: skip
    assert step_results(again, "sync list")[0]["status"] == "ok"

    router = api(lab, "bras-01")  # drift: someone removes an entry by hand
    try:
        entries = router.path("ip", "firewall", "address-list")
        [gone] = entries.select(Key(".id")).where(Key("address") == "10.1.1.2")
        entries.remove(gone[".id"])
    finally:
        router.close()
    fixed = lab.run_json("address-list-sync", "-l", "bras-01", "-e", "list=liberados",
                         "-e", f"items={csv}")  # fmt: skip
    [result] = step_results(fixed, "sync list")
    assert (result["result"]["added"], result["result"]["removed"]) == (["10.1.1.2"], [])


def test_address_list_from_the_stores_blocked_contracts(lab: RunningLab) -> None:
    [contract] = free_contracts(lab)
    lab.run_json("ppp-block", "-e", f"contract={contract['code']}")
    name = contract["concentrator"]
    report = lab.run_json(
        "address-list-sync", "-l", name, "-e", "list=bloqueados-fixos", "-e", "source=blocked"
    )
    expected = {
        r["ip_address"]
        for r in lab.query(
            "SELECT ip_address FROM contracts WHERE blocked AND concentrator = :c "
            "AND ip_address IS NOT NULL",
            c=name,
        )
    }
    assert expected and listed(lab, name, "bloqueados-fixos") == expected
    assert step_results(report, "sync list")[0]["status"] == "changed"


def test_a_bad_address_in_the_file_names_its_line(lab: RunningLab) -> None:
    csv = lab.root / "bad.csv"
    csv.write_text("address\n10.1.1.1\nnot-an-ip\n")
    report = lab.run_json("address-list-sync", "-l", "bras-01", "-e", "list=x",
                          "-e", f"items={csv}", expect=1)  # fmt: skip
    assert (
        "bad.csv:3: 'not-an-ip' is not an IP address"
        in step_results(report, "sync list")[0]["error"]
    )
    assert listed(lab, "bras-01", "x") == set()
