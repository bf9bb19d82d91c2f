"""`ispflow inventory check` against the lab: each device's verdict in its own words."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.lab.conftest import RunningLab


def checks(lab: RunningLab, *args: str, expect: int) -> dict[str, dict[str, Any]]:
    proc = lab.cli("inventory", "check", "-o", "json", *args)
    assert proc.returncode == expect, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert lab.password() not in proc.stdout + proc.stderr
    return {row["host"]: row for row in json.loads(proc.stdout)}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def edited_inventory(lab: RunningLab, folder: Path, hosts: dict[str, dict[str, Any]]) -> Path:
    """The lab's inventory with some host fields changed, and the lab's login in it."""
    shutil.copytree(lab.state / "inventory", folder)
    yaml = YAML(typ="safe")
    records = yaml.load((folder / "hosts.yaml").read_text())
    for name, changes in hosts.items():
        for key, value in changes.items():
            if key == "model":
                records[name]["data"]["model"] = value
            else:
                records[name][key] = value
    with (folder / "hosts.yaml").open("w") as out:
        yaml.dump(records, out)
    with (folder / "defaults.yaml").open("w") as out:
        yaml.dump({"username": "lab", "password": lab.password()}, out)
    return folder


def test_every_device_answers_as_the_inventory_says(lab: RunningLab) -> None:
    found = checks(lab, expect=0)
    fleet = lab.fleet()
    assert set(found) == {o["name"] for o in fleet["olts"]} | {
        c["name"] for c in fleet["concentrators"]
    }
    for olt in fleet["olts"]:
        row = found[olt["name"]]
        assert (row["status"], row["vendor"], row["model"]) == ("ok", olt["vendor"], olt["model"])
        assert row["software"]
    for router in fleet["concentrators"]:
        row = found[router["name"]]
        assert (row["status"], row["vendor"]) == ("ok", "mikrotik")
        assert row["model"]  # the board name
        # Through NAPALM: the serial, the accounts, the sessions; nothing in use is down.
        assert row["serial"] and row["facts"]["hostname"] == router["name"]
        assert "lab" in row["facts"]["users"]
        assert row["facts"]["pppoe_sessions"] > 0
        assert row["notes"] == []
    for olt in fleet["olts"]:
        facts = found[olt["name"]]["facts"]
        assert facts["boards"] >= 2 and facts["boards_in_trouble"] == []

    proc = lab.cli("inventory", "check", "--limit", "role=olt")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == len(fleet["olts"]) and all(line.startswith("ok ") for line in lines)
    assert "4 ok, 0 failed" in proc.stderr


def test_each_failure_is_told_apart(lab: RunningLab, tmp_path: Path) -> None:
    huawei = lab.olt_of_model("MA5800-X7")["name"]
    stopped = lab.olt_of_model("MA5608T")["name"]
    zte = lab.olt_of_model("C600")["name"]
    router = lab.fleet()["concentrators"][0]["name"]
    for device in (zte, router):
        proc = lab.cli("lab", "fault", device, "--refuse-logins")
        assert proc.returncode == 0, proc.stderr
    folder = edited_inventory(
        lab,
        tmp_path / "edited",
        {huawei: {"model": "MA5600T"}, stopped: {"port": closed_port()}},
    )
    found = checks(lab, "--inventory", str(folder), expect=1)

    assert found[huawei]["status"] == "mismatch"
    assert found[huawei]["message"] == "model mismatch: expected MA5600T, device says MA5800-X7"
    assert found[stopped]["status"] == "unreachable"
    assert "Connection refused" in found[stopped]["message"]
    for device in (zte, router):
        assert found[device]["status"] == "login refused", found[device]
    others = set(found) - {huawei, stopped, zte, router}
    assert others and all(found[name]["ok"] for name in others)

    text = lab.cli("inventory", "check", "--inventory", str(folder), "--limit", huawei)
    assert text.returncode == 1
    assert text.stdout.startswith("FAIL") and "model mismatch" in text.stdout

    # The store source serves the OLTs the lab seeded, with their PON ports.
    listed = lab.cli("inventory", "list", "--source", "store", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    olts = {row["name"]: row for row in json.loads(listed.stdout)}
    assert set(olts) == {o["name"] for o in lab.fleet()["olts"]}
    assert olts[huawei]["platform"] == "huawei_smartax" and olts[zte]["platform"] == "zte_zxros"


def test_an_interface_shut_on_a_concentrator_is_noted(lab: RunningLab) -> None:
    router = lab.fleet()["concentrators"][0]
    api = lab.api(router["name"])
    try:
        [vlan] = [i for i in api("/interface/print") if i["name"] == "vlan100-pppoe"]
        tuple(api("/interface/set", **{".id": vlan[".id"], "disabled": True}))
    finally:
        api.close()
    row = checks(lab, "--limit", router["name"], expect=0)[router["name"]]
    assert row["notes"] == ["disabled: vlan100-pppoe"]
    assert row["facts"]["pppoe_sessions"] == 0
    text = lab.cli("inventory", "check", "--limit", router["name"]).stdout
    assert "disabled: vlan100-pppoe" in text
