"""What a running lab leaves in its state folder (default `./.ispflow-lab/`).

inventory/hosts.yaml, groups.yaml, defaults.yaml   Nornir SimpleInventory for the fleet
secrets.yaml     the lab's credentials (mode 0600), in the ISPFLOW_SECRETS format
lab.json         the fleet: OLTs, PON ports, CTOs, ONUs (serials, which wait in autofind)
server.json      pid, ports (all, and the OLTs' SSH ports) and start time of the server
                 process (written last: "ready")
server.log       the server process's output
host_key         the lab's SSH host key, kept so clients see the same key across restarts;
                 `lab up` records it in the known_hosts file runs check (lab/host_keys.py)
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncssh
from ruamel.yaml import YAML

from ispflow.lab.catalog import SITES
from ispflow.lab.fleet import FleetSpec, platform
from ispflow.lab.profiles import (
    LabRouter,
    concentrator_profile,
    lab_concentrator_vendor,
    lab_olt_vendors,
)
from ispflow.lab.sshd import LabDevice


@dataclass(frozen=True)
class StatePaths:
    root: Path

    @property
    def inventory(self) -> Path:
        return self.root / "inventory"

    @property
    def secrets(self) -> Path:
        return self.root / "secrets.yaml"

    @property
    def lab_json(self) -> Path:
        return self.root / "lab.json"

    @property
    def server_json(self) -> Path:
        return self.root / "server.json"

    @property
    def log(self) -> Path:
        return self.root / "server.log"

    @property
    def host_key(self) -> Path:
        return self.root / "host_key"


def _write(path: Path, text: str, mode: int = 0o644) -> None:
    """Write via a temporary file so a reader never sees half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, text.encode("utf-8"))
    finally:
        os.close(fd)
    os.replace(tmp, path)


def _yaml(data: Any) -> str:
    from io import StringIO

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    out = StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def write_inventory(
    paths: StatePaths,
    devices: list[LabDevice],
    spec: FleetSpec,
    routers: Sequence[LabRouter] = (),
) -> None:
    hosts: dict[str, Any] = {}
    sites: set[str] = set()
    for device in devices:
        olt = device.olt
        sites.add(olt.site)
        hosts[olt.name] = {
            "hostname": spec.host,
            "port": device.port,
            "platform": platform(olt.vendor),
            "groups": [olt.vendor, f"site-{olt.site}"],
            "data": {
                "site": olt.site,
                "role": "olt",
                "vendor": olt.vendor,
                "model": olt.model.name,
                "firmware": olt.firmware,
                "pon_ports": len(olt.populated()),
                "pons": [pon.name for pon in olt.populated()],
                "lab": True,
            },
        }
    groups: dict[str, Any] = {
        vendor: {"platform": platform(vendor), "data": {"vendor": vendor, "role": "olt"}}
        for vendor in lab_olt_vendors()
    }
    if routers:
        vendor = lab_concentrator_vendor()
        concentrators = concentrator_profile(vendor.name)
        for router in routers:
            sites.add(router.site)
            hosts[router.name] = {
                "hostname": spec.host,
                "port": router.port,
                "platform": vendor.platform,
                "groups": [vendor.name, f"site-{router.site}"],
                "data": {
                    "site": router.site,
                    "role": "concentrator",
                    "vendor": vendor.name,
                    "lab": True,
                },
            }
            # TLS is the client's default: a plain router must say so, as a real one would.
            extras: dict[str, Any] = {"tls": False}
            if router.tls:
                extras = {"tls": True, "ca_file": str(concentrators.certificate(paths.root))}
            hosts[router.name]["connection_options"] = {
                concentrators.connection: {"extras": extras}
            }
        groups[vendor.name] = {
            "platform": vendor.platform,
            "data": {"vendor": vendor.name, "role": "concentrator", **concentrators.group_data},
        }
    for site in sorted(sites):
        groups[f"site-{site}"] = {"data": {"site": site, "city": SITES.get(site, site)}}
    header = "# Written by `ispflow lab up`; credentials are in ../secrets.yaml.\n"
    _write(paths.inventory / "hosts.yaml", header + _yaml(hosts))
    _write(paths.inventory / "groups.yaml", header + _yaml(groups))
    _write(paths.inventory / "defaults.yaml", header + _yaml({"data": {"region": "lab"}}))


def write_secrets(paths: StatePaths, spec: FleetSpec) -> None:
    text = _yaml({"defaults": {"username": spec.username, "password": spec.password}})
    _write(paths.secrets, "# The lab's login; use with ISPFLOW_SECRETS.\n" + text, mode=0o600)


def write_lab_json(paths: StatePaths, data: dict[str, Any]) -> None:
    _write(paths.lab_json, json.dumps(data, indent=1, ensure_ascii=False) + "\n")


def write_server_info(paths: StatePaths, info: dict[str, Any]) -> None:
    _write(paths.server_json, json.dumps(info, indent=1) + "\n")


def read_server_info(paths: StatePaths) -> dict[str, Any] | None:
    try:
        data = json.loads(paths.server_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def load_host_key(paths: StatePaths) -> asyncssh.SSHKey:
    if paths.host_key.exists():
        return asyncssh.read_private_key(str(paths.host_key))
    key = asyncssh.generate_private_key("ssh-ed25519")
    _write(paths.host_key, key.export_private_key().decode("ascii"), mode=0o600)
    return key
