"""A real lab (SSH servers in a child process) per test, started with `ispflow lab up`."""

from __future__ import annotations

import json
import random
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML
from sqlalchemy import create_engine, text

from tests.conftest import Cli

OLTS = 4  # MA5800-X7, C320, MA5608T, C600: both vendors, both ZTE namings


def free_base_port(count: int) -> int:
    for _ in range(50):
        base = random.randint(20000, 40000)
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

    def password(self) -> str:
        return YAML(typ="safe").load((self.state / "secrets.yaml").read_text())["defaults"][
            "password"
        ]

    def query(self, sql: str, **params: Any) -> list[dict[str, Any]]:
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                return [dict(r) for r in conn.execute(text(sql), params).mappings()]
        finally:
            engine.dispose()

    def run_json(self, *args: str, expect: int | None = 0) -> dict[str, Any]:
        proc = self.cli("run", *args, "-o", "json", "-q")
        if expect is not None:
            assert proc.returncode == expect, proc.stdout[-3000:] + proc.stderr[-3000:]
        return json.loads(proc.stdout)


def pending_contract(lab: RunningLab, olt: str, condition: str = "good") -> dict[str, Any]:
    """A contract waiting for an ONU that sits in autofind on `olt` with this signal class."""
    for onu in lab.onus(olt=olt, autofind=True, condition=condition):
        rows = lab.query(
            "SELECT c.code FROM contracts c JOIN onus o ON o.id = c.onu_id "
            "WHERE o.serial = :serial AND c.status = 'pending'",
            serial=onu["serial"],
        )
        if rows:
            return {**onu, "contract": rows[0]["code"]}
    pytest.skip(f"the lab seed has no {condition} ONU in autofind on {olt}")


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[RunningLab]:
    db_url = f"sqlite:///{tmp_path / 'ispflow.db'}"
    cli = LabCli(tmp_path, db_url, None)
    base = free_base_port(OLTS)
    proc = cli(
        "lab", "up", "--olts", str(OLTS), "--pons", "2", "--onus", "4", "--autofind", "3",
        "--port", str(base), "--seed", "11",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    try:
        yield RunningLab(tmp_path, cli, db_url)
    finally:
        cli("lab", "down")
