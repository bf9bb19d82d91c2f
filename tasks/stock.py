"""`stock.swap`: the stock side of replacing a contract's ONU: the new one installed, the
old one returned or marked defective."""

from __future__ import annotations

from typing import Any

from nornir.core.task import Result, Task

from ispflow.core.views import TaskView
from ispflow.store.stock import (
    StockError,
    get_item,
    mark_defective,
    mark_installed,
    mark_returned,
    reserve,
)
from ispflow.tasks.reconcile import run_database
from ispflow.tasks.registry import task

OLD_STATES = ("defective", "returned")


@task("stock.swap", dry_run=True, view=TaskView(columns=("new", "old", "old_state")))
def swap(
    task: Task, contract: str, new: str, old: str | None = None, old_state: str = "defective"
) -> Result:
    """Stock states after a replacement on `contract`; ONUs the stock does not hold are
    reported, not an error (not every ISP keeps its stock here)."""
    if old_state not in OLD_STATES:
        raise ValueError(f"old_state {old_state!r}: choose {' or '.join(OLD_STATES)}")
    if task.is_dry_run():
        return Result(host=task.host, result={"new": new, "old": old, "old_state": old_state})
    db = run_database("stock.swap")
    done: dict[str, Any] = {"new": _install(db, new, contract)}
    if old:
        done["old"] = _retire(db, old, old_state)
    return Result(host=task.host, result=done, changed=True)


def _install(db: Any, serial: str, contract: str) -> str:
    try:
        item = get_item(db, serial)
    except StockError:
        return "not in stock"
    if item["state"] == "in_stock":
        reserve(db, serial, contract)
    if item["state"] != "installed":
        mark_installed(db, serial, note=f"replacement on {contract}")
    return "installed"


def _retire(db: Any, serial: str, state: str) -> str:
    try:
        item = get_item(db, serial)
    except StockError:
        return "not in stock"
    if state == "defective":
        mark_defective(db, serial, note="replaced")
    elif item["state"] != "returned":
        mark_returned(db, serial, note="replaced")
    return state
