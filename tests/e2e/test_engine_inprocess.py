"""Engine properties best seen from inside one process: connection set-up limits, batching."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

from nornir.core import Nornir
from nornir.core.inventory import Defaults, Groups, Host, Hosts, Inventory
from nornir.core.plugins.connections import ConnectionPluginRegister
from nornir.core.task import Result, Task
from nornir.plugins.runners import ThreadedRunner
from sqlalchemy import event

from ispflow.engine.executor import Executor
from ispflow.engine.loader import load_runbook
from ispflow.engine.model import RunOptions
from ispflow.store.db import open_database
from ispflow.store.journal import Journal


class CountingConnection:
    """A Nornir connection plugin whose set-up takes a while and counts concurrent set-ups.

    It stands in for an SSH login only to observe the engine's limiter; no device is involved.
    """

    lock = threading.Lock()
    in_progress = 0
    peak = 0
    opened: list[float] = []

    def open(self, **kwargs: Any) -> None:
        cls = CountingConnection
        with cls.lock:
            cls.in_progress += 1
            cls.peak = max(cls.peak, cls.in_progress)
            cls.opened.append(time.monotonic())
        time.sleep(0.05)
        with cls.lock:
            cls.in_progress -= 1
        self.connection = object()

    def close(self) -> None:
        return None


ConnectionPluginRegister.register("counting", CountingConnection)


def opens_connection(task: Task) -> Result:
    task.host.get_connection("counting", task.nornir.config)
    task.host.close_connection("counting")
    return Result(host=task.host, result="ok")


def make_nornir(count: int) -> Nornir:
    defaults = Defaults()
    hosts = Hosts()
    for i in range(count):
        name = f"h{i:04d}"
        hosts[name] = Host(name=name, hostname="127.0.0.1", data={"role": "olt"}, defaults=defaults)
    return Nornir(
        inventory=Inventory(hosts=hosts, groups=Groups(), defaults=defaults),
        runner=ThreadedRunner(),
    )


def book(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "b.yaml"
    path.write_text(text)
    return path


def test_connection_setups_are_limited_apart_from_workers(tmp_path: Path) -> None:
    CountingConnection.peak = 0
    CountingConnection.opened = []
    runbook = load_runbook(
        book(
            tmp_path,
            "name: c\nsteps:\n  - task: tests.e2e.test_engine_inprocess:opens_connection\n",
        )
    )
    database = open_database(f"sqlite:///{tmp_path / 's.db'}")
    journal = Journal(database)
    try:
        outcome = Executor(make_nornir(24), journal).run(
            runbook, {}, RunOptions(workers=24, max_connecting=3)
        )
    finally:
        journal.close()
        database.close()
    assert outcome.status == "ok", outcome.message
    assert len(CountingConnection.opened) == 24
    assert CountingConnection.peak == 3


def test_connect_rate_spaces_out_new_sessions(tmp_path: Path) -> None:
    CountingConnection.opened = []
    runbook = load_runbook(
        book(
            tmp_path,
            "name: c\nsteps:\n  - task: tests.e2e.test_engine_inprocess:opens_connection\n",
        )
    )
    database = open_database(f"sqlite:///{tmp_path / 's.db'}")
    journal = Journal(database)
    before = time.monotonic()
    try:
        Executor(make_nornir(6), journal).run(
            runbook, {}, RunOptions(workers=6, max_connecting=6, connect_rate=20)
        )
    finally:
        journal.close()
        database.close()
    starts = sorted(CountingConnection.opened)
    # 20 per second: the k-th set-up is allowed 50 ms after the one before it was allowed, so
    # it cannot start before k × 50 ms from the run's start. A lower bound only: a busy
    # machine delays set-ups, never brings one forward (a gap between two may shrink when the
    # first of them was the one delayed, so gaps are not what is checked).
    assert len(starts) == 6
    early = [
        (k, round(t - before, 4)) for k, t in enumerate(starts) if t - before < k * 0.05 - 1e-6
    ]
    assert early == [], early


def test_results_are_written_in_batches_not_per_host(tmp_path: Path) -> None:
    runbook = load_runbook(
        book(tmp_path, "name: n\nsteps:\n  - task: core.noop\n  - task: core.noop\n")
    )
    database = open_database(f"sqlite:///{tmp_path / 's.db'}")
    commits = []
    event.listen(database.engine, "commit", lambda conn: commits.append(1))
    journal = Journal(database)
    try:
        outcome = Executor(make_nornir(2000), journal).run(runbook, {}, RunOptions(workers=20))
    finally:
        journal.close()
        database.close()
    assert outcome.status == "ok" and len(outcome.outcomes) == 4000
    # 4,000 host/step results; group commit takes many per transaction.
    assert len(commits) < 4000 / 5, len(commits)


def defers_work(task: Task) -> Result:
    """Hands work to the run's background queue; host h0001's part of it will fail."""
    from ispflow.store import run_context

    context = run_context.current()
    assert context is not None
    done = context.share("trace", list)

    def check() -> None:
        if task.host.name == "h0001":
            raise RuntimeError(f"the background write for {task.host.name} failed")
        done.append(task.host.name)

    context.defer(task.host.name, check)
    return Result(host=task.host, result="handed over")


def test_a_failed_deferred_check_fails_that_host_and_stops_it(tmp_path: Path) -> None:
    runbook = load_runbook(
        book(
            tmp_path,
            "name: d\nsteps:\n  - task: tests.e2e.test_engine_inprocess:defers_work\n"
            "  - task: core.noop\n",
        )
    )
    database = open_database(f"sqlite:///{tmp_path / 's.db'}")
    journal = Journal(database)
    try:
        outcome = Executor(make_nornir(3), journal).run(runbook, {}, RunOptions(workers=3))
        stored = {
            (row.host, row.step_index): (row.status, row.error)
            for row in journal.load_run(outcome.run_id).outcomes
        }
    finally:
        journal.close()
        database.close()
    assert outcome.status == "failed"
    assert stored[("h0001", 0)] == ("failed", "the background write for h0001 failed")
    assert stored[("h0000", 0)][0] == "ok" and stored[("h0002", 0)][0] == "ok"
    # The failed host does not go on to the next step; the others do.
    assert ("h0001", 1) not in stored or stored[("h0001", 1)][0] != "ok"
    assert stored[("h0000", 1)][0] == "ok"
