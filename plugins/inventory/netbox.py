"""NetBox as the Nornir inventory (plugin name `ispflow_netbox`).

Devices of the configured roles, filtered by NetBox (site, tenant, tag, status), become hosts:

* name: the device name; hostname: its primary IPv4 without the prefix length (else its
  primary IP); port: the `mgmt_port` custom field, when set (NetBox addresses have no port);
* platform and vendor: from `netbox.platforms` by the device's platform slug, else by its
  manufacturer's slug. A device neither maps is an error naming the device and the slug: an
  OLT silently left out of an audit is worse than a run that does not start;
* groups: the site slug and the vendor (so the secrets file's `groups:` apply as they do
  for the YAML inventory);
* data: role (the ispflow role), vendor, site, tenant, model (the device type), netbox_id,
  the platform mapping's extra keys and the mapped custom fields.

Credentials are not read from NetBox; plugins/inventory/credentials.py applies them after.
"""

from __future__ import annotations

import logging
from typing import Any

from nornir.core.inventory import (
    Defaults,
    Group,
    Groups,
    Host,
    Hosts,
    Inventory,
    ParentGroups,
)

from ispflow.core.errors import UsageError
from ispflow.plugins.inventory.netbox_cache import DeviceCache
from ispflow.plugins.inventory.netbox_client import device_query, fetch_devices
from ispflow.plugins.inventory.netbox_settings import (
    PORT_KEY,
    NetBoxSettings,
    PlatformMapping,
    netbox_settings,
)
from ispflow.plugins.vendors import all_vendors

log = logging.getLogger(__name__)


class NetBoxInventory:
    """Nornir inventory plugin; `settings` default to the `netbox:` configuration section."""

    def __init__(
        self,
        settings: NetBoxSettings | None = None,
        refresh: bool = False,
    ) -> None:
        self.settings = settings or netbox_settings()
        self.refresh = refresh
        self.from_cache = False

    def devices(self) -> list[dict[str, Any]]:
        """NetBox's devices for this configuration, from the cache when it is fresh."""
        settings = self.settings
        cache = DeviceCache(settings.cache_dir, settings.cache_ttl)
        query = device_query(settings)
        if not self.refresh:
            cached = cache.load(settings.url, query)
            if cached is not None:
                self.from_cache = True
                return cached
        devices = fetch_devices(settings)
        cache.save(settings.url, query, devices)
        self.from_cache = False
        return devices

    def load(self) -> Inventory:
        defaults = Defaults()
        groups = Groups()
        hosts = Hosts()
        sites: dict[str, str] = {}
        for device in sorted(self.devices(), key=lambda d: (str(d.get("name")), d.get("id", 0))):
            host = device_host(device, self.settings, groups, defaults)
            if host is None:
                continue
            if host.name in hosts:
                raise UsageError(
                    f"NetBox has two devices named {host.name} (sites {sites[host.name]} and "
                    f"{host.data.get('site')}); ispflow needs each device name once"
                )
            hosts[host.name] = host
            sites[host.name] = str(host.data.get("site"))
        return Inventory(hosts=hosts, groups=groups, defaults=defaults)


def device_host(
    device: dict[str, Any], settings: NetBoxSettings, groups: Groups, defaults: Defaults
) -> Host | None:
    """The Nornir host of one NetBox device (None for a device without a name)."""
    name = device.get("name")
    if not name:
        log.warning("NetBox device id %s has no name; left out of the inventory", device.get("id"))
        return None
    mapping = _platform(device, settings)
    site = _slug(device.get("site"))
    data: dict[str, Any] = dict(mapping.data)
    data.update(
        role=settings.role_of(_slug(device.get("role")) or ""),
        vendor=mapping.vendor,
        site=site,
        tenant=_slug(device.get("tenant")),
        model=(device.get("device_type") or {}).get("model"),
        netbox_id=device.get("id"),
    )
    port = None
    custom = device.get("custom_fields") or {}
    for field, key in settings.custom_fields.items():
        value = custom.get(field)
        if value is None or value == "":
            continue
        if key == PORT_KEY:
            port = _port(value, name, field)
        else:
            data[key] = _pons(value) if key == "pons" else value
    host_groups = ParentGroups()
    for group_name in (site, mapping.vendor):
        if group_name and group_name not in [g.name for g in host_groups]:
            host_groups.append(_group(groups, group_name, defaults))
    return Host(
        name=str(name),
        hostname=_address(device),
        port=port,
        platform=mapping.platform,
        groups=host_groups,
        data=data,
        connection_options={},
        defaults=defaults,
    )


def _platform(device: dict[str, Any], settings: NetBoxSettings) -> PlatformMapping:
    platform = _slug(device.get("platform"))
    manufacturer = _slug((device.get("device_type") or {}).get("manufacturer"))
    for slug in (platform, manufacturer):
        if slug and slug in settings.platforms:
            return settings.platforms[slug]
    given = f"platform '{platform}'" if platform else "no platform"
    if manufacturer:
        given += f" (manufacturer '{manufacturer}')"
    example = next(iter(sorted(all_vendors().items())))[1]
    raise UsageError(
        f"NetBox device {device.get('name')} has {given}, which netbox.platforms in "
        f"{settings.where} does not map; add it, e.g. "
        f"platforms: {{{platform or manufacturer or 'SLUG'}: {{platform: {example.platform}, "
        f"vendor: {example.name}}}}} (vendors: {', '.join(sorted(all_vendors()))})"
    )


def _group(groups: Groups, name: str, defaults: Defaults) -> Group:
    if name not in groups:
        groups[name] = Group(name=name, data={}, connection_options={}, defaults=defaults)
    return groups[name]


def _slug(value: Any) -> str | None:
    if isinstance(value, dict):
        return value.get("slug") or value.get("value")
    return value if isinstance(value, str) else None


def _address(device: dict[str, Any]) -> str | None:
    for key in ("primary_ip4", "primary_ip"):
        ip = device.get(key)
        if isinstance(ip, dict) and ip.get("address"):
            return str(ip["address"]).split("/", 1)[0]
    return None


def _port(value: Any, device: str, field: str) -> int:
    try:
        port = int(value)
    except (TypeError, ValueError):
        port = 0
    if not 1 <= port <= 65535:
        raise UsageError(f"NetBox device {device}: custom field {field} = {value!r} is not a port")
    return port


def _pons(value: Any) -> Any:
    """PONs as a list; a text custom field holds them comma-separated ("0/1/0, 0/1/1")."""
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    return value
