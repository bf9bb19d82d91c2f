"""Which driver serves a host: by its inventory `vendor` (and `model`, for naming)."""

from __future__ import annotations

from typing import Any

from ispflow.plugins.olt.driver import OltDriver
from ispflow.plugins.vendors import olt_vendor


def driver_class(vendor: str) -> type[OltDriver]:
    """The driver class of a registered OLT vendor; an unknown one is a ValueError."""
    return olt_vendor(vendor).driver_class()


def driver_for(host: Any) -> OltDriver:
    """The driver for a Nornir host (uses host data `vendor` and `model`)."""
    vendor = host.get("vendor")
    if not vendor:
        raise ValueError(f"host {host.name} has no data.vendor; cannot pick an OLT driver")
    return driver_class(str(vendor))(model=host.get("model"))
