"""`signal.analyze`: the findings of a signal audit, and one service order per fault.

Runs once per audit (on the host `local`) after the OLTs' readings of the same run are in the
store. Tickets are keyed by the finding's `key` (kept in the order's cause), so a fault found
again is the same order (commented when it changed), and an order whose fault a later audit
no longer finds, where that audit read the ONUs concerned, is closed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nornir.core.task import Result, Task

from ispflow.core.views import Row, TaskView, plural, rank, records
from ispflow.store import run_context
from ispflow.store.signal_history import earlier_readings, run_readings
from ispflow.store.tickets.model import NewTicket, TicketQuery
from ispflow.tasks.compliance_rules import SEVERITIES
from ispflow.tasks.registry import task
from ispflow.tasks.signal_analysis import (
    CUT_KINDS,
    LEVELS,
    POWER_OUTAGE,
    AuditSettings,
    analyze,
    board_of,
    in_service,
    onu_key,
)

KEY_PREFIX = "signal:"
# Where each kind's order goes: the OLT side to hardware maintenance, the outside plant to
# the field crew; a power outage to its own queue (the NOC watches it, no crew goes).
QUEUES = {
    "olt_fault": "hardware-maintenance",
    "board_fault": "hardware-maintenance",
    "pon_fault": "hardware-maintenance",
    "cto_cut": "on-site-visit",
    "olt_mixed": "hardware-maintenance",
    "board_mixed": "hardware-maintenance",
    "pon_mixed": "hardware-maintenance",
    "cto_mixed": "on-site-visit",
    POWER_OUTAGE: "power-outage",
    "cto_degraded": "on-site-visit",
    "pon_degraded": "hardware-maintenance",
    "onu_down": "on-site-visit",
    "onu_overload": "remote-support",
    "onu_degraded": "remote-support",
    "onu_flapping": "remote-support",
}
RECOVERED = "SIGNAL-RECOVERED"
DEGRADED = ("cto_degraded", "pon_degraded")  # light lost by a node whose ONUs are still up
DEFAULTS = AuditSettings()
NODE_NAMES = {"olt": "OLT", "board": "board", "pon": "PON", "cto": "CTO"}


def place(finding: dict[str, Any]) -> str:
    """The node a finding is about: `olt-a`, board `olt-a 0/1`, PON `olt-a 0/1/3`, a CTO's
    code, an ONU `olt-a 0/1/3:5`."""
    if finding.get("cto"):
        return str(finding["cto"])
    where = " ".join(str(finding[k]) for k in ("olt", "board", "port") if finding.get(k))
    if finding.get("onu_id") is not None and finding.get("port"):
        where += f":{finding['onu_id']}"
    return where


def summary(finding: dict[str, Any]) -> str:
    """One line a technician reads first: what, where, whom it affects."""
    kind = finding["kind"]
    customers = ", ".join(finding.get("contracts", [])[:10])
    more = len(finding.get("contracts", [])) - 10
    customers += f" and {more} more" if more > 0 else ""
    level = finding.get("level")
    if level in LEVELS and kind not in DEGRADED:
        node = f"{NODE_NAMES[level]} {place(finding)}"
        if level == "cto":
            node += f" ({finding['olt']} {finding['port']})"
        causes = finding.get("causes") or {}
        power = causes.get("power", 0)
        text = f"{node}: {finding['down']} of {finding['onus']} ONUs down"
        if kind == POWER_OUTAGE:
            text = f"power outage at {text}, {power} with a dying gasp"
        elif kind != CUT_KINDS[level]:
            text += f", {power} lost power and {finding['down'] - power} did not"
        return f"{text} ({customers})"
    if kind == "cto_degraded":
        return (
            f"CTO {finding['cto']} ({finding['olt']} {finding['port']}): {finding['degraded']} "
            f"of {finding['online']} online ONUs lost {finding['drop_db']} dB ({customers})"
        )
    if kind == "pon_degraded":
        boxes = f" in {len(finding['ctos'])} boxes" if finding["ctos"] else ""
        return (
            f"PON {finding['olt']} {finding['port']}: {finding['degraded']} of "
            f"{finding['online']} online ONUs lost {finding['drop_db']} dB together{boxes}: "
            f"the port's optics or patch cord, or the feeder ({customers})"
        )
    onu = f"ONU {finding['olt']} {finding['port']} id {finding.get('onu_id')}"
    if finding.get("serial"):
        onu += f" ({finding['serial']})"
    if kind == "onu_degraded":
        return f"{onu}: RX dropped {finding['drop_db']} dB to {finding['rx_dbm']} dBm ({customers})"
    if kind == "onu_flapping":
        return f"{onu}: {finding['changes']} online/offline changes ({customers})"
    rx = finding.get("rx_dbm")
    at = f" at {rx} dBm" if rx is not None else ""
    cause = f", {finding['down_cause']}" if finding.get("down_cause") else ""
    return f"{onu}: {finding.get('signal') or kind}{at}{cause} ({customers})"


def scope_keys(readings: list[dict[str, Any]]) -> set[str]:
    """Keys an audit over these readings can confirm or clear."""
    keys = set()
    for reading in readings:
        key = onu_key(reading)
        keys |= {f"signal:onu:{key}", f"signal:degraded:{key}", f"signal:flapping:{key}"}
        olt, port = reading["olt"], reading["port"]
        keys.add(f"signal:pon-degraded:{olt}:{port}")
        nodes = {"olt": olt, "board": f"{olt}:{board_of(port)}", "pon": f"{olt}:{port}"}
        if reading.get("cto"):
            nodes["cto"] = str(reading["cto"])
            keys.add(f"signal:cto-degraded:{reading['cto']}")
        for level, ident in nodes.items():
            keys |= {f"signal:{level}:{ident}", f"signal:power:{level}:{ident}"}
    return keys


def sync_tickets(
    backend: Any, findings: list[dict[str, Any]], scope: set[str], author: str
) -> dict[str, list[str]]:
    """Open, comment and close service orders so each fault has exactly one open order.
    `orders` says per fault key what became of its order ("opened 2026…", "closed …")."""
    open_orders = {
        t.cause: t
        for t in backend.search(TicketQuery(cause=KEY_PREFIX, limit=100_000))
        if t.cause and t.cause.startswith(KEY_PREFIX)
    }
    done: dict[str, Any] = {"opened": [], "updated": [], "closed": [], "orders": {}}
    found = {f["key"] for f in findings}
    for finding in findings:
        text = summary(finding)
        existing = open_orders.get(finding["key"])
        if existing is None:
            contracts = finding.get("contracts", [])
            ticket = backend.open(
                NewTicket(
                    subject=text[:200],
                    queue=QUEUES.get(finding["kind"], "remote-support"),
                    contract=contracts[0] if len(contracts) == 1 else None,
                    cause=finding["key"],
                    channel="audit",
                    urgent=finding["severity"] == "critical",
                    text=text,
                ),
                author=author,
            )
            done["opened"].append(ticket.protocol)
            done["orders"][finding["key"]] = f"opened {ticket.protocol}"
        elif text != existing.subject and _last_text(backend, existing) != text:
            backend.comment(existing.ref, author, text)
            done["updated"].append(existing.protocol)
            done["orders"][finding["key"]] = f"commented {existing.protocol}"
        else:
            done["orders"][finding["key"]] = f"open {existing.protocol}"
    for key, ticket in open_orders.items():
        if key not in found and key in scope:
            if ticket.owner:
                backend.release(ticket.ref, author, force=True)
            backend.close(ticket.ref, author, RECOVERED, "a later signal audit no longer finds it")
            done["closed"].append(ticket.protocol)
            done["orders"][key] = f"closed {ticket.protocol}"
    return done


def _last_text(backend: Any, ticket: Any) -> str | None:
    actions = backend.get(ticket.ref).actions
    return actions[-1].text if actions else None


def _fault_rows(result: Any) -> list[Row]:
    """The faults found, each with its service order; then the orders a later audit closed."""
    if not isinstance(result, dict):
        return []
    orders = dict((result.get("tickets") or {}).get("orders") or {})
    rows = []
    for finding in records(result.get("findings")):
        where = place(finding)
        rows.append({**finding, "place": where, "order": orders.pop(finding.get("key"), None)})
    for key, order in orders.items():  # closed: the fault is gone
        rows.append({"kind": "cleared", "place": key.removeprefix(KEY_PREFIX), "order": order})
    return rows


ORDER_ACTIONS = (("opened", "opened"), ("updated", "commented"), ("closed", "closed"))


def _audit_headline(result: Any) -> str | None:
    if not isinstance(result, dict) or "findings" not in result:
        return None
    readings = plural(result.get("readings", 0), "reading")
    line = f"{readings} · {plural(len(result['findings']), 'fault')}"
    if result.get("out_of_service"):
        line += f" · {result['out_of_service']} ONU(s) of no customer left out"
    tickets = result.get("tickets")
    if tickets:
        done = ", ".join(f"{len(tickets.get(key, []))} {label}" for key, label in ORDER_ACTIONS)
        line += f" · service orders: {done}"
    return line


def olt_settings(hosts: Mapping[str, Any], base: AuditSettings) -> dict[str, AuditSettings]:
    """Each host's settings where its data (or a group's) sets `audit_thresholds`; a key
    that is no setting is an error naming the host."""
    return {
        name: base.merged(host.get("audit_thresholds"), f"host {name}")
        for name, host in hosts.items()
        if host.get("audit_thresholds") is not None
    }


SEVERITY_FIRST = rank(SEVERITIES)
AUDIT_VIEW = TaskView(
    columns=("severity", "kind", "place", "serial", "signal", "rx_dbm", "contracts", "order"),
    rows=_fault_rows,
    headline=_audit_headline,
    order=lambda row: SEVERITY_FIRST(row.get("severity")),
)


@task("signal.analyze", dry_run=True, view=AUDIT_VIEW)
def analyze_audit(
    task: Task,
    tickets: bool = True,
    drop_db: float = DEFAULTS.drop_db,
    group_share: float = DEFAULTS.group_share,
    group_min: int = DEFAULTS.group_min,
    cto_min: int = DEFAULTS.cto_min,
    span_share: float = DEFAULTS.span_share,
    span_min: int = DEFAULTS.span_min,
    cause_share: float = DEFAULTS.cause_share,
    flap_changes: int = DEFAULTS.flap_changes,
) -> Result:
    """Find faults in this run's readings (the lowest of OLT, board, PON, CTO that explains
    the ONUs down, or the ONU; power outages; degradation, flapping) and keep one service
    order per fault. An OLT's inventory data `audit_thresholds` (from its groups) overrides
    these settings for its readings."""
    context = run_context.current()
    if context is None:
        raise RuntimeError("signal.analyze reads the readings of a run; there is no run")
    settings = DEFAULTS.merged(
        {
            "group_share": group_share,
            "group_min": group_min,
            "cto_min": cto_min,
            "span_share": span_share,
            "span_min": span_min,
            "cause_share": cause_share,
            "drop_db": drop_db,
            "flap_changes": flap_changes,
        },
        "signal.analyze",
    )
    per_olt = olt_settings(context.hosts or task.nornir.inventory.hosts, settings)
    if task.is_dry_run():
        return Result(host=task.host, result={"would_analyze": context.run_id})
    readings = run_readings(context.database, context.run_id)
    runs = max([settings.history, *(s.history for s in per_olt.values())])
    history = earlier_readings(context.database, context.run_id, runs=runs)
    findings = analyze(readings, history, settings, per_olt)
    result: dict[str, Any] = {
        "readings": len(readings),
        "out_of_service": sum(1 for r in readings if not in_service(r)),
        "findings": findings,
    }
    if tickets and readings:
        from ispflow.tasks.tickets import run_author, ticket_backend

        result["tickets"] = sync_tickets(
            ticket_backend("signal.analyze"),
            findings,
            scope_keys(readings),
            run_author("signal.analyze", None),
        )
    return Result(host=task.host, result=result, changed=bool(result.get("tickets")))
