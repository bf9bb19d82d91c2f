"""Filling a NetBox with an ISP's fleet through its REST API (pynetbox), for tests and benchmarks.

`populate(nb, fleet)` creates what the devices need (sites, manufacturers, device roles,
platforms, device types, tenants, tags, custom fields, a VRF) and then the devices, each with a
management interface `mgmt0` and an IPv4 address set as its primary IP. Devices go in chunks
of a few hundred, four bulk requests per chunk (devices, interfaces, addresses, primary IPs),
several chunks at a time. NetBox itself spends about 0.15 s of CPU per device on them, so 5,000
devices take about ten minutes on two cores. Devices already there (by name) are left alone,
so a second call only adds what is missing.

Conventions, the ones plugins/inventory/netbox.py reads by default:

* device roles `olt` and `concentrator`; platforms `huawei-smartax`, `zte-zxros` and
  `mikrotik-routeros` (a Nornir platform `huawei_smartax` becomes the slug `huawei-smartax`);
  manufacturers `huawei`, `zte`, `mikrotik`; the device type's model is the OLT model;
* custom fields on dcim.device: `olt_model` (text), `pon_count` (integer), `pons` (text, PON
  names separated by commas) and `mgmt_port` (integer);
* NetBox addresses carry no TCP port. A device whose management service is not on its
  protocol's usual port keeps that port in `mgmt_port`, and the inventory gives it to the
  Nornir host as its `port`.

A running lab (`ispflow lab up`) serves every OLT and concentrator on 127.0.0.1, each on its own
port. `lab_fleet(state)` turns the lab's inventory into devices whose primary IP is 127.0.0.1/32
and whose `mgmt_port` is the lab port. NetBox refuses the same address twice in one table, so
these addresses live in the VRF `ispflow-lab`, which does not enforce unique addresses.
"""

from __future__ import annotations

import ipaddress
import random
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pynetbox
from ruamel.yaml import YAML

LAB_VRF = "ispflow-lab"
MGMT_INTERFACE = "mgmt0"
CHUNK = 250
# NetBox serves a bulk request in one transaction per request: a few at once keeps every
# gunicorn worker busy without making any of them wait on the others' locks.
PARALLEL_CHUNKS = 3

MANUFACTURERS = {"huawei": "Huawei", "zte": "ZTE", "mikrotik": "MikroTik"}
ROLES = {
    "olt": ("OLT", "2196f3"),
    "concentrator": ("Concentrator", "ff9800"),
}
# Nornir platform -> (NetBox platform slug, name, manufacturer slug)
PLATFORMS = {
    "huawei_smartax": ("huawei-smartax", "Huawei SmartAX", "huawei"),
    "zte_zxros": ("zte-zxros", "ZTE ZXROS", "zte"),
    "mikrotik_routeros": ("mikrotik-routeros", "MikroTik RouterOS", "mikrotik"),
}
VENDOR_PLATFORM = {"huawei": "huawei_smartax", "zte": "zte_zxros", "mikrotik": "mikrotik_routeros"}
CUSTOM_FIELDS = {
    "olt_model": ("text", "OLT model"),
    "pon_count": ("integer", "Populated PON ports"),
    "pons": ("text", "PON ports (comma-separated)"),
    "mgmt_port": ("integer", "Management TCP port"),
}
SITE_NAMES = {
    "poa": "Porto Alegre",
    "cwb": "Curitiba",
    "flo": "Florianópolis",
    "cxs": "Caxias do Sul",
    "pel": "Pelotas",
    "lon": "Londrina",
}
OLT_MODELS = {
    "huawei": ("MA5800-X7", "MA5800-X2", "MA5608T", "MA5683T", "MA5600T"),
    "zte": ("C320", "C300", "C600"),
}
CONCENTRATOR_MODEL = "CCR2004-1G-12S+2XS"  # what the lab's RouterOS reports


@dataclass(frozen=True)
class DeviceSpec:
    """One device as NetBox should hold it."""

    name: str
    site: str  # site slug
    role: str  # "olt" or "concentrator"
    vendor: str  # manufacturer slug: huawei, zte, mikrotik
    model: str  # device type model
    platform: str  # Nornir platform: huawei_smartax, zte_zxros, mikrotik_routeros
    address: str  # primary IPv4 with prefix length, e.g. "10.0.3.7/32"
    mgmt_port: int | None = None
    status: str = "active"
    tenant: str | None = None  # tenant slug
    tags: tuple[str, ...] = ()  # tag slugs
    pon_count: int | None = None
    pons: tuple[str, ...] = ()


@dataclass
class Fleet:
    devices: list[DeviceSpec]
    # Addresses go to this VRF (made without unique enforcement), else to the global table.
    vrf: str | None = None
    site_names: dict[str, str] = field(default_factory=lambda: dict(SITE_NAMES))


def connect(service: dict[str, str], *, threading: bool = False) -> pynetbox.api:
    """A pynetbox client for the `netbox`/`netbox_service` fixtures' {"url", "token"}."""
    return pynetbox.api(service["url"], token=service["token"], threading=threading)


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def platform_slug(platform: str) -> str:
    """The NetBox platform slug of a Nornir platform."""
    return PLATFORMS[platform][0] if platform in PLATFORMS else slugify(platform)


# -- fleets -------------------------------------------------------------------------------------


def synthetic_fleet(
    count: int,
    *,
    seed: int = 7,
    sites: int = 24,
    tenants: Sequence[str] = ("fibra-sul", "conecta-pr"),
    prefix: str = "bench",
) -> Fleet:
    """`count` devices, one in ten a concentrator, over `sites` sites, two tenants; addresses
    10.x.y.z/32 all different; a few planned or offline devices among the active ones."""
    rng = random.Random(seed)
    site_slugs = [f"{prefix}-s{index:03d}" for index in range(1, sites + 1)]
    site_names = {slug: f"POP {slug.rsplit('-', 1)[1].upper()}" for slug in site_slugs}
    first = int(ipaddress.IPv4Address("10.0.0.1"))
    devices = []
    for index in range(count):
        site = site_slugs[index % len(site_slugs)]
        status = rng.choices(("active", "planned", "offline"), (90, 5, 5))[0]
        address = f"{ipaddress.IPv4Address(first + index)}/32"
        tenant = tenants[index % len(tenants)] if tenants else None
        if index % 10 == 9:
            devices.append(
                DeviceSpec(
                    name=f"{prefix}-bras-{index + 1:05d}",
                    site=site,
                    role="concentrator",
                    vendor="mikrotik",
                    model=CONCENTRATOR_MODEL,
                    platform="mikrotik_routeros",
                    address=address,
                    mgmt_port=8728,
                    status=status,
                    tenant=tenant,
                    tags=("pppoe",),
                )
            )
            continue
        vendor = "huawei" if index % 2 == 0 else "zte"
        model = rng.choice(OLT_MODELS[vendor])
        pons = rng.choice((4, 8, 16))
        devices.append(
            DeviceSpec(
                name=f"{prefix}-olt-{index + 1:05d}",
                site=site,
                role="olt",
                vendor=vendor,
                model=model,
                platform=VENDOR_PLATFORM[vendor],
                address=address,
                status=status,
                tenant=tenant,
                tags=("gpon",),
                pon_count=pons,
            )
        )
    return Fleet(devices, site_names=site_names)


def lab_fleet(state: Path | str, *, tenant: str | None = None) -> Fleet:
    """The devices of a running lab (its state folder, e.g. `RunningLab.state`): OLTs and
    concentrators at 127.0.0.1/32 in the VRF `ispflow-lab`, the lab port in `mgmt_port`."""
    folder = Path(state) / "inventory"
    yaml = YAML(typ="safe")
    hosts: dict[str, Any] = yaml.load((folder / "hosts.yaml").read_text(encoding="utf-8")) or {}
    groups: dict[str, Any] = {}
    if (folder / "groups.yaml").is_file():
        groups = yaml.load((folder / "groups.yaml").read_text(encoding="utf-8")) or {}
    site_names = dict(SITE_NAMES)
    devices = []
    for name, host in hosts.items():
        data = _merged_data(host, groups)
        platform = host.get("platform") or _group_value(host, groups, "platform")
        vendor = str(data.get("vendor") or "")
        role = str(data.get("role") or "olt")
        site = str(data.get("site") or "lab")
        if data.get("city"):
            site_names[site] = str(data["city"])
        address = ipaddress.ip_address(str(host.get("hostname") or "127.0.0.1"))
        devices.append(
            DeviceSpec(
                name=str(name),
                site=site,
                role=role,
                vendor=vendor,
                model=str(
                    data.get("model") or (CONCENTRATOR_MODEL if role == "concentrator" else vendor)
                ),
                platform=str(platform or VENDOR_PLATFORM[vendor]),
                address=f"{address}/{address.max_prefixlen}",
                mgmt_port=int(host["port"]) if host.get("port") else None,
                tenant=tenant,
                tags=("lab",),
                pon_count=data.get("pon_ports"),
                pons=tuple(data.get("pons") or ()),
            )
        )
    return Fleet(devices, vrf=LAB_VRF, site_names=site_names)


def _merged_data(host: dict[str, Any], groups: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for group in host.get("groups") or ():
        data.update((groups.get(group) or {}).get("data") or {})
    data.update(host.get("data") or {})
    return data


def _group_value(host: dict[str, Any], groups: dict[str, Any], key: str) -> Any:
    for group in host.get("groups") or ():
        value = (groups.get(group) or {}).get(key)
        if value:
            return value
    return None


# -- populating ---------------------------------------------------------------------------------


def populate(
    nb: pynetbox.api,
    fleet: Fleet,
    *,
    chunk: int = CHUNK,
    parallel: int = PARALLEL_CHUNKS,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, int]:
    """Create the fleet in NetBox; returns how many objects of each kind were created
    ("sites", "manufacturers", "device_roles", "platforms", "device_types", "tenants",
    "tags", "custom_fields", "vrfs", "devices", "interfaces", "ip_addresses")."""
    created: dict[str, int] = {}
    devices = fleet.devices
    ids = _ensure_shared(nb, fleet, created)
    existing = {record["name"] for record in _rows(nb.dcim.devices, fields="name")}
    missing = [device for device in devices if device.name not in existing]
    chunks = _chunks(missing, chunk)
    done = 0
    for kind in ("devices", "interfaces", "ip_addresses"):
        created[kind] = 0

    def run(part: list[DeviceSpec]) -> int:
        _create_chunk(nb, part, ids)
        return len(part)

    with ThreadPoolExecutor(max_workers=max(1, parallel)) as pool:
        for count in pool.map(run, chunks):
            done += count
            for kind in ("devices", "interfaces", "ip_addresses"):
                created[kind] += count
            if progress is not None:
                progress(done, len(missing))
    return created


def _chunks(devices: list[DeviceSpec], size: int) -> list[list[DeviceSpec]]:
    """Chunks of one device type each, the types taking turns.

    Creating a device bumps its type's device counter inside the request's transaction: two
    requests holding devices of the same types lock those rows in different orders and
    PostgreSQL kills one of them as a deadlock. One type per chunk rules that out, and the
    turns let the chunks running at the same time be of different types, so none waits."""
    by_type: dict[str, list[DeviceSpec]] = {}
    for device in devices:
        by_type.setdefault(slugify(device.model), []).append(device)
    queues = [
        [group[start : start + size] for start in range(0, len(group), size)]
        for group in by_type.values()
    ]
    chunks = []
    for turn in range(max((len(queue) for queue in queues), default=0)):
        chunks.extend(queue[turn] for queue in queues if turn < len(queue))
    return chunks


def counts(nb: pynetbox.api) -> dict[str, int]:
    """How many objects of each kind NetBox holds (one cheap request each)."""
    endpoints = {
        "sites": nb.dcim.sites,
        "manufacturers": nb.dcim.manufacturers,
        "device_roles": nb.dcim.device_roles,
        "platforms": nb.dcim.platforms,
        "device_types": nb.dcim.device_types,
        "tenants": nb.tenancy.tenants,
        "tags": nb.extras.tags,
        "custom_fields": nb.extras.custom_fields,
        "vrfs": nb.ipam.vrfs,
        "devices": nb.dcim.devices,
        "interfaces": nb.dcim.interfaces,
        "ip_addresses": nb.ipam.ip_addresses,
    }
    return {kind: endpoint.count() for kind, endpoint in endpoints.items()}


def _rows(endpoint: Any, **query: Any) -> list[dict[str, Any]]:
    """Every object of an endpoint as plain JSON, 1,000 a page."""
    return list(endpoint.filter(limit=1000, **query).response)


def _ensure(
    endpoint: Any,
    wanted: dict[str, dict[str, Any]],
    created: dict[str, int],
    kind: str,
    key: str = "slug",
) -> dict[str, int]:
    """Get-or-create by `key`: one listing, one bulk create of what is missing; key -> id."""
    have = {str(row[key]): int(row["id"]) for row in _rows(endpoint, fields=f"id,{key}")}
    new = [body for value, body in wanted.items() if value not in have]
    if new:
        for record in endpoint.create(new):
            have[str(getattr(record, key))] = int(record.id)
    created[kind] = len(new)
    return {value: have[value] for value in wanted}


def _ensure_shared(nb: pynetbox.api, fleet: Fleet, created: dict[str, int]) -> dict[str, Any]:
    devices = fleet.devices
    sites = {
        device.site: {
            "name": fleet.site_names.get(device.site, device.site.upper()),
            "slug": device.site,
            "status": "active",
        }
        for device in devices
    }
    vendors = {device.vendor for device in devices} | {
        PLATFORMS[device.platform][2] for device in devices if device.platform in PLATFORMS
    }
    manufacturers = {
        slug: {"name": MANUFACTURERS.get(slug, slug.title()), "slug": slug} for slug in vendors
    }
    ids: dict[str, Any] = {
        "site": _ensure(nb.dcim.sites, sites, created, "sites"),
        "manufacturer": _ensure(nb.dcim.manufacturers, manufacturers, created, "manufacturers"),
    }
    roles = {
        device.role: {
            "name": ROLES.get(device.role, (device.role.title(), "9e9e9e"))[0],
            "slug": device.role,
            "color": ROLES.get(device.role, ("", "9e9e9e"))[1],
        }
        for device in devices
    }
    ids["role"] = _ensure(nb.dcim.device_roles, roles, created, "device_roles")
    platforms = {}
    for device in devices:
        slug = platform_slug(device.platform)
        name, maker = (
            PLATFORMS[device.platform][1:] if device.platform in PLATFORMS else (slug, None)
        )
        platforms[slug] = {"name": name, "slug": slug}
        if maker:
            platforms[slug]["manufacturer"] = ids["manufacturer"][maker]
    ids["platform"] = _ensure(nb.dcim.platforms, platforms, created, "platforms")
    types = {
        slugify(device.model): {
            "model": device.model,
            "slug": slugify(device.model),
            "manufacturer": ids["manufacturer"][device.vendor],
        }
        for device in devices
    }
    ids["device_type"] = _ensure(nb.dcim.device_types, types, created, "device_types")
    tenants = {
        device.tenant: {"name": device.tenant.replace("-", " ").title(), "slug": device.tenant}
        for device in devices
        if device.tenant
    }
    ids["tenant"] = _ensure(nb.tenancy.tenants, tenants, created, "tenants")
    tags = {tag: {"name": tag, "slug": tag} for device in devices for tag in device.tags}
    ids["tag"] = _ensure(nb.extras.tags, tags, created, "tags")
    fields = {
        name: {"name": name, "label": label, "type": kind, "object_types": ["dcim.device"]}
        for name, (kind, label) in CUSTOM_FIELDS.items()
    }
    _ensure(nb.extras.custom_fields, fields, created, "custom_fields", key="name")
    ids["vrf"] = None
    if fleet.vrf:
        vrfs = {fleet.vrf: {"name": fleet.vrf, "enforce_unique": False}}
        ids["vrf"] = _ensure(nb.ipam.vrfs, vrfs, created, "vrfs", key="name")[fleet.vrf]
    else:
        created["vrfs"] = 0
    return ids


def _device_body(device: DeviceSpec, ids: dict[str, Any]) -> dict[str, Any]:
    custom: dict[str, Any] = {}
    if device.role == "olt":
        custom["olt_model"] = device.model
    if device.pon_count is not None:
        custom["pon_count"] = int(device.pon_count)
    if device.pons:
        custom["pons"] = ", ".join(device.pons)
    if device.mgmt_port is not None:
        custom["mgmt_port"] = int(device.mgmt_port)
    body: dict[str, Any] = {
        "name": device.name,
        "site": ids["site"][device.site],
        "role": ids["role"][device.role],
        "device_type": ids["device_type"][slugify(device.model)],
        "platform": ids["platform"][platform_slug(device.platform)],
        "status": device.status,
        "tags": [ids["tag"][tag] for tag in device.tags],
        "custom_fields": custom,
    }
    if device.tenant:
        body["tenant"] = ids["tenant"][device.tenant]
    return body


def _create_chunk(nb: pynetbox.api, part: Iterable[DeviceSpec], ids: dict[str, Any]) -> None:
    """Devices, their mgmt interfaces, their addresses, then the primary IPs: four requests."""
    part = list(part)
    devices = nb.dcim.devices.create([_device_body(device, ids) for device in part])
    interfaces = nb.dcim.interfaces.create(
        [
            {"device": record.id, "name": MGMT_INTERFACE, "type": "1000base-t", "mgmt_only": True}
            for record in devices
        ]
    )
    addresses = []
    for device, interface in zip(part, interfaces, strict=True):
        body: dict[str, Any] = {
            "address": device.address,
            "status": "active",
            "assigned_object_type": "dcim.interface",
            "assigned_object_id": interface.id,
            "description": f"{device.name} management",
        }
        if ids["vrf"] is not None:
            body["vrf"] = ids["vrf"]
        if device.tenant:
            body["tenant"] = ids["tenant"][device.tenant]
        addresses.append(body)
    ips = nb.ipam.ip_addresses.create(addresses)
    nb.dcim.devices.update(
        [{"id": record.id, "primary_ip4": ip.id} for record, ip in zip(devices, ips, strict=True)]
    )
