"""`provision.auto`: zero-touch installs, the ONUs waiting on an OLT matched with stock.

Per OLT, once per run: read the ONUs waiting in autofind, match each (by serial, else MAC)
with a stock item reserved for a contract, check the ONU hangs on the PON of the contract's
CTO, pick the provisioning template of the contract's plan and the item's model, and
install it (authorize with the template's profiles and VLAN, check the signal, record it
on the contract, close the installation order); the stock item becomes installed. ONUs that
match nothing are listed and left alone; matched ones that cannot be installed are reported
with the reason. Run on a schedule, an ONU plugged in later is installed by a later run;
a reservation older than `expire_days` is no longer installed (the monitoring of that order
ends, as in the ERPs' provisioning cycles): its ONU is listed as expired, untouched.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from nornir.core.task import Result, Task

from ispflow.core.views import TaskView, counted, grouped
from ispflow.store.contract_secrets import contract_secret
from ispflow.store.contracts import ContractError, find_contract, onu_description
from ispflow.store.cto import cto_pon
from ispflow.store.onu_owners import check_onu_free
from ispflow.store.stock import list_items, mark_installed, normalize_mac
from ispflow.tasks.onu import autofind
from ispflow.tasks.onu_install import ACCEPT, INSTALL_VIEW, install
from ispflow.tasks.provisioning import ProvisioningError, fill, load_templates
from ispflow.tasks.reconcile import run_database
from ispflow.tasks.registry import task


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


class ReservationExpired(ValueError):
    pass


def _check_reservation(item: dict[str, Any], expire_days: int, now: datetime) -> None:
    """A reservation is kept `expire_days` after it was made (0: for ever)."""
    reserved_at = item["updated_at"]
    if not expire_days or reserved_at is None:
        return
    if reserved_at.tzinfo is None:  # SQLite hands timestamps back naive, in UTC
        reserved_at = reserved_at.replace(tzinfo=UTC)
    if now - reserved_at > timedelta(days=expire_days):
        raise ReservationExpired(
            f"reservation for contract {item['contract']} expired: made "
            f"{reserved_at:%Y-%m-%d %H:%M} UTC, kept {expire_days} days; "
            f"release it (`ispflow stock release {item['serial'] or item['mac']}`) and reserve "
            "it again for a new period, or run with -e expire_days=N"
        )


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


# Installed and failed first: what changed, then what needs a person; the rest after.
AUTO_OUTCOMES = ("installed", "failed", "expired", "unmatched")
AUTO_VIEW = TaskView(
    columns=("status", "port", "serial", "mac", "contract", "model", "onu_id", "rx_dbm",
             "signal", "reason"),
    rows=grouped(*AUTO_OUTCOMES),
    headline=counted(*AUTO_OUTCOMES),
)  # fmt: skip


@task("provision.auto", dry_run=True, changes_device=True, view=AUTO_VIEW)
def auto(
    task: Task,
    templates: str | None = None,
    accept: list[str] | tuple[str, ...] = ACCEPT,
    close_code: str = "INSTALLED",
    signal_tries: int = 3,
    signal_delay: float = 2.0,
    expire_days: int = 30,
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
    expired: list[dict[str, Any]] = []
    now = datetime.now(UTC)
    for onu in waiting:
        item = _match(onu, by_serial, by_mac)
        who = {"port": onu["port"], "serial": onu.get("serial"), "mac": onu.get("mac")}
        if item is None:
            unmatched.append({**who, "reason": "no reserved stock item for it"})
            continue
        who |= {"contract": item["contract"], "model": item["model"]}
        try:
            _check_reservation(item, expire_days, now)
        except ReservationExpired as exc:
            expired.append({**who, "reason": str(exc)})
            continue
        try:
            # One ONU, one contract: an ONU another contract holds is not installed for this one.
            check_onu_free(
                db, serial=onu.get("serial"), mac=onu.get("mac"), contract=item["contract"]
            )
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
                onu_type=filled.onu_type or "",
                accept=accept,
                signal_tries=signal_tries,
                signal_delay=signal_delay,
                close_code=close_code,
                settings=filled.settings,
            )
            mark_installed(db, item["serial"] or item["mac"], note=f"installed on {task.host.name}")
        except (ProvisioningError, ContractError, ValueError, RuntimeError) as exc:
            failed.append({**who, "reason": str(exc)})
            continue
        done.append({**who, **installed.result, "provisioning": filled.shown()})
    result = {"installed": done, "failed": failed, "unmatched": unmatched, "expired": expired}
    return Result(host=task.host, result=result, changed=bool(done), failed=bool(failed))


@task(
    "provision.contract",
    dry_run=True,
    changes_device=True,
    view=TaskView(columns=(*INSTALL_VIEW.columns, "model", "note")),
)
def for_contract(
    task: Task,
    contract: str,
    port: str,
    serial: str,
    description: str = "",
    vlan: int | None = None,
    model: str = "",
    templates: str | None = None,
    accept: list[str] | tuple[str, ...] = ACCEPT,
    signal_tries: int = 3,
    signal_delay: float = 2.0,
) -> Result:
    """Install one ONU for a contract with its plan's template (profiles, VLAN, settings:
    the contract's generated WiFi key is the same one, so a replaced ONU keeps the customer's
    WiFi). The model is the stock item's, else `model`; with neither, the ONU is installed
    with `vlan` and no template, and the result says its settings were not sent."""
    chosen = load_templates(templates)
    found_model = model or _stock_model(task, serial)
    if task.is_dry_run():
        return Result(host=task.host, result={"contract": contract, "model": found_model})
    db = run_database("provision.contract")
    record = find_contract(db, contract)
    common = {"port": port, "serial": serial, "contract": contract, "accept": accept,
              "signal_tries": signal_tries, "signal_delay": signal_delay,
              "description": description or onu_description(contract, record["customer"])}  # fmt: skip
    if not found_model:
        if vlan is None:
            raise ValueError(f"ONU {serial}: model unknown (not in stock) and no VLAN given")
        installed = install(task, vlan=vlan, **common)
        note = "model unknown (not in stock, no model given): template settings not sent"
        if installed.result.get("note"):
            note = f"{note}; {installed.result['note']}"
        return Result(
            host=task.host, result={**installed.result, "note": note}, changed=installed.changed
        )
    template = chosen.template_for(record["plan"] or "", found_model)
    filled = fill(
        template, record, lambda name, length: contract_secret(db, contract, name, length)
    )
    installed = install(
        task,
        vlan=filled.vlan,
        line_profile=filled.line_profile,
        service_profile=filled.service_profile,
        onu_type=filled.onu_type or "",
        settings=filled.settings,
        **common,
    )
    return Result(
        host=task.host,
        result={**installed.result, "provisioning": filled.shown()},
        changed=installed.changed,
    )


def _stock_model(task: Task, serial: str) -> str:
    """The model the stock has for this ONU; empty when it has no record of it."""
    from ispflow.store.stock import StockError, get_item

    try:
        return str(get_item(run_database("provision.contract"), serial)["model"])
    except StockError:
        return ""
