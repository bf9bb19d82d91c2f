"""The Nornir platform (netmiko device type / connection) each vendor's devices are driven with,
for inventory sources that know a device's vendor but not its platform."""

from __future__ import annotations

from ispflow.plugins.vendors import all_vendors


def platform_of(vendor: str | None) -> str | None:
    """The registered vendor's platform; None for a vendor no one registered (the driver
    lookup then names it as unknown)."""
    found = all_vendors().get(str(vendor or "").lower())
    return found.platform if found is not None else None
