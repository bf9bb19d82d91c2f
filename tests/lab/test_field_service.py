"""Field service around the ONU job, against the lab: the installation order closed by
onu-authorize, CTO and seal from a runbook and from the CLI."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.lab.conftest import RunningLab, pending_contract, step_results


def open_order(lab: RunningLab, contract: str, queue: str = "installation") -> str:
    proc = lab.cli(
        "ticket",
        "open",
        "--subject",
        f"Instalação {contract}",
        "--contract",
        contract,
        "--queue",
        queue,
        "--as",
        "ana",
        "-o",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)["protocol"]


def seeded_installation_order(lab: RunningLab, contract: str) -> str:
    """`lab up` opens an installation order for every contract waiting for its ONU."""
    proc = lab.cli(
        "ticket", "list", "--contract", contract, "--queue", "installation", "-o", "json"
    )
    assert proc.returncode == 0, proc.stderr
    [found] = json.loads(proc.stdout)
    assert found["status"] == "open"
    return found["protocol"]


def order(lab: RunningLab, protocol: str) -> dict:
    proc = lab.cli("ticket", "show", protocol, "-o", "json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_authorize_closes_the_installation_order_with_the_signal(lab: RunningLab) -> None:
    olt = lab.olt_of_model("MA5800-X7")["name"]
    onu = pending_contract(lab, olt)
    installation = seeded_installation_order(lab, onu["contract"])
    support = open_order(lab, onu["contract"], queue="remote-support")

    report = lab.run_json("onu-authorize", "-e", f"contract={onu['contract']}")
    [closing] = step_results(report, "close the installation order")
    assert closing["status"] == "changed"
    assert [c["protocol"] for c in closing["result"]["closed"]] == [installation]
    [signal] = step_results(report, "read signal")
    rx = signal["result"][0]["rx_dbm"]

    closed = order(lab, installation)
    assert closed["status"] == "closed" and closed["solution_code"] == "INSTALLED"
    assert onu["serial"] in closed["solution_text"] and f"RX {rx} dBm" in closed["solution_text"]
    assert closed["actions"][-1]["author"].startswith("ispflow run ")
    # Only the installation queue's order is the job's to close.
    assert order(lab, support)["status"] == "open"


def test_failed_signal_leaves_the_installation_order_open(lab: RunningLab) -> None:
    olt = lab.olt_of_model("C320")["name"]
    onu = pending_contract(lab, olt, condition="critical")
    installation = seeded_installation_order(lab, onu["contract"])
    lab.run_json("onu-authorize", "-e", f"contract={onu['contract']}", expect=1)
    assert order(lab, installation)["status"] == "open"


def _contract_pon_cto(lab: RunningLab, contract: str) -> tuple[str, list[str]]:
    """A CTO on the contract's PON, and CTOs on other PONs."""
    rows = lab.query(
        "SELECT t.code, t.pon_port_id = o.pon_port_id AS same FROM ctos t, contracts c "
        "JOIN onus o ON o.id = c.onu_id WHERE c.code = :code ORDER BY t.code",
        code=contract,
    )
    same = [r["code"] for r in rows if r["same"]]
    other = [r["code"] for r in rows if not r["same"]]
    assert same and other
    return same[0], other


def test_cto_and_seal_from_a_runbook_and_the_cli(lab: RunningLab) -> None:
    olt = lab.olt_of_model("C600")["name"]
    onu = pending_contract(lab, olt)
    contract = onu["contract"]
    cto, elsewhere = _contract_pon_cto(lab, contract)
    free = lab.query(
        "SELECT MIN(n) AS n FROM (SELECT 1 AS n UNION SELECT 2 UNION SELECT 3 UNION SELECT 4 "
        "UNION SELECT 5 UNION SELECT 6 UNION SELECT 7 UNION SELECT 8) ports WHERE n NOT IN "
        "(SELECT p.number FROM cto_ports p JOIN ctos t ON t.id = p.cto_id "
        "JOIN contracts c ON c.cto_port_id = p.id WHERE t.code = :cto)",
        cto=cto,
    )[0]["n"]
    book = lab.root / "field.yaml"
    book.write_text(
        "name: field-record\n"
        "vars:\n"
        "  contract: {type: str}\n  cto: {type: str}\n  port: {type: int, min: 1}\n"
        "  seal: {type: str}\n"
        "targets: local\n"
        "steps:\n"
        "  - name: cto\n    task: cto.link\n"
        "    with: {contract: '{{ contract }}', cto: '{{ cto }}', port: '{{ port }}'}\n"
        "  - name: seal\n    task: seal.register\n"
        "    with: {contract: '{{ contract }}', code: '{{ seal }}', by: tech}\n"
    )
    args = ("-e", f"contract={contract}", "-e", f"cto={cto}", "-e", f"port={free}")
    report = lab.run_json(str(book), *args, "-e", "seal=L-777001")
    assert [r["status"] for r in report["results"] if r["host"] == "local"] == [
        "changed",
        "changed",
    ]
    shown = lab.query(
        "SELECT t.code AS cto, p.number AS port, s.code AS seal FROM contracts c "
        "JOIN cto_ports p ON p.id = c.cto_port_id JOIN ctos t ON t.id = p.cto_id "
        "JOIN seals s ON s.id = c.seal_id WHERE c.code = :code",
        code=contract,
    )
    assert shown == [{"cto": cto, "port": free, "seal": "L-777001"}]

    # A CTO of another PON: refused, naming both, and nothing changes.
    wrong = lab.cli("cto", "link", contract, elsewhere[0], "1")
    assert wrong.returncode == 2
    assert elsewhere[0] in wrong.stderr and contract in wrong.stderr
    # The seal is taken now.
    other = pending_contract(lab, lab.olt_of_model("MA5608T")["name"])
    taken = lab.cli("seal", "register", other["contract"], "L-777001")
    assert taken.returncode == 2 and f"contract {contract}" in taken.stderr
    listed = json.loads(lab.cli("cto", "list", "-o", "json").stdout)
    assert any(c["cto"] == cto and c["used"] >= 1 for c in listed)


def test_lab_seeds_an_installation_order_per_pending_contract(lab: RunningLab) -> None:
    pending = lab.query("SELECT code FROM contracts WHERE status = 'pending' ORDER BY code")
    orders = lab.query(
        "SELECT c.code, o.protocol, o.status FROM service_orders o "
        "JOIN contracts c ON c.id = o.contract_id WHERE o.queue = 'installation' ORDER BY c.code"
    )
    assert [o["code"] for o in orders] == [p["code"] for p in pending]
    assert {o["status"] for o in orders} == {"open"}
    # Protocols follow the same scheme as orders opened later, so they never collide.
    opened = open_order(lab, pending[0]["code"], queue="remote-support")
    assert opened not in {o["protocol"] for o in orders}


@pytest.mark.rt
def test_authorize_closes_the_installation_order_in_request_tracker(
    lab: RunningLab, request_tracker: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISPFLOW_TICKETS", "rt")
    monkeypatch.setenv("ISPFLOW_RT_URL", request_tracker["url"])
    monkeypatch.setenv("ISPFLOW_RT_TOKEN", request_tracker["token"])
    onu = pending_contract(lab, lab.olt_of_model("MA5608T")["name"])
    # RT is shared by the whole test session: a contract code only this test uses.
    contract = onu["contract"]
    unique = f"{contract}-{uuid.uuid4().hex[:6]}"
    lab.query("UPDATE contracts SET code = :new WHERE code = :old", new=unique, old=contract)
    installation = open_order(lab, unique)

    report = lab.run_json("onu-authorize", "-e", f"contract={unique}")
    [closing] = step_results(report, "close the installation order")
    assert [c["protocol"] for c in closing["result"]["closed"]] == [installation]
    closed = order(lab, installation)
    assert closed["status"] == "closed" and closed["solution_code"] == "INSTALLED"
    assert onu["serial"] in closed["solution_text"]
