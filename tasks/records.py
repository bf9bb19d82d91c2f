"""Keeping the store's ONU records in step with the OLTs: record an installed ONU, forget one."""

from __future__ import annotations

from nornir.core.task import Result, Task

from ispflow.core.views import TaskView
from ispflow.store import run_context
from ispflow.store.contracts import forget_onu, record_onu
from ispflow.store.onu_owners import check_onu_free
from ispflow.tasks.registry import task


def _database(task_name: str):  # noqa: ANN202 - Database, imported lazily by the store
    context = run_context.current()
    if context is None:
        raise RuntimeError(f"{task_name} writes to the store of a run; there is no run")
    return context.database


@task(
    "onu.record",
    dry_run=True,
    changes_device=False,
    view=TaskView(columns=("olt", "port", "onu_id", "serial", "mac", "contract")),
)
def record(
    task: Task,
    port: str,
    onu_id: int,
    serial: str | None = None,
    mac: str | None = None,
    vlan: int | None = None,
    description: str = "",
    contract: str | None = None,
    line_profile: int | str | None = None,
    service_profile: int | str | None = None,
) -> Result:
    """Record an authorized ONU in the store (OLT, PON, id, serial) and link it to its contract."""
    values = {
        "olt": task.host.name,
        "port": port,
        "onu_id": onu_id if task.is_dry_run() else int(onu_id),
        "serial": serial or None,
        "mac": mac or None,
        "vlan": vlan,
        "description": description,
        "contract": contract or None,
        "line_profile": line_profile,
        "service_profile": service_profile,
    }
    if task.is_dry_run():
        return Result(host=task.host, result={"would_record": values})
    recorded = record_onu(_database("onu.record"), vendor=task.host.get("vendor"), **values)
    return Result(host=task.host, result=recorded, changed=True)


@task(
    "onu.forget",
    dry_run=True,
    changes_device=False,
    view=TaskView(columns=("forgotten", "port", "serial")),
)
def forget(task: Task, port: str, onu_id: int | None = None, serial: str | None = None) -> Result:
    """Mark an ONU removed in the store (after onu.deauthorize); its history stays."""
    if task.is_dry_run():
        return Result(host=task.host, result={"would_forget": {"port": port, "serial": serial}})
    count = forget_onu(
        _database("onu.forget"), olt=task.host.name, port=port, onu_id=onu_id, serial=serial
    )
    return Result(host=task.host, result={"forgotten": count}, changed=bool(count))


@task(
    "onu.check_free",
    dry_run=True,
    changes_device=False,
    view=TaskView(columns=("serial", "mac", "free_for")),
)
def check_free(
    task: Task, serial: str | None = None, mac: str | None = None, contract: str | None = None
) -> Result:
    """Fail when another contract holds this ONU (installed on it, waiting for it, or reserved
    for it in the stock): one ONU, one contract. Reads the store only, dry runs included."""
    check_onu_free(_database("onu.check_free"), serial=serial, mac=mac, contract=contract or None)
    return Result(host=task.host, result={"serial": serial, "mac": mac, "free_for": contract})
