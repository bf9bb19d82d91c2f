"""The vendors ispflow drives, each registered by one object under an entry point.

OLT vendors register an `OltVendor` under `ispflow.olt_vendors`, concentrator vendors a
`ConcentratorVendor` under `ispflow.concentrator_vendors`; the entry point's name is the
inventory's `data.vendor`. Everything that differs per vendor (driver, parsers, templates,
netmiko device types, the lines its CLI prints in the middle of an answer, NetBox platform
slugs, its lab profile) is in that object, in the vendor's own folder; code elsewhere asks
this registry and names no vendor. An unknown vendor is an error, never another vendor's
branch.
"""

from __future__ import annotations

import importlib
import threading
from dataclasses import dataclass
from typing import Any

from ispflow.core.entry_points import entry_points

OLT_GROUP = "ispflow.olt_vendors"
CONCENTRATOR_GROUP = "ispflow.concentrator_vendors"


class UnknownVendor(ValueError):
    """A vendor (or platform, or NetBox slug) no registered vendor claims."""


def load_object(reference: str) -> Any:
    """`package.module:Name` as an entry point spells it."""
    module, _, name = reference.partition(":")
    loaded = importlib.import_module(module)
    return getattr(loaded, name) if name else loaded


@dataclass(frozen=True)
class Vendor:
    name: str
    title: str
    # netmiko device types (the inventory's `platform`); the first is the one to assign.
    platforms: tuple[str, ...]
    # NetBox platform slugs that mean this vendor's devices.
    netbox_slugs: tuple[str, ...]
    # `module:Class` of the driver; loaded on first use.
    driver: str
    # Module of the vendor's profile in the lab (`ispflow[lab]`), if it has one.
    lab_profile: str | None = None

    @property
    def platform(self) -> str:
        return self.platforms[0]

    def driver_class(self) -> Any:
        return load_object(self.driver)


@dataclass(frozen=True)
class OltVendor(Vendor):
    # `module:Class` of its output parsers (a VendorParsers).
    parsers: str = ""
    # Folder under templates/olt/ with its command templates.
    templates: str = ""
    # `module:Class` per netmiko device type: the session class the olt_cli connection uses.
    sessions: tuple[tuple[str, str], ...] = ()
    # Regular expressions (verbose syntax allowed) of lines the CLI prints on its own in the
    # middle of an answer (alarms, logs), and of its pager stops.
    alarm_lines: tuple[str, ...] = ()
    pager: tuple[str, ...] = ()
    # Words (lower case) every one of its pager stops holds: an answer with none of any
    # vendor's is not searched for pager stops. Empty: always searched.
    pager_words: tuple[str, ...] = ()

    def parsers_object(self) -> Any:
        return load_object(self.parsers)()


@dataclass(frozen=True)
class ConcentratorVendor(Vendor):
    # `module:Class` of the Nornir connection plugin its driver names (`driver.connection`);
    # registered with Nornir when the driver is first looked up, so the vendor's one entry
    # point is all it needs.
    connection_plugin: str = ""


def _registered(group: str, kind: type[Vendor]) -> dict[str, Vendor]:
    found: dict[str, Vendor] = {}
    for entry in entry_points(group=group):
        vendor = entry.load()
        if not isinstance(vendor, kind):
            raise TypeError(f"entry point {group}:{entry.name} is not a {kind.__name__}")
        if vendor.name != entry.name:
            raise TypeError(f"entry point {group}:{entry.name} registers vendor {vendor.name!r}")
        found[entry.name] = vendor
    return found


def olt_vendors() -> dict[str, OltVendor]:
    return _once(OLT_GROUP, OltVendor)  # type: ignore[return-value]


def concentrator_vendors() -> dict[str, ConcentratorVendor]:
    return _once(CONCENTRATOR_GROUP, ConcentratorVendor)  # type: ignore[return-value]


_found: dict[str, dict[str, Vendor]] = {}
# A run's hosts ask from all their threads at once: one reads the entry points, the others
# wait for its answer (each would read them all again).
_found_lock = threading.Lock()


def _once(group: str, kind: type[Vendor]) -> dict[str, Vendor]:
    with _found_lock:
        if group not in _found:
            _found[group] = _registered(group, kind)
        return _found[group]


def all_vendors() -> dict[str, Vendor]:
    return {**olt_vendors(), **concentrator_vendors()}


def _known(vendors: dict[str, Any]) -> str:
    return ", ".join(sorted(vendors)) or "none registered; is ispflow installed?"


def olt_vendor(name: str) -> OltVendor:
    vendors = olt_vendors()
    vendor = vendors.get(str(name).lower())
    if vendor is None:
        raise UnknownVendor(f"no OLT vendor {name!r} (known: {_known(vendors)})")
    return vendor


def concentrator_vendor(name: str) -> ConcentratorVendor:
    vendors = concentrator_vendors()
    vendor = vendors.get(str(name).lower())
    if vendor is None:
        raise UnknownVendor(f"no concentrator vendor {name!r} (known: {_known(vendors)})")
    return vendor


def vendor_of_platform(platform: str) -> Vendor:
    for vendor in all_vendors().values():
        if platform in vendor.platforms:
            return vendor
    known = sorted(p for v in all_vendors().values() for p in v.platforms)
    raise UnknownVendor(f"no vendor drives platform {platform!r} (known: {', '.join(known)})")
