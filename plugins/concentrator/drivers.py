"""Which concentrator driver serves a host: by its inventory `vendor`."""

from __future__ import annotations

from typing import Any

from ispflow.plugins.concentrator.contract import ConcentratorDriver
from ispflow.plugins.vendors import UnknownVendor, concentrator_vendor, concentrator_vendors


def driver_class(vendor: str) -> type[ConcentratorDriver]:
    """The driver class of a registered concentrator vendor; UnknownVendor otherwise."""
    found = concentrator_vendor(vendor).driver_class()
    if not (isinstance(found, type) and issubclass(found, ConcentratorDriver)):
        raise TypeError(f"concentrator vendor {vendor!r}: {found!r} is not a ConcentratorDriver")
    return found


def concentrator_driver_for(host: Any) -> ConcentratorDriver:
    """The driver for a Nornir host, by its data `vendor`. A host without one, or with one no
    registered vendor claims, is an error: no vendor's driver stands in for another's."""
    vendor = host.get("vendor")
    if not vendor:
        raise UnknownVendor(
            f"host {host.name} has no data.vendor; cannot pick a concentrator driver "
            f"(known: {_known()})"
        )
    try:
        return driver_class(str(vendor))()
    except UnknownVendor:
        raise UnknownVendor(
            f"host {host.name}: no concentrator vendor {vendor!r} (known: {_known()})"
        ) from None


def _known() -> str:
    return ", ".join(sorted(concentrator_vendors())) or "none registered; is ispflow installed?"
