"""The concentrator itself: its facts and its running configuration, through NAPALM.

Read through the host's concentrator driver (its `facts` and `config`: NAPALM over the
vendor's API, on the same address, login and TLS as the driver's API connection).
The facts are what `ispflow inventory check` and the compliance rules look at: the model and
software, the interfaces up or down, the router's user accounts.
"""

from __future__ import annotations

from typing import Any

from nornir.core.task import Result, Task

from ispflow.core.views import TaskView
from ispflow.plugins.concentrator.contract import ConcentratorDriver
from ispflow.plugins.concentrator.drivers import concentrator_driver_for
from ispflow.tasks.registry import task

FACT_GETTERS = ("get_facts", "get_interfaces", "get_arp_table", "get_users")


def summarize(raw: dict[str, Any], driver: ConcentratorDriver) -> dict[str, Any]:
    """The facts kept: identity, the interfaces (without sessions' own), sessions, users."""
    session_interface = driver.session_interface
    facts = raw["facts"]
    interfaces = raw["interfaces"]
    kept = {
        name: {
            "is_up": bool(value["is_up"]),
            "is_enabled": bool(value["is_enabled"]),
            "description": value.get("description", ""),
            "mtu": value.get("mtu"),
            "mac_address": value.get("mac_address", ""),
        }
        for name, value in interfaces.items()
        if not session_interface(name)
    }
    return {
        "hostname": facts.get("hostname"),
        "vendor": facts.get("vendor"),
        "model": facts.get("model"),
        "os_version": facts.get("os_version"),
        "serial": facts.get("serial_number"),
        "uptime": int(facts.get("uptime") or 0),
        "interface_count": len(facts.get("interface_list") or interfaces),
        "interfaces": kept,
        "interfaces_down": sorted(
            name for name, value in kept.items() if value["is_enabled"] and not value["is_up"]
        ),
        "interfaces_disabled": sorted(name for name, v in kept.items() if not v["is_enabled"]),
        "pppoe_sessions": sum(1 for name in interfaces if session_interface(name)),
        "users": {name: {"level": user.get("level", 0)} for name, user in raw["users"].items()},
        "arp": raw["arp"],
    }


@task(
    "concentrator.facts",
    view=TaskView(
        columns=("model", "os_version", "serial", "uptime", "pppoe_sessions", "interfaces_down")
    ),
)
def facts(task: Task) -> Result:
    """The concentrator's model, version, serial, uptime, interfaces (up/enabled) and users."""
    driver = concentrator_driver_for(task.host)
    if task.is_dry_run():
        return Result(host=task.host, result=driver.would_read(task.host, ", ".join(FACT_GETTERS)))
    return Result(host=task.host, result=summarize(driver.facts(task), driver))


@task("concentrator.config", view=TaskView(columns=("lines", "masked")))
def config(task: Task, mask: bool = True) -> Result:
    """The running configuration (a terse export), secrets left out and masked unless
    mask=False."""
    driver = concentrator_driver_for(task.host)
    if task.is_dry_run():
        return Result(
            host=task.host, result=driver.would_read(task.host, "the running configuration")
        )
    text = driver.config(task, sanitized=bool(mask))
    return Result(
        host=task.host,
        result={"config": text, "lines": text.count("\n"), "masked": bool(mask)},
    )
