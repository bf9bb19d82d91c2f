"""One ONU, one contract: an ONU that another contract holds (waiting for it, installed on
it, reserved for it in the stock) is refused by name before anything reaches an OLT, and
reconciliation reports a store that links one ONU to two contracts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ispflow.tasks.onu import status
from tests.lab.conftest import (
    RunningLab,
    onu_row,
    pending_contract,
    step_results,
    waiting_serials,
)


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


def installed_onu(lab: RunningLab, olt: str) -> dict[str, Any]:
    """An active contract's ONU on `olt`, with its PON, id and VLAN."""
    [row] = lab.query(
        "SELECT c.code AS contract, o.serial, o.frame, o.slot, o.port, o.onu_index, o.vlan "
        "FROM contracts c JOIN onus o ON o.id = c.onu_id JOIN olts t ON t.id = o.olt_id "
        "WHERE t.name = :olt AND c.status = 'active' AND o.state = 'authorized' "
        "ORDER BY c.code LIMIT 1",
        olt=olt,
    )
    return {**row, "pon": f"{row['frame']}/{row['slot']}/{row['port']}"}


def olt_labels(lab: RunningLab, olt: str, port: str) -> dict[str, str | None]:
    """The PON's ONUs by serial with the description the OLT shows for each."""
    nr = lab.nornir(workers=1)
    try:
        result = nr.filter(name=olt).run(task=status, port=port)
        assert not result.failed, result[olt].exception
        return {r["serial"]: r.get("description") for r in result[olt][0].result}
    finally:
        nr.close_connections()


def test_by_hand_another_customers_installed_onu_is_refused_and_keeps_its_label(
    lab: RunningLab,
) -> None:
    """Values by hand name no contract: an ONU installed on one is neither authorized again
    nor relabelled with the name typed, and the error says whose it is. (The refusal comes
    from the store, before any device: one vendor, whose status lists labels, shows it.)"""
    olt = lab.olt_of_model("MA5608T")["name"]
    owner = installed_onu(lab, olt)
    labels = olt_labels(lab, olt, owner["pon"])
    assert owner["serial"] in labels
    report = lab.run_json(
        "onu-authorize", "-e", f"olt={olt}", "-e", f"port={owner['pon']}",
        "-e", f"serial={owner['serial']}", "-e", f"vlan={owner['vlan']}",
        "-e", "description=Fulano de Tal", expect=1,
    )  # fmt: skip
    [check] = step_results(report, "check the ONU is free")
    assert check["status"] == "failed"
    assert f"ONU {owner['serial']} is installed on contract {owner['contract']}" in check["error"]
    assert f"contract={owner['contract']}" in check["error"]
    assert step_results(report, "authorize") == []
    assert olt_labels(lab, olt, owner["pon"]) == labels


def test_a_bulk_file_row_with_an_installed_onu_fails_alone(lab: RunningLab) -> None:
    """Bulk by hand: the row naming another customer's installed ONU fails with its reason;
    the row with an ONU only waiting for its contract goes in."""
    olt = lab.olt_of_model("MA5800-X7")["name"]
    owner = installed_onu(lab, olt)
    waiting = pending_contract(lab, olt)
    csv = lab.root / "by-hand.csv"
    csv.write_text(
        "olt,port,serial,vlan,description\n"
        f"{olt},{owner['pon']},{owner['serial']},{owner['vlan']},Fulano de Tal\n"
        f"{olt},{waiting['port']},{waiting['serial']},{waiting['vlan']},Ciclano\n"
    )
    report = lab.run_json("onu-authorize", "-e", f"items={csv}", expect=1)
    [installs] = step_results(report, "install from file")
    rows = {item["item"]["serial"]: item for item in installs["result"]}
    refused = rows[owner["serial"]]
    assert refused["status"] == "failed"
    assert f"installed on contract {owner['contract']}" in refused["error"]
    assert rows[waiting["serial"]]["status"] == "changed"
    assert waiting["serial"] not in waiting_serials(lab, olt)
