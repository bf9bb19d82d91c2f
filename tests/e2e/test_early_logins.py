"""A run logs in to the first hosts of a step that changes nothing while it records itself
(engine/connections.py, EarlyLogins): one login per host, the task gets that session or that
login's error, a step that changes devices never logs in before the run is recorded, and a
session no task took is closed."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from nornir.core import Nornir
from nornir.core.inventory import Defaults, Groups, Host, Hosts, Inventory
from nornir.core.plugins.connections import ConnectionPluginRegister
from nornir.core.task import Result, Task
from nornir.plugins.runners import ThreadedRunner

from ispflow.engine.executor import Executor
from ispflow.engine.loader import load_runbook
from ispflow.engine.model import RunOptions
from ispflow.store.db import open_database
from ispflow.store.journal import Journal
from ispflow.tasks.registry import task

CONNECTION = "early_probe"


class Probe:
    """A Nornir connection plugin that records its logins; no device is involved."""

    lock = threading.Lock()
    logins: list[str] = []
    closed: list[str] = []
    refused: set[str] = set()
    recorded = threading.Event()  # set once the run is in the journal
    before_recorded: list[str] = []  # logins that started before that
    started = threading.Event()

    def open(self, hostname: str | None = None, **kwargs: Any) -> None:
        with Probe.lock:
            Probe.logins.append(str(hostname))
            if not Probe.recorded.is_set():
                Probe.before_recorded.append(str(hostname))
        Probe.started.set()
        if hostname in Probe.refused:
            raise ConnectionRefusedError(f"{hostname} refused the login")
        self.connection = f"session of {hostname}"
        self.hostname = hostname

    def close(self) -> None:
        with Probe.lock:
            Probe.closed.append(str(self.hostname))


ConnectionPluginRegister.register(CONNECTION, Probe)


@task("test.read_early", opens=CONNECTION)
def reads(task: Task) -> Result:
    if task.host.name == "skips-login":
        raise ValueError("nothing to read here")
    return Result(host=task.host, result=task.host.get_connection(CONNECTION, task.nornir.config))


@task("test.change_early", changes_device=True, opens=CONNECTION)
def changes(task: Task) -> Result:
    return Result(host=task.host, result=task.host.get_connection(CONNECTION, task.nornir.config))


class WatchedJournal(Journal):
    """Records a run only once a login has started (or after a while, when none does)."""

    def start_run(self, **kwargs: Any) -> str:
        Probe.started.wait(2)
        run_id = super().start_run(**kwargs)
        Probe.recorded.set()
        return run_id


@pytest.fixture(autouse=True)
def fresh_probe() -> None:
    Probe.logins, Probe.closed, Probe.before_recorded = [], [], []
    Probe.refused = set()
    Probe.recorded.clear()
    Probe.started.clear()


def run(tmp_path: Path, steps: str, hosts: list[str], **options: Any) -> Any:
    path = tmp_path / "book.yaml"
    path.write_text(f"name: early\nvars:\n  only: {{type: str, default: ''}}\nsteps:\n{steps}")
    runbook = load_runbook(path)
    defaults = Defaults()
    inventory = Hosts(
        (name, Host(name=name, hostname=name, defaults=defaults, data={"role": "olt"}))
        for name in hosts
    )
    nornir = Nornir(
        inventory=Inventory(hosts=inventory, groups=Groups(), defaults=defaults),
        runner=ThreadedRunner(),
    )
    database = open_database(f"sqlite:///{tmp_path / 's.db'}")
    journal = WatchedJournal(database)
    try:
        return Executor(nornir, journal).run(
            runbook, options.pop("vars", {}), RunOptions(workers=4, **options)
        )
    finally:
        journal.close()
        database.close()


READ = "  - task: tests.e2e.test_early_logins:reads\n"


def test_a_read_logs_in_while_the_run_is_recorded_once_per_host(tmp_path: Path) -> None:
    outcome = run(tmp_path, READ, ["a", "b"])
    assert outcome.status == "ok", outcome.message
    assert sorted(Probe.before_recorded) == ["a", "b"]
    assert sorted(Probe.logins) == ["a", "b"]  # the tasks used those sessions
    assert sorted(o.result for o in outcome.outcomes) == ["session of a", "session of b"]


def test_a_refused_early_login_is_the_tasks_error_and_is_not_tried_again(tmp_path: Path) -> None:
    Probe.refused = {"b"}
    outcome = run(tmp_path, READ, ["a", "b"])
    failed = {o.host: o.error for o in outcome.outcomes if o.status == "failed"}
    assert list(failed) == ["b"] and "b refused the login" in str(failed["b"])
    assert sorted(Probe.logins) == ["a", "b"]


def test_a_step_that_changes_devices_logs_in_only_once_the_run_is_recorded(
    tmp_path: Path,
) -> None:
    outcome = run(tmp_path, "  - task: tests.e2e.test_early_logins:changes\n", ["a", "b"])
    assert outcome.status == "ok", outcome.message
    assert sorted(Probe.logins) == ["a", "b"]
    assert Probe.before_recorded == []


def test_only_the_hosts_the_steps_condition_selects_are_logged_in_to(tmp_path: Path) -> None:
    steps = READ + "    when: \"only == '' or host.name == only\"\n"
    outcome = run(tmp_path, steps, ["a", "b", "c"], vars={"only": "b"})
    assert outcome.status == "ok", outcome.message
    assert Probe.logins == ["b"] and Probe.before_recorded == ["b"]


def test_a_dry_run_logs_in_to_nothing(tmp_path: Path) -> None:
    run(tmp_path, READ, ["a"], dry_run=True)
    assert Probe.logins == []


def test_a_session_no_task_took_is_closed(tmp_path: Path) -> None:
    outcome = run(tmp_path, READ, ["a", "skips-login"])
    assert {o.host: o.status for o in outcome.outcomes} == {"a": "ok", "skips-login": "failed"}
    assert sorted(Probe.before_recorded) == ["a", "skips-login"]
    # Closed as its login ends, which may be a moment after the run.
    deadline = time.monotonic() + 5
    while not Probe.closed and time.monotonic() < deadline:
        time.sleep(0.01)
    assert Probe.closed == ["skips-login"]
