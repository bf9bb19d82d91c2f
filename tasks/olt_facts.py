"""The OLT itself: its facts (model, software, boards) and its running configuration.

Both are read over the host's `olt_cli` connection with the commands and parsers of its
driver. The configuration comes back whole (pager stops answered, echo and prompts out, lines
that change by themselves removed), so two reads of an unchanged OLT are the same text and a
diff of two reads shows only what changed.
"""

from __future__ import annotations

from typing import Any

from nornir.core.task import Result, Task

from ispflow.core.views import TaskView
from ispflow.plugins.olt.driver import OltDriver
from ispflow.plugins.olt.drivers import driver_for
from ispflow.plugins.olt.parsing import DeviceError, ParseError
from ispflow.plugins.olt.session import DeviceRefused
from ispflow.tasks.onu import olt_session
from ispflow.tasks.registry import task


class OltReadError(RuntimeError):
    """The OLT refused, or answered in a way its driver does not read, one of the commands."""


def _read(task: Task, driver: OltDriver, lines: list[str]) -> list[tuple[str, str]]:
    try:
        return olt_session(task, driver).read(lines)
    except DeviceRefused as refused:
        raise OltReadError(
            f"{task.host.name}: the OLT refused '{refused.line}': {refused.message}"
        ) from None


def _parsed(task: Task, command: str, parse: Any) -> Any:
    try:
        return parse()
    except (DeviceError, ParseError) as exc:
        raise OltReadError(
            f"{task.host.name}: cannot read the answer to '{command}': {exc}"
        ) from None


@task(
    "olt.facts",
    view=TaskView(columns=("vendor", "model", "os_version", "patch", "uptime", "serial")),
)
def facts(task: Task) -> Result:
    """The OLT's vendor, model, software version (os_version), patch, uptime and boards."""
    driver = driver_for(task.host)
    lines = driver.facts_commands()
    if task.is_dry_run():
        return Result(host=task.host, result={"commands": lines})
    answers = _read(task, driver, lines)
    found = _parsed(task, " / ".join(lines), lambda: driver.facts(answers))
    if not found.get("model"):
        raise OltReadError(
            f"{task.host.name}: the answer to '{lines[0]}' names no {driver.vendor} OLT model"
        )
    return Result(host=task.host, result=found)


def read_olt_config(task: Task) -> str:
    """The host's running configuration as text, over its olt_cli connection, unmasked.

    Pager stops, the echoed command, prompts and alarm lines are out, and so are lines that
    change by themselves (when the configuration was saved); secrets are as the OLT shows
    them: pass the text through the driver's `mask_config` before it is kept anywhere.
    """
    driver = driver_for(task.host)
    lines = driver.running_config_command()
    command, output = _read(task, driver, lines)[-1]
    text = _parsed(task, command, lambda: driver.running_config(command, output))
    if not text.strip():
        raise OltReadError(f"{task.host.name}: '{command}' gave no configuration")
    return text


@task("olt.config", view=TaskView(columns=("lines", "masked")))
def config(task: Task, mask: bool = True) -> Result:
    """The running configuration (`config`, its `lines`), secrets as *** unless mask=False."""
    driver = driver_for(task.host)
    if task.is_dry_run():
        return Result(host=task.host, result={"commands": driver.running_config_command()})
    text = read_olt_config(task)
    if mask:
        text = driver.mask_config(text)
    return Result(
        host=task.host,
        result={"config": text, "lines": text.count("\n"), "masked": bool(mask)},
    )
