"""What a signal audit concludes from the readings: where the faults are.

Faults form a tree: OLT → board (the slot of the port) → PON (the OLT port, its feeder and
primary splitter) → CTO (a secondary splitter box) → ONU. An audit names the lowest node(s)
that explain the ONUs it finds down (critical or offline): a CTO when most of its ONUs are
down and the PON's other CTOs are not, a PON only when its failures span its CTOs (or its
ONUs have no CTO), a board or OLT only when they span its PONs or boards. A node's finding
hides every finding under it, so the field team gets one finding per fault, with the
customers it affects; what no node explains is each ONU's own finding (the customer's drop).

Why an ONU is down comes from the OLT (`down_class`: power = dying gasp, fibre = LOS-like,
other, None = not said): a node whose down ONUs mostly lost power is a power outage (no
crew), mostly fibre or not said is a cut, both is reported as mixed; one customer's ONU
that lost power is no finding at all.

Beside the classes, each ONU is compared with its own history: a drop of `drop_db` or more
against the previous audit or against its baseline (the median of its earlier readings) is a
degradation, even while the class is still good; several online/offline changes across the
recent audits are flapping. An ONU's history is its place's earlier readings up to the first
one of another ONU (another serial): an ONU id handed to a new customer, or an ONU swapped for
a new one, starts a history of its own, never compared with the light or the outages of the
one before. An audit in which the ONU was down with its group (its CTO, PON, board or OLT a
fault at that audit, as the same rules found it) is no change of the ONU's own: a feeder cut
twice is two PON faults, not every customer on the PON flapping. Most online ONUs of one CTO
degrading together is the CTO's (a dirty or bent connector there), one finding instead of one
per customer; most branches of one PON (its CTOs, and its ONUs without one) degrading
together is the PON's (the OLT port's optics or patch cord, the feeder), one finding instead
of one per box.

ONUs not in service (`in_service`: a cancelled contract's, a pending one's never lit) are left
out of all of it: a customer gone who unplugged the ONU is neither a fault of their own nor a
share of their box's.

Each finding has a `key` that stays the same across audits for the same fault (so tickets
are opened once and closed when a later audit no longer finds it), a `kind`, a `severity`,
where it is, and the contracts it affects.
"""

from __future__ import annotations

import dataclasses
import statistics
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from ispflow.plugins.olt.parsing import gpon_serial
from ispflow.store.signal_history import position_key

DOWN = ("critical", "offline")
POWER = "power"
LEVELS = ("olt", "board", "pon", "cto")
# The finding kind of a node whose down ONUs are cut off (or whose cause is not said).
CUT_KINDS = {"olt": "olt_fault", "board": "board_fault", "pon": "pon_fault", "cto": "cto_cut"}
POWER_OUTAGE = "power_outage"


@dataclasses.dataclass(frozen=True)
class AuditSettings:
    # A CTO or PON has failed when at least this share of its ONUs is down...
    group_share: float = 0.6
    # ...and at least this many of a PON's (two customers down is not yet a PON fault)...
    group_min: int = 3
    # ...or of a CTO's: CTOs often serve a few customers, so 2 of 2 down is a cut while
    # 1 of 1 is a customer.
    cto_min: int = 2
    # A parent is the fault, not its children, when at least this share of its children
    # (CTOs of a PON, PONs of a board, boards of an OLT) have failed: a feeder cut or a dead
    # port takes every CTO down, so one healthy CTO clears the PON...
    span_share: float = 0.8
    # ...and at least this many of them: one failed child is the child's fault.
    span_min: int = 2
    # The share of a node's down ONUs with one cause (power or not) that names its cause;
    # below it on both sides the node is reported as mixed.
    cause_share: float = 0.75
    drop_db: float = 3.0
    flap_changes: int = 3
    history: int = 6

    def merged(self, overrides: Mapping[str, Any], where: str) -> AuditSettings:
        """These settings with `overrides` (field names to values, e.g. an inventory
        group's `audit_thresholds`); unknown names and bad values are refused."""
        if not isinstance(overrides, Mapping):
            raise ValueError(f"{where}: audit_thresholds must be a mapping of setting names")
        fields = {f.name: f for f in dataclasses.fields(self)}
        changes: dict[str, Any] = {}
        for name, value in overrides.items():
            if name not in fields:
                known = ", ".join(sorted(fields))
                raise ValueError(
                    f"{where}: audit_thresholds: unknown key {name!r} (known: {known})"
                )
            cast = int if fields[name].type in ("int", int) else float
            try:
                changes[name] = cast(value)
            except (TypeError, ValueError):
                raise ValueError(
                    f"{where}: audit_thresholds: {name} must be a number, not {value!r}"
                ) from None
            if changes[name] <= 0 or (name.endswith("_share") and changes[name] > 1):
                raise ValueError(f"{where}: audit_thresholds: {name} out of range: {value!r}")
        return dataclasses.replace(self, **changes)


def onu_key(reading: Mapping[str, Any]) -> str:
    return str(reading.get("serial") or position_key(reading))


def in_service(reading: Mapping[str, Any]) -> bool:
    """Whether an ONU's state says anything about the plant: not when its contract is
    cancelled (a customer gone, the ONU unplugged or taken away before anyone removed it from
    the OLT), nor when it is pending and the ONU never lit (installed on the OLT, not yet at
    the customer's). A pending contract's lit ONU is a new install, and judged like any."""
    status = reading.get("contract_status")
    return status != "cancelled" and not (
        status == "pending" and reading.get("signal") == "offline"
    )


def own_history(
    reading: Mapping[str, Any], history: Sequence[Mapping[str, Any]]
) -> Sequence[Mapping[str, Any]]:
    """The earlier readings (newest first) of the ONU `reading` is of: those of its place up to
    the first with another serial. A reading without a serial (an OLT that shows none for an
    offline ONU) is taken as the same ONU's."""
    serial = reading.get("serial")
    if not serial:
        return history
    for index, earlier in enumerate(history):
        other = earlier.get("serial")
        if other and other != serial and not _same_serial(str(other), str(serial)):
            return history[:index]
    return history


def _same_serial(one: str, other: str) -> bool:
    """Two ways of writing one serial (`485754431A2B3C4D`, `hwtc1a2b3c4d`, `HWTC1A2B3C4D`):
    a reading taken right after authorizing keeps the serial as the user gave it."""
    return (gpon_serial(one) or one).upper() == (gpon_serial(other) or other).upper()


def _online_offline_changes(readings: Iterable[Mapping[str, Any]]) -> int:
    """How often a sequence of one ONU's readings goes from online to offline or back."""
    states = [r.get("signal") == "offline" for r in readings]
    return sum(a != b for a, b in zip(states, states[1:], strict=False))


def board_of(port: str) -> str:
    """The board of an F/S/P (or R/S/P) port: its first two numbers."""
    return port.rsplit("/", 1)[0]


def _down(reading: Mapping[str, Any]) -> bool:
    return reading.get("signal") in DOWN


def _powered_off(reading: Mapping[str, Any]) -> bool:
    return reading.get("signal") == "offline" and reading.get("down_class") == POWER


def _count_down(group: Sequence[Mapping[str, Any]]) -> int:
    return sum(1 for r in group if _down(r))


def _failed(group: Sequence[Mapping[str, Any]], minimum: int, settings: AuditSettings) -> bool:
    down = _count_down(group)
    return bool(group) and down >= minimum and down / len(group) >= settings.group_share


def _spans(failed: int, total: int, settings: AuditSettings) -> bool:
    return total > 0 and failed / total >= settings.span_share


def _contracts(group: Iterable[Mapping[str, Any]]) -> list[str]:
    return sorted({str(r["contract"]) for r in group if r.get("contract")})


def _causes(down: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """How many down ONUs the OLT said lost power, fibre, something else, or nothing;
    `weak` are online below the critical level."""
    counts: dict[str, int] = defaultdict(int)
    for reading in down:
        if reading.get("signal") != "offline":
            counts["weak"] += 1
        else:
            counts[reading.get("down_class") or "unknown"] += 1
    return dict(sorted(counts.items()))


def _node_kind(level: str, causes: Mapping[str, int], settings: AuditSettings) -> str:
    total = sum(causes.values())
    power = causes.get(POWER, 0) / total if total else 0.0
    if power >= settings.cause_share:
        return POWER_OUTAGE
    if 1 - power >= settings.cause_share:
        return CUT_KINDS[level]
    return f"{level}_mixed"


def _node_finding(
    level: str, where: dict[str, Any], ident: str, group: Sequence[Mapping[str, Any]],
    settings: AuditSettings,
) -> dict[str, Any]:  # fmt: skip
    down = [r for r in group if _down(r)]
    causes = _causes(down)
    kind = _node_kind(level, causes, settings)
    if kind == POWER_OUTAGE:
        # Its own key: a power outage and a cut at the same place are different orders.
        key, severity = f"signal:power:{level}:{ident}", "minor"
    else:
        key = f"signal:{level}:{ident}"
        severity = "critical" if kind == CUT_KINDS[level] else "major"
    return {
        "key": key,
        "kind": kind,
        "severity": severity,
        "level": level,
        **where,
        "onus": len(group),
        "down": len(down),
        "causes": causes,
        "contracts": _contracts(down),
    }


def _tree(
    readings: Iterable[Mapping[str, Any]],
) -> dict[str, dict[str, dict[str, list[Mapping[str, Any]]]]]:
    """Readings by OLT, board and PON port."""
    tree: dict[str, dict[str, dict[str, list[Mapping[str, Any]]]]] = {}
    for reading in readings:
        olt, port = str(reading["olt"]), str(reading["port"])
        tree.setdefault(olt, {}).setdefault(board_of(port), {}).setdefault(port, []).append(reading)
    return tree


@dataclasses.dataclass
class _Pon:
    olt: str
    port: str
    readings: list[Mapping[str, Any]]
    ctos: dict[str, list[Mapping[str, Any]]]
    failed_ctos: list[str]
    failed: bool  # its ONUs are down across it (the board counts it)
    own: bool  # ...and the fault cannot be narrowed to one CTO


def _pon_state(
    olt: str, port: str, group: list[Mapping[str, Any]], settings: AuditSettings
) -> _Pon:
    ctos: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    loose = []
    for reading in group:
        if reading.get("cto"):
            ctos[str(reading["cto"])].append(reading)
        else:
            loose.append(reading)
    failed_ctos = sorted(
        c for c, members in ctos.items() if _failed(members, settings.cto_min, settings)
    )
    # ONUs without a CTO hang on the PON itself: failing together they are the PON's. One or
    # two of them (a CTO the store lacks for a contract) are no branch: they neither make the
    # PON nor keep it from being the fault, and a PON fault explains them.
    branch = len(loose) >= settings.cto_min
    loose_failed = branch and _failed(loose, settings.cto_min, settings)
    units = len(ctos) + (1 if branch else 0)
    failed = _failed(group, settings.group_min, settings) and _spans(
        len(failed_ctos) + loose_failed, units, settings
    )
    # Every box of the PON dark is its feeder, whatever a few ONUs without a CTO (another
    # branch the store does not know) still show.
    # A lone box with the ONUs outside it dark too is the PON's as well.
    every_cto = bool(ctos) and len(failed_ctos) == len(ctos)
    every_cto = every_cto and (
        len(ctos) >= settings.span_min or (bool(loose) and all(_down(r) for r in loose))
    )
    failed = failed or every_cto
    own = every_cto or (failed and (len(failed_ctos) >= settings.span_min or loose_failed))
    return _Pon(olt, port, group, dict(ctos), failed_ctos, failed, own)


def group_findings(
    readings: Sequence[Mapping[str, Any]],
    settings: AuditSettings,
    per_olt: Mapping[str, AuditSettings] | None = None,
) -> tuple[list[dict[str, Any]], set[str]]:
    """The OLT, board, PON and CTO faults (the lowest nodes that explain the ONUs down), and
    the ONUs they explain. `per_olt` overrides the settings for some OLTs."""
    findings: list[dict[str, Any]] = []
    explained: set[str] = set()

    def found(level: str, where: dict[str, Any], ident: str, group: list, s: AuditSettings) -> None:
        findings.append(_node_finding(level, where, ident, group, s))
        explained.update(onu_key(r) for r in group if _down(r))

    for olt, boards in sorted(_tree(readings).items()):
        s = (per_olt or {}).get(olt, settings)
        pons = {
            board: [_pon_state(olt, port, group, s) for port, group in sorted(ports.items())]
            for board, ports in boards.items()
        }
        failed_boards = {
            board
            for board, members in pons.items()
            if _spans(sum(p.failed for p in members), len(members), s)
        }
        if len(failed_boards) >= s.span_min and _spans(len(failed_boards), len(pons), s):
            found("olt", {"olt": olt}, olt, [r for p in _all(pons) for r in p.readings], s)
            continue
        for board, members in sorted(pons.items()):
            if board in failed_boards and sum(p.failed for p in members) >= s.span_min:
                group = [r for p in members for r in p.readings]
                found("board", {"olt": olt, "board": board}, f"{olt}:{board}", group, s)
                continue
            for pon in members:
                if pon.own:
                    where = {"olt": olt, "port": pon.port}
                    found("pon", where, f"{olt}:{pon.port}", pon.readings, s)
                    continue
                for cto in pon.failed_ctos:
                    where = {"cto": cto, "olt": olt, "port": pon.port}
                    found("cto", where, cto, pon.ctos[cto], s)
    return findings, explained


def _all(pons: Mapping[str, list[_Pon]]) -> list[_Pon]:
    return [p for members in pons.values() for p in members]


def _rx_history(history: Sequence[Mapping[str, Any]]) -> list[float]:
    return [float(h["rx_dbm"]) for h in history if h.get("rx_dbm") is not None]


def onu_findings(
    reading: Mapping[str, Any],
    history: Sequence[Mapping[str, Any]],
    settings: AuditSettings,
    with_group: Collection[int] = (),
) -> list[dict[str, Any]]:
    """The findings of one ONU not explained by a group: down, degraded, flapping.
    `history` is its earlier readings, newest first; `with_group` the places in
    [reading, *history] where it was down with its group, which flapping leaves out."""
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
    if _powered_off(reading):
        pass  # the customer's power (a dying gasp): nothing to repair on the plant
    elif _down(reading):
        found.append(
            {"key": f"signal:onu:{key}", "kind": "onu_down", "severity": "major",
             "signal": reading.get("signal"), "down_cause": reading.get("down_cause"), **where}
        )  # fmt: skip
    elif reading.get("signal") == "overload":
        found.append(
            {"key": f"signal:onu:{key}", "kind": "onu_overload", "severity": "minor", **where}
        )
    earlier = _rx_history(history[: settings.history])
    rx = reading.get("rx_dbm")
    # An ONU still online (critical included) that lost light against its own history:
    # dirt or a bend, which its CTO's neighbours may share (see degraded_ctos).
    if rx is not None and earlier:
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
    recent = [reading, *history[: settings.history]]
    changes = _online_offline_changes(r for i, r in enumerate(recent) if i not in with_group)
    if changes >= settings.flap_changes:
        found.append(
            {"key": f"signal:flapping:{key}", "kind": "onu_flapping", "severity": "minor",
             "changes": changes, **where}
        )  # fmt: skip
    return found


def degraded_ctos(
    readings: Sequence[Mapping[str, Any]],
    degraded: Mapping[str, Mapping[str, Any]],
    settings: AuditSettings,
    per_olt: Mapping[str, AuditSettings] | None = None,
) -> list[dict[str, Any]]:
    """CTOs where most online ONUs (critical ones too) degraded together (at least `cto_min`
    of them): the CTO's connector or a bend near it, one finding instead of one per customer.
    `degraded` maps `onu_key` to the ONU's `onu_degraded` finding."""
    by_cto: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for reading in readings:
        if reading.get("cto"):
            by_cto[str(reading["cto"])].append(reading)
    found = []
    for cto, group in sorted(by_cto.items()):
        s = (per_olt or {}).get(str(group[0]["olt"]), settings)
        online = [r for r in group if r.get("rx_dbm") is not None]
        worse = [degraded[onu_key(r)] for r in online if onu_key(r) in degraded]
        if not online or len(worse) < s.cto_min or len(worse) / len(online) < s.group_share:
            continue
        drops = [float(f["drop_db"]) for f in worse]
        found.append(
            {
                "key": f"signal:cto-degraded:{cto}",
                "kind": "cto_degraded",
                "severity": "minor",
                "level": "cto",
                "cto": cto,
                "olt": group[0]["olt"],
                "port": group[0]["port"],
                "onus": len(group),
                "online": len(online),
                "degraded": len(worse),
                "drop_db": round(statistics.median(drops), 2),
                "drop_range_db": [min(drops), max(drops)],
                "onu_keys": sorted(f["key"] for f in worse),
                "contracts": sorted({c for f in worse for c in f.get("contracts", [])}),
            }
        )
    return found


def degraded_pons(
    readings: Sequence[Mapping[str, Any]],
    degraded: Mapping[str, Mapping[str, Any]],
    ctos: Sequence[Mapping[str, Any]],
    settings: AuditSettings,
    per_olt: Mapping[str, AuditSettings] | None = None,
) -> list[dict[str, Any]]:
    """PONs whose branches degraded together, as `_pon_state` judges branches for outages:
    at least `span_min` of them and `span_share` of all (a CTO is degraded when `ctos` has
    it; the ONUs without a CTO, when at least `cto_min` of them, are one branch, degraded as
    a CTO would be), or, with no CTO at all, that one branch. Light lost on every box at once
    is lost before the splitters: the OLT port's optics or patch cord, or the feeder."""
    dirty = {str(c["cto"]) for c in ctos}
    by_pon: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    for reading in readings:
        by_pon[(str(reading["olt"]), str(reading["port"]))].append(reading)
    found = []
    for (olt, port), group in sorted(by_pon.items()):
        s = (per_olt or {}).get(olt, settings)
        boxes = {str(r["cto"]) for r in group if r.get("cto")}
        loose = [r for r in group if not r.get("cto")]
        lit = [r for r in loose if r.get("rx_dbm") is not None]
        lost = [r for r in lit if onu_key(r) in degraded]
        branch = len(loose) >= s.cto_min
        loose_worse = branch and len(lost) >= s.cto_min and len(lost) / len(lit) >= s.group_share
        units = len(boxes) + (1 if branch else 0)
        bad = len(boxes & dirty) + (1 if loose_worse else 0)
        if not ((bad >= s.span_min and bad / units >= s.span_share) or (not boxes and loose_worse)):
            continue
        online = [r for r in group if r.get("rx_dbm") is not None]
        worse = [degraded[onu_key(r)] for r in online if onu_key(r) in degraded]
        drops = [float(f["drop_db"]) for f in worse]
        found.append(
            {
                "key": f"signal:pon-degraded:{olt}:{port}",
                "kind": "pon_degraded",
                "severity": "major",
                "level": "pon",
                "olt": olt,
                "port": port,
                "onus": len(group),
                "online": len(online),
                "degraded": len(worse),
                "ctos": sorted(boxes & dirty),
                "drop_db": round(statistics.median(drops), 2),
                "drop_range_db": [min(drops), max(drops)],
                "onu_keys": sorted(f["key"] for f in worse),
                "contracts": sorted({c for f in worse for c in f.get("contracts", [])}),
            }
        )
    return found


def analyze(
    readings: Sequence[Mapping[str, Any]],
    history: Mapping[str, Sequence[Mapping[str, Any]]],
    settings: AuditSettings | None = None,
    per_olt: Mapping[str, AuditSettings] | None = None,
) -> list[dict[str, Any]]:
    """Every finding of one audit. `readings` carry olt, port, onu_id, serial, rx_dbm, signal,
    contract, contract_status and cto, and for offline ONUs down_cause/down_class when the
    OLT says them (those not `in_service` are left out);
    `history` maps `position_key` to earlier readings, newest first; `per_olt` maps OLT
    names to their own settings (an inventory group's thresholds)."""
    settings = settings or AuditSettings()
    readings = [r for r in readings if in_service(r)]
    findings, explained = group_findings(readings, settings, per_olt)
    histories = {
        position_key(r): own_history(r, history.get(position_key(r), ())) for r in readings
    }
    shared = _down_with_group(readings, histories, explained, settings, per_olt)
    own: list[tuple[str, dict[str, Any]]] = []
    for reading in readings:
        s = (per_olt or {}).get(str(reading["olt"]), settings)
        key = position_key(reading)
        found = onu_findings(reading, histories[key], s, shared.get(key, ()))
        own += [(onu_key(reading), f) for f in found]
    degraded = {key: f for key, f in own if f["kind"] == "onu_degraded"}
    ctos = degraded_ctos(readings, degraded, settings, per_olt)
    dirty = {cto["cto"] for cto in ctos}
    # A box whose customers degraded together is dirt, not a cut, unless its dark ONUs alone
    # make a cut; the dark ones of a box that is dirt are each their own.
    cleared = {
        f["cto"] for f in findings
        if f.get("level") == "cto" and f["cto"] in dirty
        and not _dark_cut(f, (per_olt or {}).get(str(f["olt"]), settings))
    }  # fmt: skip
    findings = [f for f in findings if not (f.get("level") == "cto" and f["cto"] in cleared)]
    explained -= {onu_key(r) for r in readings if r.get("cto") in cleared}
    pons = degraded_pons(readings, degraded, ctos, settings, per_olt)
    # A PON that lost light as a whole is one finding: its boxes' are in it.
    whole = {(p["olt"], p["port"]) for p in pons}
    ctos = [c for c in ctos if (c["olt"], c["port"]) not in whole]
    hidden = set()
    for node in [*ctos, *pons]:
        for key in node["onu_keys"]:
            hidden |= {key, key.replace("signal:degraded:", "signal:onu:", 1)}
    kept = [
        f for key, f in own
        if f["key"] not in hidden and not (f["kind"] == "onu_down" and key in explained)
    ]  # fmt: skip
    return findings + pons + ctos + kept


def _down_with_group(
    readings: Sequence[Mapping[str, Any]],
    histories: Mapping[str, Sequence[Mapping[str, Any]]],
    explained_now: set[str],
    settings: AuditSettings,
    per_olt: Mapping[str, AuditSettings] | None,
) -> dict[str, set[int]]:
    """Per ONU that would be flapping, where in [reading, *history] it was down with its
    group: now, by this audit's group findings; in an earlier audit, by the same rules run on
    that audit's readings of its PON (its ONUs' readings taken at one time, each with the CTO
    it has now). Only the PONs of ONUs that would be flapping are looked at again."""
    candidates = []
    for reading in readings:
        s = (per_olt or {}).get(str(reading["olt"]), settings)
        recent = histories[position_key(reading)][: s.history]
        if _online_offline_changes([reading, *recent]) >= s.flap_changes:
            candidates.append(reading)
    if not candidates:
        return {}
    pons = {(r["olt"], r["port"]) for r in candidates}
    earlier: dict[Any, list[dict[str, Any]]] = defaultdict(list)  # read time: that audit's rows
    for reading in readings:
        if (reading["olt"], reading["port"]) not in pons:
            continue
        where = {k: reading.get(k) for k in ("olt", "port", "onu_id", "serial", "cto")}
        for then in histories[position_key(reading)]:
            if then.get("read_at") is not None:
                earlier[then["read_at"]].append({**then, **where})
    explained_then = {
        at: group_findings(rows, settings, per_olt)[1] for at, rows in earlier.items()
    }
    shared: dict[str, set[int]] = {}
    for reading in candidates:
        key, onu = position_key(reading), onu_key(reading)  # its rows above carry its serial
        places = {0} if onu in explained_now else set()
        for index, then in enumerate(histories[key], start=1):
            if onu in explained_then.get(then.get("read_at"), ()):
                places.add(index)
        if places:
            shared[key] = places
    return shared


def _dark_cut(finding: Mapping[str, Any], settings: AuditSettings) -> bool:
    """Whether a CTO finding's ONUs without light (leaving out those still online) are
    enough on their own for a cut."""
    dark = finding["down"] - finding["causes"].get("weak", 0)
    return dark >= settings.cto_min and dark / finding["onus"] >= settings.group_share
