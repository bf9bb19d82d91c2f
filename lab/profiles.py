"""Lab profiles: what the lab needs to simulate one vendor's devices.

Each vendor that the lab simulates has a package of its own under lab/ whose `PROFILE` is an
`OltProfile` or a `ConcentratorProfile`; the vendor's registered object names that package
(`lab_profile`). The rest of the lab asks for a vendor's profile here and never branches on
a vendor's name. A vendor without a profile is an error, never another vendor's simulator.
"""

from __future__ import annotations

import functools
import random
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from ispflow.plugins.vendors import (
    ConcentratorVendor,
    UnknownVendor,
    all_vendors,
    concentrator_vendors,
    load_object,
    olt_vendors,
)

if TYPE_CHECKING:
    from ispflow.lab.behaviour import Behaviour
    from ispflow.lab.catalog import OltModel, OnuModel
    from ispflow.lab.model import Device, LabOlt, PonPort
    from ispflow.lab.shell import Shell


class NoLabProfile(LookupError):
    """A registered vendor whose devices the lab cannot simulate."""


@dataclass(frozen=True)
class Numbering:
    """How an OLT numbers what it holds."""

    frame: int  # the chassis' frame (shelf) number
    first_port: int  # the first PON port of a board
    onu_ids: range  # the ONU ids a PON port takes
    # Where a service-port index is unique: across the whole OLT ("olt") or per ONU ("onu").
    service_port_scope: Literal["olt", "onu"]
    first_service_port: int  # the lowest index, the one taken first when none is given


@dataclass(frozen=True)
class OltProfile:
    """One vendor's simulated OLTs."""

    # The CLI session class the lab's SSH server runs for this vendor's OLTs.
    shell: type[Shell]
    # The chassis the lab can build, each with the firmware generations it runs.
    models: tuple[OltModel, ...]
    # The chassis a fleet takes in turn, when they have room for the PON count asked for.
    default_models: tuple[str, ...]
    numbering: Numbering
    # The vendor's own ONUs: the vendor id at the start of their serials, and their models.
    onu_vendor_id: str
    onu_models: tuple[OnuModel, ...]
    # The name of a PON port's interface as the vendor's CLI spells it (`0/1/3` → …).
    interface_name: Callable[[LabOlt, str], str]
    # Configure an ONU the plant generator puts in service: its record, its service ports.
    provision: Callable[[LabOlt, PonPort, Device, int, str], None]
    # Equipment serial numbers of the vendor's own ONUs, when they differ from the usual form.
    equipment_sn: Callable[[random.Random], str] | None = None
    # Whether a fleet built without `--vendors` has this vendor's OLTs; a vendor added
    # later says no, so the fleets (and seeds) people and tests know stay as they were.
    in_default_fleet: bool = True
    # The login prompt of the OLT's telnet server, for a vendor whose OLTs are reached by
    # telnet too: the lab then serves each of them on a telnet port as well (lab/telnetd.py).
    telnet_login: str | None = None


class LabRouter(Protocol):
    """A simulated concentrator, as the generic lab code handles it."""

    @property
    def name(self) -> str: ...

    site: str
    port: int
    tls: bool
    behaviour: Behaviour


class ApiServer(Protocol):
    """The server a concentrator profile runs its routers on."""

    @property
    def ports(self) -> dict[str, int]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Subscriber(Protocol):
    """Contract n's account on the lab's concentrators, as the store seeding needs it."""

    @property
    def code(self) -> str: ...

    @property
    def unblock_profile(self) -> str: ...

    login: str
    plan: str
    overdue_days: int | None
    blocked: bool


@dataclass(frozen=True)
class ConcentratorProfile:
    """One vendor's simulated concentrators."""

    # (count, OLT rows, ONU rows, base_port=, seed=, latency_ms=, login_ms=) → routers.
    build: Callable[..., list[LabRouter]]
    # The routers as lab.json lists them: (routers, host) → rows.
    describe: Callable[[Sequence[Any], str], list[dict[str, Any]]]
    # (routers, username=, password=, host=, tls_context=) → a server to start.
    server: Callable[..., ApiServer]
    # (state folder, host) → the server's TLS context; leaves its certificate in the folder.
    tls_context: Callable[[Path, str], ssl.SSLContext]
    # The CA file clients check the server's certificate with, in the state folder.
    certificate: Callable[[Path], Path]
    # The Nornir connection the inventory's options are for.
    connection: str
    # Inventory group data every concentrator of the vendor shares (what a block means).
    group_data: Mapping[str, str]
    # (OLT index, concentrator count) → the concentrator that OLT's customers dial into.
    concentrator_of: Callable[[int, int], str]
    # Contract number → its subscriber account.
    subscriber: Callable[[int], Subscriber]


@functools.cache
def lab_profile(vendor: str) -> OltProfile | ConcentratorProfile:
    """The lab profile of a registered vendor, from the package its `lab_profile` names."""
    vendors = all_vendors()
    registered = vendors.get(str(vendor).lower())
    if registered is None:
        known = ", ".join(sorted(vendors)) or "none registered"
        raise UnknownVendor(f"no vendor {vendor!r} (known: {known})")
    if not registered.lab_profile:
        raise NoLabProfile(f"vendor {registered.name!r} has no lab profile: the lab cannot run it")
    profile = getattr(load_object(registered.lab_profile), "PROFILE", None)
    if not isinstance(profile, OltProfile | ConcentratorProfile):
        raise NoLabProfile(
            f"{registered.lab_profile} (lab profile of {registered.name!r}) has no PROFILE"
        )
    return profile


def olt_profile(vendor: str) -> OltProfile:
    profile = lab_profile(vendor)
    if not isinstance(profile, OltProfile):
        raise NoLabProfile(f"vendor {vendor!r} has no OLT lab profile")
    return profile


def concentrator_profile(vendor: str) -> ConcentratorProfile:
    profile = lab_profile(vendor)
    if not isinstance(profile, ConcentratorProfile):
        raise NoLabProfile(f"vendor {vendor!r} has no concentrator lab profile")
    return profile


def lab_olt_vendors() -> tuple[str, ...]:
    """The OLT vendors the lab simulates (those naming a lab profile), by name."""
    return tuple(sorted(name for name, vendor in olt_vendors().items() if vendor.lab_profile))


def default_lab_olt_vendors() -> tuple[str, ...]:
    """The OLT vendors of a fleet built without `--vendors`, by name."""
    return tuple(name for name in lab_olt_vendors() if olt_profile(name).in_default_fleet)


def olt_profiles() -> dict[str, OltProfile]:
    return {name: olt_profile(name) for name in lab_olt_vendors()}


def lab_concentrator_vendor() -> ConcentratorVendor:
    """The vendor of the lab's concentrators: the first, by name, that has a lab profile."""
    for _name, vendor in sorted(concentrator_vendors().items()):
        if vendor.lab_profile:
            return vendor
    raise NoLabProfile("no concentrator vendor has a lab profile: the lab cannot run one")
