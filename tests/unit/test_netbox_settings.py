"""The NetBox source's settings (ispflow.yaml `netbox:` + environment) and how a device maps."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from nornir.core.inventory import Defaults, Groups

from ispflow.core.errors import UsageError
from ispflow.plugins.inventory.files import inventory_source
from ispflow.plugins.inventory.netbox import device_host
from ispflow.plugins.inventory.netbox_cache import DeviceCache
from ispflow.plugins.inventory.netbox_settings import netbox_settings

TOKEN = "nbt_abcdefghijkl.s3cretS3cretS3cretS3cretS3cretS3cretS3cr"


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in (
        "ISPFLOW_CONFIG",
        "ISPFLOW_NETBOX_URL",
        "ISPFLOW_NETBOX_TOKEN",
        "ISPFLOW_INVENTORY_SOURCE",
        "NB_TOKEN",
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(tmp_path)


def write_config(tmp_path: Path, text: str) -> None:
    (tmp_path / "ispflow.yaml").write_text(text)


def test_defaults_need_only_the_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ISPFLOW_NETBOX_URL", "https://netbox.example/api/")
    settings = netbox_settings()
    assert settings.url == "https://netbox.example"  # pynetbox adds /api itself
    assert settings.token is None
    assert settings.query() == {"status": ["active"], "role": ["concentrator", "olt"]}
    assert settings.platforms["huawei-smartax"].platform == "huawei_smartax"
    assert settings.platforms["zte-zxros"].vendor == "zte"
    assert settings.platforms["mikrotik-routeros"].platform == "mikrotik_routeros"
    assert settings.custom_fields["mgmt_port"] == "port"
    assert (settings.page_size, settings.workers, settings.cache_ttl) == (500, 4, 300.0)
    assert settings.cache_dir == tmp_path / "cache" / "ispflow" / "netbox"


def test_the_file_with_the_environment_winning(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    (tmp_path / "nb.token").write_text(TOKEN + "\n")
    write_config(
        tmp_path,
        "netbox:\n"
        "  url: http://file.example\n"
        "  token_file: nb.token\n"
        "  roles: {olt: [olt, gpon-olt], concentrator: null}\n"
        "  filters: {site: [poa, cwb], tenant: acme, tag: gpon, status: []}\n"
        "  platforms:\n"
        "    ma5800: {platform: huawei_smartax, vendor: huawei, board_hint: x}\n"
        "    zte: null\n"
        "  custom_fields: {olt_model: null, slots: boards}\n"
        "  page_size: 200\n"
        "  workers: 8\n"
        "  cache_ttl: 0\n"
        "  verify_tls: false\n",
    )
    settings = netbox_settings()
    assert settings.url == "http://file.example"
    assert settings.token == TOKEN
    assert settings.query() == {
        "site": ["poa", "cwb"],
        "tenant": ["acme"],
        "tag": ["gpon"],
        "role": ["gpon-olt", "olt"],
    }
    assert settings.role_of("gpon-olt") == "olt"
    assert settings.role_of("concentrator") is None
    assert settings.platforms["ma5800"].data == {"board_hint": "x"}
    assert "zte" not in settings.platforms
    assert "olt_model" not in settings.custom_fields
    assert settings.custom_fields["slots"] == "boards"
    assert (settings.page_size, settings.workers, settings.cache_ttl) == (200, 8, 0.0)
    assert settings.verify_tls is False

    monkeypatch.setenv("ISPFLOW_NETBOX_URL", "http://env.example")
    monkeypatch.setenv("ISPFLOW_NETBOX_TOKEN", "0123456789abcdef")
    settings = netbox_settings()
    assert (settings.url, settings.token) == ("http://env.example", "0123456789abcdef")


def test_the_token_never_shows(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NB_TOKEN", TOKEN)
    write_config(tmp_path, "netbox:\n  url: http://x.example\n  token_env: NB_TOKEN\n")
    settings = netbox_settings()
    assert settings.token == TOKEN
    assert TOKEN not in repr(settings) and TOKEN not in str(settings)
    assert "token=set" in repr(settings)

    write_config(tmp_path, f"netbox:\n  url: http://x.example\n  token: {TOKEN}\n")
    with pytest.raises(UsageError) as caught:
        netbox_settings()
    assert "token_env" in str(caught.value) and TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("netbox: {urll: 'http://x'}\n", "unknown key 'urll' (did you mean 'url'?)"),
        ("netbox: {}\n", "needs NetBox's URL: set ISPFLOW_NETBOX_URL or netbox.url"),
        ("netbox: {url: netbox.example}\n", "is not an http:// or https:// URL"),
        ("netbox: {url: 'http://x', roles: {oltt: olt}}\n", "'oltt' is not an ispflow role"),
        ("netbox: {url: 'http://x', roles: [olt]}\n", "netbox.roles maps an ispflow role"),
        (
            "netbox: {url: 'http://x', roles: {olt: null, concentrator: null}}\n",
            "maps no role",
        ),
        (
            "netbox: {url: 'http://x', roles: {olt: edge, concentrator: edge}}\n",
            "NetBox role 'edge' is given to both olt and concentrator",
        ),
        (
            "netbox: {url: 'http://x', filters: {region: south}}\n",
            "unknown filter 'region'",
        ),
        (
            "netbox: {url: 'http://x', filters: {site: [poa, {a: 1}]}}\n",
            "netbox.filters.site takes a slug or a list of slugs",
        ),
        (
            "netbox: {url: 'http://x', platforms: {ma5800: {vendor: huawei}}}\n",
            "netbox.platforms.ma5800 needs 'platform'",
        ),
        (
            "netbox: {url: 'http://x', platforms: {ma5800: {platform: p, vendor: hauwei}}}\n",
            "vendor 'hauwei' is not one ispflow drives (did you mean 'huawei'?)",
        ),
        (
            "netbox: {url: 'http://x', platforms: {ma5800: {platform: p, vendor: huawei, "
            "site: x}}}\n",
            "'site' is set from NetBox itself",
        ),
        (
            "netbox: {url: 'http://x', custom_fields: {owner: tenant}}\n",
            "data key 'tenant' is set from NetBox itself",
        ),
        ("netbox: {url: 'http://x', page_size: 0}\n", "netbox.page_size is at least 1"),
        ("netbox: {url: 'http://x', workers: many}\n", "netbox.workers is a number"),
        ("netbox: {url: 'http://x', workers: 2.5}\n", "netbox.workers is a whole number"),
        ("netbox: {url: 'http://x', cache_ttl: -1}\n", "netbox.cache_ttl is at least 0"),
        ("netbox: {url: 'http://x', verify_tls: 3}\n", "netbox.verify_tls is true, false or"),
        ("netbox: {url: 'http://x', token_file: no.token}\n", "no.token"),
    ],
)
def test_configuration_mistakes_are_clear(tmp_path: Path, text: str, message: str) -> None:
    write_config(tmp_path, text)
    with pytest.raises(UsageError) as caught:
        netbox_settings()
    assert message in str(caught.value)


def device(**changes: Any) -> dict[str, Any]:
    """A device as NetBox 4.7 answers `?fields=` (nested objects in their brief form)."""
    base: dict[str, Any] = {
        "id": 7,
        "name": "olt-poa-01",
        "status": {"value": "active", "label": "Active"},
        "role": {"id": 1, "name": "OLT", "slug": "olt"},
        "platform": {"id": 2, "name": "Huawei SmartAX", "slug": "huawei-smartax"},
        "site": {"id": 3, "name": "Porto Alegre", "slug": "poa"},
        "tenant": {"id": 4, "name": "Acme", "slug": "acme"},
        "device_type": {
            "id": 5,
            "model": "MA5800-X7",
            "manufacturer": {"id": 6, "name": "Huawei", "slug": "huawei"},
        },
        "primary_ip4": {"id": 8, "address": "10.0.0.7/24", "family": {"value": 4}},
        "primary_ip": {"id": 8, "address": "10.0.0.7/24"},
        "custom_fields": {"mgmt_port": 2222, "pon_count": 4, "pons": None, "olt_model": None},
    }
    base.update(changes)
    return base


def host_of(record: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("ISPFLOW_NETBOX_URL", "http://x.example")
    groups = Groups()
    return device_host(record, netbox_settings(), groups, Defaults()), groups


def test_a_device_becomes_a_host(monkeypatch: pytest.MonkeyPatch) -> None:
    host, groups = host_of(device(), monkeypatch)
    assert (host.name, host.hostname, host.port, host.platform) == (
        "olt-poa-01",
        "10.0.0.7",
        2222,
        "huawei_smartax",
    )
    assert [g.name for g in host.groups] == ["poa", "huawei"]
    assert set(groups) == {"poa", "huawei"}
    assert host.data == {
        "role": "olt",
        "vendor": "huawei",
        "site": "poa",
        "tenant": "acme",
        "model": "MA5800-X7",
        "netbox_id": 7,
        "pon_ports": 4,
    }


def test_mapping_details(monkeypatch: pytest.MonkeyPatch) -> None:
    # No platform: the manufacturer's slug maps it. Text PONs become a list; a custom field
    # mapped onto `model` wins over the device type.
    host, _ = host_of(
        device(
            platform=None,
            primary_ip4=None,
            primary_ip={"address": "2001:db8::7/64"},
            custom_fields={"pons": "0/1/0, 0/1/1,", "olt_model": "MA5800-X17", "mgmt_port": None},
        ),
        monkeypatch,
    )
    assert (host.platform, host.hostname, host.port) == ("huawei_smartax", "2001:db8::7", None)
    assert host.data["pons"] == ["0/1/0", "0/1/1"]
    assert host.data["model"] == "MA5800-X17"
    assert device_host({"id": 9, "name": None}, netbox_settings(), Groups(), Defaults()) is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"platform": {"slug": "nokia-isam"}, "device_type": {"model": "7360"}},
            "NetBox device olt-poa-01 has platform 'nokia-isam', which netbox.platforms",
        ),
        (
            {"platform": None, "device_type": {"manufacturer": {"slug": "nokia"}}},
            "has no platform (manufacturer 'nokia')",
        ),
        ({"custom_fields": {"mgmt_port": 70000}}, "custom field mgmt_port = 70000 is not a port"),
    ],
)
def test_unusable_devices_are_named(
    monkeypatch: pytest.MonkeyPatch, changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(UsageError) as caught:
        host_of(device(**changes), monkeypatch)
    assert message in str(caught.value)


def test_which_source(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert inventory_source() == "files"
    write_config(tmp_path, "inventory: {source: netbox}\n")
    assert inventory_source() == "netbox"
    assert inventory_source(path="somewhere") == "files"  # --inventory DIR means the files
    assert inventory_source("store", path="somewhere") == "store"
    monkeypatch.setenv("ISPFLOW_INVENTORY_SOURCE", "store")
    assert inventory_source() == "store"
    with pytest.raises(UsageError, match="'netbx' \\(did you mean 'netbox'\\?\\) is not one of"):
        inventory_source("netbx")
    write_config(tmp_path, "inventory: {sourse: netbox}\n")
    monkeypatch.delenv("ISPFLOW_INVENTORY_SOURCE")
    with pytest.raises(UsageError, match="unknown key 'sourse'"):
        inventory_source()


def test_cache_ttl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [1000.0]
    monkeypatch.setattr("ispflow.plugins.inventory.netbox_cache.time.time", lambda: clock[0])
    cache = DeviceCache(tmp_path / "c", ttl=60)
    query = {"role": ["olt"], "fields": "id,name"}
    assert cache.load("http://a", query) is None
    cache.save("http://a", query, [{"id": 1}])
    path = cache.path("http://a", query)
    # The file's age is what counts; put its time where the fake clock is.
    os.utime(path, (1000.0, 1000.0))
    assert cache.load("http://a", query) == [{"id": 1}]
    assert cache.load("http://b", query) is None
    assert cache.load("http://a", {**query, "site": ["poa"]}) is None
    clock[0] = 1061.0
    assert cache.load("http://a", query) is None
    assert DeviceCache(tmp_path / "c", ttl=0).load("http://a", query) is None
    path.write_text("{not json")
    clock[0] = 1000.0
    assert cache.load("http://a", query) is None
