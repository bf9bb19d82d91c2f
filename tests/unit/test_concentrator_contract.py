"""The concentrator driver contract: tasks pick a host's driver by its vendor and name none.

Every registered concentrator vendor's driver implements the whole contract and names a
Nornir connection plugin of its own folder; tasks/ reaches vendors only through the contract
(read from the source, so a lazy import inside a function cannot hide)."""

from __future__ import annotations

import ast
import inspect
from importlib.metadata import entry_points
from pathlib import Path

import pytest
from nornir.core.inventory import Host
from nornir.core.plugins.connections import ConnectionPluginRegister

from ispflow.plugins.concentrator.contract import ApiOp, ConcentratorDriver
from ispflow.plugins.concentrator.drivers import concentrator_driver_for, driver_class
from ispflow.plugins.concentrator.mikrotik.driver import MikrotikDriver
from ispflow.plugins.concentrator.names import BadName
from ispflow.plugins.concentrator.ranges import in_ranges, overlap, parse_ranges
from ispflow.plugins.vendors import UnknownVendor, concentrator_vendors, load_object

ROOT = Path(__file__).resolve().parents[2]


def host(**data: str) -> Host:
    return Host(name="bras-1", data=data)


def test_the_driver_is_chosen_by_the_hosts_vendor() -> None:
    driver = concentrator_driver_for(host(vendor="mikrotik", role="concentrator"))
    assert type(driver) is MikrotikDriver
    assert isinstance(driver, ConcentratorDriver)
    # As the inventory may spell it.
    assert type(concentrator_driver_for(host(vendor="MikroTik"))) is MikrotikDriver


@pytest.mark.parametrize("data", [{"vendor": "no-such-vendor"}, {}, {"vendor": ""}])
def test_an_unknown_or_missing_vendor_is_an_error_naming_host_and_vendors(
    data: dict[str, str],
) -> None:
    known = ", ".join(sorted(concentrator_vendors()))
    with pytest.raises(UnknownVendor) as raised:
        concentrator_driver_for(host(role="concentrator", **data))
    message = str(raised.value)
    assert "bras-1" in message
    assert f"(known: {known})" in message
    if data.get("vendor"):
        assert "no-such-vendor" in message
    else:
        assert "no data.vendor" in message


@pytest.mark.parametrize("vendor", sorted(concentrator_vendors()))
def test_each_vendors_driver_implements_the_whole_contract(vendor: str) -> None:
    cls = driver_class(vendor)
    assert issubclass(cls, ConcentratorDriver)
    assert not inspect.isabstract(cls), sorted(cls.__abstractmethods__)
    for name in ConcentratorDriver.__abstractmethods__:
        assert getattr(cls, name) is not getattr(ConcentratorDriver, name), name
    assert cls.vendor == vendor
    assert cls.connection and cls.config_source
    assert cls.session_lost and all(issubclass(e, BaseException) for e in cls.session_lost)
    assert all(issubclass(e, BaseException) for e in cls.login_refused)


@pytest.mark.parametrize("vendor", sorted(concentrator_vendors()))
def test_each_drivers_connection_is_a_nornir_plugin_of_its_vendors_folder(vendor: str) -> None:
    registered = concentrator_vendors()[vendor]
    module = registered.connection_plugin.partition(":")[0]
    assert module.startswith(f"ispflow.plugins.concentrator.{vendor}."), module
    cls = driver_class(vendor)  # registers the plugin with Nornir under the driver's name
    plugin = ConnectionPluginRegister.get_plugin(cls.connection)
    assert plugin is load_object(registered.connection_plugin)
    assert hasattr(plugin, "open")


def test_the_vendors_one_entry_point_is_all_its_connection_needs() -> None:
    nornir_plugins = {e.name for e in entry_points(group="nornir.plugins.connections")}
    for vendor in concentrator_vendors():
        assert driver_class(vendor).connection not in nornir_plugins, vendor


def test_mikrotik_driver_ops_and_names() -> None:
    driver = MikrotikDriver()
    assert driver.connection == "routeros_api"
    op = driver.session_drop("*1A")
    assert isinstance(op, ApiOp) and op.command == "/ppp/active/remove"
    assert driver.already_gone(op, "no such item")
    with pytest.raises(BadName, match="'bad name' is not a RouterOS name"):
        driver.set_profile("bad name", "bloqueio")
    with pytest.raises(BadName, match="not a RouterOS item id"):
        driver.list_remove("1A")


def test_range_arithmetic_is_vendor_neutral() -> None:
    assert [(str(a), str(b)) for a, b in parse_ranges("10.0.0.2-10.0.0.9,10.0.1.0/30")] == [
        ("10.0.0.2", "10.0.0.9"),
        ("10.0.1.0", "10.0.1.3"),
    ]
    assert overlap("10.0.0.1-10.0.0.10", "10.0.0.10/32") == (
        "10.0.0.1-10.0.0.10",
        "10.0.0.10-10.0.0.10",
    )
    assert overlap("10.0.0.1-10.0.0.10", "10.0.0.11-10.0.0.20") is None
    assert in_ranges("10.0.1.2", "10.0.0.2-10.0.0.9,10.0.1.0/30")
    assert not in_ranges("10.0.2.1", "10.0.0.2-10.0.0.9,10.0.1.0/30")
    assert not in_ranges("not an address", "10.0.0.0/8")
    assert in_ranges("10.0.0.2", "10.0.0.2-10.0.0.9") and in_ranges("10.0.0.9", "10.0.0.2-10.0.0.9")
    assert not in_ranges("10.0.0.10", "10.0.0.2-10.0.0.9")
    assert in_ranges("10.0.0.5", " 10.0.0.5 ") and in_ranges("10.0.1.3", "10.0.1.1/30")
    with pytest.raises(ValueError):
        in_ranges("10.0.0.5", "10.0.0.2-nowhere")


# -- tasks name no concentrator vendor ---------------------------------------------------
def forbidden_modules() -> tuple[str, ...]:
    """Every concentrator vendor's package, and the API libraries their connections use."""
    vendors = tuple(f"ispflow.plugins.concentrator.{name}" for name in concentrator_vendors())
    return (*vendors, "librouteros")


def vendor_imports(path: Path, forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            if any(name == f or name.startswith(f"{f}.") for f in forbidden):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
                break
    return found


def test_no_task_imports_a_concentrator_vendors_code() -> None:
    forbidden = forbidden_modules()
    found = [
        hit
        for path in sorted((ROOT / "tasks").rglob("*.py"))
        for hit in vendor_imports(path, forbidden)
    ]
    assert found == [], "tasks reach concentrators through concentrator_driver_for(host)"


def test_the_import_check_sees_a_vendor_import(tmp_path: Path) -> None:
    global ROOT
    vendor = sorted(concentrator_vendors())[0]
    module = tmp_path / "m.py"
    module.write_text(
        "def f():\n"
        f"    from ispflow.plugins.concentrator.{vendor}.driver import X\n"
        "    import librouteros.exceptions\n"
        f"    from ispflow.plugins.concentrator import {vendor}\n"
        "    from ispflow.plugins.concentrator.ranges import in_ranges\n"
    )
    saved, ROOT = ROOT, tmp_path
    try:
        found = vendor_imports(module, forbidden_modules())
    finally:
        ROOT = saved
    assert [hit.split(":")[1] for hit in found] == ["2", "3", "4"]
