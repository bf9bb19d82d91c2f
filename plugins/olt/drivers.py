"""Which driver serves a host: by its inventory `vendor` (and `model`, for naming)."""

from __future__ import annotations

from typing import Any

from ispflow.plugins.olt.driver import OltDriver, PonPort
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


def host_pons(host: Any, driver: OltDriver) -> list[PonPort]:
    """Every PON of an OLT: inventory data `pons` (a list), else `pon_ports` (a count)."""
    listed = host.get("pons")
    if listed:
        return [PonPort.parse(str(p)) for p in listed]
    count = host.get("pon_ports")
    if not count:
        raise ValueError(
            f"{host.name}: no PONs to read; give port/ports, or set data.pons (a list such as "
            "[0/1/0, 0/1/1]) or data.pon_ports (a count) in the inventory"
        )
    return driver.default_pons(int(count))
