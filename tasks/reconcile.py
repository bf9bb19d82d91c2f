"""Reconciliation: what the devices hold against what the store records.

Each task reads one device and compares it with the store, returning findings (a list of
dicts with a `kind`). Kinds, and whether `ispflow reconcile --fix` may repair them in the
store (never on a device):

- ghost:       an ONU on the OLT that no contract in the store points at (not fixable:
               removing it from the OLT is a decision for a person);
- missing:     a contract's ONU the store says is on the OLT, not found there (fixable: the
               store marks that ONU removed);
- moved:       an ONU found at another PON/id (or OLT) than recorded (fixable: the store
               takes the device's place);
- ppp_orphan:  a PPP secret on a concentrator with no contract (not fixable);
- ppp_missing: a contract whose login should be on this concentrator and is not (not fixable).

Only PONs read without error are compared, so a PON that failed to answer cannot make its
ONUs look missing.
"""

from __future__ import annotations

from typing import Any

from nornir.core.task import Result, Task

from ispflow.core.views import TaskView, sizes
from ispflow.plugins.olt.driver import PonPort
from ispflow.plugins.olt.drivers import driver_for, host_pons
from ispflow.plugins.olt.parsing import DeviceError
from ispflow.store import run_context
from ispflow.store.reconcile_rows import authorized_onus, onus_by_serial, ppp_logins
from ispflow.tasks.onu import olt_session, read_records
from ispflow.tasks.registry import task

FIXABLE = {"missing", "moved"}


def run_database(task_name: str) -> Any:
    context = run_context.current()
    if context is None:
        raise RuntimeError(f"{task_name} compares with the store of a run; there is no run")
    return context.database


def _place(record: dict[str, Any]) -> tuple[str, str, int | None]:
    return record["olt"], record["port"], record["onu_id"]


def finding(kind: str, **details: Any) -> dict[str, Any]:
    return {"kind": kind, "fixable": kind in FIXABLE, **details}


def compare_onus(
    olt: str,
    read_ports: set[str],
    on_device: list[dict[str, Any]],
    recorded_here: list[dict[str, Any]],
    recorded_anywhere: dict[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    """Findings for one OLT: its ONUs as read, the store's authorized ONUs on it, and the
    store's record of every serial read (wherever the store puts it)."""
    findings = []
    seen: set[str] = set()
    for onu in on_device:
        serial = onu.get("serial")
        if not serial:
            continue
        seen.add(serial)
        here = {"olt": olt, "port": onu["port"], "onu_id": onu["onu_id"], "serial": serial}
        record = recorded_anywhere.get(serial)
        if record is None or record["contract"] is None or record["state"] != "authorized":
            findings.append(
                finding("ghost", **here, contract=record["contract"] if record else None)
            )
        elif _place(record) != _place(here):
            findings.append(
                finding(
                    "moved",
                    **here,
                    contract=record["contract"],
                    recorded={
                        "olt": record["olt"],
                        "port": record["port"],
                        "onu_id": record["onu_id"],
                    },
                )
            )
    for record in recorded_here:
        serial = record.get("serial")
        if record["port"] not in read_ports or not serial or serial in seen:
            continue
        if record["contract"] is None:
            continue  # an ONU no contract needs is not a contract's problem
        findings.append(
            finding(
                "missing",
                olt=olt,
                port=record["port"],
                onu_id=record["onu_id"],
                serial=serial,
                contract=record["contract"],
            )
        )
    return findings


# What an OLT read says of itself, in the headline of every check that reads the ONUs.
ONUS_READ = (
    ("onus_on_device", "ONU on the device", "ONUs on the device"),
    ("ports_read", "PON read", "PONs read"),
)
FINDINGS_VIEW = TaskView(
    columns=("kind", "olt", "port", "onu_id", "serial", "contract", "concentrator", "login",
             "fixable"),
    records="findings",
    headline=sizes(
        *ONUS_READ,
        ("secrets", "PPPoE secret", "PPPoE secrets"),
        ("findings", "finding", "findings"),
    ),
)  # fmt: skip


@task("reconcile.onus", dry_run=True, view=FINDINGS_VIEW)
def onus(task: Task, ports: list[str] | None = None) -> Result:
    """Compare the ONUs configured on this OLT (every PON, or `ports`) with the store."""
    driver = driver_for(task.host)
    pons = [PonPort.parse(str(p)) for p in ports] if ports else host_pons(task.host, driver)
    if task.is_dry_run():
        return Result(
            host=task.host,
            result={"commands": [line for pon in pons for line in driver.onu_serials(pon)]},
        )
    session = olt_session(task, driver)
    on_device: list[dict[str, Any]] = []
    unread: list[dict[str, str]] = []
    read_ports: set[str] = set()
    for pon in pons:
        try:
            records = read_records(session, driver.onu_serials(pon))
        except DeviceError as exc:
            unread.append({"port": str(pon), "error": str(exc)})
            continue
        read_ports.add(str(pon))
        on_device += [r for r in records if "onu_id" in r]
    db = run_database("reconcile.onus")
    findings = compare_onus(
        task.host.name,
        read_ports,
        on_device,
        authorized_onus(db, task.host.name),
        onus_by_serial(db, (r.get("serial") for r in on_device)),
    )
    result = {
        "onus_on_device": len(on_device),
        "ports_read": sorted(read_ports),
        "unread_ports": unread,
        "findings": findings,
    }
    return Result(host=task.host, result=result, failed=bool(unread))


def compare_logins(
    concentrator: str, secrets: list[str], contracts: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    """Findings for one concentrator: its PPP secret names against the contracts' logins."""
    present = set(secrets)
    findings = [
        finding("ppp_orphan", concentrator=concentrator, login=login)
        for login in sorted(present)
        if login not in contracts
    ]
    findings += [
        finding("ppp_missing", concentrator=concentrator, login=login, contract=c["contract"])
        for login, c in sorted(contracts.items())
        if c["concentrator"] == concentrator
        and c["status"] in ("active", "suspended")
        and login not in present
    ]
    return findings


@task("reconcile.ppp", dry_run=True, view=FINDINGS_VIEW)
def ppp(task: Task) -> Result:
    """Compare the PPP secrets on this concentrator with the contracts' logins."""
    from ispflow.plugins.concentrator.drivers import concentrator_driver_for
    from ispflow.tasks.ppp import concentrator_session

    driver = concentrator_driver_for(task.host)
    if task.is_dry_run():
        return Result(host=task.host, result={"commands": [driver.secrets().text()]})
    session = concentrator_session(task, driver)
    [answer] = session.run([driver.secrets()])
    if answer.error:
        raise RuntimeError(f"reading the PPP secrets failed: {answer.error}")
    names = [str(row["name"]) for row in answer.rows if row.get("name")]
    findings = compare_logins(task.host.name, names, ppp_logins(run_database("reconcile.ppp")))
    return Result(host=task.host, result={"secrets": len(names), "findings": findings})
