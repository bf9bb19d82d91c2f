"""`ispflow reconcile`: where the devices, the store and NetBox disagree, and the safe fixes.

The devices are read by the shipped `reconcile` runbook (tasks/reconcile.py: one finding list
per OLT and concentrator); this module merges those lists across devices, adds the
inventory-against-NetBox comparison, and plans and applies the fixes that only touch the
store. A fix is planned from what was just read, shown first (`--fix`), and applied only when
asked (`--fix --apply`), each in its own transaction so one refusal does not undo the rest.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping
from typing import Any

KIND_TITLES = {
    "ghost": "ONU on the OLT with no contract",
    "missing": "contract's ONU not on the OLT",
    "moved": "ONU on another PON/id than recorded",
    "onu_shared": "one ONU linked to two or more contracts",
    "ppp_orphan": "PPP login with no contract",
    "ppp_missing": "contract's login not on its concentrator",
    "netbox_only": "in NetBox, not in the inventory",
    "network_only": "in the inventory, not in NetBox",
    "netbox_differs": "address in NetBox differs from the inventory",
    "unread": "could not be read",
}


@dataclasses.dataclass
class ReconcileReport:
    run_id: str | None
    findings: list[dict[str, Any]]
    devices: int
    fixes: list[dict[str, Any]] = dataclasses.field(default_factory=list)
    applied: bool = False
    netbox_compared: bool = False

    def counts(self) -> dict[str, int]:
        return dict(Counter(f["kind"] for f in self.findings))

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "devices": self.devices,
            "netbox_compared": self.netbox_compared,
            "counts": self.counts(),
            "findings": self.findings,
            "fixes": self.fixes,
            "applied": self.applied,
        }


def store_findings(db: Any) -> list[dict[str, Any]]:
    """What the store disagrees with itself about: ONUs that several live contracts hold."""
    from ispflow.store.onu_owners import shared_onus

    with db.engine.connect() as conn:
        return [
            {"kind": "onu_shared", "fixable": False, "serial": shared["onu"], **shared}
            for shared in shared_onus(conn)
        ]


def device_findings(results: Iterable[Mapping[str, Any]]) -> tuple[list[dict[str, Any]], int]:
    """The findings of a reconcile run's step results, merged across devices; and how many
    devices were read."""
    findings: list[dict[str, Any]] = []
    devices = 0
    for outcome in results:
        result = outcome.get("result")
        if outcome.get("status") == "skipped":
            continue
        devices += 1
        if isinstance(result, dict):
            findings += result.get("findings", [])
            findings += [
                {"kind": "unread", "fixable": False, "device": outcome["host"], **u}
                for u in result.get("unread_ports", [])
            ]
        if outcome.get("status") == "failed" and not (result or {}).get("unread_ports"):
            findings.append(
                {
                    "kind": "unread",
                    "fixable": False,
                    "device": outcome["host"],
                    "error": outcome.get("error"),
                }
            )
    return _cross_olt(findings), devices


def _cross_olt(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """An ONU moved to another OLT shows as `moved` where it is and `missing` where it was
    recorded: one finding, the move."""
    moved = {
        (f["serial"], f["recorded"]["olt"])
        for f in findings
        if f["kind"] == "moved" and f.get("recorded")
    }
    return [
        f
        for f in findings
        if not (f["kind"] == "missing" and (f.get("serial"), f.get("olt")) in moved)
    ]


def inventory_findings(
    network: Mapping[str, Any], netbox: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """Hosts in one inventory and not the other, and hosts whose address differs. Both map a
    host name to an object with `hostname`, `port` and `data` (Nornir hosts)."""
    findings: list[dict[str, Any]] = []
    for name in sorted(set(netbox) - set(network)):
        findings.append({"kind": "netbox_only", "fixable": False, "device": name})
    for name in sorted(set(network) - set(netbox)):
        findings.append({"kind": "network_only", "fixable": False, "device": name})
    for name in sorted(set(network) & set(netbox)):
        mine, theirs = network[name], netbox[name]
        ours = (mine.hostname, mine.port)
        recorded = (theirs.hostname, theirs.port or mine.port)
        if ours != recorded:
            findings.append(
                {
                    "kind": "netbox_differs",
                    "fixable": False,
                    "device": name,
                    "inventory": f"{ours[0]}:{ours[1]}",
                    "netbox": f"{recorded[0]}:{recorded[1]}",
                }
            )
    return findings


def plan_fixes(findings: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The store changes that bring it in line with the devices for the safe kinds."""
    fixes = []
    for f in findings:
        if f["kind"] == "moved":
            fixes.append(
                {
                    "action": "record",
                    "serial": f["serial"],
                    "contract": f.get("contract"),
                    "olt": f["olt"],
                    "port": f["port"],
                    "onu_id": f["onu_id"],
                    "text": (
                        f"store: ONU {f['serial']} ({f.get('contract')}) from "
                        f"{_where(f['recorded'])} to {_where(f)}"
                    ),
                }
            )
        elif f["kind"] == "missing":
            fixes.append(
                {
                    "action": "forget",
                    "serial": f["serial"],
                    "contract": f.get("contract"),
                    "olt": f["olt"],
                    "port": f["port"],
                    "text": (
                        f"store: ONU {f['serial']} of {f.get('contract')} marked removed "
                        f"(not on {_where(f)})"
                    ),
                }
            )
    return fixes


def _where(place: Mapping[str, Any]) -> str:
    return f"{place['olt']} {place['port']} id {place['onu_id']}"


def apply_fixes(db: Any, fixes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply each planned fix; each gets `done` true or an `error`."""
    from ispflow.store.contracts import forget_onu, record_onu

    done = []
    for fix in fixes:
        outcome = dict(fix)
        try:
            if fix["action"] == "record":
                record_onu(
                    db,
                    olt=fix["olt"],
                    port=fix["port"],
                    onu_id=int(fix["onu_id"]),
                    serial=fix["serial"],
                    contract=fix.get("contract"),
                )
            else:
                forget_onu(db, olt=fix["olt"], port=fix["port"], serial=fix["serial"])
            outcome["done"] = True
        except Exception as exc:  # one refused fix must not stop the others
            outcome["done"] = False
            outcome["error"] = str(exc)
        done.append(outcome)
    return done
