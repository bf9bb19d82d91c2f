"""The compliance checks: what a device holds against what the store says it should.

Pure functions over what was read (no device, no store access), so each rule's meaning is
testable on its own. Each returns findings: dicts with `rule`, `kind` (the check),
`severity`, `title`, a `subject` that names the thing at fault, the fields a remediation
template may use, and the `remediation` (a runbook call) when the rule has one.
tasks/compliance.py reads the devices and calls these.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from jinja2 import TemplateError

from ispflow.store.contracts import onu_description
from ispflow.tasks.compliance_rules import Rule, remediation_for, render_value
from ispflow.tasks.config_drift import Drift

ACTIVE = ("active",)


def finding(rule: Rule, subject: str, **fields: Any) -> dict[str, Any]:
    """One finding of `rule`, its remediation filled in from `fields`."""
    found = {
        "rule": rule.id,
        "kind": rule.check,
        "severity": rule.severity,
        "title": rule.title,
        "subject": subject,
        **fields,
    }
    fix = remediation_for(rule, fields)
    if fix is not None:
        found["remediation"] = fix
    return found


def _onu_subject(olt: str, port: str, onu_id: Any, serial: str | None) -> str:
    return f"{olt} {port} id {onu_id}" + (f" ({serial})" if serial else "")


# -- OLTs -----------------------------------------------------------------------------------
def onu_checks(
    rules: Iterable[Rule],
    olt: str,
    reconciled: list[dict[str, Any]],
    on_device: Mapping[tuple[str, int], dict[str, Any]],
    recorded: Mapping[str, dict[str, Any]],
    shown_as: Callable[[str], str] = str,
) -> list[dict[str, Any]]:
    """Findings for one OLT.

    `reconciled` is tasks.reconcile.compare_onus's output (ghost, missing, moved);
    `on_device` maps (port, onu_id) to the ONU as read (serial, description, vlans: the
    VLANs of its service ports, or None when they were not read); `recorded` maps a serial to
    the store's record of it (contract, status, customer, vlan, description, cto);
    `shown_as` is how the OLT would show a description it is given (its driver's rewriting)."""
    found: list[dict[str, Any]] = []
    by_kind: dict[str, list[dict[str, Any]]] = {}
    for item in reconciled:
        by_kind.setdefault(item["kind"], []).append(item)
    for rule in rules:
        if rule.check == "onu_without_contract":
            for ghost in by_kind.get("ghost", []):
                found.append(
                    finding(
                        rule,
                        _onu_subject(olt, ghost["port"], ghost["onu_id"], ghost["serial"]),
                        olt=olt,
                        port=ghost["port"],
                        onu_id=ghost["onu_id"],
                        serial=ghost["serial"],
                        contract=ghost.get("contract"),
                    )
                )
        elif rule.check == "contract_onu_missing":
            for gone in by_kind.get("missing", []):
                record = recorded.get(gone["serial"], {})
                if record.get("contract_status") not in ACTIVE:
                    continue
                found.append(
                    finding(
                        rule,
                        f"contract {gone['contract']}: ONU {gone['serial']} not on "
                        f"{olt} {gone['port']}",
                        olt=olt,
                        port=gone["port"],
                        onu_id=gone["onu_id"],
                        serial=gone["serial"],
                        contract=gone["contract"],
                    )
                )
        elif rule.check == "onu_moved":
            for moved in by_kind.get("moved", []):
                was = moved["recorded"]
                found.append(
                    finding(
                        rule,
                        _onu_subject(olt, moved["port"], moved["onu_id"], moved["serial"])
                        + f", recorded at {was['olt']} {was['port']} id {was['onu_id']}",
                        olt=olt,
                        port=moved["port"],
                        onu_id=moved["onu_id"],
                        serial=moved["serial"],
                        contract=moved.get("contract"),
                    )
                )
        elif rule.check == "onu_description":
            found += _descriptions(rule, olt, on_device, recorded, shown_as)
        elif rule.check == "service_port_vlan":
            found += _vlans(rule, olt, on_device, recorded)
    return found


def _in_place(olt: str, place: tuple[str, int], record: Mapping[str, Any] | None) -> bool:
    """The store records this ONU, authorized, for a contract, exactly here."""
    return bool(
        record
        and record.get("contract")
        and record.get("state") == "authorized"
        and (record["olt"], record["port"], record["onu_id"]) == (olt, *place)
    )


def expected_description(rule: Rule, record: Mapping[str, Any]) -> str:
    fields = {
        "contract": record["contract"],
        "customer": record.get("customer") or "",
        "cto": record.get("cto") or "",
        "cto_port": record.get("cto_port") or 0,
        "recorded": record.get("description") or "",
        "standard": onu_description(record["contract"], record.get("customer") or ""),
    }
    return render_value(rule.params["expect"], fields).strip()


def _descriptions(
    rule: Rule,
    olt: str,
    on_device: Mapping[tuple[str, int], dict[str, Any]],
    recorded: Mapping[str, dict[str, Any]],
    shown_as: Callable[[str], str],
) -> list[dict[str, Any]]:
    found = []
    for place, onu in sorted(on_device.items()):
        record = recorded.get(onu.get("serial") or "")
        if not _in_place(olt, place, record) or "description" not in onu:
            continue
        assert record is not None
        try:
            expected = expected_description(rule, record)
        except TemplateError as exc:
            raise ValueError(f"rule {rule.id}: params.expect: {exc}") from None
        # Text no OLT takes stays as it is: it differs, and the finding shows it.
        with contextlib.suppress(ValueError):
            expected = shown_as(expected)
        actual = (onu.get("description") or "").strip()
        if actual == expected:
            continue
        found.append(
            _onu_finding(
                rule,
                olt,
                place,
                onu,
                record,
                f"'{actual}', expected '{expected}'",
                description=actual,
                expected=expected,
            )
        )
    return found


def _vlans(
    rule: Rule,
    olt: str,
    on_device: Mapping[tuple[str, int], dict[str, Any]],
    recorded: Mapping[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    found = []
    for place, onu in sorted(on_device.items()):
        record = recorded.get(onu.get("serial") or "")
        vlans = onu.get("vlans")
        if not _in_place(olt, place, record) or vlans is None:
            continue
        assert record is not None
        expected = record.get("vlan")
        if expected is None or expected in vlans:
            continue
        shown = ", ".join(str(v) for v in sorted(vlans)) or "no service port"
        found.append(
            _onu_finding(
                rule,
                olt,
                place,
                onu,
                record,
                f"VLAN {shown}, the contract's is {expected}",
                vlans=sorted(vlans),
                expected=expected,
            )
        )
    return found


def _onu_finding(
    rule: Rule,
    olt: str,
    place: tuple[str, int],
    onu: Mapping[str, Any],
    record: Mapping[str, Any],
    what: str,
    **extra: Any,
) -> dict[str, Any]:
    """A finding about an ONU the store records where it was read: what differs."""
    port, onu_id = place
    return finding(
        rule,
        f"{_onu_subject(olt, port, onu_id, onu.get('serial'))}: {what}",
        olt=olt,
        port=port,
        onu_id=onu_id,
        serial=onu.get("serial"),
        contract=record["contract"],
        **extra,
    )


# -- concentrators --------------------------------------------------------------------------
def ppp_checks(
    rules: Iterable[Rule],
    concentrator: str,
    contracts: list[dict[str, Any]],
    secrets: Mapping[str, dict[str, Any]],
    sessions: Mapping[str, dict[str, Any]],
    listed: set[str],
    block: Mapping[str, str],
    in_block_pool: Any,
) -> list[dict[str, Any]]:
    """Block-state findings for one concentrator.

    `contracts` are the store's contracts on it (login, status, blocked); `secrets` and
    `sessions` map a login to its secret / active session as read; `listed` is the set of
    addresses on the blocking address list; `block` names the blocking profile and list;
    `in_block_pool(address)` says whether an address is from the blocking pool."""
    found: list[dict[str, Any]] = []
    for rule in rules:
        if rule.check not in ("blocked_not_enforced", "unblocked_still_listed"):
            continue
        for contract in contracts:
            login = contract["login"]
            secret = secrets.get(login)
            if secret is None or contract["status"] == "cancelled":
                continue  # a login missing from the concentrator is reconciliation's
            session = sessions.get(login)
            address = str(session.get("address")) if session else None
            profile = secret.get("profile")
            reason = None
            if rule.check == "blocked_not_enforced" and contract["blocked"]:
                reason = _unenforced(block, profile, address, listed, in_block_pool)
            elif rule.check == "unblocked_still_listed" and not contract["blocked"]:
                reason = _still_blocked(block, profile, address, listed)
            if reason is None:
                continue
            found.append(
                finding(
                    rule,
                    f"contract {contract['contract']} ({login}): {reason}",
                    concentrator=concentrator,
                    contract=contract["contract"],
                    login=login,
                    profile=profile,
                    address=address,
                )
            )
    return found


def _unenforced(
    block: Mapping[str, str],
    profile: Any,
    address: str | None,
    listed: set[str],
    in_block_pool: Any,
) -> str | None:
    if address is not None:
        if address not in listed:
            return f"online at {address}, not on the blocking list {block['list']}"
        if profile != block["profile"] and not in_block_pool(address):
            return f"online at {address} with profile {profile}, outside the blocking pool"
        return None
    if profile != block["profile"]:
        return f"offline with profile {profile}: it would dial in unblocked"
    return None


def _still_blocked(
    block: Mapping[str, str], profile: Any, address: str | None, listed: set[str]
) -> str | None:
    if address is not None and address in listed:
        return f"online at {address}, still on the blocking list {block['list']}"
    if profile == block["profile"]:
        return f"its secret still has the blocking profile {profile}"
    return None


def pool_checks(
    rules: Iterable[Rule], concentrator: str, pools: list[dict[str, Any]], overlaps: list[Any]
) -> list[dict[str, Any]]:
    """Pool findings for one concentrator: `pools` have name, size, used and next_pool;
    `overlaps` are (pool, other pool, range, other range) tuples."""
    found: list[dict[str, Any]] = []
    for rule in rules:
        if rule.check == "pool_overlap":
            for a, b, range_a, range_b in overlaps:
                found.append(
                    finding(
                        rule,
                        f"{concentrator}: pools {a} ({range_a}) and {b} ({range_b}) overlap",
                        concentrator=concentrator,
                        pool=a,
                        other_pool=b,
                    )
                )
        elif rule.check == "pool_usage":
            full_at = float(rule.params["full_at"])
            for pool in pools:
                size, used = pool["size"], pool["used"]
                if not size or used / size < full_at:
                    continue
                spill = f", then {pool['next_pool']}" if pool.get("next_pool") else ""
                found.append(
                    finding(
                        rule,
                        f"{concentrator}: pool {pool['name']} {used} of {size} addresses in "
                        f"use ({used / size:.0%}){spill}",
                        concentrator=concentrator,
                        pool=pool["name"],
                        used=used,
                        size=size,
                        share=round(used / size, 4),
                    )
                )
    return found


def account_checks(
    rules: Iterable[Rule],
    concentrator: str,
    users: Iterable[str],
    pppoe_interfaces: Mapping[str, dict[str, Any]],
) -> list[dict[str, Any]]:
    """User-account and PPPoE-interface findings for one concentrator.

    `users` are its router accounts (NAPALM get_users); `pppoe_interfaces` maps each
    interface a PPPoE server listens on to its state (is_up, is_enabled; None when the
    interface does not exist)."""
    found: list[dict[str, Any]] = []
    for rule in rules:
        if rule.check == "user_not_allowed":
            allowed = re.compile(str(rule.params["allowed"]))
            for user in sorted(users):
                if not allowed.fullmatch(user):
                    found.append(
                        finding(
                            rule,
                            f"{concentrator}: user account '{user}' is not an allowed one",
                            concentrator=concentrator,
                            user=user,
                        )
                    )
        elif rule.check == "pppoe_interface_down":
            for name, state in sorted(pppoe_interfaces.items()):
                reason = _interface_trouble(state)
                if reason:
                    found.append(
                        finding(
                            rule,
                            f"{concentrator}: PPPoE interface {name} {reason}",
                            concentrator=concentrator,
                            interface=name,
                        )
                    )
    return found


def _interface_trouble(state: dict[str, Any] | None) -> str | None:
    if state is None:
        return "does not exist"
    if not state.get("is_enabled"):
        return "is disabled: no customer can dial in on it"
    if not state.get("is_up"):
        return "is down: no customer can dial in on it"
    return None


def drift_findings(rule: Rule, host: str, path: str, drift: Drift) -> list[dict[str, Any]]:
    """One finding per device whose running configuration drifted from the intended one."""
    if not drift:
        return []
    parts = []
    if drift.missing:
        parts.append(f"{len(drift.missing)} line{'s' * (len(drift.missing) != 1)} missing")
    if drift.extra:
        parts.append(f"{len(drift.extra)} extra")
    return [
        finding(
            rule,
            f"{host}: configuration differs from {Path(path).name}: {', '.join(parts)}",
            device=host,
            intended=path,
            missing=drift.missing,
            extra=drift.extra,
        )
    ]
