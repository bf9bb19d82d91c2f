"""A real lab (SSH servers in a child process) per test, started with `ispflow lab up`."""

from __future__ import annotations

import json
import random
import socket
import ssl
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import librouteros
import pytest
from nornir import InitNornir
from nornir.core import Nornir
from ruamel.yaml import YAML
from sqlalchemy import create_engine, text

from tests.conftest import Cli, worker_ports

OLTS = 4  # MA5800-X7, C320, MA5608T, C600: both vendors, both ZTE namings
# The vendors of the usual lab (a test names others with its own `--vendors`, given later).
DEFAULT_VENDORS = "huawei,zte"


def free_base_port(count: int) -> int:
    ports = worker_ports()
    for _ in range(50):
        base = random.randint(ports.start, ports.stop - count)
        ok = True
        for port in range(base, base + count):
            with socket.socket() as sock:
                try:
                    sock.bind(("127.0.0.1", port))
                except OSError:
                    ok = False
                    break
        if ok:
            return base
    raise RuntimeError("no free port range for the lab")


class LabCli(Cli):
    """The CLI run from the lab's folder: inventory and secrets come from the running lab."""

    def env(self) -> dict[str, str]:
        env = super().env()
        env.pop("ISPFLOW_INVENTORY", None)
        return env


@dataclass
class RunningLab:
    root: Path
    cli: LabCli
    db_url: str
    up_args: tuple[str, ...] = ()

    @property
    def state(self) -> Path:
        return self.root / ".ispflow-lab"

    def fleet(self) -> dict[str, Any]:
        return json.loads((self.state / "lab.json").read_text())

    def olt(self, name: str) -> dict[str, Any]:
        return next(o for o in self.fleet()["olts"] if o["name"] == name)

    def olt_of_model(self, model: str) -> dict[str, Any]:
        return next(o for o in self.fleet()["olts"] if o["model"] == model)

    def onus(self, **match: Any) -> list[dict[str, Any]]:
        return [
            onu
            for onu in self.fleet()["onus"]
            if all(onu.get(key) == value for key, value in match.items())
        ]

    def concentrator(self, name: str = "bras-01") -> dict[str, Any]:
        return next(c for c in self.fleet()["concentrators"] if c["name"] == name)

    def tls_wrapper(self, name: str = "bras-01") -> Callable[[socket.socket], Any] | None:
        """What wraps a socket to this concentrator as its API wants (librouteros's and
        napalm-ros's `ssl_wrapper`): TLS trusting the lab's certificate, None if plain."""
        if not self.concentrator(name)["tls"]:
            return None
        context = ssl.create_default_context(cafile=self.state / "api-cert.pem")
        return lambda sock: context.wrap_socket(sock, server_hostname="127.0.0.1")

    def api(self, name: str = "bras-01", user: str = "lab", **options: Any) -> librouteros.api.Api:
        """A librouteros session of one's own to a lab concentrator, over TLS when it serves it."""
        port = self.concentrator(name)["port"]
        wrapper = self.tls_wrapper(name)
        return librouteros.connect(
            "127.0.0.1", user, self.password(), port=port, ssl_wrapper=wrapper, **options
        )

    def password(self) -> str:
        return YAML(typ="safe").load((self.state / "secrets.yaml").read_text())["defaults"][
            "password"
        ]

    def query(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        engine = create_engine(self.db_url)
        try:
            with engine.begin() as conn:  # commits, so tests can change the store too
                result = conn.execute(text(sql), params)
                return [dict(r) for r in result.mappings()] if result.returns_rows else []
        finally:
            engine.dispose()

    def nornir(self, workers: int = 4) -> Nornir:
        """Plain Nornir (SimpleInventory) on the lab's inventory files, logged in as the lab's
        user: what a script of one's own would open."""
        inventory = self.state / "inventory"
        nornir = InitNornir(
            runner={"plugin": "threaded", "options": {"num_workers": workers}},
            inventory={
                "plugin": "SimpleInventory",
                "options": {
                    "host_file": str(inventory / "hosts.yaml"),
                    "group_file": str(inventory / "groups.yaml"),
                    "defaults_file": str(inventory / "defaults.yaml"),
                },
            },
            logging={"enabled": False},
        )
        nornir.inventory.defaults.username = "lab"
        nornir.inventory.defaults.password = self.password()
        return nornir

    def run_json(self, *args: str, expect: int | None = 0) -> dict[str, Any]:
        proc = self.cli("run", *args, "-o", "json", "-q")
        if expect is not None:
            assert proc.returncode == expect, proc.stdout[-3000:] + proc.stderr[-3000:]
        return json.loads(proc.stdout)


def pending_contract(lab: RunningLab, olt: str, condition: str = "good") -> dict[str, Any]:
    """A contract waiting for an ONU that sits in autofind on `olt` with this signal class
    (never one that an earlier test of a shared lab installed or removed)."""
    for onu in lab.onus(olt=olt, autofind=True, condition=condition):
        rows = lab.query(
            "SELECT c.code FROM contracts c JOIN onus o ON o.id = c.onu_id "
            "WHERE o.serial = :serial AND c.status = 'pending' AND o.state = 'pending'",
            serial=onu["serial"],
        )
        if rows:
            return {**onu, "contract": rows[0]["code"]}
    pytest.fail(f"the lab seed has no {condition} ONU in autofind on {olt}")


def step_results(report: dict[str, Any], step: str) -> list[dict[str, Any]]:
    """The step's results on the hosts where it ran (not skipped)."""
    return [r for r in report["results"] if r["step"] == step and r["status"] != "skipped"]


def waiting_serials(lab: RunningLab, olt: str) -> set[str]:
    report = lab.run_json("onu-autofind", "--limit", olt)
    [result] = step_results(report, "autofind")
    return {record["serial"] for record in result["result"]}


def onu_row(lab: RunningLab, serial: str) -> dict[str, Any]:
    [row] = lab.query(
        "SELECT o.state, o.onu_index, o.frame, o.slot, o.port, c.status AS contract_status "
        "FROM onus o LEFT JOIN contracts c ON c.onu_id = o.id WHERE o.serial = :serial",
        serial=serial,
    )
    return row


def start_lab(tmp_path: Path, *options: str) -> Iterator[RunningLab]:
    db_url = f"sqlite:///{tmp_path / 'ispflow.db'}"
    cli = LabCli(tmp_path, db_url, None)
    base = free_base_port(OLTS + 8)  # the OLTs, then the concentrators (up to 8)
    up_args = (
        "lab", "up", "--olts", str(OLTS), "--pons", "2", "--onus", "4", "--autofind", "3",
        "--port", str(base), "--seed", "11", "--vendors", DEFAULT_VENDORS, *options,
    )  # fmt: skip
    proc = cli(*up_args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    try:
        yield RunningLab(tmp_path, cli, db_url, up_args)
    finally:
        cli("lab", "down")


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[RunningLab]:
    yield from start_lab(tmp_path)


@pytest.fixture
def alarm_lab(tmp_path: Path) -> Iterator[RunningLab]:
    """The same fleet, printing alarm and log lines in the middle of some answers; on the
    oldest firmware, whose bulk tables list every ONU (offline ones too)."""
    yield from start_lab(tmp_path, "--alarms", "--firmware", "oldest")
