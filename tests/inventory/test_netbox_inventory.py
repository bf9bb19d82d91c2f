"""The NetBox inventory source against a real NetBox 4.7 (lab/services/netbox.sh).

Each test resets NetBox once (about 3 s) and checks several things on what it put there.
"""

from __future__ import annotations

import json
import math
import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ispflow.core.errors import UsageError
from ispflow.plugins.inventory import netbox_client
from ispflow.plugins.inventory.netbox import NetBoxInventory
from ispflow.plugins.inventory.netbox_cache import DeviceCache
from ispflow.plugins.inventory.netbox_client import device_query
from ispflow.plugins.inventory.netbox_settings import NetBoxSettings, netbox_settings
from tests.lab.conftest import RunningLab, start_lab
from tests.support.netbox_data import DeviceSpec, Fleet, connect, lab_fleet, populate

pytestmark = pytest.mark.netbox

BAD_TOKEN = "nbt_notarealkey1.notarealsecret0123456789abcdefghijklmnopq"


def spec(name: str, **fields: Any) -> DeviceSpec:
    values: dict[str, Any] = {
        "site": "poa",
        "role": "olt",
        "vendor": "huawei",
        "model": "MA5800-X7",
        "platform": "huawei_smartax",
        "address": "10.9.0.1/32",
    }
    values.update(fields)
    return DeviceSpec(name=name, **values)


SPECS = [
    spec("olt-a", tenant="fibra-sul", tags=("gpon",), pon_count=4, mgmt_port=2222),
    spec(
        "olt-b",
        site="cwb",
        vendor="zte",
        model="C320",
        platform="zte_zxros",
        address="10.9.0.2/32",
        tenant="conecta-pr",
        tags=("gpon",),
        pons=("1/1/1", "1/1/2"),
    ),
    spec(
        "bras-a",
        role="concentrator",
        vendor="mikrotik",
        model="CCR2116-12G-4S+",
        platform="mikrotik_routeros",
        address="10.9.0.3/32",
        tags=("pppoe",),
        mgmt_port=8729,
    ),
    spec("olt-planned", address="10.9.0.4/32", status="planned"),
    spec(
        "olt-odd",
        site="flo",
        vendor="nokia",
        model="7360 ISAM FX-8",
        platform="nokia_isam",
        address="10.9.0.5/32",
        tenant="other",
    ),
    spec("switch-1", role="switch", address="10.9.0.6/32"),
]


def settings_for(netbox: dict[str, str], tmp_path: Path, section: str = "") -> NetBoxSettings:
    tmp_path.mkdir(parents=True, exist_ok=True)
    config = tmp_path / "ispflow.yaml"
    config.write_text(f"netbox:\n  cache_dir: {tmp_path / 'cache'}\n{section}")
    return netbox_settings(config, url=netbox["url"], token=netbox["token"])


def names(settings: NetBoxSettings, **options: Any) -> list[str]:
    return sorted(NetBoxInventory(settings, **options).load().hosts)


@pytest.fixture
def requests_made(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, dict[str, Any]]]:
    """The requests the NetBox client makes: URL and query parameters."""
    seen: list[tuple[str, dict[str, Any]]] = []
    original = netbox_client._Session.request

    def counting(self: Any, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        seen.append((url, dict(kwargs.get("params") or {})))
        return original(self, method, url, *args, **kwargs)

    monkeypatch.setattr(netbox_client._Session, "request", counting)
    return seen


def test_filters_mapping_cache_and_errors(
    netbox: dict[str, str], tmp_path: Path, requests_made: list[tuple[str, dict[str, Any]]]
) -> None:
    nb = connect(netbox)
    populate(nb, Fleet(SPECS))

    # An OLT on a platform nobody mapped stops the load, naming the device and the slug.
    default = settings_for(netbox, tmp_path)
    with pytest.raises(
        UsageError, match=r"olt-odd has platform 'nokia-isam' \(manufacturer 'nokia'\)"
    ):
        NetBoxInventory(default, refresh=True).load()

    # Every filter is applied by NetBox: role (switch-1 never comes), status, site, tenant, tag.
    def filtered(section: str) -> list[str]:
        return names(settings_for(netbox, tmp_path, section), refresh=True)

    assert filtered("  filters: {site: [poa, cwb]}\n") == ["bras-a", "olt-a", "olt-b"]
    assert filtered("  filters: {site: poa, status: [active, planned]}\n") == [
        "bras-a",
        "olt-a",
        "olt-planned",
    ]
    assert filtered("  filters: {tenant: fibra-sul}\n") == ["olt-a"]
    assert filtered("  filters: {tag: pppoe}\n") == ["bras-a"]
    assert filtered("  filters: {site: poa}\n  roles: {concentrator: null}\n") == ["olt-a"]
    assert all("switch" not in params["role"] for _, params in requests_made)

    # Mapping: platform (with extra data), custom fields, the port, groups per site and vendor.
    mapped = settings_for(
        netbox,
        tmp_path,
        "  platforms:\n"
        "    nokia-isam: {platform: huawei_smartax, vendor: huawei, note: mapped}\n"
        "  custom_fields: {pon_count: pons_total}\n",
    )
    inventory = NetBoxInventory(mapped, refresh=True).load()
    hosts = inventory.hosts
    assert sorted(hosts) == ["bras-a", "olt-a", "olt-b", "olt-odd"]
    a, b, bras, odd = hosts["olt-a"], hosts["olt-b"], hosts["bras-a"], hosts["olt-odd"]
    assert (a.hostname, a.port, a.platform) == ("10.9.0.1", 2222, "huawei_smartax")
    assert (b.hostname, b.port, b.platform) == ("10.9.0.2", None, "zte_zxros")
    assert (bras.port, bras.platform) == (8729, "mikrotik_routeros")
    assert a.data["pons_total"] == 4 and "pon_ports" not in a.data
    assert b.data["pons"] == ["1/1/1", "1/1/2"]
    assert {k: a.data[k] for k in ("role", "vendor", "site", "tenant", "model")} == {
        "role": "olt",
        "vendor": "huawei",
        "site": "poa",
        "tenant": "fibra-sul",
        "model": "MA5800-X7",
    }
    assert isinstance(a.data["netbox_id"], int)
    assert bras.data["role"] == "concentrator" and bras.data["vendor"] == "mikrotik"
    assert odd.data["note"] == "mapped" and odd.data["site"] == "flo"
    assert [g.name for g in a.groups] == ["poa", "huawei"]
    assert sorted(inventory.groups) == ["cwb", "flo", "huawei", "mikrotik", "poa", "zte"]

    # Pages: the first gives the count, the others are fetched at once; all of them arrive.
    paged = settings_for(
        netbox,
        tmp_path / "p",
        "  filters: {status: []}\n  page_size: 2\n  workers: 3\n"
        "  platforms: {nokia-isam: {platform: huawei_smartax, vendor: huawei}}\n",
    )
    requests_made.clear()
    assert names(paged, refresh=True) == ["bras-a", "olt-a", "olt-b", "olt-odd", "olt-planned"]
    offsets = sorted(int(params.get("offset", 0)) for _, params in requests_made)
    assert offsets[: math.ceil(5 / 2)] == [0, 2, 4]
    # Only the fields the inventory reads are asked for.
    assert all("custom_fields" in params["fields"] for _, params in requests_made)

    # The cache: a second load asks NetBox nothing; an expired one, or --refresh, asks again.
    # (A folder of its own: the loads above cached this same query.)
    cached = settings_for(
        netbox, tmp_path / "c", "  filters: {site: [poa, cwb]}\n  cache_ttl: 60\n"
    )
    requests_made.clear()
    first = NetBoxInventory(cached)
    assert sorted(first.load().hosts) == ["bras-a", "olt-a", "olt-b"] and requests_made
    requests_made.clear()
    second = NetBoxInventory(cached)
    assert sorted(second.load().hosts) == ["bras-a", "olt-a", "olt-b"]
    assert second.from_cache and requests_made == []
    cache_file = DeviceCache(cached.cache_dir, 60).path(cached.url, device_query(cached))
    old = cache_file.stat().st_mtime - 61
    os.utime(cache_file, (old, old))
    expired = NetBoxInventory(cached)
    expired.load()
    assert not expired.from_cache and requests_made
    requests_made.clear()
    NetBoxInventory(cached, refresh=True).load()
    assert requests_made
    nocache = settings_for(netbox, tmp_path / "x", "  filters: {site: poa}\n  cache_ttl: 0\n")
    NetBoxInventory(nocache).load()
    assert not (tmp_path / "x" / "cache").exists()

    # Errors say what is wrong, never with the token in them.
    def error(settings: NetBoxSettings) -> str:
        with pytest.raises(UsageError) as caught:
            NetBoxInventory(settings, refresh=True).load()
        message = str(caught.value)
        assert netbox["token"] not in message and BAD_TOKEN not in message
        return message

    base = settings_for(netbox, tmp_path, "  filters: {site: poa}\n")
    assert "refused the API token (403: Invalid v2 token)" in error(
        netbox_settings(tmp_path / "ispflow.yaml", url=netbox["url"], token=BAD_TOKEN)
    )
    assert "needs an API token (403" in error(NetBoxSettings(url=base.url, token=None))
    bad_filter = error(settings_for(netbox, tmp_path, "  filters: {site: nowhere, tag: gpon}\n"))
    assert "rejected the device filter site=nowhere: Select a valid choice" in bad_filter
    assert "tag=" not in bad_filter  # only the filter NetBox refused is named
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    unreachable = error(
        NetBoxSettings(url=f"http://127.0.0.1:{closed}", token=netbox["token"], cache_ttl=0)
    )
    assert f"cannot reach NetBox at http://127.0.0.1:{closed}: [Errno 111]" in unreachable


# -- through the command line, with the lab's devices in NetBox ---------------------------------
@pytest.fixture
def lab(tmp_path: Path) -> Iterator[RunningLab]:
    yield from start_lab(tmp_path)


def test_list_check_and_sync_from_netbox(
    netbox: dict[str, str], lab: RunningLab, monkeypatch: pytest.MonkeyPatch
) -> None:
    nb = connect(netbox)
    populate(nb, lab_fleet(lab.state))
    monkeypatch.setenv("ISPFLOW_NETBOX_URL", netbox["url"])
    monkeypatch.setenv("ISPFLOW_NETBOX_TOKEN", netbox["token"])
    monkeypatch.setenv("XDG_CACHE_HOME", str(lab.root / "cache"))
    monkeypatch.setenv("ISPFLOW_USERNAME", "lab")
    monkeypatch.setenv("ISPFLOW_PASSWORD", lab.password())

    def cli(*args: str, expect: int = 0) -> str:
        proc = lab.cli(*args)
        assert proc.returncode == expect, proc.stdout[-3000:] + proc.stderr[-3000:]
        assert netbox["token"] not in proc.stdout + proc.stderr
        assert lab.password() not in proc.stdout + proc.stderr
        return proc.stdout

    listed = {
        row["name"]: row
        for row in json.loads(cli("inventory", "list", "-s", "netbox", "-o", "json"))
    }
    fleet = lab.fleet()
    assert set(listed) == {o["name"] for o in fleet["olts"]} | {
        c["name"] for c in fleet["concentrators"]
    }
    ports = json.loads((lab.state / "server.json").read_text())["ports"]
    for name, row in listed.items():
        assert (row["hostname"], row["port"]) == ("127.0.0.1", ports[name])
    for olt in fleet["olts"]:
        row = listed[olt["name"]]
        assert (row["vendor"], row["model"], row["role"]) == (olt["vendor"], olt["model"], "olt")
        assert row["groups"] == [olt["site"], olt["vendor"]]
    table = cli("inventory", "list", "--source", "netbox", "--limit", "vendor=zte")
    assert "netbox" in table and all(
        name in table for name in listed if "zte" in listed[name]["vendor"]
    )

    # The lab's OLTs answer as NetBox describes them.
    checked = json.loads(
        cli("inventory", "check", "-s", "netbox", "--limit", "role=olt", "-o", "json")
    )
    assert len(checked) == len(fleet["olts"]) and all(row["ok"] for row in checked)

    # NetBox -> store: the lab seeded the same OLTs, so nothing is created; a second sync
    # changes nothing; an OLT gone from NetBox is reported, and deleted only with --prune.
    first = json.loads(cli("inventory", "sync", "-o", "json"))
    assert first["created"] == [] and not first["problems"]
    assert sorted(first["unchanged"] + list(first["updated"])) == sorted(
        o["name"] for o in fleet["olts"]
    )
    again = json.loads(cli("inventory", "sync", "-o", "json"))
    assert again["updated"] == {} and len(again["unchanged"]) == len(fleet["olts"])

    gone = fleet["olts"][0]["name"]
    nb.dcim.devices.get(name=gone).delete()
    dry = json.loads(cli("inventory", "sync", "--refresh", "--prune", "--dry-run", "-o", "json"))
    assert dry["gone"] == [gone] and dry["pruned"] == [gone] and dry["dry_run"]
    assert lab.query("SELECT name FROM olts WHERE name = :n", n=gone)
    kept = cli("inventory", "sync")
    assert "gone" in kept and gone in kept and "--prune deletes them" in kept
    onus_before = lab.query(
        "SELECT count(*) AS n FROM onus o JOIN olts t ON t.id = o.olt_id WHERE t.name = :n", n=gone
    )[0]["n"]
    assert onus_before > 0
    pruned = json.loads(cli("inventory", "sync", "--prune", "-o", "json"))
    assert pruned["pruned"] == [gone]
    assert lab.query("SELECT name FROM olts WHERE name = :n", n=gone) == []
    assert (
        lab.query("SELECT count(*) AS n FROM onus WHERE olt_id NOT IN (SELECT id FROM olts)")[0][
            "n"
        ]
        == 0
    )

    # A new OLT in NetBox lands in the store with its PON ports, numbered by its vendor.
    populate(
        nb,
        Fleet(
            [
                spec(
                    "olt-new-zte",
                    site="poa",
                    vendor="zte",
                    model="C320",
                    platform="zte_zxros",
                    address="127.0.0.1/32",
                    pon_count=3,
                ),
            ],
            vrf="ispflow-lab",
        ),
    )
    added = json.loads(cli("inventory", "sync", "--refresh", "-o", "json"))
    assert added["created"] == ["olt-new-zte"] and added["pon_ports_added"] == 3
    ports_rows = lab.query(
        "SELECT p.frame, p.slot, p.port FROM pon_ports p JOIN olts t ON t.id = p.olt_id "
        "WHERE t.name = 'olt-new-zte' ORDER BY p.port"
    )
    assert [(r["frame"], r["slot"], r["port"]) for r in ports_rows] == [
        (1, 1, 1),
        (1, 1, 2),
        (1, 1, 3),
    ]
