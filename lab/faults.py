"""Faults for a running lab, set from outside: `ispflow lab fault OLT --drop-on service-port`.

The CLI writes faults.json in the state folder; the server reads it whenever it changes and
sets each OLT's Behaviour (an OLT not named there behaves normally again). A file rather than
a socket keeps the server's only listeners the OLTs' SSH ports.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from ispflow.lab.behaviour import Behaviour
from ispflow.lab.model import PlantFaults


class Faultable(Protocol):
    """A lab device (OLT or concentrator) faults can be set on, by name."""

    @property
    def name(self) -> str: ...

    behaviour: Behaviour


FAULT_KEYS = ("drop_after", "drop_on", "hang_on", "refuse_logins", "slow_ms", "unknown_row_on")
PLANT_KEYS = (
    "cut_ctos", "down_pons", "attenuate", "flapping", "unplugged", "cut_feeders", "down_boards",
    "dirty_ctos", "power_off_ctos", "power_off", "cut_drops",
)  # fmt: skip
POLL_SECONDS = 0.2


def faults_file(root: Path) -> Path:
    return root / "faults.json"


def read_faults(root: Path) -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(faults_file(root).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_faults(root: Path, faults: dict[str, dict[str, Any]]) -> None:
    path = faults_file(root)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(faults, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)


def applied_file(root: Path) -> Path:
    """Where the server says which version of faults.json it has applied."""
    return root / "faults.applied"


def _acknowledge(root: Path, mtime: int | None) -> None:
    with contextlib.suppress(OSError):
        applied_file(root).write_text(str(mtime), encoding="utf-8")


def wait_applied(root: Path, timeout: float = 30.0) -> bool:
    """Wait until the running server has applied the faults file as it is now (a busy
    machine may take longer than one poll); False if it has not within `timeout`."""
    try:
        wanted = str(faults_file(root).stat().st_mtime_ns)
    except OSError:
        wanted = "None"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            if applied_file(root).read_text(encoding="utf-8") == wanted:
                return True
        time.sleep(POLL_SECONDS / 4)
    return False


def hung_marker(root: Path, device: str) -> Path:
    """The file a device writes when a `hang_on` fault holds one of its sessions."""
    return root / f"hung-{device}"


def apply_faults(
    devices: Sequence[Faultable], faults: dict[str, dict[str, Any]], root: Path | None = None
) -> None:
    for device in devices:
        fault = faults.get(device.name) or {}
        behaviour = device.behaviour
        behaviour.drop_after = fault.get("drop_after")
        behaviour.drop_on = fault.get("drop_on")
        behaviour.hang_on = fault.get("hang_on")
        if root is not None:
            behaviour.hang_marker = hung_marker(root, device.name)
            if not behaviour.hang_on:
                with contextlib.suppress(OSError):
                    behaviour.hang_marker.unlink()
        behaviour.refuse_logins = bool(fault.get("refuse_logins", False))
        behaviour.unknown_row_on = fault.get("unknown_row_on")
        behaviour.slow_extra = float(fault.get("slow_ms", 0)) / 1000
        olt = getattr(device, "olt", None)
        if olt is not None:  # concentrators have no outside plant
            olt.plant = plant_faults(fault)


def plant_faults(fault: dict[str, Any]) -> PlantFaults:
    return PlantFaults(
        cut_ctos=frozenset(fault.get("cut_ctos", ())),
        down_pons=frozenset(fault.get("down_pons", ())),
        extra_db=tuple((str(s), float(db)) for s, db in (fault.get("attenuate") or {}).items()),
        flapping=frozenset(fault.get("flapping", ())),
        unplugged=frozenset(str(s).upper() for s in fault.get("unplugged", ())),
        cut_feeders=frozenset(fault.get("cut_feeders", ())),
        down_boards=frozenset(int(slot) for slot in fault.get("down_boards", ())),
        cto_extra_db=tuple(
            (str(c), float(db)) for c, db in (fault.get("dirty_ctos") or {}).items()
        ),
        power_off_ctos=frozenset(fault.get("power_off_ctos", ())),
        powered_off=frozenset(str(s).upper() for s in fault.get("power_off", ())),
        cut_drops=frozenset(str(s).upper() for s in fault.get("cut_drops", ())),
    )


# The ground truth of what a fault key injects: (kind, what names the node, the down class
# of the ONUs it darkens; None where they stay lit, only weaker).
TRUTH_KINDS: dict[str, tuple[str, str, str | None]] = {
    "cut_ctos": ("cto_cut", "cto", "fibre"),
    "cut_feeders": ("feeder_cut", "pon", "fibre"),
    "down_pons": ("pon_down", "pon", "fibre"),
    "down_boards": ("board_down", "slot", "fibre"),
    "dirty_ctos": ("cto_dirty", "cto", None),
    "power_off_ctos": ("power_outage", "cto", "power"),
    "power_off": ("customer_power_off", "serial", "power"),
    "cut_drops": ("drop_cut", "serial", "fibre"),
    "attenuate": ("onu_attenuated", "serial", None),
    "flapping": ("onu_flapping", "serial", "fibre"),
    "unplugged": ("onu_unplugged", "serial", "power"),
}


def ground_truth(fleet: dict[str, Any], faults: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Every active plant fault as {kind, olt, node, serials, down_class} (and `db` for the
    ones that add loss): `serials` are the ONUs on the fibre behind the node, authorized or
    waiting in autofind, from the fleet as `lab up` described it (lab.json)."""
    found = []
    for olt, fault in sorted(faults.items()):
        onus = [onu for onu in fleet.get("onus", []) if onu.get("olt") == olt]
        for key, (kind, node_kind, down_class) in TRUTH_KINDS.items():
            value = fault.get(key) or ()
            nodes = value.items() if isinstance(value, dict) else ((node, None) for node in value)
            for node, db in nodes:
                entry: dict[str, Any] = {
                    "kind": kind,
                    "olt": olt,
                    "node": node,
                    "node_kind": node_kind,
                    "serials": sorted(_behind(onus, kind, node_kind, node)),
                    "down_class": down_class,
                }
                if db is not None:
                    entry["db"] = float(db)
                found.append(entry)
    return found


def _behind(onus: list[dict[str, Any]], kind: str, node_kind: str, node: Any) -> list[str]:
    if kind == "feeder_cut":  # the ONUs behind the PON's CTOs; one patched in the cabinet is lit
        return [onu["serial"] for onu in onus if onu.get("port") == node and onu.get("cto")]
    if node_kind == "serial":
        return [onu["serial"] for onu in onus if onu.get("serial") == str(node).upper()]
    if node_kind == "cto":
        return [onu["serial"] for onu in onus if onu.get("cto") == node]
    if node_kind == "slot":
        return [onu["serial"] for onu in onus if int(onu["port"].split("/")[1]) == int(node)]
    if node_kind == "pon":
        return [onu["serial"] for onu in onus if onu.get("port") == node]
    raise ValueError(f"no node kind {node_kind!r}")


async def watch_faults(root: Path, devices: Sequence[Faultable]) -> None:
    """Apply faults.json at start and after every change, until cancelled."""
    seen: float | None = None
    path = faults_file(root)
    while True:
        mtime = None
        with contextlib.suppress(OSError):
            mtime = path.stat().st_mtime_ns
        if mtime != seen:
            seen = mtime
            apply_faults(devices, read_faults(root) if mtime is not None else {}, root)
            _acknowledge(root, mtime)
        await asyncio.sleep(POLL_SECONDS)
