"""`ispflow compliance` against the lab: a clean fleet passes; the store and the devices made
to disagree on purpose give exactly the expected findings per rule; remediation is a dry run
that changes nothing until --apply, which fixes what has a remediation."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from ispflow.plugins.connections.olt_cli import OltCli
from ispflow.tasks.compliance_rules import DEFAULT_RULES
from tests.lab.conftest import RunningLab, pending_contract, start_lab, step_results


def compliance(lab: RunningLab, *args: str, expect: int) -> dict[str, Any]:
    proc = lab.cli("compliance", "-o", "json", *args)
    assert proc.returncode == expect, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout)


def by_rule(report: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for finding in report["findings"]:
        found.setdefault(finding["rule"], []).append(finding)
    return found


def installed(lab: RunningLab, vendor: str) -> list[dict[str, Any]]:
    return lab.query(
        "SELECT o.id, o.serial, o.onu_index, o.vlan, o.description, c.code, c.pppoe_login, "
        "t.name AS olt FROM onus o JOIN contracts c ON c.onu_id = o.id "
        "JOIN olts t ON t.id = o.olt_id WHERE o.state = 'authorized' AND t.vendor = :v "
        "ORDER BY t.name, o.id",
        v=vendor,
    )


@contextmanager
def api(lab: RunningLab, name: str = "bras-01") -> Iterator[Any]:
    session = lab.api(name)
    try:
        yield session
    finally:
        session.close()


def online_contracts(lab: RunningLab) -> list[dict[str, Any]]:
    with api(lab) as router:
        logins = {s["name"] for s in router.path("ppp", "active")}
    rows = lab.query(
        "SELECT code, pppoe_login FROM contracts WHERE concentrator = 'bras-01' "
        "AND status = 'active' AND blocked = 0 ORDER BY code"
    )
    return [r for r in rows if r["pppoe_login"] in logins]


def break_everything(lab: RunningLab) -> dict[str, Any]:
    huawei, zte = installed(lab, "huawei"), installed(lab, "zte")
    ghost, described, vlan = huawei[0], huawei[1], huawei[2]
    zte_described, zte_vlan = zte[0], zte[1]
    lab.query("UPDATE contracts SET onu_id = NULL WHERE code = :c", c=ghost["code"])
    for row in (described, zte_described):
        lab.query("UPDATE onus SET description = 'WRONG_NAME' WHERE id = :i", i=row["id"])
    for row in (vlan, zte_vlan):
        lab.query("UPDATE onus SET vlan = 999 WHERE id = :i", i=row["id"])
    # The store says this contract's ONU is on the OLT; it is still waiting in autofind.
    waiting = pending_contract(lab, lab.fleet()["olts"][0]["name"])
    free_id = 100
    lab.query(
        "UPDATE onus SET state = 'authorized', onu_index = :i WHERE serial = :s",
        i=free_id,
        s=waiting["serial"],
    )
    lab.query("UPDATE contracts SET status = 'active' WHERE code = :c", c=waiting["contract"])
    blocked, unblocked = online_contracts(lab)[:2]
    lab.query("UPDATE contracts SET blocked = 1 WHERE code = :c", c=blocked["code"])
    # Blocked for real, then the store forgets it: still blocked on the concentrator.
    lab.run_json("ppp-block", "-e", f"contract={unblocked['code']}", "-e", "settle=5")
    lab.query("UPDATE contracts SET blocked = 0 WHERE code = :c", c=unblocked["code"])
    with api(lab) as router:
        tuple(router.path("ip", "pool").add(name="sobreposto", ranges="100.64.0.10-100.64.0.20"))
    return {
        "ghost": ghost,
        "described": [described, zte_described],
        "vlan": [vlan, zte_vlan],
        "missing": waiting,
        "blocked": blocked,
        "unblocked": unblocked,
    }


def test_clean_fleet_then_every_rule_then_remediation(lab: RunningLab, tmp_path: Path) -> None:
    clean = compliance(lab, expect=0)
    assert clean["findings"] == [] and clean["unread"] == []
    assert clean["devices"] == len(lab.fleet()["olts"]) + len(lab.fleet()["concentrators"])

    broken = break_everything(lab)
    report = compliance(lab, expect=1)
    found = by_rule(report)
    assert report["unread"] == []
    assert [(f["olt"], f["serial"]) for f in found["onu-without-contract"]] == [
        (broken["ghost"]["olt"], broken["ghost"]["serial"])
    ]
    assert [f["contract"] for f in found["contract-onu-missing"]] == [broken["missing"]["contract"]]
    assert sorted(f["serial"] for f in found["onu-description"]) == sorted(
        r["serial"] for r in broken["described"]
    )
    assert {f["expected"] for f in found["onu-description"]} == {"WRONG_NAME"}
    vlans = {f["serial"]: f for f in found["service-port-vlan"]}
    assert sorted(vlans) == sorted(r["serial"] for r in broken["vlan"])
    assert all(
        f["expected"] == 999 and f["vlans"] and 999 not in f["vlans"] for f in vlans.values()
    )
    assert [f["contract"] for f in found["blocked-not-enforced"]] == [broken["blocked"]["code"]]
    assert [f["contract"] for f in found["unblocked-still-listed"]] == [broken["unblocked"]["code"]]
    [overlap] = found["pool-overlap"]
    assert {overlap["pool"], overlap["other_pool"]} == {"clientes", "sobreposto"}
    assert "pool-nearly-full" not in found
    assert report["counts"] == {"critical": 4, "major": 3, "minor": 2}

    # A threshold: only critical findings fail; JUnit says which.
    junit = lab.cli("compliance", "-o", "junit", "--fail-on", "critical")
    assert junit.returncode == 1
    assert junit.stdout.count("<failure ") == 4 and 'type="critical"' in junit.stdout
    assert "<skipped " in junit.stdout

    # Remediation as a dry run changes nothing: the same findings again.
    preview = compliance(lab, "--remediate", expect=1)
    runs = {r["runbook"]: r for r in preview["remediation"]["runs"]}
    assert [(r["runbook"], r["error"]) for r in runs.values() if r["status"] != "previewed"] == []
    assert set(runs) == {
        "onu-deauthorize",
        "onu-authorize",
        "onu-describe",
        "ppp-block",
        "ppp-unblock",
    }
    sent = [
        line
        for run in preview["remediation"]["runs"]
        if run["runbook"] == "onu-describe"
        for lines in run["commands"].values()
        for line in lines
    ]
    assert 'ont modify 0 1 desc "WRONG_NAME"' in sent or any("ont modify" in s for s in sent)
    assert "name WRONG_NAME" in sent  # the ZTE one
    assert by_rule(compliance(lab, expect=1)).keys() == found.keys()

    applied = compliance(lab, "--remediate", "--apply", expect=1)  # VLANs and the pool stay
    failed = [r for r in applied["remediation"]["runs"] if r["status"] != "done"]
    assert failed == [], failed
    after = by_rule(compliance(lab, expect=1))
    assert sorted(after) == ["pool-overlap", "service-port-vlan"]
    assert lab.query("SELECT state FROM onus WHERE serial = :s", s=broken["ghost"]["serial"]) == [
        {"state": "removed"}
    ]


def test_rules_file_params_and_errors(lab: RunningLab, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n"
        "  - id: pool-in-use\n"
        "    check: pool_usage\n"
        "    severity: info\n"
        "    params: {full_at: 0.00001}\n",
        encoding="utf-8",
    )
    report = compliance(lab, "--rules", str(rules), "--fail-on", "minor", expect=0)
    pools = {(f["concentrator"], f["pool"]): f for f in report["findings"]}
    with api(lab) as router:
        used = sum(1 for u in router.path("ip", "pool", "used") if u.get("pool") == "clientes")
    assert pools[("bras-01", "clientes")]["used"] == used > 0
    assert pools[("bras-01", "clientes")]["size"] == 64 * 256 - 3
    assert {f["severity"] for f in report["findings"]} == {"info"}

    rules.write_text("rules:\n  - id: x\n    check: pool_usage\n    severity: bad\n")
    proc = lab.cli("compliance", "--rules", str(rules))
    assert proc.returncode == 2
    assert f"{rules}:4:" in proc.stderr and "severity must be one of" in proc.stderr
    assert "nothing was run" in proc.stderr


def test_accounts_pppoe_interfaces_and_configuration_drift(lab: RunningLab, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n"
        "  - {id: users, check: user_not_allowed, severity: major,\n"
        "     params: {allowed: 'admin|lab|lab-ro'}}\n"
        "  - {id: pppoe-down, check: pppoe_interface_down, severity: critical}\n"
        "  - {id: drift, check: config_drift, severity: minor,\n"
        "     params: {template: 'golden/{{ vendor }}.j2'}}\n",
        encoding="utf-8",
    )
    golden = tmp_path / "golden"
    golden.mkdir()
    # Huawei OLTs should use another NTP server; the concentrators have only the two
    # blocking filter rules.
    (golden / "huawei.j2").write_text(
        "sysname {{ name }}\nntp-service unicast-server 10.0.0.2\n", encoding="utf-8"
    )
    (golden / "mikrotik.j2").write_text(
        "{% set key_words = 3 %}\n"
        '/ip firewall filter add chain=forward comment="bloqueados: DNS" dst-port=53 '
        "protocol=udp src-address-list=bloqueados\n"
        '/ip firewall filter add action=drop chain=forward comment="bloqueados: resto" '
        "src-address-list=bloqueados\n",
        encoding="utf-8",
    )
    report = compliance(lab, "--rules", str(rules), expect=1)
    found = by_rule(report)
    huawei = sorted(o["name"] for o in lab.fleet()["olts"] if o["vendor"] == "huawei")
    assert sorted(f["device"] for f in found["drift"]) == huawei
    for finding in found["drift"]:
        assert finding["missing"] == ["ntp-service unicast-server 10.0.0.2"]
        assert finding["extra"] == ["ntp-service unicast-server 10.0.0.1"]
    assert set(found) == {"drift"}  # accounts and PPPoE interfaces are fine on a clean lab
    text = lab.cli("compliance", "--rules", str(rules)).stdout
    assert "  - ntp-service unicast-server 10.0.0.2   (missing)" in text
    assert "  + ntp-service unicast-server 10.0.0.1   (extra)" in text

    # On bras-01: an intern's account, the PPPoE VLAN shut, a firewall rule nobody planned.
    with api(lab) as router:
        tuple(router("/user/add", name="estagiario", group="full", password="x"))
        tuple(router("/ip/firewall/filter/add", chain="forward", comment="teste"))
        [vlan] = [i for i in router("/interface/print") if i["name"] == "vlan100-pppoe"]
        tuple(router("/interface/set", **{".id": vlan[".id"], "disabled": True}))
    again = by_rule(compliance(lab, "--rules", str(rules), expect=1))
    [user] = again["users"]
    assert (user["concentrator"], user["user"]) == ("bras-01", "estagiario")
    [down] = again["pppoe-down"]
    assert (down["concentrator"], down["interface"]) == ("bras-01", "vlan100-pppoe")
    assert "is disabled" in down["subject"]
    [drifted] = [f for f in again["drift"] if f["device"] == "bras-01"]
    assert drifted["missing"] == []
    assert drifted["extra"] == ["/ip firewall filter add chain=forward comment=teste"]
    assert len(again["drift"]) == len(huawei) + 1


# One line of each shipped intended configuration, and what it becomes in a copy that no
# longer matches the OLTs (another RADIUS server; another user than the OLTs have).
CHANGED_LINE = {
    "datacom": (
        "radius server 10.0.0.4 secret-key ***",
        "radius server 10.0.0.9 secret-key ***",
    ),
    "fiberhome": (
        "add user admin password *** level admin",
        "add user noc password *** level admin",
    ),
}


@pytest.fixture
def newer_vendors_lab(tmp_path: Path) -> Iterator[RunningLab]:
    yield from start_lab(tmp_path, "--vendors", ",".join(CHANGED_LINE), "--concentrators", "0")


def test_datacom_and_fiberhome_configurations_are_checked_for_drift(
    newer_vendors_lab: RunningLab, tmp_path: Path
) -> None:
    lab = newer_vendors_lab
    olts = {o["name"]: o["vendor"] for o in lab.fleet()["olts"]}
    assert sorted(set(olts.values())) == sorted(CHANGED_LINE)

    # The shipped templates: every OLT checked (none `unchecked`), none drifted.
    report = lab.run_json("compliance-audit")
    results = step_results(report, "OLTs against the rules")
    assert sorted(r["host"] for r in results) == sorted(olts)
    for result in results:
        assert "config-drift" in result["result"]["rules"]
        assert result["result"].get("unchecked") is None, result["result"]["unchecked"]
        assert result["result"]["findings"] == []

    # A copy of the shipped templates with one line changed per vendor: on every OLT of the
    # vendor that line is missing and the one the OLT has instead is extra.
    shipped = DEFAULT_RULES.parent / "intended"
    golden = tmp_path / "golden"
    golden.mkdir()
    for vendor, (line, changed) in CHANGED_LINE.items():
        text = (shipped / f"{vendor}.j2").read_text(encoding="utf-8")
        assert text.count(line) == 1
        (golden / f"{vendor}.j2").write_text(text.replace(line, changed), encoding="utf-8")
    rules = tmp_path / "rules.yaml"
    rules.write_text(
        "rules:\n"
        "  - {id: drift, check: config_drift, severity: minor,\n"
        "     params: {template: 'golden/{{ vendor }}.j2'}}\n",
        encoding="utf-8",
    )
    found = by_rule(compliance(lab, "--rules", str(rules), expect=1))
    assert sorted(f["device"] for f in found["drift"]) == sorted(olts)
    for finding in found["drift"]:
        line, changed = CHANGED_LINE[olts[finding["device"]]]
        assert (finding["missing"], finding["extra"]) == ([changed], [line])
    text = lab.cli("compliance", "--rules", str(rules)).stdout
    for line, changed in CHANGED_LINE.values():
        assert f"  - {changed}   (missing)" in text
        assert f"  + {line}   (extra)" in text

    # On one DmOS OLT, an account nobody planned, committed from a session: with the shipped
    # templates that OLT alone has drifted, by that one line.
    olt = lab.olt_of_model("DM4610")
    plugin = OltCli()
    plugin.open("127.0.0.1", "lab", lab.password(), olt["port"], olt["platform"])
    prompt = re.compile(r"#\s*$")
    try:
        for line in ("config", "aaa user estagiario", "password Estagio2026", "group admin"):
            assert plugin.connection.exchange(line, prompt, 10).strip() in (
                "",
                "Entering configuration mode terminal",
            )
        assert plugin.connection.commit().strip() == "Commit complete."
        plugin.connection.exchange("end", prompt, 10)
    finally:
        plugin.close()
    again = by_rule(compliance(lab, expect=1))
    [drifted] = again["config-drift"]
    assert drifted["device"] == olt["name"]
    assert (drifted["missing"], drifted["extra"]) == ([], ["aaa user estagiario"])
