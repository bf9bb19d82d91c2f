"""Several runs at once in one process, against the lab: each run's readings, service order
actions, step results and audit land under its own run id, whether the runs come from
threads calling the Python API or from `ispflow scheduler --once` running due schedules."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from ispflow.engine.reports.audit import build_audit
from ispflow.store.db import open_database
from ispflow.store.schema import service_orders
from ispflow.store.tickets.model import NewTicket
from ispflow.store.tickets.store_backend import StoreTicketBackend
from tests.lab.conftest import RunningLab, start_lab

WAITING_ORDERS = 3


@pytest.fixture
def slow_lab(tmp_path: Path) -> Iterator[RunningLab]:
    # Every answer takes a while, so an OLT's run lasts well beyond the others' starts.
    yield from start_lab(tmp_path, "--latency-ms", "300")


@pytest.fixture(autouse=True)
def _store_tickets(monkeypatch: pytest.MonkeyPatch) -> None:
    # ticket-auto-close works on the store's service orders, whatever the shell says.
    monkeypatch.delenv("ISPFLOW_TICKETS", raising=False)


def waiting_orders(lab: RunningLab, count: int) -> list[str]:
    """`count` orders waiting on the customer for two months: due for auto-close."""
    db = open_database(lab.db_url)
    try:
        backend = StoreTicketBackend(db)
        protocols = []
        for i in range(count):
            ticket = backend.open(NewTicket(subject=f"sem retorno {i}"))
            backend.set_status(ticket.ref, "ana", "waiting")
            protocols.append(ticket.protocol)
        with db.engine.begin() as conn:
            conn.execute(
                update(service_orders)
                .where(service_orders.c.protocol.in_(protocols))
                .values(status_since=datetime.now(UTC) - timedelta(days=60))
            )
        return protocols
    finally:
        db.close()


def two_olts(lab: RunningLab) -> list[str]:
    return [olt["name"] for olt in lab.fleet()["olts"][:2]]


def check_signal_run(lab: RunningLab, run_id: str, olt: str) -> int:
    """The run read `olt` only, and every reading it stored carries its id; how many."""
    results = lab.query(
        "SELECT host, status, result FROM step_results WHERE run_id = :run AND step_index = 0",
        run=run_id,
    )
    assert {r["host"]: r["status"] for r in results if r["status"] != "skipped"} == {olt: "ok"}
    [mine] = [r for r in results if r["host"] == olt]
    read = mine["result"] if isinstance(mine["result"], list) else json.loads(mine["result"])
    rows = lab.query(
        "SELECT olt, serial FROM optical_readings WHERE run_id = :run ORDER BY serial", run=run_id
    )
    assert rows, f"run {run_id} stored no readings"
    assert {r["olt"] for r in rows} == {olt}
    assert sorted(r["serial"] for r in rows) == sorted(x["serial"] for x in read)
    db = open_database(lab.db_url)
    try:
        assert build_audit(db, run_id).onus_read == len(rows)
    finally:
        db.close()
    return len(rows)


def check_ticket_run(lab: RunningLab, run_id: str, protocols: list[str]) -> None:
    """The run closed the orders waiting on the customer (the lab's own and `protocols`),
    each closing an action of this run."""
    [local] = lab.query("SELECT host, status FROM step_results WHERE run_id = :run", run=run_id)
    assert (local["host"], local["status"]) == ("local", "changed")
    orders = lab.query("SELECT protocol, status FROM service_orders")
    assert {
        o["protocol"]: o["status"] for o in orders if o["protocol"] in protocols
    } == dict.fromkeys(protocols, "closed")
    authors = lab.query(
        "SELECT a.author, o.protocol FROM service_order_actions a "
        "JOIN service_orders o ON o.id = a.service_order_id WHERE a.author LIKE 'ispflow run %'"
    )
    assert {a["author"] for a in authors} == {f"ispflow run {run_id}"}
    assert set(protocols) <= {a["protocol"] for a in authors}


def check_overlap(lab: RunningLab, run_ids: list[str]) -> None:
    """Every run started before any of them finished: they ran at once."""
    rows = lab.query("SELECT id, status, started_at, finished_at FROM runs")
    mine = [r for r in rows if r["id"] in run_ids]
    assert len(mine) == len(run_ids)
    assert {r["status"] for r in mine} == {"ok"}
    assert max(r["started_at"] for r in mine) < min(r["finished_at"] for r in mine), mine


def check_no_stray_readings(lab: RunningLab, total: int) -> None:
    [count] = lab.query("SELECT count(*) AS n, count(run_id) AS with_run FROM optical_readings")
    assert (count["n"], count["with_run"]) == (total, total)


def test_three_runs_at_once_through_the_python_api(
    slow_lab: RunningLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ispflow import run_runbook
    from ispflow.engine.model import RunOptions

    lab = slow_lab
    monkeypatch.chdir(lab.root)  # the running lab's inventory and secrets
    protocols = waiting_orders(lab, WAITING_ORDERS)
    first, second = two_olts(lab)
    jobs: list[tuple[str, dict[str, Any]]] = [
        ("onu-signal", {"olt": first}),
        ("onu-signal", {"olt": second}),
        ("ticket-auto-close", {"days": 5}),
    ]
    start = threading.Barrier(len(jobs))
    outcomes: dict[int, Any] = {}

    def run(index: int) -> None:
        runbook, given = jobs[index]
        start.wait()
        try:
            outcomes[index] = run_runbook(runbook, given, RunOptions(), db=lab.db_url)
        except BaseException as exc:  # reported by the assertion below
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert [getattr(outcomes[i], "status", outcomes[i]) for i in range(3)] == ["ok"] * 3
    run_ids = [outcomes[i].run_id for i in range(3)]
    assert len(set(run_ids)) == 3
    check_overlap(lab, run_ids)
    total = check_signal_run(lab, run_ids[0], first) + check_signal_run(lab, run_ids[1], second)
    check_no_stray_readings(lab, total)
    check_ticket_run(lab, run_ids[2], protocols)


def test_scheduler_once_runs_three_due_schedules_each_under_its_own_run(
    slow_lab: RunningLab,
) -> None:
    lab = slow_lab
    protocols = waiting_orders(lab, WAITING_ORDERS)
    first, second = two_olts(lab)
    for args in (
        ("onu-signal", "--name", "signal-a", "-e", f"olt={first}"),
        ("onu-signal", "--name", "signal-b", "-e", f"olt={second}"),
        ("ticket-auto-close", "-e", "days=5"),
    ):
        added = lab.cli("schedule", "add", *args, "--every", "1d")
        assert added.returncode == 0, added.stdout + added.stderr

    done = lab.cli("scheduler", "--once")

    assert done.returncode == 0, done.stdout + done.stderr
    for name in ("signal-a", "signal-b", "ticket-auto-close"):
        assert f"start {name}" in done.stderr and f"end   {name}: run " in done.stderr
    last = {
        row["name"]: (row["last_run_id"], row["last_status"])
        for row in lab.query("SELECT name, last_run_id, last_status FROM schedules")
    }
    assert {status for _, status in last.values()} == {"ok"}
    run_ids = [last[name][0] for name in ("signal-a", "signal-b", "ticket-auto-close")]
    assert len(set(run_ids)) == 3
    check_overlap(lab, run_ids)
    total = check_signal_run(lab, run_ids[0], first) + check_signal_run(lab, run_ids[1], second)
    check_no_stray_readings(lab, total)
    check_ticket_run(lab, run_ids[2], protocols)
