"""Vendor-neutral building blocks every runbook can use: echo, set, facts, pause, fail, checks."""

from __future__ import annotations

import time
from typing import Any

from nornir.core.task import Result, Task

from ispflow.core.views import TaskView
from ispflow.tasks.registry import task

ROLES = ("olt", "concentrator")


@task("core.noop")
def noop(task: Task) -> Result:
    """Do nothing; useful to measure the engine and to hold a place in a runbook."""
    return Result(host=task.host)


@task("core.echo", view=TaskView(columns=()))
def echo(task: Task, **values: Any) -> Result:
    """Return the arguments it was given, rendered for this host."""
    return Result(host=task.host, result=values)


@task("core.set")
def set_values(task: Task, **values: Any) -> Result:
    """Compute values once per host so later steps can use them (register the step)."""
    return Result(host=task.host, result=values)


@task("core.facts")
def facts(task: Task) -> Result:
    """The host's inventory record: name, address, platform, groups and data (no secrets)."""
    host = task.host
    return Result(
        host=host,
        result={
            "name": host.name,
            "hostname": host.hostname,
            "port": host.port,
            "platform": host.platform,
            "groups": [group.name for group in host.groups],
            "data": dict(host.items()),
        },
    )


@task("core.pause")
def pause(task: Task, seconds: float) -> Result:
    """Wait a number of seconds (honours the step timeout)."""
    if not task.is_dry_run():
        # Sleep in short slices so a step timeout interrupts it promptly.
        deadline = time.monotonic() + float(seconds)
        while (left := deadline - time.monotonic()) > 0:
            time.sleep(min(left, 0.05))
    return Result(host=task.host, result={"slept": float(seconds)})


@task("core.fail")
def fail(task: Task, message: str = "failed on purpose") -> Result:
    """Fail the host with a message (e.g. under a `when:` that detects a bad state)."""
    return Result(host=task.host, result={"message": message}, failed=True)


@task(
    "core.inventory_check",
    view=TaskView(
        columns=("platform", "address", "site", "role", "vendor", "credentials", "problems")
    ),
)
def inventory_check(task: Task, require: list[str] | None = None) -> Result:
    """Check that the host's inventory record is complete enough for ispflow to drive it."""
    host = task.host
    required = list(require or ("site", "role", "vendor"))
    problems = [f"data.{key} is not set" for key in required if not host.get(key)]
    role = host.get("role")
    if role and role not in ROLES:
        problems.append(f"data.role is '{role}', expected one of {', '.join(ROLES)}")
    if not host.platform:
        problems.append("platform is not set")
    if not host.hostname:
        problems.append("hostname (management address) is not set")
    credentials = bool(host.username) and bool(host.password)
    result = {
        "platform": host.platform,
        "address": f"{host.hostname}:{host.port or 'default'}",
        "site": host.get("site"),
        "role": role,
        "vendor": host.get("vendor"),
        "credentials": "set" if credentials else "missing",
        "problems": problems,
    }
    if problems:
        return Result(host=host, result=result, failed=True)
    return Result(host=host, result=result)
