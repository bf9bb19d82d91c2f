"""`ispflow schedule` and `ispflow scheduler`, run as a user or cron would."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from ispflow.store.db import open_database
from ispflow.store.schema import runs
from tests.conftest import Cli


@pytest.fixture(autouse=True)
def _store_tickets(monkeypatch: pytest.MonkeyPatch) -> None:
    # ticket-auto-close works on the store's service orders, whatever the shell says.
    monkeypatch.delenv("ISPFLOW_TICKETS", raising=False)


def _listed(cli: Cli) -> list[dict]:
    done = cli("schedule", "list", "-o", "json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _runs_of(cli: Cli, runbook: str) -> int:
    database = open_database(cli.db)
    try:
        with database.engine.connect() as conn:
            return conn.execute(
                select(func.count()).select_from(runs).where(runs.c.runbook == runbook)
            ).scalar_one()
    finally:
        database.close()


def test_add_refuses_what_could_not_run_and_stores_nothing(cli: Cli) -> None:
    unknown = cli("schedule", "add", "no-such-runbook", "--every", "1h")
    assert unknown.returncode == 2
    assert "no runbook named 'no-such-runbook'" in unknown.stderr
    assert "nothing stored" in unknown.stderr
    bad_var = cli("schedule", "add", "ticket-auto-close", "--every", "1d", "-e", "days=lots")
    assert bad_var.returncode == 2
    assert "var 'days'" in bad_var.stderr and "nothing stored" in bad_var.stderr
    no_var = cli("schedule", "add", "ticket-auto-close", "--every", "1d", "-e", "dayz=5")
    assert no_var.returncode == 2 and "no such var" in no_var.stderr
    bad_every = cli("schedule", "add", "ticket-auto-close", "--every", "daily")
    assert bad_every.returncode == 2 and "is not an interval" in bad_every.stderr
    bad_limit = cli("schedule", "add", "ticket-auto-close", "--every", "1d", "--limit", "a=")
    assert bad_limit.returncode == 2 and "--limit" in bad_limit.stderr
    assert _listed(cli) == []


def test_add_then_scheduler_once_runs_it_and_records_the_run(cli: Cli) -> None:
    added = cli("schedule", "add", "ticket-auto-close", "--every", "1d", "-e", "days=7")
    assert added.returncode == 0, added.stderr
    again = cli("schedule", "add", "ticket-auto-close", "--every", "1h")
    assert again.returncode == 2 and "already exists" in again.stderr
    [schedule] = _listed(cli)
    assert (schedule["name"], schedule["vars"], schedule["every"]) == (
        "ticket-auto-close",
        {"days": "7"},
        "1d",
    )
    assert schedule["last_run_id"] is None

    done = cli("scheduler", "--once")
    assert done.returncode == 0, done.stderr
    assert "start ticket-auto-close" in done.stderr and "end   ticket-auto-close" in done.stderr
    [schedule] = _listed(cli)
    assert schedule["last_status"] == "ok"
    assert schedule["last_run_id"] and schedule["locked_by"] is None
    assert schedule["next_run_at"] > schedule["last_run_at"]
    shown = cli("runs", "show", schedule["last_run_id"], "-o", "json")
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["vars"]["days"] == 7

    # Not due again for a day: a second pass runs nothing.
    idle = cli("scheduler", "--once")
    assert idle.returncode == 0 and "nothing due" in idle.stderr
    assert _runs_of(cli, "ticket-auto-close") == 1


def test_disable_enable_remove(cli: Cli) -> None:
    added = cli("schedule", "add", "ticket-auto-close", "--every", "1d", "--name", "nightly")
    assert added.returncode == 0, added.stderr
    assert cli("schedule", "disable", "nightly").returncode == 0
    assert "nothing due" in cli("scheduler", "--once").stderr
    assert cli("schedule", "enable", "nightly").returncode == 0
    listing = cli("schedule", "list")
    assert listing.returncode == 0 and "nightly" in listing.stdout
    assert cli("schedule", "remove", "nightly").returncode == 0
    missing = cli("schedule", "remove", "nightly")
    assert missing.returncode == 1 and "no schedule named 'nightly'" in missing.stderr
    assert _listed(cli) == []
    assert _runs_of(cli, "ticket-auto-close") == 0


def test_two_schedulers_at_once_run_a_schedule_once(cli: Cli) -> None:
    added = cli("schedule", "add", "ticket-auto-close", "--every", "1d")
    assert added.returncode == 0, added.stderr
    procs = [cli.popen("scheduler", "--once") for _ in range(2)]
    outputs = [proc.communicate(timeout=120) for proc in procs]
    for proc, (_, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err
    started = sum(err.count("start ticket-auto-close") for _, err in outputs)
    assert started == 1, outputs
    assert _runs_of(cli, "ticket-auto-close") == 1
    [schedule] = _listed(cli)
    assert schedule["last_status"] == "ok" and schedule["locked_by"] is None
