"""`onu.install`: authorize, check the signal, keep or roll back, record: one ONU, one call.

The bulk form of onu-authorize runs this per CSV row, so every row is all-or-nothing on its
own: an ONU whose signal fails is removed again and not recorded, and the next row goes on.
"""

from __future__ import annotations

import time
from typing import Any, NoReturn

from nornir.core.task import Result, Task

from ispflow.core.views import TaskView
from ispflow.store import run_context
from ispflow.store.contracts import record_onu
from ispflow.store.onu_owners import check_onu_free
from ispflow.tasks.onu import authorize, deauthorize, optical
from ispflow.tasks.registry import task
from ispflow.tasks.tickets import close_contract_orders

ACCEPT = ("good", "warning")


INSTALL_VIEW = TaskView(
    columns=("port", "onu_id", "serial", "mac", "vlan", "contract", "rx_dbm", "signal",
             "already", "orders_closed")
)  # fmt: skip


@task("onu.install", dry_run=True, changes_device=True, view=INSTALL_VIEW)
def install(
    task: Task,
    port: str,
    vlan: int,
    serial: str | None = None,
    mac: str | None = None,
    contract: str | None = None,
    description: str = "",
    line_profile: int | str = 1,
    service_profile: int | str = 1,
    onu_type: str = "",
    accept: list[str] | tuple[str, ...] = ACCEPT,
    signal_tries: int = 3,
    signal_delay: float = 2.0,
    close_code: str = "",
    close_queue: str = "installation",
    settings: dict[str, str] | None = None,
) -> Result:
    """Authorize an ONU, read its signal until it is in `accept`, else remove it; record it.
    With `close_code`, the contract's open order in `close_queue` is closed with that
    solution code and the signal reading."""
    context = run_context.current()
    if context is not None:
        # One ONU, one contract: refused before anything reaches the OLT.
        check_onu_free(context.database, serial=serial or None, mac=mac or None, contract=contract)
    added = authorize(
        task,
        port=port,
        vlan=vlan,
        serial=serial or None,
        mac=mac or None,
        description=description,
        line_profile=line_profile,
        service_profile=service_profile,
        onu_type=onu_type,
        settings=settings,
    )
    if task.is_dry_run():
        return added
    onu_id = int(added.result["onu_id"])
    try:
        reading = _signal(task, port, onu_id, serial, accept, signal_tries, signal_delay)
    except Exception as exc:
        if not added.changed:
            raise
        # An ONU this call added, whose signal nobody saw, is not left behind unrecorded.
        _remove_again(task, port, onu_id, serial or mac, f"reading its signal failed ({exc})")
    if reading.get("signal") not in accept:
        if added.changed:  # never remove an ONU this call did not add
            deauthorize(task, port=port, onu_id=onu_id, store=False)
        raise ValueError(
            f"ONU {serial or mac} on {task.host.name} {port} id {onu_id}: {_signal_text(reading)}"
            f" (accepted: {', '.join(accept)}); "
            + ("removed again" if added.changed else "left as it was")
        )
    if context is not None:
        _record_or_undo(
            task,
            added.changed,
            context.database,
            olt=task.host.name,
            port=port,
            onu_id=onu_id,
            serial=serial or None,
            mac=mac or None,
            vlan=int(vlan),
            description=description,
            line_profile=line_profile,
            service_profile=service_profile,
            vendor=task.host.get("vendor"),
            contract=contract or None,
        )
    closed: list[dict[str, Any]] = []
    if contract and close_code and context is not None:
        text = (
            f"ONU {serial or mac} authorized on {task.host.name} {port} id {onu_id}; "
            f"RX {reading.get('rx_dbm')} dBm ({reading.get('signal')})"
        )
        closed = close_contract_orders(contract, close_queue, close_code, text)
    result: dict[str, Any] = {
        "port": port,
        "onu_id": onu_id,
        "serial": serial,
        "mac": mac,
        "vlan": int(vlan),
        "contract": contract,
        "rx_dbm": reading.get("rx_dbm"),
        "signal": reading.get("signal"),
        "already": bool(added.result.get("already")),
        "orders_closed": [c["protocol"] for c in closed],
    }
    for key in ("settings_sent", "settings_not_sent", "onu_type", "note"):
        if key in added.result:
            result[key] = added.result[key]
    return Result(host=task.host, result=result, changed=bool(added.changed))


def _remove_again(task: Task, port: str, onu_id: int, who: str | None, cause: str) -> NoReturn:
    where = f"ONU {who} on {task.host.name} {port} id {onu_id}"
    try:
        deauthorize(task, port=port, onu_id=onu_id, store=False)
    except Exception as undo:  # noqa: BLE001 - both are said, with what to do
        by_hand = f"-e olt={task.host.name} -e port={port}" + (f" -e serial={who}" if who else "")
        raise RuntimeError(
            f"{where}: {cause}, and removing it again failed ({undo}): remove it with "
            f"ispflow run onu-deauthorize {by_hand}"
        ) from None
    raise RuntimeError(f"{where}: {cause}; removed again from the OLT")


def _record_or_undo(task: Task, added: bool, db: Any, **values: Any) -> None:
    """Record the ONU; a store that cannot take the record must not leave an ONU on the OLT
    that nothing knows of: one this call added is removed again before the error is raised."""
    try:
        record_onu(db, **values)
    except Exception as exc:
        where = (
            f"ONU {values.get('serial') or values.get('mac')} on {task.host.name} {values['port']}"
        )
        if not added:
            raise
        try:
            deauthorize(task, port=values["port"], onu_id=values["onu_id"], store=False)
        except Exception as undo:  # noqa: BLE001 - both are said, with what to do
            raise RuntimeError(
                f"{where}: the store could not record it ({exc}) and removing it again failed "
                f"({undo}): remove it with onu-deauthorize -e olt={task.host.name} "
                f"-e port={values['port']}"
            ) from exc
        raise RuntimeError(
            f"{where}: the store could not record it ({exc}); removed again from the OLT"
        ) from exc


def _signal_text(reading: dict[str, Any]) -> str:
    if reading.get("rx_dbm") is None:
        return f"no signal ({reading.get('signal')})"
    return f"signal {reading['rx_dbm']} dBm is {reading.get('signal')}"


def _signal(
    task: Task,
    port: str,
    onu_id: int,
    serial: str | None,
    accept: Any,
    tries: int,
    delay: float,
) -> dict[str, Any]:
    """The ONU's reading; a just-authorized ONU may need a moment to range, so retry."""
    reading: dict[str, Any] = {}
    for attempt in range(max(1, int(tries))):
        if attempt:
            time.sleep(delay)
        records = optical(task, port=port, onu_id=onu_id, serial=serial).result
        reading = records[0] if records else {"signal": "offline", "rx_dbm": None}
        if reading.get("signal") in accept:
            break
    return reading
