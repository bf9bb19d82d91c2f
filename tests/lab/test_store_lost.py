"""The store goes away in the middle of a run that changes devices: the run says what it did
(from memory), exits 4 rather than "nothing was run", and tells how to find out the rest;
once the store is back, `--resume` finishes the run."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from tests.conftest import PG_ADMIN_URL
from tests.lab.conftest import OLTS, LabCli, RunningLab, free_base_port, onu_row, pending_contract

pytestmark = pytest.mark.postgres

EXIT_STORE_LOST = 4
POLL_S = 0.02
# The second OLT answers slowly: the store is taken away while it works.
SLOW_MS = "700"


@pytest.fixture
def pg_database(pg_server_url: str) -> Iterator[str]:
    """A database of its own (its connections are cut by the test), dropped at the end."""
    import psycopg

    name = f"ispflow_lost_{uuid.uuid4().hex[:12]}"
    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def pg_lab(
    tmp_path: Path, pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RunningLab]:
    monkeypatch.delenv("ISPFLOW_TICKETS", raising=False)
    url = _url(pg_database)
    cli = LabCli(tmp_path, url, None)
    up_args = (
        "lab", "up", "--olts", str(OLTS), "--pons", "2", "--onus", "4", "--autofind", "3",
        "--port", str(free_base_port(OLTS + 8)), "--seed", "11",
    )  # fmt: skip
    proc = cli(*up_args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    try:
        yield RunningLab(tmp_path, cli, url, up_args)
    finally:
        cli("lab", "down")


def _url(database: str) -> str:
    base = PG_ADMIN_URL.replace("postgresql://", "postgresql+psycopg://", 1)
    return base.rsplit("/", 1)[0] + f"/{database}"


def _admin(sql: str, *params: object) -> None:
    import psycopg

    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql, params or None)


def take_store_away(database: str) -> None:
    """No new connections to the run's database, and the open ones cut: the store is gone
    for the run, while the server goes on serving everyone else."""
    _admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false')
    _admin(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid()",
        database,
    )


def bring_store_back(database: str) -> None:
    _admin(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true')


def olts_in_run_order(lab: RunningLab) -> list[str]:
    """The OLTs as the inventory lists them: the order one worker takes them in."""
    hosts = YAML(typ="safe").load((lab.state / "inventory" / "hosts.yaml").read_text())
    olt_names = {olt["name"] for olt in lab.fleet()["olts"]}
    return [name for name in hosts if name in olt_names]


def wait_for_durable_change(
    lab: RunningLab, proc: subprocess.Popen[str], host: str, step: str
) -> str:
    """The run id, once `host`'s result for `step` is in the store as changed."""
    while proc.poll() is None:
        rows = lab.query(
            "SELECT run_id FROM step_results WHERE host = :host AND step_name = :step "
            "AND status = 'changed'",
            host=host,
            step=step,
        )
        if rows:
            return rows[0]["run_id"]
        time.sleep(POLL_S)
    pytest.fail(f"the run ended (exit {proc.returncode}) before {host} recorded '{step}'")


def wait_for_readings(lab: RunningLab, proc: subprocess.Popen[str], olt: str) -> str:
    """The run id, once an OLT's readings are in the store."""
    while proc.poll() is None:
        rows = lab.query("SELECT run_id FROM optical_readings WHERE olt = :o LIMIT 1", o=olt)
        if rows and rows[0]["run_id"]:
            return rows[0]["run_id"]
        time.sleep(POLL_S)
    pytest.fail(f"the run ended (exit {proc.returncode}) before {olt}'s readings were stored")


def test_store_lost_mid_run_exits_4_with_what_was_done(
    pg_lab: RunningLab, pg_database: str, tmp_path: Path
) -> None:
    lab = pg_lab
    first, second = olts_in_run_order(lab)[:2]
    installs = [pending_contract(lab, first), pending_contract(lab, second)]
    items = tmp_path / "onus.csv"
    items.write_text("contract\n" + "".join(f"{o['contract']}\n" for o in installs))
    slow = lab.cli("lab", "fault", second, "--slow-ms", SLOW_MS)
    assert slow.returncode == 0, slow.stdout + slow.stderr
    out, err = tmp_path / "run.out", tmp_path / "run.err"
    with out.open("w") as stdout, err.open("w") as stderr:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ispflow", "run", "onu-authorize", "-e", f"items={items}",
             "--workers", "1"],
            cwd=lab.root, env=lab.cli.env(), stdout=stdout, stderr=stderr, text=True,
        )  # fmt: skip
        try:
            run_id = wait_for_durable_change(lab, proc, first, "install from file")
            # Its signal readings too (written beside the journal): all of the first OLT's
            # work is in the store before it goes.
            wait_for_readings(lab, proc, first)
            take_store_away(pg_database)
            code = proc.wait(timeout=300)
        finally:
            if proc.poll() is None:
                proc.kill()
            bring_store_back(pg_database)
    printed, logged = out.read_text(), err.read_text()

    assert code == EXIT_STORE_LOST, printed + logged
    # The summary, from memory: the run, its hosts.
    assert f"Run {run_id}" in printed and "INTERRUPTED" in printed, printed
    assert first in printed and second in printed
    # The device work, named.
    lines = logged.splitlines()
    done_at = lines.index("Done before the store failed (from memory; the store may lack it):")
    done = lines[done_at + 1 :]
    [installed] = [line for line in done if line.startswith(f"  {first} · install from file")]
    assert "· changed ·" in installed and installs[0]["serial"] in installed, installed
    assert any(line.startswith(f"  {second} · install from file") for line in done), logged
    assert "error: the store failed after work was done" in logged
    assert f"`ispflow runs show {run_id}`" in logged
    assert f"`ispflow run --resume {run_id}`" in logged
    assert "nothing was run" not in logged

    # Back: the store has what was made durable; the resume finishes the rest.
    shown = lab.cli("runs", "show", run_id, "-o", "json")
    assert shown.returncode == 0, shown.stdout + shown.stderr
    recorded = {
        r["host"]: r["status"]
        for r in json.loads(shown.stdout)["results"]
        if r["step"] == "install from file"
    }
    assert recorded[first] == "changed"
    assert recorded[second] not in ("changed", "ok")
    lab.cli("lab", "fault", "--clear")
    resumed = lab.cli("run", "--resume", run_id, "-q")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    for onu in installs:
        assert onu_row(lab, onu["serial"])["state"] == "authorized"


def test_store_lost_during_a_read_stores_each_reading_once_after_resume(
    pg_lab: RunningLab, pg_database: str, tmp_path: Path
) -> None:
    """A signal read whose store goes away after the first OLT: never exit 0 or 2, and the
    resume stores every OLT's readings exactly once (the first OLT's are not doubled)."""
    lab = pg_lab
    order = olts_in_run_order(lab)
    first, second = order[:2]
    assert lab.cli("lab", "fault", second, "--slow-ms", SLOW_MS).returncode == 0
    proc = subprocess.Popen(
        [sys.executable, "-m", "ispflow", "run", "onu-signal", "--workers", "1", "-q"],
        cwd=lab.root, env=lab.cli.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        # The first OLT's readings are in (its step result may still wait in the journal's
        # batch): the store goes while the second OLT reads.
        run_id = wait_for_readings(lab, proc, first)
        take_store_away(pg_database)
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
        bring_store_back(pg_database)
    assert proc.returncode in (1, EXIT_STORE_LOST), out[-2000:] + err[-2000:]
    lab.cli("lab", "fault", "--clear")
    resumed = lab.cli("run", "--resume", run_id, "-q")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    counts = {
        row["olt"]: row["n"]
        for row in lab.query(
            "SELECT olt, COUNT(*) AS n FROM optical_readings WHERE run_id = :r GROUP BY olt",
            r=run_id,
        )
    }
    authorized = {
        olt["name"]: len(
            [o for o in lab.onus(olt=olt["name"], state="authorized") if o["onu_id"] is not None]
        )
        for olt in lab.fleet()["olts"]
    }
    assert counts == authorized
