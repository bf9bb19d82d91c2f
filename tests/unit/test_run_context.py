"""One run context per run: threads of one process each see their own run, and the engine's
runner hands the run of the thread that starts a step to every worker thread of that step."""

from __future__ import annotations

import threading
from typing import Any

from nornir.core import Nornir
from nornir.core.inventory import Defaults, Groups, Host, Hosts, Inventory
from nornir.core.task import Result, Task

from ispflow.plugins.runners.pool import PoolRunner
from ispflow.store import run_context

BARRIER_TIMEOUT_S = 30  # only so a broken build fails instead of hanging


def _context(run_id: str) -> run_context.RunContext:
    return run_context.RunContext(run_id, database=None, dry_run=False)  # type: ignore[arg-type]


def _in_threads(count: int, target: Any) -> None:
    threads = [threading.Thread(target=target, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def test_two_threads_each_see_their_own_run() -> None:
    both_set = threading.Barrier(2, timeout=BARRIER_TIMEOUT_S)
    seen: dict[int, list[str | None]] = {0: [], 1: []}

    def run(index: int) -> None:
        seen[index].append(_id(run_context.current()))
        with run_context.running(_context(f"run-{index}")):
            both_set.wait()  # both runs are current at once from here on
            seen[index].append(_id(run_context.current()))
            both_set.wait()
        seen[index].append(_id(run_context.current()))

    _in_threads(2, run)

    assert seen == {0: [None, "run-0", None], 1: [None, "run-1", None]}
    assert run_context.current() is None


def test_running_restores_the_earlier_run() -> None:
    with run_context.running(_context("outer")):
        with run_context.running(_context("inner")):
            assert _id(run_context.current()) == "inner"
        assert _id(run_context.current()) == "outer"
    assert run_context.current() is None


def test_a_plain_new_thread_does_not_see_the_run() -> None:
    # Why the runner copies the context: Python does not do it for a new thread.
    seen: list[str | None] = []
    with run_context.running(_context("r")):
        thread = threading.Thread(target=lambda: seen.append(_id(run_context.current())))
        thread.start()
        thread.join()
    assert seen == [None]


def _nornir(prefix: str, count: int) -> Nornir:
    defaults = Defaults()
    hosts = Hosts(
        (f"{prefix}{i}", Host(name=f"{prefix}{i}", hostname="127.0.0.1", defaults=defaults))
        for i in range(count)
    )
    return Nornir(inventory=Inventory(hosts=hosts, groups=Groups(), defaults=defaults))


def test_pool_runner_threads_see_the_run_of_the_thread_that_started_the_step() -> None:
    runs, hosts = 3, 4
    # Every host of every run waits here, so all the runs' tasks are in flight together.
    all_in_flight = threading.Barrier(runs * hosts, timeout=BARRIER_TIMEOUT_S)
    seen: dict[str, dict[str, str | None]] = {}

    def report_run(task: Task) -> Result:
        all_in_flight.wait()
        return Result(host=task.host, result=_id(run_context.current()))

    def run(index: int) -> None:
        nornir = _nornir(f"r{index}-h", hosts).with_runner(PoolRunner(num_workers=hosts))
        with run_context.running(_context(f"run-{index}")):
            done = nornir.run(task=report_run)
        seen[f"run-{index}"] = {name: result[0].result for name, result in done.items()}

    _in_threads(runs, run)

    assert seen == {
        f"run-{i}": {f"r{i}-h{h}": f"run-{i}" for h in range(hosts)} for i in range(runs)
    }


def test_pool_runner_with_one_worker_runs_in_the_calling_thread() -> None:
    nornir = _nornir("h", 3).with_runner(PoolRunner(num_workers=1))
    with run_context.running(_context("solo")):
        done = nornir.run(
            task=lambda task: Result(host=task.host, result=_id(run_context.current()))
        )
    assert [r[0].result for r in done.values()] == ["solo", "solo", "solo"]


def _id(context: run_context.RunContext | None) -> str | None:
    return context.run_id if context is not None else None
