"""FiberHome AN5516 over telnet (`transport: telnet`), as most are reached: the lab serves
each AN5516 on a telnet port too, with the same CLI; the shipped runbooks authorize and read
signal through it in both firmware dialects, a run says once that the password went in clear
text, and a wrong password is a plain refusal."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from ruamel.yaml import YAML

from ispflow.plugins.connections.connect_errors import ConnectFailed
from ispflow.plugins.connections.olt_cli import OltCli, default_port
from tests.lab.conftest import RunningLab, pending_contract, start_lab, step_results

TELNET = {"transport": "telnet"}
WARNING = "login over telnet"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    """Two AN5516 (one per dialect), both in the inventory over telnet."""
    for running in start_lab(
        tmp_path_factory.mktemp("fiberhome-telnet"), "--vendors", "fiberhome", "--olts", "2",
        "--concentrators", "0",
    ):  # fmt: skip
        hosts_file = running.state / "inventory" / "hosts.yaml"
        yaml = YAML(typ="safe", pure=True)
        hosts = yaml.load(hosts_file.read_text(encoding="utf-8"))
        for olt in running.fleet()["olts"]:
            hosts[olt["name"]]["port"] = olt["telnet_port"]
            hosts[olt["name"]]["connection_options"] = {"olt_cli": {"extras": dict(TELNET)}}
        with hosts_file.open("w", encoding="utf-8") as out:
            yaml.dump(hosts, out)
        yield running


def test_every_an5516_has_a_telnet_port_of_its_own(lab: RunningLab) -> None:
    olts = lab.fleet()["olts"]
    assert len(olts) == 2
    ports = {olt["port"] for olt in olts} | {olt["telnet_port"] for olt in olts}
    assert len(ports) == 4


@pytest.mark.parametrize("model", ["AN5516-06", "AN5516-06B"])
def test_authorize_and_signal_over_telnet(lab: RunningLab, model: str) -> None:
    olt = lab.olt_of_model(model)["name"]
    onu = pending_contract(lab, olt)
    proc = lab.cli("run", "onu-authorize", "-e", f"contract={onu['contract']}", "-o", "json")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    # One warning for the run, naming the OLT, and no password in it.
    said = [line for line in proc.stderr.splitlines() if WARNING in line]
    assert len(said) == 1, proc.stderr
    assert f": {olt}: login over telnet (`transport: telnet`)" in said[0]
    assert "clear text" in said[0] and lab.password() not in proc.stderr

    report = json.loads(proc.stdout)
    [added] = step_results(report, "authorize")
    assert added["status"] == "changed" and added["result"]["port"] == onu["port"]
    [signal] = step_results(report, "read signal")
    assert signal["result"][0]["onu_id"] == added["result"]["onu_id"]
    assert signal["result"][0]["rx_dbm"] == pytest.approx(onu["expected_rx_dbm"], abs=1.0)

    readings = lab.run_json("onu-signal", "--limit", olt)
    [read] = step_results(readings, "read signal")
    got = {(r["port"], r["onu_id"]) for r in read["result"]}
    assert (onu["port"], added["result"]["onu_id"]) in got
    truth = {(o["port"], o["onu_id"]) for o in lab.onus(olt=olt, autofind=False)}
    assert truth <= got


def test_a_wrong_password_over_telnet_is_refused_plainly(lab: RunningLab) -> None:
    olt = lab.olt_of_model("AN5516-06")
    plugin = OltCli()
    with pytest.raises(ConnectFailed) as refused:
        plugin.open(
            "127.0.0.1", "lab", "not-the-password", olt["telnet_port"], olt["platform"], TELNET
        )
    assert str(refused.value) == (
        f"login refused at 127.0.0.1:{olt['telnet_port']} for user 'lab' (authentication failed)"
    )
    # The right one still logs in (the refusal left nothing behind).
    plugin.open("127.0.0.1", "lab", lab.password(), olt["telnet_port"], olt["platform"], TELNET)
    assert plugin.connection.base_prompt == "Admin"
    plugin.close()


def test_transport_settings_that_cannot_work_are_errors(lab: RunningLab) -> None:
    olt = lab.olt_of_model("AN5516-06")
    with pytest.raises(ValueError, match=r"transport is one of ssh, telnet, not 'rlogin'"):
        OltCli().open(
            "127.0.0.1",
            "lab",
            lab.password(),
            olt["port"],
            olt["platform"],
            {"transport": "rlogin"},
        )
    # The SSH port does not speak telnet: no login prompt comes, and the error says where.
    with pytest.raises(ConnectFailed, match=rf"127.0.0.1:{olt['port']} .*telnet service\?"):
        OltCli().open(
            "127.0.0.1",
            "lab",
            lab.password(),
            olt["port"],
            olt["platform"],
            {**TELNET, "conn_timeout": 1},
        )


def test_host_key_enrolment_leaves_telnet_olts_out(lab: RunningLab) -> None:
    name = lab.olt_of_model("AN5516-06")["name"]
    proc = lab.cli("inventory", "trust", name)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{name} is reached by telnet (`transport: telnet`)" in proc.stderr
    everyone = lab.cli("inventory", "trust")
    assert name not in everyone.stdout, everyone.stdout


def test_the_inventory_probe_reaches_them_over_telnet(lab: RunningLab) -> None:
    report = lab.run_json("inventory-probe", expect=None)
    probed = {r["host"]: r["result"] for r in report["results"] if r["status"] != "skipped"}
    for olt in lab.fleet()["olts"]:
        found = probed[olt["name"]]
        assert found["address"] == f"127.0.0.1:{olt['telnet_port']}"
        assert found["status"] == "ok", found
    assert (default_port(TELNET), default_port({})) == (23, 22)
