"""Which concentrator driver serves a host: by its inventory `vendor`."""

from __future__ import annotations

from typing import Any

from nornir.core.plugins.connections import ConnectionPluginRegister

from ispflow.plugins.concentrator.contract import ConcentratorDriver
from ispflow.plugins.vendors import (
    UnknownVendor,
    concentrator_vendor,
    concentrator_vendors,
    load_object,
)


def driver_class(vendor: str) -> type[ConcentratorDriver]:
    """The driver class of a registered concentrator vendor; UnknownVendor otherwise. Its
    connection plugin is registered with Nornir on the way, for the tasks to open."""
    registered = concentrator_vendor(vendor)
    found = registered.driver_class()
    if not (isinstance(found, type) and issubclass(found, ConcentratorDriver)):
        raise TypeError(f"concentrator vendor {vendor!r}: {found!r} is not a ConcentratorDriver")
    _register_connection(found.connection, registered.connection_plugin)
    return found


def _register_connection(name: str, reference: str) -> None:
    if not reference or name in ConnectionPluginRegister.available:
        return
    ConnectionPluginRegister.register(name, load_object(reference))


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
