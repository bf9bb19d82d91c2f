"""`--source store` on the lab: the OLTs `lab up` stored, at their own ports, with the lab's
login, read by a runbook like the lab's own inventory."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.lab.conftest import RunningLab, start_lab


@pytest.fixture(scope="module")
def store_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    yield from start_lab(tmp_path_factory.mktemp("store-source"))


def lab_ports(lab: RunningLab) -> dict[str, int]:
    return {olt["name"]: olt["port"] for olt in lab.fleet()["olts"]}


def test_the_store_lists_every_lab_olt_at_its_port(store_lab: RunningLab) -> None:
    proc = store_lab.cli("inventory", "list", "--source", "store", "-o", "json")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    listed = {row["name"]: (row["hostname"], row["port"]) for row in json.loads(proc.stdout)}
    assert listed == {name: ("127.0.0.1", port) for name, port in lab_ports(store_lab).items()}
    served = json.loads((store_lab.state / "server.json").read_text())["ports"]
    assert all(served[name] == port for name, (_, port) in listed.items())


def test_a_runbook_reads_every_lab_olt_through_the_store(store_lab: RunningLab) -> None:
    olts = sorted(lab_ports(store_lab))
    proc = store_lab.cli("run", "onu-signal", "--source", "store", "-o", "json", "-q")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert store_lab.password() not in proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert (report["status"], report["failed_hosts"]) == ("ok", [])
    assert sorted(report["hosts"]) == olts
    assert report["counts"]["ok"] == len(olts)
    [signal] = [t for t in report["tallies"] if t["key"] == "signal"]
    for olt in olts:
        assert sum(signal["per_host"][olt].values()) == len(store_lab.onus(olt=olt, autofind=False))

    checked = store_lab.cli("inventory", "check", "--source", "store", "-o", "json")
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    assert sorted(row["host"] for row in json.loads(checked.stdout) if row["ok"]) == olts


def test_sync_from_the_lab_inventory_puts_a_lost_port_back(store_lab: RunningLab) -> None:
    ports = lab_ports(store_lab)
    olt = sorted(ports)[0]
    store_lab.query("UPDATE olts SET mgmt_port = NULL WHERE name = :n", n=olt)

    proc = store_lab.cli("inventory", "sync", "--source", "files", "-o", "json")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    assert report["updated"] == {olt: {"mgmt_port": {"from": None, "to": ports[olt]}}}
    assert sorted(report["unchanged"]) == sorted(set(ports) - {olt})
    [row] = store_lab.query("SELECT mgmt_port FROM olts WHERE name = :n", n=olt)
    assert row["mgmt_port"] == ports[olt]
