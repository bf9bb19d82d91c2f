"""A run says which inventory and store it uses, and never falls back to the bundled example
inventory on its own."""

from __future__ import annotations

from pathlib import Path

from ispflow.core.paths import INVENTORY_DIR
from tests.conftest import Cli


class NoInventoryCli(Cli):
    def env(self) -> dict[str, str]:
        env = super().env()
        env.pop("ISPFLOW_INVENTORY", None)
        env.pop("ISPFLOW_INVENTORY_SOURCE", None)
        return env


def test_no_inventory_outside_a_lab_folder_is_an_error_naming_the_ways(tmp_path: Path) -> None:
    db = tmp_path / "ispflow.db"
    cli = NoInventoryCli(tmp_path, f"sqlite:///{db}", None)
    proc = cli("run", "onu-signal")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert proc.stderr.startswith(
        "error: no inventory: give --inventory DIR or set ISPFLOW_INVENTORY"
    )
    assert f"The bundled example: --inventory {INVENTORY_DIR}" in proc.stderr
    assert "Connection" not in proc.stdout + proc.stderr  # nothing was tried
    assert cli("runs", "-o", "json").stdout.strip() in ("", "[]")
    # Named, the example runs (nothing listens on its ports here: each host fails alone).
    named = cli("run", "onu-signal", "--inventory", str(INVENTORY_DIR))
    assert named.returncode == 1
    assert named.stderr.splitlines()[0] == f"inventory {INVENTORY_DIR} · store sqlite:///{db}"


def test_the_first_line_names_inventory_and_store_with_no_password(sqlite_cli: Cli) -> None:
    proc = sqlite_cli("run", "onu-signal", "--limit", "olt-01")
    first = proc.stderr.splitlines()[0]
    assert first == f"inventory {sqlite_cli.inventory} · store {sqlite_cli.db}", proc.stderr
    # A refused store URL's password is masked, and a run refused before its first step
    # prints no such line.
    hidden = sqlite_cli("run", "onu-signal", "--db", "postgresql://noc:pa55@127.0.0.1:1/x")
    assert hidden.returncode == 2 and "pa55" not in hidden.stdout + hidden.stderr
    refused = sqlite_cli("run", "onu-signal", "-e", "nope=1")
    assert refused.returncode == 2 and not refused.stderr.startswith("inventory ")


def test_a_runbook_of_local_steps_needs_no_inventory(tmp_path: Path) -> None:
    cli = NoInventoryCli(tmp_path, f"sqlite:///{tmp_path / 'ispflow.db'}", None)
    proc = cli("run", "ticket-auto-close", "--dry-run")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stderr.splitlines()[0].startswith("inventory none (local steps) · store sqlite:")


def test_a_long_step_off_a_terminal_says_it_is_moving(sqlite_cli: Cli, tmp_path: Path) -> None:
    book = tmp_path / "slow.yaml"
    book.write_text(
        "name: slow\nsteps:\n  - name: wait\n    task: tests.support.tasks:record\n"
        f"    serial: 1\n    with: {{trace: '{tmp_path / 'trace.txt'}', label: w, sleep: 0.5}}\n"
    )
    env_cli = ProgressCli(sqlite_cli.cwd, sqlite_cli.db, sqlite_cli.inventory)
    proc = env_cli("run", str(book), "--limit", "olt-01,olt-02")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    ticks = [i for i, line in enumerate(lines) if "hosts done" in line]
    final = next(i for i, line in enumerate(lines) if line.startswith("step 'wait': 2 hosts"))
    assert ticks and max(ticks) < final, proc.stderr  # while the step ran, not after
    assert any("; running: olt-0" in lines[i] for i in ticks), proc.stderr


class ProgressCli(Cli):
    def env(self) -> dict[str, str]:
        return super().env() | {"ISPFLOW_PROGRESS_EVERY": "0.1"}
