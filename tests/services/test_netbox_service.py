"""The NetBox lab service (lab/services/netbox.sh) does what ispflow's tests and benchmark need:
tokens work, a reset empties it quickly, bulk population creates what it says, `up` is idempotent."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pynetbox
import pytest
import requests
from ruamel.yaml import YAML

from ispflow.lab.fleet import FleetSpec, build_fleet
from ispflow.lab.statefiles import StatePaths, write_inventory
from tests.support.netbox_data import (
    LAB_VRF,
    connect,
    counts,
    lab_fleet,
    populate,
    synthetic_fleet,
)
from tests.support.services import NETBOX

NETBOX_SCRIPT, NETBOX_STATE = NETBOX.script, NETBOX.state
pytestmark = pytest.mark.netbox

OBJECT_KINDS = (
    "sites",
    "manufacturers",
    "device_roles",
    "platforms",
    "device_types",
    "tenants",
    "tags",
    "custom_fields",
    "vrfs",
    "devices",
    "interfaces",
    "ip_addresses",
)


def _script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", str(NETBOX_SCRIPT), *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )


def _status(url: str, header: str | None) -> int:
    headers = {"Accept": "application/json"}
    if header:
        headers["Authorization"] = header
    return requests.get(f"{url}/api/dcim/sites/", headers=headers, timeout=30).status_code


def test_tokens_work_and_reset_empties_it(netbox: dict[str, str]) -> None:
    url = netbox["url"]
    assert netbox["token"].startswith("nbt_")
    assert _status(url, f"Bearer {netbox['token']}") == 200
    assert _status(url, f"Token {netbox['token_v1']}") == 200
    assert _status(url, "Token 0000000000000000000000000000000000000000") == 403
    assert _status(url, None) == 403

    nb = connect(netbox)
    assert nb.status()["netbox-version"].startswith("4.7")
    assert all(count == 0 for count in counts(nb).values()), counts(nb)
    site = nb.dcim.sites.create(name="POP Centro", slug="pop-centro", status="active")
    nb.extras.tags.create(name="gpon", slug="gpon")
    nb.extras.custom_fields.create(name="olt_model", type="text", object_types=["dcim.device"])
    assert nb.dcim.sites.get(slug="pop-centro").id == site.id

    reset = _script("reset")
    assert reset.returncode == 0, reset.stderr
    # The same client and its kept-alive connection go on working after the reset.
    assert nb.dcim.sites.count() == 0
    assert nb.extras.tags.count() == 0
    assert nb.extras.custom_fields.count() == 0
    assert _status(url, f"Token {netbox['token_v1']}") == 200
    for line in reset.stdout.splitlines() + reset.stderr.splitlines():
        assert netbox["token"] not in line and netbox["token_v1"] not in line


def test_populate_creates_what_it_says(netbox: dict[str, str], tmp_path: Path) -> None:
    nb = connect(netbox)
    requests_made: list[str] = []
    nb.http_session.hooks["response"].append(
        lambda response, *args, **kwargs: requests_made.append(response.request.method)
    )
    fleet = synthetic_fleet(180, sites=6)
    created = populate(nb, fleet, chunk=150)
    # Bulk requests: two per kind of shared object, four per chunk of devices (here one chunk
    # per device type, nine), not one per object.
    assert len(requests_made) < 80, len(requests_made)
    found = counts(nb)
    assert created["devices"] == created["interfaces"] == created["ip_addresses"] == 180
    assert {kind: found[kind] for kind in OBJECT_KINDS} == {
        kind: created[kind] for kind in OBJECT_KINDS
    }, (created, found)
    assert found["sites"] == 6 and found["device_roles"] == 2 and found["platforms"] == 3
    assert found["custom_fields"] == 4 and found["vrfs"] == 0

    concentrators = [d for d in fleet.devices if d.role == "concentrator"]
    assert nb.dcim.devices.count(role="concentrator") == len(concentrators)
    assert nb.dcim.devices.count(cf_mgmt_port=8728) == len(concentrators)
    assert nb.dcim.devices.count(status="active") == sum(
        1 for d in fleet.devices if d.status == "active"
    )
    spec = fleet.devices[0]
    device = nb.dcim.devices.get(name=spec.name)
    assert device.primary_ip4.address == spec.address
    assert device.platform.slug == "huawei-smartax"
    assert device.role.slug == "olt"
    assert device.custom_fields["olt_model"] == spec.model
    assert device.custom_fields["pon_count"] == spec.pon_count
    assert [t.slug for t in device.tags] == ["gpon"]

    # A second call only adds what is missing.
    again = populate(nb, synthetic_fleet(190, sites=6), chunk=150)
    assert again["devices"] == 10 and again["sites"] == 0 and again["custom_fields"] == 0
    assert nb.dcim.devices.count() == 190

    # A lab's fleet: every device at 127.0.0.1, told apart by the port in mgmt_port.
    state = _lab_state(tmp_path)
    lab = lab_fleet(state)
    made = populate(nb, lab)
    assert made["devices"] == len(lab.devices) == 4 and made["vrfs"] == 1
    for spec in lab.devices:
        device = nb.dcim.devices.get(name=spec.name)
        assert device.primary_ip4.address == "127.0.0.1/32"
        assert device.primary_ip4.vrf.name == LAB_VRF
        assert device.custom_fields["mgmt_port"] == spec.mgmt_port
    _inventory_reads_lab_ports(netbox, tmp_path, state)


def _lab_state(tmp_path: Path) -> Path:
    """A lab's state folder as `ispflow lab up` writes it: three OLTs and a concentrator."""
    spec = FleetSpec(olts=3, pons=2, onus=1, autofind=0, base_port=30101, concentrators=0)
    paths = StatePaths(tmp_path / ".ispflow-lab")
    write_inventory(paths, build_fleet(spec), spec)
    hosts_file = paths.inventory / "hosts.yaml"
    yaml = YAML(typ="safe", pure=True)
    hosts = yaml.load(hosts_file.read_text())
    hosts["bras-poa-01"] = {
        "hostname": "127.0.0.1",
        "port": 30104,
        "platform": "mikrotik_routeros",
        "groups": ["mikrotik", "site-poa"],
        "data": {"site": "poa", "role": "concentrator", "vendor": "mikrotik", "lab": True},
    }
    with hosts_file.open("w") as out:
        yaml.dump(hosts, out)
    return paths.root


def _inventory_reads_lab_ports(netbox: dict[str, str], tmp_path: Path, state: Path) -> None:
    """The NetBox inventory turns the lab's devices back into hosts with the lab's ports."""
    inventory = pytest.importorskip("ispflow.plugins.inventory.netbox")
    settings_module = pytest.importorskip("ispflow.plugins.inventory.netbox_settings")
    settings = settings_module.NetBoxSettings(
        url=netbox["url"],
        token=netbox["token"],
        filters={"tag": ("lab",), "status": ("active",)},
        platforms={
            slug: settings_module.PlatformMapping(**entry)
            for slug, entry in settings_module.default_platforms().items()
        },
        cache_ttl=0,
        cache_dir=tmp_path / "cache",
    )
    hosts = inventory.NetBoxInventory(settings=settings, refresh=True).load().hosts
    lab_hosts = YAML(typ="safe").load((state / "inventory" / "hosts.yaml").read_text())
    assert sorted(hosts) == sorted(lab_hosts)
    for name, host in hosts.items():
        assert (host.hostname, host.port) == ("127.0.0.1", lab_hosts[name]["port"])
        assert host.platform == lab_hosts[name]["platform"]


def test_second_up_is_a_no_op(netbox_service: dict[str, str]) -> None:
    pid = (NETBOX_STATE / "gunicorn.pid").read_text().strip()
    again = _script("up")
    assert again.returncode == 0, again.stderr
    assert "already up" in again.stderr
    assert (NETBOX_STATE / "gunicorn.pid").read_text().strip() == pid
    assert _script("status").returncode == 0
    nb = pynetbox.api(netbox_service["url"], token=netbox_service["token"])
    assert nb.status()["netbox-version"].startswith("4.7")
