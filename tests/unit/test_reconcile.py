"""Reconciliation's comparisons, on hand-made device and store views."""

from __future__ import annotations

from types import SimpleNamespace

from ispflow.engine.reconcile import device_findings, inventory_findings, plan_fixes
from ispflow.tasks.reconcile import compare_logins, compare_onus


def test_compare_onus_on_one_olt() -> None:
    device = [
        {"port": "0/1/0", "onu_id": 1, "serial": "HWTC00000001"},
        {"port": "0/1/0", "onu_id": 2, "serial": "HWTC00000002"},  # store: id 7
        {"port": "0/1/0", "onu_id": 3, "serial": "HWTC00000003"},  # no contract
        {"port": "0/1/0", "onu_id": 4, "serial": None},  # a MAC-authorized ONU
    ]
    here = [
        {"olt": "a", "port": "0/1/0", "onu_id": 1, "serial": "HWTC00000001",
         "state": "authorized", "contract": "C-1"},
        {"olt": "a", "port": "0/1/0", "onu_id": 7, "serial": "HWTC00000002",
         "state": "authorized", "contract": "C-2"},
        {"olt": "a", "port": "0/1/0", "onu_id": 9, "serial": "HWTC00000009",
         "state": "authorized", "contract": "C-9"},
        {"olt": "a", "port": "0/1/1", "onu_id": 1, "serial": "HWTC00000011",
         "state": "authorized", "contract": "C-11"},  # on a PON that was not read
    ]  # fmt: skip
    anywhere = {r["serial"]: r for r in here[:2]}
    found = compare_onus("a", {"0/1/0"}, device, here, anywhere)
    assert [(f["kind"], f["serial"]) for f in found] == [
        ("moved", "HWTC00000002"),
        ("ghost", "HWTC00000003"),
        ("missing", "HWTC00000009"),
    ]
    assert found[0]["recorded"] == {"olt": "a", "port": "0/1/0", "onu_id": 7}
    assert [f["fixable"] for f in found] == [True, False, True]


def test_moves_across_olts_are_one_finding_and_fixes_follow_the_device() -> None:
    results = [
        {"host": "a", "status": "ok", "result": {"findings": [
            {"kind": "missing", "fixable": True, "olt": "a", "port": "0/1/0", "onu_id": 5,
             "serial": "S1", "contract": "C-1"}]}},
        {"host": "b", "status": "ok", "result": {"findings": [
            {"kind": "moved", "fixable": True, "olt": "b", "port": "1/1/1", "onu_id": 2,
             "serial": "S1", "contract": "C-1",
             "recorded": {"olt": "a", "port": "0/1/0", "onu_id": 5}}]}},
        {"host": "c", "status": "failed", "error": "login refused", "result": None},
        {"host": "d", "status": "skipped", "result": None},
    ]  # fmt: skip
    findings, devices = device_findings(results)
    assert devices == 3
    assert [(f["kind"], f.get("olt") or f.get("device")) for f in findings] == [
        ("moved", "b"),
        ("unread", "c"),
    ]
    [fix] = plan_fixes(findings)
    assert (fix["action"], fix["olt"], fix["port"], fix["onu_id"]) == ("record", "b", "1/1/1", 2)


def test_ppp_logins_against_contracts() -> None:
    contracts = {
        "cliente1": {"contract": "C-1", "status": "active", "concentrator": "bras-01"},
        "cliente2": {"contract": "C-2", "status": "active", "concentrator": "bras-01"},
        "cliente3": {"contract": "C-3", "status": "cancelled", "concentrator": "bras-01"},
        "cliente4": {"contract": "C-4", "status": "active", "concentrator": "bras-02"},
    }
    found = compare_logins("bras-01", ["cliente1", "teste-tecnico"], contracts)
    assert [(f["kind"], f["login"]) for f in found] == [
        ("ppp_orphan", "teste-tecnico"),
        ("ppp_missing", "cliente2"),
    ]


def test_inventory_against_netbox() -> None:
    def host(address: str, port: int | None) -> SimpleNamespace:
        return SimpleNamespace(hostname=address, port=port, data={})

    network = {"olt-1": host("10.0.0.1", 22), "olt-2": host("10.0.0.2", 22)}
    netbox = {"olt-1": host("10.0.0.9", None), "olt-3": host("10.0.0.3", None)}
    found = inventory_findings(network, netbox)
    assert [(f["kind"], f["device"]) for f in found] == [
        ("netbox_only", "olt-3"),
        ("network_only", "olt-2"),
        ("netbox_differs", "olt-1"),
    ]
    assert found[2]["netbox"] == "10.0.0.9:22"
