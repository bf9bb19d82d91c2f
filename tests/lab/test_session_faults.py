"""Faults on the wire: a session cut mid-change, logins refused. Nothing half-applied unrecorded."""

from __future__ import annotations

import json

import pytest
from ruamel.yaml import YAML

from tests.lab.conftest import (
    RunningLab,
    onu_row,
    pending_contract,
    step_results,
    waiting_serials,
)


def journal(lab: RunningLab, run_id: str, step: str, host: str) -> dict:
    """The step's row in the store's run journal."""
    [row] = lab.query(
        "SELECT status, error, changed FROM step_results "
        "WHERE run_id = :run AND step_name = :step AND host = :host AND rollback = :no",
        run=run_id,
        step=step,
        host=host,
        no=False,
    )
    return row


def fault(lab: RunningLab, olt: str, *args: str) -> None:
    proc = lab.cli("lab", "fault", olt, *args)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("model", ["MA5800-X7", "C320"])
def test_session_cut_mid_authorize_is_undone_and_journaled(lab: RunningLab, model: str) -> None:
    olt = lab.olt_of_model(model)["name"]
    onu = pending_contract(lab, olt)
    # `ont add` / `onu N type` goes through, then the session dies on the service port.
    fault(lab, olt, "--drop-on", "user-vlan")

    report = lab.run_json("onu-authorize", "-e", f"contract={onu['contract']}", expect=1)
    [failed] = step_results(report, "authorize")
    assert failed["status"] == "failed"
    assert "session was lost while sending" in failed["error"] and "service-port" in failed["error"]
    assert "removed again" in failed["error"]
    recorded = journal(lab, report["run_id"], "authorize", olt)
    assert recorded["status"] == "failed" and "removed again" in recorded["error"]

    fault(lab, olt, "--clear")
    assert onu["serial"] in waiting_serials(lab, olt)  # nothing left on the OLT
    row = onu_row(lab, onu["serial"])
    assert (row["state"], row["contract_status"]) == ("pending", "pending")

    again = lab.run_json("onu-authorize", "-e", f"contract={onu['contract']}")
    [added] = step_results(again, "authorize")
    assert added["status"] == "changed"


def test_a_cut_that_cannot_be_cleaned_up_is_recorded_with_what_to_do(lab: RunningLab) -> None:
    olt = lab.olt_of_model("MA5800-X7")["name"]
    onu = pending_contract(lab, olt)
    # Every line naming a service port kills the session: the clean-up dies the same way.
    fault(lab, olt, "--drop-on", "service-port")

    report = lab.run_json("onu-authorize", "-e", f"contract={onu['contract']}", expect=1)
    error = journal(lab, report["run_id"], "authorize", olt)["error"]
    assert "cleaning up on a new session failed too" in error
    assert f"onu-deauthorize -e olt={olt} -e port={onu['port']} -e serial={onu['serial']}" in error

    fault(lab, olt, "--clear")
    assert onu["serial"] not in waiting_serials(lab, olt)  # half-configured, as reported
    removed = lab.run_json(
        "onu-deauthorize", "-e", f"olt={olt}", "-e", f"port={onu['port']}",
        "-e", f"serial={onu['serial']}",
    )  # fmt: skip
    assert step_results(removed, "deauthorize")[0]["status"] == "changed"
    assert onu["serial"] in waiting_serials(lab, olt)


def test_a_removal_that_cannot_finish_says_what_is_left(lab: RunningLab) -> None:
    olt = lab.olt_of_model("MA5608T")["name"]
    onu = pending_contract(lab, olt)
    lab.run_json("onu-authorize", "-e", f"contract={onu['contract']}")
    fault(lab, olt, "--drop-on", "ont delete")

    report = lab.run_json("onu-deauthorize", "-e", f"contract={onu['contract']}", expect=1)
    [failed] = step_results(report, "deauthorize")
    assert "half-removed" in failed["error"] and "run onu-deauthorize again" in failed["error"]
    assert onu_row(lab, onu["serial"])["state"] == "authorized"  # the store is not told otherwise

    fault(lab, olt, "--clear")
    done = lab.run_json("onu-deauthorize", "-e", f"contract={onu['contract']}")
    assert step_results(done, "deauthorize")[0]["status"] == "changed"
    assert onu_row(lab, onu["serial"])["state"] == "removed"


def test_refused_logins_fail_that_olt_only(lab: RunningLab) -> None:
    olt = lab.olt_of_model("C600")["name"]
    fault(lab, olt, "--refuse-logins")
    report = lab.run_json("onu-autofind", expect=1)
    by_host = {r["host"]: r for r in step_results(report, "autofind")}
    assert by_host[olt]["status"] == "failed"
    port = lab.olt(olt)["port"]
    assert by_host[olt]["error"] == (
        f"login refused at 127.0.0.1:{port} for user 'lab' (authentication failed)"
    )
    assert lab.password() not in json.dumps(report)
    others = [r for host, r in by_host.items() if host != olt]
    assert others and all(r["status"] == "ok" for r in others)

    # A concentrator's login, refused: on the API session of the PPP tasks, and on the NAPALM
    # session of a backup. Neither needs its exception's name to be understood.
    concentrator = lab.fleet()["concentrators"][0]
    fault(lab, concentrator["name"], "--refuse-logins")
    where = f"127.0.0.1:{concentrator['port']}"
    report = lab.run_json("ppp-lookup", "-e", "contract=C-1001", expect=1)
    [row] = [r for r in step_results(report, "lookup") if r["host"] == concentrator["name"]]
    assert row["error"] == f"login refused at {where} for user 'lab' (cannot log in)"
    report = lab.run_json("config-backup", "--limit", concentrator["name"], expect=1)
    [row] = step_results(report, "backup")
    assert (
        row["error"]
        == f"{concentrator['name']} ({where}): login refused: user 'lab': cannot log in"
    )
    assert lab.password() not in json.dumps(report)


def test_a_command_with_no_answer_fails_that_olt_naming_the_command(lab: RunningLab) -> None:
    olt = lab.olt_of_model("MA5800-X7")["name"]
    hosts_file = lab.state / "inventory" / "hosts.yaml"
    yaml = YAML()
    hosts = yaml.load(hosts_file.read_text())
    hosts[olt].setdefault("data", {})["command_timeout"] = 1.5
    with hosts_file.open("w") as out:
        yaml.dump(hosts, out)
    fault(lab, olt, "--hang-on", "autofind")
    try:
        report = lab.run_json("onu-autofind", expect=1)
    finally:
        fault(lab, olt, "--clear")
    by_host = {r["host"]: r for r in step_results(report, "autofind")}
    assert by_host[olt]["error"] == (
        "no answer to 'display ont autofind all' within 1.5 s (the host's data "
        "command_timeout sets the wait)"
    )
    assert all(r["status"] == "ok" for host, r in by_host.items() if host != olt)

    hosts[olt]["data"]["command_timeout"] = "soon"
    with hosts_file.open("w") as out:
        yaml.dump(hosts, out)
    report = lab.run_json("onu-autofind", "--limit", olt, expect=1)
    [row] = step_results(report, "autofind")
    assert row["error"].endswith(
        f"{olt}: data command_timeout must be seconds between 0 and 3600, not 'soon'"
    )
