"""Compliance audit tasks: read a device once, apply every rule that concerns it.

`compliance.onus` reads each PON of an OLT (its ONUs with serials and descriptions, and, when
a rule needs them, their service ports) and `compliance.ppp` reads a concentrator's secrets,
sessions, blocking list and IP pools; both compare with the store through the rules of
engine/compliance_rules.py and return `findings` (engine/compliance_checks.py). Reads only:
fixes are the rules' remediation runbooks, run by `ispflow compliance --remediate`.
"""

from __future__ import annotations

from typing import Any

from nornir.core.task import Result, Task

from engine.compliance_checks import onu_checks, pool_checks, ppp_checks
from engine.compliance_rules import Rule, load_rules
from engine.registry import task
from plugins.olt.driver import OltDriver, PonPort
from plugins.olt.drivers import driver_for
from plugins.olt.parsing import DeviceError
from plugins.olt.session import CliSession
from store.reconcile_rows import authorized_onus, concentrator_contracts, onus_by_serial
from tasks.onu import host_pons, olt_session, read_records
from tasks.reconcile import compare_onus, run_database

SERVICE_CHECKS = ("onu_description", "service_port_vlan")
BLOCK_CHECKS = ("blocked_not_enforced", "unblocked_still_listed")
POOL_CHECKS = ("pool_overlap", "pool_usage")


def _rules(path: str | None, device: str) -> list[Rule]:
    return load_rules(path or None).for_device(device)


# -- OLTs -----------------------------------------------------------------------------------
def _all_records(session: CliSession, lines: list[str]) -> list[dict[str, Any]]:
    """Every answer's records (a command per ONU, say), not just the last one's; an answer
    that only says there is nothing to list has none."""
    driver = session.driver
    records = []
    for command, output in session.read(lines, tolerate=driver.nothing_to_show):
        if not driver.refused(output):
            records += driver.parse(command, output)
    return records


def read_pon(
    session: CliSession, driver: OltDriver, pon: PonPort, services: bool
) -> dict[tuple[str, int], dict[str, Any]]:
    """A PON's configured ONUs by (port, id): serial, description and, with `services`, the
    VLANs of their service ports (an empty set: none)."""
    onus: dict[tuple[str, int], dict[str, Any]] = {}
    for record in read_records(session, driver.onu_serials(pon)):
        if "onu_id" in record:
            onus[(record["port"], record["onu_id"])] = dict(record)
    if not services or not onus:
        return onus
    for onu in onus.values():
        onu["vlans"] = set()
    ids = sorted(onu_id for _, onu_id in onus)
    for record in _all_records(session, driver.onu_services(pon, ids)):
        onu = onus.get((record.get("port"), record.get("onu_id")))
        if onu is None:
            continue
        if "vlan" in record and record["vlan"] is not None:
            onu["vlans"].add(int(record["vlan"]))
        if "description" in record:
            onu["description"] = record["description"]
    return onus


@task("compliance.onus", dry_run=True)
def onus(task: Task, rules: str | None = None) -> Result:
    """Check this OLT's ONUs against the store with the OLT rules of a rules file."""
    wanted = _rules(rules, "olt")
    driver = driver_for(task.host)
    pons = host_pons(task.host, driver)
    services = any(r.check in SERVICE_CHECKS for r in wanted)
    if task.is_dry_run():
        lines = [line for pon in pons for line in driver.onu_serials(pon)]
        if services:
            lines += [line for pon in pons for line in driver.onu_services(pon, [])]
        return Result(host=task.host, result={"commands": lines, "rules": [r.id for r in wanted]})
    if not wanted:
        return Result(host=task.host, result={"findings": [], "rules": []})
    session = olt_session(task, driver)
    on_device: dict[tuple[str, int], dict[str, Any]] = {}
    unread: list[dict[str, str]] = []
    read_ports: set[str] = set()
    for pon in pons:
        try:
            on_device |= read_pon(session, driver, pon, services)
        except DeviceError as exc:
            unread.append({"port": str(pon), "error": str(exc)})
            continue
        read_ports.add(str(pon))
    db = run_database("compliance.onus")
    listed = [{"port": p, "onu_id": i, **onu} for (p, i), onu in on_device.items()]
    here = authorized_onus(db, task.host.name)
    recorded = onus_by_serial(db, (onu.get("serial") for onu in listed))
    reconciled = compare_onus(task.host.name, read_ports, listed, here, recorded)
    # A missing ONU is one recorded here and not read: the store's record of it counts too.
    recorded = {r["serial"]: r for r in here if r.get("serial")} | recorded
    findings = onu_checks(
        wanted, task.host.name, reconciled, on_device, recorded, driver.onu_description
    )
    result = {
        "rules": [r.id for r in wanted],
        "onus_on_device": len(on_device),
        "ports_read": sorted(read_ports),
        "unread_ports": unread,
        "findings": findings,
    }
    return Result(host=task.host, result=result, failed=bool(unread))


# -- concentrators --------------------------------------------------------------------------
@task("compliance.ppp", dry_run=True)
def ppp(task: Task, rules: str | None = None) -> Result:
    """Check this concentrator's block states and IP pools with the concentrator rules."""
    from plugins.concentrator.mikrotik.driver import MikrotikDriver, in_ranges
    from tasks.ppp import CONNECTION, block_settings

    wanted = _rules(rules, "concentrator")
    driver = MikrotikDriver()
    blocks = any(r.check in BLOCK_CHECKS for r in wanted)
    pools_wanted = any(r.check in POOL_CHECKS for r in wanted)
    profile, pool, listname = block_settings(task) if blocks else ("", "", "")
    ops = []
    if blocks:
        ops += [driver.secrets(), driver.sessions(), driver.address_list(listname)]
    if blocks or pools_wanted:
        ops.append(driver.pools())
    if task.is_dry_run():
        return Result(
            host=task.host,
            result={"commands": [op.text() for op in ops], "rules": [r.id for r in wanted]},
        )
    if not ops:
        return Result(host=task.host, result={"findings": [], "rules": []})
    session = task.host.get_connection(CONNECTION, task.nornir.config)
    answers = session.run(ops)
    for answer in answers:
        if answer.error:
            raise RuntimeError(f"reading the concentrator failed: {answer.error}")
    pools = answers[-1].rows
    findings: list[dict[str, Any]] = []
    if blocks:
        secrets, sessions, entries = answers[0].rows, answers[1].rows, answers[2].rows
        block_ranges = next((str(p.get("ranges")) for p in pools if p.get("name") == pool), None)
        if block_ranges is None:
            raise RuntimeError(f"the block pool {pool!r} does not exist on this concentrator")
        findings += ppp_checks(
            wanted,
            task.host.name,
            concentrator_contracts(run_database("compliance.ppp"), task.host.name),
            {str(r["name"]): r for r in secrets if r.get("name")},
            {str(r["name"]): r for r in sessions if r.get("name")},
            {str(r.get("address")) for r in entries},
            {"profile": profile, "pool": pool, "list": listname},
            lambda address: in_ranges(address, block_ranges),
        )
    if pools_wanted:
        facts, overlaps = _pool_facts(session, driver, pools)
        findings += pool_checks(wanted, task.host.name, facts, overlaps)
    result = {"rules": [r.id for r in wanted], "pools": len(pools), "findings": findings}
    return Result(host=task.host, result=result)


def _pool_facts(session: Any, driver: Any, pools: list[dict[str, Any]]) -> tuple[list, list]:
    """Each pool's size and addresses in use; the pairs of pools that overlap."""
    from plugins.concentrator.mikrotik.driver import overlap, parse_ranges

    named = [p for p in pools if p.get("name")]
    used = session.run([driver.pool_used(str(p["name"])) for p in named]) if named else []
    facts = []
    for pool, answer in zip(named, used, strict=True):
        if answer.error:
            raise RuntimeError(f"reading pool {pool['name']} failed: {answer.error}")
        size = sum(int(last) - int(first) + 1 for first, last in parse_ranges(pool["ranges"]))
        next_pool = str(pool.get("next-pool") or "")
        facts.append(
            {
                "name": str(pool["name"]),
                "size": size,
                "used": len(answer.rows),
                "next_pool": next_pool if next_pool not in ("", "none") else None,
            }
        )
    overlaps = []
    for index, a in enumerate(named):
        for b in named[index + 1 :]:
            pair = overlap(str(a["ranges"]), str(b["ranges"]))
            if pair:
                overlaps.append((str(a["name"]), str(b["name"]), *pair))
    return facts, overlaps
