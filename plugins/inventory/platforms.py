"""The Nornir platform (netmiko device type / connection) each vendor's devices are driven with,
for inventory sources that know a device's vendor but not its platform."""

from __future__ import annotations

VENDOR_PLATFORMS: dict[str, str] = {
    "huawei": "huawei_smartax",
    "zte": "zte_zxros",
    "mikrotik": "mikrotik_routeros",
}


def platform_of(vendor: str | None) -> str | None:
    return VENDOR_PLATFORMS.get(str(vendor or "").lower())
