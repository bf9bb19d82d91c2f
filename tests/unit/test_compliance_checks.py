"""The compliance checks on hand-made reads: each rule finds exactly what it should."""

from __future__ import annotations

from typing import Any

from ispflow.tasks.compliance_checks import onu_checks, pool_checks, ppp_checks
from ispflow.tasks.compliance_rules import load_rules
from ispflow.tasks.reconcile import compare_onus

RULES = load_rules()


def rules(*checks: str) -> list[Any]:
    return [r for r in RULES.rules if r.check in checks]


def record(serial: str, onu_id: int, contract: str | None, **extra: Any) -> dict[str, Any]:
    return {
        "olt": "olt-1",
        "port": "0/1/0",
        "onu_id": onu_id,
        "serial": serial,
        "state": "authorized",
        "contract": contract,
        "contract_status": "active",
        "customer": "José da Silva",
        "vlan": 101,
        "description": None,
        "cto": "CTO-1",
        "cto_port": 3,
    } | extra


def olt_findings(checks: tuple[str, ...], device: list[dict], store: list[dict]) -> list[dict]:
    recorded = {r["serial"]: r for r in store}
    reconciled = compare_onus("olt-1", {"0/1/0"}, device, store, recorded)
    on_device = {(d["port"], d["onu_id"]): d for d in device}
    return onu_checks(rules(*checks), "olt-1", reconciled, on_device, recorded)


def onu(serial: str, onu_id: int, **extra: Any) -> dict[str, Any]:
    return {"port": "0/1/0", "onu_id": onu_id, "serial": serial} | extra


def test_ghost_and_missing_with_remediation() -> None:
    store = [record("HWTC00000001", 1, "C-1"), record("HWTC00000002", 2, "C-2")]
    store.append(record("HWTC00000004", 4, "C-4", contract_status="suspended"))
    device = [onu("HWTC00000001", 1), onu("HWTC00000003", 3)]
    found = olt_findings(("onu_without_contract", "contract_onu_missing"), device, store)
    by_rule = {f["rule"]: f for f in found}
    assert sorted(by_rule) == ["contract-onu-missing", "onu-without-contract"]
    assert len(found) == 2  # the suspended contract's missing ONU is not this rule's business
    ghost = by_rule["onu-without-contract"]
    assert ghost["serial"] == "HWTC00000003" and ghost["severity"] == "major"
    assert ghost["remediation"] == {
        "runbook": "onu-deauthorize",
        "vars": {"olt": "olt-1", "port": "0/1/0", "serial": "HWTC00000003"},
        "limit": "olt-1",
    }
    missing = by_rule["contract-onu-missing"]
    assert missing["contract"] == "C-2" and missing["severity"] == "critical"
    assert missing["remediation"]["vars"] == {"contract": "C-2"}


def test_description_against_recorded_then_standard() -> None:
    store = [
        record("HWTC00000001", 1, "C-1", description="CTO-1_P03"),
        record("HWTC00000002", 2, "C-2"),
        record("HWTC00000003", 3, "C-3", description="right"),
    ]
    device = [
        onu("HWTC00000001", 1, description="CTO-1_P03"),
        onu("HWTC00000002", 2, description="something else"),
        onu("HWTC00000003", 3, description=None),
    ]
    found = olt_findings(("onu_description",), device, store)
    assert [(f["contract"], f["expected"], f["description"]) for f in found] == [
        ("C-2", "C-2_Jose_da_Silva", "something else"),
        ("C-3", "right", ""),
    ]
    assert found[0]["remediation"]["vars"]["description"] == "C-2_Jose_da_Silva"


def test_description_not_judged_when_not_read_or_moved() -> None:
    store = [record("HWTC00000001", 1, "C-1", description="x")]
    # read without a description (no `description` key) and at another id: no finding
    assert olt_findings(("onu_description",), [onu("HWTC00000001", 1)], store) == []
    moved = [onu("HWTC00000001", 9, description="y")]
    assert olt_findings(("onu_description",), moved, store) == []
    assert [f["kind"] for f in olt_findings(("onu_moved",), moved, store)] == ["onu_moved"]


def test_service_port_vlan() -> None:
    store = [record(f"HWTC0000000{n}", n, f"C-{n}") for n in (1, 2, 3, 4)]
    device = [
        onu("HWTC00000001", 1, vlans={101}),
        onu("HWTC00000002", 2, vlans={200, 88}),
        onu("HWTC00000003", 3, vlans=set()),
        onu("HWTC00000004", 4),  # services not read: not judged
    ]
    found = olt_findings(("service_port_vlan",), device, store)
    assert [(f["contract"], f["vlans"]) for f in found] == [("C-2", [88, 200]), ("C-3", [])]
    assert "no service port" in found[1]["subject"]
    assert "remediation" not in found[0]


BLOCK = {"profile": "bloqueado", "pool": "pool-bloqueio", "list": "bloqueados"}


def contract(code: str, login: str, blocked: bool, status: str = "active") -> dict[str, Any]:
    return {"contract": code, "login": login, "blocked": blocked, "status": status}


def test_block_states() -> None:
    contracts = [
        contract("C-1", "ok-blocked", True),
        contract("C-2", "blocked-free", True),
        contract("C-3", "blocked-offline", True),
        contract("C-4", "free-listed", False),
        contract("C-5", "free-profile", False),
        contract("C-6", "free-ok", False),
        contract("C-7", "gone", True),
    ]
    secrets = {
        "ok-blocked": {"profile": "bloqueado"},
        "blocked-free": {"profile": "100M"},
        "blocked-offline": {"profile": "100M"},
        "free-listed": {"profile": "100M"},
        "free-profile": {"profile": "bloqueado"},
        "free-ok": {"profile": "100M"},
    }
    sessions = {
        "ok-blocked": {"address": "10.99.0.5"},
        "blocked-free": {"address": "100.64.0.9"},
        "free-listed": {"address": "100.64.0.10"},
        "free-ok": {"address": "100.64.0.11"},
    }
    listed = {"10.99.0.5", "100.64.0.10"}
    found = ppp_checks(
        rules("blocked_not_enforced", "unblocked_still_listed"),
        "bras-1",
        contracts,
        secrets,
        sessions,
        listed,
        BLOCK,
        lambda address: address.startswith("10.99."),
    )
    got = {(f["rule"], f["contract"]) for f in found}
    assert got == {
        ("blocked-not-enforced", "C-2"),
        ("blocked-not-enforced", "C-3"),
        ("unblocked-still-listed", "C-4"),
        ("unblocked-still-listed", "C-5"),
    }
    c2 = next(f for f in found if f["contract"] == "C-2")
    assert "not on the blocking list bloqueados" in c2["subject"]
    assert c2["remediation"] == {
        "runbook": "ppp-block",
        "vars": {"contract": "C-2", "method": "both", "reason": "compliance"},
        "limit": "bras-1",
    }


def test_pools() -> None:
    pools = [
        {"name": "a", "size": 100, "used": 90, "next_pool": None},
        {"name": "b", "size": 100, "used": 89, "next_pool": None},
        {"name": "c", "size": 0, "used": 0, "next_pool": None},
    ]
    overlaps = [("a", "b", "10.0.0.1-10.0.0.100", "10.0.0.50-10.0.0.149")]
    found = pool_checks(rules("pool_overlap", "pool_usage"), "bras-1", pools, overlaps)
    assert [(f["rule"], f["pool"]) for f in found] == [
        ("pool-overlap", "a"),
        ("pool-nearly-full", "a"),
    ]
    assert "90 of 100 addresses in use (90%)" in found[1]["subject"]
