"""`provision.auto`: zero-touch installs, the ONUs waiting on an OLT matched with stock.

Per OLT, once per run: read the ONUs waiting in autofind, match each (by serial, else MAC)
with a stock item reserved for a contract, check the ONU hangs on the PON of the contract's
CTO, pick the provisioning template of the contract's plan and the item's model, and
install it (authorize with the template's profiles and VLAN, check the signal, record it
on the contract, close the installation order); the stock item becomes installed. ONUs that
match nothing are listed and left alone; matched ones that cannot be installed are reported
with the reason. Run on a schedule, an ONU plugged in later is installed by a later run.
"""

from __future__ import annotations

from typing import Any

from nornir.core.task import Result, Task

from engine.provisioning import ProvisioningError, fill, load_templates
from engine.registry import task
from store.contract_secrets import contract_secret
from store.contracts import ContractError, find_contract, onu_description
from store.cto import cto_pon
from store.stock import list_items, mark_installed, normalize_mac
from tasks.onu import autofind
from tasks.onu_install import ACCEPT, install
from tasks.reconcile import run_database


def _reserved(db: Any) -> tuple[dict[str, dict], dict[str, dict]]:
    """Reserved stock items with a contract, by serial and by MAC."""
    items = [i for i in list_items(db, state="reserved") if i["contract"]]
    return (
        {i["serial"]: i for i in items if i["serial"]},
        {i["mac"]: i for i in items if i["mac"]},
    )


def _match(onu: dict[str, Any], by_serial: dict, by_mac: dict) -> dict[str, Any] | None:
    if onu.get("serial") and onu["serial"] in by_serial:
        return by_serial[onu["serial"]]
    mac = onu.get("mac")
    if mac:
        try:
            return by_mac.get(normalize_mac(mac))
        except ValueError:
            return None
    return None


def _plan(db: Any, olt: str, onu: dict[str, Any], item: dict[str, Any], templates: Any) -> Any:
    """What to install for this ONU and stock item; ValueError says why not."""
    contract = find_contract(db, item["contract"])
    if contract["cto"]:
        where = cto_pon(db, contract["cto"])
        if where is not None and where != (olt, onu["port"]):
            raise ValueError(
                f"wrong PON: ONU is on {olt} {onu['port']}, contract {item['contract']}'s CTO "
                f"{contract['cto']} is on {where[0]} {where[1]}"
            )
    template = templates.template_for(contract["plan"] or "", item["model"])
    filled = fill(
        template,
        contract,
        lambda name, length: contract_secret(db, item["contract"], name, length),
    )
    return contract, filled


@task("provision.auto", dry_run=True, changes_device=True)
def auto(
    task: Task,
    templates: str | None = None,
    accept: list[str] | tuple[str, ...] = ACCEPT,
    close_code: str = "INSTALLED",
    signal_tries: int = 3,
    signal_delay: float = 2.0,
) -> Result:
    """Install the ONUs waiting on this OLT that reserved stock items of open installation
    orders name; list the others."""
    chosen = load_templates(templates)
    if task.is_dry_run():
        return autofind(task)
    db = run_database("provision.auto")
    waiting = [r for r in autofind(task).result if r.get("port")]
    by_serial, by_mac = _reserved(db)
    done: list[dict[str, Any]] = []
    failed: list[dict[str, Any]] = []
    unmatched: list[dict[str, Any]] = []
    for onu in waiting:
        item = _match(onu, by_serial, by_mac)
        who = {"port": onu["port"], "serial": onu.get("serial"), "mac": onu.get("mac")}
        if item is None:
            unmatched.append({**who, "reason": "no reserved stock item for it"})
            continue
        who |= {"contract": item["contract"], "model": item["model"]}
        try:
            contract, filled = _plan(db, task.host.name, onu, item, chosen)
            installed = install(
                task,
                port=onu["port"],
                vlan=filled.vlan,
                serial=onu.get("serial"),
                mac=None if onu.get("serial") else onu.get("mac"),
                contract=item["contract"],
                description=onu_description(item["contract"], contract["customer"]),
                line_profile=filled.line_profile,
                service_profile=filled.service_profile,
                accept=accept,
                signal_tries=signal_tries,
                signal_delay=signal_delay,
                close_code=close_code,
            )
            mark_installed(db, item["serial"] or item["mac"], note=f"installed on {task.host.name}")
        except (ProvisioningError, ContractError, ValueError, RuntimeError) as exc:
            failed.append({**who, "reason": str(exc)})
            continue
        done.append({**who, **installed.result, "provisioning": filled.shown()})
    result = {"installed": done, "failed": failed, "unmatched": unmatched}
    return Result(host=task.host, result=result, changed=bool(done), failed=bool(failed))
