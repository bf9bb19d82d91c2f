"""`ispflow lab up/status/down`, and the lab as plain netmiko and nornir-netmiko see it."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from netmiko import ConnectHandler
from nornir_netmiko.tasks import netmiko_send_command
from sqlalchemy import create_engine, text

from tests.lab.conftest import LabCli, RunningLab, free_base_port


def test_status_lists_every_olt_and_down_stops_it(lab: RunningLab) -> None:
    status = lab.cli("lab", "status")
    assert status.returncode == 0, status.stderr
    for olt in lab.fleet()["olts"]:
        assert olt["name"] in status.stdout
        assert f"127.0.0.1:{olt['port']}" in status.stdout
    again = lab.cli("lab", "up", "--port", str(lab.fleet()["olts"][0]["port"]))
    assert again.returncode == 2
    assert "already running" in again.stderr
    down = lab.cli("lab", "down")
    assert down.returncode == 0 and "stopped" in down.stdout
    assert lab.cli("lab", "status").returncode == 1
    assert not (lab.state / "server.json").exists()


def test_up_again_with_the_same_settings_leaves_the_running_lab_alone(lab: RunningLab) -> None:
    before = (lab.state / "server.json").read_text()
    password = lab.password()
    lab.query("UPDATE contracts SET status = 'cancelled' WHERE code = 'C-1001'")
    again = lab.cli(*lab.up_args)
    assert again.returncode == 0, again.stderr
    assert "already running with these settings" in again.stdout
    assert (lab.state / "server.json").read_text() == before
    assert lab.password() == password
    [row] = lab.query("SELECT status FROM contracts WHERE code = 'C-1001'")
    assert row["status"] == "cancelled"  # the store was not seeded again
    other = lab.cli(*lab.up_args, "--alarms")
    assert other.returncode == 2
    assert "other settings" in other.stderr


def test_store_is_seeded_with_the_fleet(lab: RunningLab) -> None:
    fleet = lab.fleet()
    counts = lab.query(
        "SELECT (SELECT count(*) FROM olts) AS olts, (SELECT count(*) FROM contracts) AS contracts,"
        " (SELECT count(*) FROM onus WHERE state = 'pending') AS pending"
    )[0]
    assert counts["olts"] == len(fleet["olts"])
    assert counts["contracts"] == len(fleet["onus"])
    assert counts["pending"] == sum(1 for onu in fleet["onus"] if onu["autofind"])
    for row in lab.query("SELECT doc, doc_type FROM customers"):
        digits = [int(d) for d in row["doc"]]
        assert len(digits) == (11 if row["doc_type"] == "cpf" else 14)


def test_the_inventory_of_a_running_lab_is_the_default(lab: RunningLab) -> None:
    report = lab.run_json("inventory-check")
    fleet = lab.fleet()
    devices = [o["name"] for o in fleet["olts"]] + [c["name"] for c in fleet["concentrators"]]
    assert sorted(report["hosts"]) == sorted(devices)


def test_plain_netmiko_connects_to_both_vendors(lab: RunningLab) -> None:
    password = lab.password()
    huawei = lab.olt_of_model("MA5800-X7")
    with ConnectHandler(
        device_type="huawei_smartax",
        host="127.0.0.1",
        port=huawei["port"],
        username="lab",
        password=password,
    ) as conn:
        assert conn.find_prompt() == f"{huawei['name']}>"
        conn.enable()
        output = conn.send_command("display ont info 0 1 0 all")
        assert "the total number of ONTs is: 4" in output
    zte = lab.olt_of_model("C320")
    with ConnectHandler(
        device_type="zte_zxros",
        host="127.0.0.1",
        port=zte["port"],
        username="lab",
        password=password,
    ) as conn:
        output = conn.send_command("show gpon onu state gpon-olt_1/1/1")
        # C320 runs V2.x firmware in the default lab: ONUs indexed 1/1/1:N.
        assert len(re.findall(r"^(?:gpon-onu_)?1/1/1:\d+\s", output, re.MULTILINE)) == 4


def test_nornir_netmiko_unchanged_runs_on_the_lab_inventory(lab: RunningLab) -> None:
    nr = lab.nornir()
    zte = nr.filter(vendor="zte")
    result = zte.run(task=netmiko_send_command, command_string="show gpon onu uncfg")
    assert not result.failed, {h: r.exception for h, r in result.items()}
    for host, multi in result.items():
        waiting = lab.onus(olt=host, autofind=True)
        for onu in waiting:
            assert onu["serial"] in multi[0].result
    nr.close_connections()


def test_a_fault_on_an_unknown_name_is_refused_and_breaks_nothing(lab: RunningLab) -> None:
    olt = lab.olt_of_model("MA5608T")
    onu = lab.onus(olt=olt["name"], autofind=False)[0]
    cto = olt["pons"][0]["ctos"][0]["code"]
    faults = lab.state / "faults.json"
    before = faults.read_text() if faults.exists() else None
    typo = onu["serial"][:-1] + ("0" if onu["serial"][-1] != "0" else "1")
    for option, value, said in (
        ("--flap", typo, f"no ONU '{typo}' on {olt['name']}; did you mean {onu['serial']}"),
        ("--unplug", "HWTC00000000", "no ONU 'HWTC00000000'"),
        ("--attenuate", f"{typo}=4", f"no ONU '{typo}'"),
        ("--cut-cto", cto + "9", f"no CTO '{cto}9' on {olt['name']}; did you mean {cto}"),
        ("--down-pon", "0/9/9", "no PON '0/9/9'"),
    ):
        proc = lab.cli("lab", "fault", olt["name"], option, value)
        assert proc.returncode == 2, (option, proc.stdout, proc.stderr)
        assert said in " ".join((proc.stdout + proc.stderr).split()), (option, proc.stderr)
        assert (faults.read_text() if faults.exists() else None) == before
    # The same serial in lower case is the same ONU.
    ok = lab.cli("lab", "fault", olt["name"], "--flap", onu["serial"].lower())
    assert ok.returncode == 0, ok.stderr
    lab.cli("lab", "fault", "--clear")


def test_up_with_another_store_names_it_in_how_to_use_the_lab(tmp_path: Path) -> None:
    """`lab up --db URL` fills another store than the one the folder's commands open by
    default (here, ISPFLOW_DB's): the hint carries it, and the command it gives journals its
    run there."""
    other = tmp_path / "elsewhere.db"
    cli = LabCli(tmp_path, f"sqlite:///{tmp_path / 'ispflow.db'}", None)
    up = cli(
        "lab", "up", "--olts", "2", "--pons", "1", "--onus", "2", "--autofind", "0",
        "--concentrators", "0", "--port", str(free_base_port(2)), "--db", "sqlite:///elsewhere.db",
    )  # fmt: skip
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        [hint] = [line for line in up.stdout.splitlines() if "use it:" in line]
        assert f"ispflow run onu-signal --db sqlite:///{other}   (from this folder" in hint
        assert f"ISPFLOW_DB=sqlite:///{other})" in hint
        command = shlex.split(hint.split("use it:")[1].split("(")[0])
        assert command[:2] == ["ispflow", "run"]
        ran = cli(*command[1:])
        assert ran.returncode == 0, ran.stdout + ran.stderr
        engine = create_engine(f"sqlite:///{other}")
        try:
            with engine.connect() as conn:
                runbooks = conn.execute(text("SELECT runbook FROM runs")).scalars().all()
        finally:
            engine.dispose()
        assert runbooks == ["onu-signal"]
    finally:
        cli("lab", "down")
