"""Compliance audit tasks: read a device once, apply every rule that concerns it.

`compliance.onus` reads each PON of an OLT (its ONUs with serials and descriptions, and, when
a rule needs them, their service ports) and `compliance.ppp` reads a concentrator's secrets,
sessions, blocking list and IP pools; both compare with the store through the rules of
tasks/compliance_rules.py and return `findings` (tasks/compliance_checks.py). Reads only:
fixes are the rules' remediation runbooks, run by `ispflow compliance --remediate`.
"""

from __future__ import annotations

from typing import Any

from nornir.core.task import Result, Task

from ispflow.core.views import TaskView, rank, sizes
from ispflow.plugins.concentrator.contract import ConcentratorDriver, ConcentratorSession
from ispflow.plugins.olt.driver import OltDriver, PonPort
from ispflow.plugins.olt.drivers import driver_for, host_pons
from ispflow.plugins.olt.parsing import DeviceError
from ispflow.plugins.olt.session import CliSession
from ispflow.store.reconcile_rows import authorized_onus, concentrator_contracts, onus_by_serial
from ispflow.tasks.compliance_checks import (
    account_checks,
    drift_findings,
    onu_checks,
    pool_checks,
    ppp_checks,
)
from ispflow.tasks.compliance_rules import SEVERITIES, Rule, load_rules
from ispflow.tasks.config_drift import IntendedMissing, compare, render_intended
from ispflow.tasks.onu import olt_session, read_records
from ispflow.tasks.reconcile import ONUS_READ, compare_onus, run_database
from ispflow.tasks.registry import task

SERVICE_CHECKS = ("onu_description", "service_port_vlan")
BLOCK_CHECKS = ("blocked_not_enforced", "unblocked_still_listed")
POOL_CHECKS = ("pool_overlap", "pool_usage")
ACCOUNT_CHECKS = ("user_not_allowed", "pppoe_interface_down")
DRIFT_CHECK = "config_drift"


def _rules(path: str | None, device: str) -> list[Rule]:
    return load_rules(path or None).for_device(device)


def _drift(task: Task, path: str | None, wanted: list[Rule]) -> tuple[list, list]:
    """Findings of the drift rules for this host, and the rules it has no intended
    configuration for (`unchecked`, with the reason)."""
    from ispflow.tasks.config_backup import config_structure, running_config

    rules = [r for r in wanted if r.check == DRIFT_CHECK]
    if not rules:
        return [], []
    host = task.host
    fields = {
        "name": host.name,
        "hostname": host.hostname,
        "platform": host.platform,
        "vendor": host.get("vendor"),
        "model": host.get("model"),
        "site": host.get("site"),
        "role": host.get("role"),
        "data": dict(host.data),
    }
    base = load_rules(path or None).folder
    running: str | None = None
    findings: list[dict[str, Any]] = []
    unchecked: list[dict[str, str]] = []
    for rule in rules:
        try:
            intended = render_intended(rule.params["template"], base, fields)
        except IntendedMissing as missing:
            unchecked.append({"rule": rule.id, "reason": str(missing)})
            continue
        if running is None:
            running = running_config(task)
        key_words = intended.key_words or int(rule.params["key_words"])
        drift = compare(running, intended.text, key_words, config_structure(task))
        findings += drift_findings(rule, host.name, str(intended.path), drift)
    return findings, unchecked


# -- OLTs -----------------------------------------------------------------------------------
def _all_records(session: CliSession, lines: list[str]) -> list[dict[str, Any]]:
    """Every answer's records (a command per ONU, say), not just the last one's; an answer
    that only says there is nothing to list has none."""
    driver = session.driver
    records = []
    for command, output in session.read(lines, tolerate=driver.nothing_to_show):
        if not driver.refused(output):
            records += driver.parse(command, output, session.host)
    return records


def read_pon(
    session: CliSession, driver: OltDriver, pon: PonPort, services: bool
) -> dict[tuple[str, int], dict[str, Any]]:
    """A PON's configured ONUs by (port, id): serial, description and, with `services`, the
    VLANs of their service ports (an empty set: none)."""
    onus = pon_onus(session, driver, pon)
    if services:
        add_services(session, driver, pon, onus)
    return onus


def pon_onus(
    session: CliSession, driver: OltDriver, pon: PonPort
) -> dict[tuple[str, int], dict[str, Any]]:
    """A PON's configured ONUs by (port, id) as its ONU list shows them (serial and, where
    the list has it, description)."""
    onus: dict[tuple[str, int], dict[str, Any]] = {}
    for record in read_records(session, driver.onu_serials(pon)):
        if "onu_id" in record:
            onus[(record["port"], record["onu_id"])] = dict(record)
    return onus


def add_services(
    session: CliSession,
    driver: OltDriver,
    pon: PonPort,
    onus: dict[tuple[str, int], dict[str, Any]],
    only: int | None = None,
) -> None:
    """Fill `onus` (from `pon_onus`) with their service ports' VLANs (an empty set: none) and
    the description their settings show; with `only`, that ONU id's alone are read (a vendor
    that reads them one ONU at a time sends one command)."""
    for onu in onus.values():
        onu.setdefault("vlans", set())
    ids = sorted(onu_id for _, onu_id in onus if only is None or onu_id == only)
    if not ids:
        return
    for record in _all_records(session, driver.onu_services(pon, ids)):
        onu = onus.get((record.get("port"), record.get("onu_id")))
        if onu is None:
            continue
        if "vlan" in record and record["vlan"] is not None:
            onu["vlans"].add(int(record["vlan"]))
        if "description" in record:
            onu["description"] = record["description"]


SEVERITY_FIRST = rank(SEVERITIES)
FINDINGS_VIEW = TaskView(
    columns=("severity", "rule", "subject", "title"),
    records="findings",
    headline=sizes(
        *ONUS_READ,
        ("pools", "pool", "pools"),
        ("unchecked", "rule not checked", "rules not checked"),
        ("findings", "finding", "findings"),
    ),
    order=lambda row: SEVERITY_FIRST(row.get("severity")),
)


@task("compliance.onus", dry_run=True, view=FINDINGS_VIEW)
def onus(task: Task, rules: str | None = None) -> Result:
    """Check this OLT's ONUs against the store with the OLT rules of a rules file."""
    wanted = _rules(rules, "olt")
    driver = driver_for(task.host)
    pons = host_pons(task.host, driver)
    services = any(r.check in SERVICE_CHECKS for r in wanted)
    onu_rules = [r for r in wanted if r.device == "olt"]
    drifts = any(r.check == DRIFT_CHECK for r in wanted)
    if task.is_dry_run():
        lines = [line for pon in pons for line in driver.onu_serials(pon)] if onu_rules else []
        if services:
            lines += [line for pon in pons for line in driver.onu_services(pon, [])]
        if drifts:
            lines += driver.running_config_command()
        return Result(host=task.host, result={"commands": lines, "rules": [r.id for r in wanted]})
    if not wanted:
        return Result(host=task.host, result={"findings": [], "rules": []})
    drift, unchecked = _drift(task, rules, wanted)
    if not onu_rules:
        result = {"rules": [r.id for r in wanted], "findings": drift, "unchecked": unchecked}
        return Result(host=task.host, result=result)
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
        onu_rules, task.host.name, reconciled, on_device, recorded, driver.onu_description
    )
    result = {
        "rules": [r.id for r in wanted],
        "onus_on_device": len(on_device),
        "ports_read": sorted(read_ports),
        "unread_ports": unread,
        "findings": findings + drift,
    }
    if unchecked:
        result["unchecked"] = unchecked
    return Result(host=task.host, result=result, failed=bool(unread))


# -- concentrators --------------------------------------------------------------------------
@task("compliance.ppp", dry_run=True, view=FINDINGS_VIEW)
def ppp(task: Task, rules: str | None = None) -> Result:
    """Check this concentrator's block states and IP pools with the concentrator rules."""
    from ispflow.plugins.concentrator.drivers import concentrator_driver_for
    from ispflow.plugins.concentrator.ranges import in_ranges
    from ispflow.tasks.ppp import block_settings, concentrator_session

    wanted = _rules(rules, "concentrator")
    driver = concentrator_driver_for(task.host)
    blocks = any(r.check in BLOCK_CHECKS for r in wanted)
    pools_wanted = any(r.check in POOL_CHECKS for r in wanted)
    accounts = any(r.check in ACCOUNT_CHECKS for r in wanted)
    drifts = any(r.check == DRIFT_CHECK for r in wanted)
    profile, pool, listname = block_settings(task) if blocks else ("", "", "")
    ops = []
    if blocks:
        ops += [driver.secrets(), driver.sessions(), driver.address_list(listname)]
    if blocks or pools_wanted:
        ops.append(driver.pools())
    if task.is_dry_run():
        commands = [op.text() for op in ops]
        if accounts:
            commands += [driver.pppoe_servers().text(), "NAPALM get_interfaces, get_users"]
        if drifts:
            commands.append("NAPALM get_config (the running configuration)")
        return Result(
            host=task.host, result={"commands": commands, "rules": [r.id for r in wanted]}
        )
    findings, unchecked = _drift(task, rules, wanted)
    if accounts:
        findings += _account_findings(task, driver, wanted)
    if not ops:
        result = {"rules": [r.id for r in wanted], "findings": findings}
        if unchecked:
            result["unchecked"] = unchecked
        return Result(host=task.host, result=result)
    session = concentrator_session(task, driver)
    answers = session.run(ops)
    for answer in answers:
        if answer.error:
            raise RuntimeError(f"reading the concentrator failed: {answer.error}")
    pools = answers[-1].rows
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
    if unchecked:
        result["unchecked"] = unchecked
    return Result(host=task.host, result=result)


def _account_findings(
    task: Task, driver: ConcentratorDriver, wanted: list[Rule]
) -> list[dict[str, Any]]:
    """User accounts and PPPoE interfaces: NAPALM's users and interfaces, and the interfaces
    the PPPoE servers listen on (read over the API: NAPALM does not say)."""
    from ispflow.tasks.ppp import concentrator_session

    session = concentrator_session(task, driver)
    [servers] = session.run([driver.pppoe_servers()])
    if servers.error:
        raise RuntimeError(f"reading the PPPoE servers failed: {servers.error}")
    read = driver.facts(task)
    interfaces = read["interfaces"]
    listening = {
        str(row["interface"]): interfaces.get(str(row["interface"]))
        for row in servers.rows
        if row.get("interface") and str(row.get("disabled", "false")).lower() not in ("true", "yes")
    }
    return account_checks(
        [r for r in wanted if r.check in ACCOUNT_CHECKS],
        task.host.name,
        read["users"],
        listening,
    )


def _pool_facts(
    session: ConcentratorSession, driver: ConcentratorDriver, pools: list[dict[str, Any]]
) -> tuple[list, list]:
    """Each pool's size and addresses in use; the pairs of pools that overlap."""
    from ispflow.plugins.concentrator.ranges import overlap, parse_ranges

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
