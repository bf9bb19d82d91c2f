"""`config.backup`: keep each device's running configuration, one version per change.

OLTs are read through their CLI (the vendor driver's command, paging and all); concentrators
through their concentrator driver (NAPALM over the vendor's API). Secrets are masked by the
vendor's rules before anything is kept, unless the run says `keep_secrets`: then the text is
kept as the device gave it (the device asked to show sensitive values too), encrypted with
the store's secret key (store.config_versions).
"""

from __future__ import annotations

import re
from typing import Any

from nornir.core.task import Result, Task

from ispflow.core.views import TaskView
from ispflow.store import run_context
from ispflow.store.config_versions import record_config
from ispflow.tasks.reconcile import run_database
from ispflow.tasks.registry import task


def running_config(task: Task, *, keep_secrets: bool = False) -> str:
    """The host's running configuration, secrets masked unless `keep_secrets`."""
    if task.host.get("role") == "concentrator":
        from ispflow.plugins.concentrator.drivers import concentrator_driver_for

        return concentrator_driver_for(task.host).config(task, sanitized=not keep_secrets)
    from ispflow.plugins.olt.drivers import driver_for
    from ispflow.tasks.olt_facts import read_olt_config

    text = read_olt_config(task)
    return text if keep_secrets else driver_for(task.host).mask_config(text)


def config_structure(task: Task) -> re.Pattern[str] | None:
    """The host's configuration layout lines (comments, separators), from its vendor code."""
    if task.host.get("role") == "concentrator":
        from ispflow.plugins.concentrator.drivers import concentrator_driver_for

        return concentrator_driver_for(task.host).config_structure
    from ispflow.plugins.olt.drivers import driver_for

    return driver_for(task.host).config_structure


def _what_is_read(task: Task) -> str:
    if task.host.get("role") == "concentrator":
        from ispflow.plugins.concentrator.drivers import concentrator_driver_for

        return concentrator_driver_for(task.host).config_source
    from ispflow.plugins.olt.drivers import driver_for

    return "; ".join(driver_for(task.host).running_config_command())


@task(
    "config.backup",
    dry_run=True,
    view=TaskView(
        columns=("config", "version", "lines", "added", "removed", "sha256", "would_read")
    ),
)
def backup(task: Task, keep_secrets: bool = False) -> Result:
    """Read the running configuration and keep it if it changed since the last backup."""
    if task.is_dry_run():
        return Result(host=task.host, result={"would_read": _what_is_read(task)})
    text = running_config(task, keep_secrets=keep_secrets)
    context = run_context.current()
    version: dict[str, Any] = record_config(
        run_database("config.backup"),
        task.host.name,
        text,
        platform=task.host.platform,
        masked=not keep_secrets,
        run_id=context.run_id if context else None,
    )
    if not version["changed"]:
        news = "unchanged"
    else:
        news = "first version" if version["previous"] is None else "new version"
    result = {
        "config": news,
        "version": version["number"],
        "sha256": version["sha256"][:12],
        "lines": version["lines"],
        "changed": version["changed"],
        "masked": version["masked"],
    }
    if version["changed"]:
        result |= {
            "previous": version["previous"],
            "added": version["added"],
            "removed": version["removed"],
        }
    # A new version is news, not a change made to the device: the run reports it as "ok".
    return Result(host=task.host, result=result)
