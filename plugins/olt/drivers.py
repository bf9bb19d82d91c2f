"""Which driver serves a host: by its inventory `vendor` (and `model`, for naming)."""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any

from plugins.olt.driver import OltDriver
from plugins.olt.huawei.driver import HuaweiDriver
from plugins.olt.zte.driver import ZteDriver

DRIVERS: dict[str, type[OltDriver]] = {"huawei": HuaweiDriver, "zte": ZteDriver}


def driver_class(vendor: str) -> type[OltDriver]:
    if vendor in DRIVERS:
        return DRIVERS[vendor]
    for entry in entry_points(group="ispflow.olt_drivers"):
        if entry.name == vendor:
            return entry.load()
    known = ", ".join(sorted(DRIVERS))
    raise ValueError(f"no OLT driver for vendor '{vendor}' (known: {known})")


def driver_for(host: Any) -> OltDriver:
    """The driver for a Nornir host (uses host data `vendor` and `model`)."""
    vendor = host.get("vendor")
    if not vendor:
        raise ValueError(f"host {host.name} has no data.vendor; cannot pick an OLT driver")
    return driver_class(str(vendor))(model=host.get("model"))
