"""One ONU, one contract: an ONU that another contract holds (waiting for it, installed on
it, reserved for it in the stock) is refused by name before anything reaches an OLT, and
reconciliation reports a store that links one ONU to two contracts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.lab.conftest import RunningLab, onu_row, pending_contract, waiting_serials


def active_contract(lab: RunningLab, olt: str) -> dict[str, Any]:
    [row] = lab.query(
        "SELECT c.code, o.serial FROM contracts c JOIN onus o ON o.id = c.onu_id "
        "JOIN olts t ON t.id = o.olt_id WHERE t.name = :olt AND c.status = 'active' "
        "AND o.state = 'authorized' ORDER BY c.code LIMIT 1",
        olt=olt,
    )
    return dict(row)


def contract_onus(lab: RunningLab, *codes: str) -> dict[str, Any]:
    rows = lab.query(
        "SELECT c.code, c.onu_id, c.status FROM contracts c WHERE c.code IN ("
        + ", ".join(f"'{code}'" for code in codes)
        + ")"
    )
    return {row["code"]: (row["onu_id"], row["status"]) for row in rows}


def test_replace_with_another_contracts_onu_is_refused_and_changes_nothing(
    lab: RunningLab,
) -> None:
    olt = lab.olt_of_model("C320")["name"]
    waiting = pending_contract(lab, olt)  # its ONU waits in autofind for it
    owner = active_contract(lab, olt)
    before = contract_onus(lab, waiting["contract"], owner["code"])
    proc = lab.cli("onu", "replace", owner["code"], "--serial", waiting["serial"])
    assert proc.returncode == 1, proc.stdout + proc.stderr
    said = proc.stdout + proc.stderr
    assert f"ONU {waiting['serial']} is waiting to be installed for contract" in said
    assert waiting["contract"] in said
    # Nothing reached the OLT: the old ONU is still in service, the other still waits.
    assert onu_row(lab, owner["serial"])["state"] == "authorized"
    assert waiting["serial"] in waiting_serials(lab, olt)
    assert contract_onus(lab, waiting["contract"], owner["code"]) == before


def test_auto_provision_refuses_an_onu_another_contract_waits_for(
    lab: RunningLab, tmp_path: Path
) -> None:
    """Stock reserved for one contract, while the ONU is another pending contract's: the
    install is refused by name, the ONU stays in autofind, neither contract changes."""
    olt = lab.olt_of_model("MA5608T")["name"]
    holder = pending_contract(lab, olt)
    [wanting] = lab.query(
        "SELECT code FROM contracts WHERE status = 'pending' AND code != :c ORDER BY code LIMIT 1",
        c=holder["contract"],
    )
    stock = tmp_path / "stock.csv"
    stock.write_text(f"serial,model,vendor\n{holder['serial']},{holder['model']},huawei\n")
    assert lab.cli("stock", "import", str(stock)).returncode == 0
    assert lab.cli("stock", "reserve", holder["serial"], wanting["code"]).returncode == 0
    before = contract_onus(lab, holder["contract"], wanting["code"])
    report = lab.run_json("onu-auto-provision", "--limit", olt, expect=1)
    [result] = [r for r in report["results"] if r["host"] == olt]
    refused = [f for f in result["result"]["failed"] if f["serial"] == holder["serial"]]
    assert len(refused) == 1
    assert f"waiting to be installed for contract {holder['contract']}" in refused[0]["reason"]
    assert holder["serial"] in waiting_serials(lab, olt)
    assert contract_onus(lab, holder["contract"], wanting["code"]) == before


def test_stock_reservation_for_another_contract_is_refused(lab: RunningLab, tmp_path: Path) -> None:
    olt = lab.olt_of_model("MA5800-X7")["name"]
    owner = active_contract(lab, olt)
    spare = pending_contract(lab, olt)
    other = pending_contract(lab, lab.olt_of_model("C600")["name"])
    # A spare off the shelf, reserved in the stock for the C600 contract.
    lab.query("UPDATE contracts SET onu_id = NULL WHERE code = :c", c=spare["contract"])
    stock = tmp_path / "stock.csv"
    stock.write_text(f"serial,model,vendor\n{spare['serial']},{spare['model']},huawei\n")
    assert lab.cli("stock", "import", str(stock)).returncode == 0
    assert lab.cli("stock", "reserve", spare["serial"], other["contract"]).returncode == 0
    proc = lab.cli("onu", "replace", owner["code"], "--serial", spare["serial"])
    assert proc.returncode == 1
    assert f"reserved in the stock for contract {other['contract']}" in proc.stdout + proc.stderr
    assert onu_row(lab, owner["serial"])["state"] == "authorized"


def test_reconcile_reports_two_contracts_on_one_onu(lab: RunningLab) -> None:
    olt = lab.olt_of_model("C600")["name"]
    owner = active_contract(lab, olt)
    waiting = pending_contract(lab, olt)
    lab.query(
        "UPDATE contracts SET onu_id = (SELECT onu_id FROM contracts WHERE code = :o) "
        "WHERE code = :w",
        o=owner["code"],
        w=waiting["contract"],
    )
    proc = lab.cli("reconcile", "-o", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    shared = [f for f in report["findings"] if f["kind"] == "onu_shared"]
    assert shared == [
        {
            "kind": "onu_shared",
            "fixable": False,
            "serial": owner["serial"],
            "onu": owner["serial"],
            "contracts": sorted([owner["code"], waiting["contract"]]),
        }
    ]


def test_a_dry_run_never_shows_an_onu_id_that_is_taken(lab: RunningLab) -> None:
    """The id is chosen when the run holds the PON's lock: a dry run marks it as such instead
    of showing the vendor's first id, which another contract's ONU may hold."""
    olt = lab.olt_of_model("MA5800-X7")["name"]
    waiting = pending_contract(lab, olt)
    report = lab.run_json("onu-authorize", "-e", f"contract={waiting['contract']}", "--dry-run")
    [authorize] = [
        r for r in report["results"] if r["step"] == "authorize" and r["status"] != "skipped"
    ]
    commands = authorize["result"]["commands"]
    adds = [line for line in commands if line.startswith("ont add")]
    assert adds and all(line.split()[3] == "<free-id>" for line in adds)
    assert authorize["result"]["onu_id"] == "<free-id>"
    assert "chosen when the run holds the PON's lock" in authorize["result"]["note"]
    [record] = [
        r for r in report["results"] if r["step"] == "record the ONU" and r["status"] != "skipped"
    ]
    assert record["result"]["would_record"]["onu_id"] == "<free-id>"
