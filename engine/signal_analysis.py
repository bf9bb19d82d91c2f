"""What a signal audit concludes from the readings: where the faults are.

Readings of one audit are grouped by PON and by CTO. When most ONUs of a group are down
(critical or offline) at once, the fault is the group's (an OLT port, a fibre cut, a
splitter), with the customers it affects; otherwise each bad ONU is its own finding (the
customer's drop or ONU). A PON fault hides the CTO faults under it, and a group fault hides
the ONU findings it explains, so the field team gets one finding per fault.

Beside the classes, each ONU is compared with its own history: a drop of `drop_db` or more
against the previous audit or against its baseline (the median of its earlier readings) is a
degradation, even while the class is still good; several online/offline changes across the
recent audits are flapping.

Each finding has a `key` that stays the same across audits for the same fault (so tickets
are opened once and closed when a later audit no longer finds it), a `kind`, a `severity`,
where it is, and the contracts it affects.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ispflow.store.signal_history import position_key

DOWN = ("critical", "offline")


@dataclasses.dataclass(frozen=True)
class AuditSettings:
    # A group is at fault when at least this share of its ONUs is down...
    group_share: float = 0.6
    # ...and at least this many of them (two customers down is not yet a cut).
    group_min: int = 3
    drop_db: float = 3.0
    flap_changes: int = 3
    history: int = 6


def onu_key(reading: Mapping[str, Any]) -> str:
    return str(reading.get("serial") or position_key(reading))


def _pon(reading: Mapping[str, Any]) -> str:
    return f"{reading['olt']} {reading['port']}"


def _down(reading: Mapping[str, Any]) -> bool:
    return reading.get("signal") in DOWN


def _faulty(group: Sequence[Mapping[str, Any]], settings: AuditSettings) -> bool:
    down = sum(1 for r in group if _down(r))
    return down >= settings.group_min and down / len(group) >= settings.group_share


def _contracts(group: Iterable[Mapping[str, Any]]) -> list[str]:
    return sorted({str(r["contract"]) for r in group if r.get("contract")})


def group_findings(
    readings: Sequence[Mapping[str, Any]], settings: AuditSettings
) -> tuple[list[dict[str, Any]], set[str]]:
    """PON and CTO faults, and the ONUs they explain."""
    by_pon: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    by_cto: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for reading in readings:
        by_pon[_pon(reading)].append(reading)
        if reading.get("cto"):
            by_cto[str(reading["cto"])].append(reading)
    findings: list[dict[str, Any]] = []
    explained: set[str] = set()
    bad_pons = {pon for pon, group in by_pon.items() if _faulty(group, settings)}
    for pon in sorted(bad_pons):
        group = by_pon[pon]
        olt, port = pon.split(" ", 1)
        findings.append(
            {
                "key": f"signal:pon:{olt}:{port}",
                "kind": "pon_fault",
                "severity": "critical",
                "olt": olt,
                "port": port,
                "onus": len(group),
                "down": sum(1 for r in group if _down(r)),
                "contracts": _contracts(r for r in group if _down(r)),
            }
        )
        explained |= {onu_key(r) for r in group if _down(r)}
    for cto in sorted(by_cto):
        group = by_cto[cto]
        if not _faulty(group, settings) or all(_pon(r) in bad_pons for r in group):
            continue
        findings.append(
            {
                "key": f"signal:cto:{cto}",
                "kind": "cto_fault",
                "severity": "critical",
                "cto": cto,
                "olt": group[0]["olt"],
                "port": group[0]["port"],
                "onus": len(group),
                "down": sum(1 for r in group if _down(r)),
                "contracts": _contracts(r for r in group if _down(r)),
            }
        )
        explained |= {onu_key(r) for r in group if _down(r)}
    return findings, explained


def _rx_history(history: Sequence[Mapping[str, Any]]) -> list[float]:
    return [float(h["rx_dbm"]) for h in history if h.get("rx_dbm") is not None]


def onu_findings(
    reading: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]],
    settings: AuditSettings,
) -> list[dict[str, Any]]:
    """The findings of one ONU not explained by a group: down, degraded, flapping.
    `history` is its earlier readings, newest first."""
    where = {
        "olt": reading["olt"],
        "port": reading["port"],
        "onu_id": reading.get("onu_id"),
        "serial": reading.get("serial"),
        "contracts": _contracts([reading]),
        "rx_dbm": reading.get("rx_dbm"),
    }
    key = onu_key(reading)
    found = []
    if _down(reading):
        found.append(
            {"key": f"signal:onu:{key}", "kind": "onu_down", "severity": "major",
             "signal": reading.get("signal"), **where}
        )  # fmt: skip
    elif reading.get("signal") == "overload":
        found.append(
            {"key": f"signal:onu:{key}", "kind": "onu_overload", "severity": "minor", **where}
        )
    earlier = _rx_history(history[: settings.history])
    rx = reading.get("rx_dbm")
    if rx is not None and earlier and not _down(reading):
        previous = earlier[0]
        baseline = statistics.median(earlier)
        drop = max(previous - float(rx), baseline - float(rx))
        if drop >= settings.drop_db:
            found.append(
                {
                    "key": f"signal:degraded:{key}",
                    "kind": "onu_degraded",
                    "severity": "minor",
                    "drop_db": round(drop, 2),
                    "previous_dbm": previous,
                    "baseline_dbm": round(baseline, 2),
                    **where,
                }
            )
    states = [reading.get("signal") == "offline"] + [
        h.get("signal") == "offline" for h in history[: settings.history]
    ]
    changes = sum(1 for a, b in zip(states, states[1:], strict=False) if a != b)
    if changes >= settings.flap_changes:
        found.append(
            {"key": f"signal:flapping:{key}", "kind": "onu_flapping", "severity": "minor",
             "changes": changes, **where}
        )  # fmt: skip
    return found


def analyze(
    readings: Sequence[Mapping[str, Any]],
    history: Mapping[str, Sequence[Mapping[str, Any]]],
    settings: AuditSettings | None = None,
) -> list[dict[str, Any]]:
    """Every finding of one audit. `readings` carry olt, port, onu_id, serial, rx_dbm, signal,
    contract and cto; `history` maps `onu_key` to earlier readings, newest first."""
    settings = settings or AuditSettings()
    findings, explained = group_findings(readings, settings)
    for reading in readings:
        key = onu_key(reading)
        own = onu_findings(reading, history.get(position_key(reading), ()), settings)
        if key in explained:
            own = [f for f in own if f["kind"] != "onu_down"]
        findings += own
    return findings
