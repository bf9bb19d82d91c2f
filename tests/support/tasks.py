"""Tasks used by the engine tests: each leaves a trace a test can count."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path
from typing import Any

from nornir.core.task import Result, Task

from ispflow.tasks.registry import task


def _trace(path: str | None, line: str) -> None:
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()


@task("test.record", dry_run=True, changes_device=True)
def record(
    task: Task,
    trace: str,
    label: str = "",
    sleep: float = 0.0,
    fail_on: list[str] | None = None,
    crash_on: str | None = None,
    crash_flag: str | None = None,
    changed: bool = True,
    value: Any = None,
) -> Result:
    """Append '<host> <label>' to the trace file; fail, crash or sleep on request."""
    host = task.host.name
    if task.is_dry_run():
        return Result(host=task.host, result={"commands": [f"would record {label} on {host}"]})
    if crash_on == host and crash_flag and not Path(crash_flag).exists():
        Path(crash_flag).write_text("crashed once\n")
        os.kill(os.getpid(), signal.SIGKILL)
    if sleep:
        time.sleep(sleep)
    if host in (fail_on or []):
        return Result(host=task.host, result={"message": f"{label} refused by {host}"}, failed=True)
    _trace(trace, f"{host} {label}")
    return Result(
        host=task.host, result={"host": host, "label": label, "value": value}, changed=changed
    )


def no_dry_run(task: Task, trace: str) -> Result:
    """A plain Nornir task that knows nothing of dry runs (the engine must not call it)."""
    _trace(trace, f"{task.host.name} called")
    return Result(host=task.host, result="called", changed=True)


def connects(task: Task) -> Result:
    """A plain Nornir task that opens a connection regardless of dry run."""
    task.host.get_connection("netmiko", task.nornir.config)
    return Result(host=task.host, result="connected")


def flaky(task: Task, trace: str, succeed_on_attempt: int) -> Result:
    """Fails until it has been called `succeed_on_attempt` times for this host."""
    lines = Path(trace).read_text().splitlines() if Path(trace).exists() else []
    attempt = sum(1 for line in lines if line == task.host.name) + 1
    _trace(trace, task.host.name)
    if attempt < succeed_on_attempt:
        return Result(host=task.host, result={"message": f"attempt {attempt} failed"}, failed=True)
    return Result(host=task.host, result={"attempt": attempt})


def slow(task: Task, seconds: float, trace: str | None = None) -> Result:
    """Sleeps in Python-level slices, then leaves a trace; used for timeouts."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.01)
    _trace(trace, f"{task.host.name} finished")
    return Result(host=task.host, result={"slept": seconds})


def boom(task: Task) -> Result:
    raise RuntimeError("device said: % Unknown command")


@task("test.sloppy_connect", dry_run=True)
def sloppy_connect(task: Task) -> Result:
    """Claims to honour dry runs but connects anyway: the engine must stop it."""
    task.host.get_connection("netmiko", task.nornir.config)
    return Result(host=task.host, result="connected")


_RENDERER = None


@task("test.render_and_record", dry_run=True)
def render_and_record(task: Task, trace: str, description: str) -> Result:
    """Render a one-line CLI command through the guarded renderer, then 'send' it."""
    global _RENDERER
    from ispflow.core.command_render import CommandRenderer

    if _RENDERER is None:
        _RENDERER = CommandRenderer([])
    lines = _RENDERER.render_string(
        'ont description "{{ description }}"', {"description": description}
    )
    if task.is_dry_run():
        return Result(host=task.host, result={"commands": lines})
    for line in lines:
        _trace(trace, f"{task.host.name} {line}")
    return Result(host=task.host, result={"commands": lines}, changed=True)


def leak_password(task: Task) -> Result:
    """A careless task that puts the device password in its result."""
    return Result(host=task.host, result={"login": f"{task.host.username}:{task.host.password}"})
