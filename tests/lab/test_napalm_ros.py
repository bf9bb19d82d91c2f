"""Concentrators read through NAPALM: the unmodified napalm-ros driver against the lab's
RouterOS API, and the concentrator.facts / concentrator.config tasks through Nornir."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import librouteros
import napalm
import pytest
from librouteros.exceptions import TrapError
from librouteros.query import Key
from nornir import InitNornir
from nornir.core import Nornir

from ispflow.plugins.concentrator.mikrotik.napalm_device import (
    ConcentratorConnectError,
    concentrator_config,
    mask_config,
)
from ispflow.plugins.inventory.credentials import apply_credentials, load_secrets_file
from ispflow.tasks.concentrator_facts import config, facts
from tests.lab.conftest import RunningLab, start_lab

BOARD = "CCR2004-1G-12S+2XS"
PPPOE_VLAN = "vlan100-pppoe"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    yield from start_lab(tmp_path_factory.mktemp("napalm-ros"))


def open_nornir(lab: RunningLab, inventory: Path | None = None) -> Nornir:
    folder = inventory or lab.state / "inventory"
    nornir = InitNornir(
        runner={"plugin": "threaded", "options": {"num_workers": 4}},
        inventory={
            "plugin": "SimpleInventory",
            "options": {
                "host_file": str(folder / "hosts.yaml"),
                "group_file": str(folder / "groups.yaml"),
                "defaults_file": str(folder / "defaults.yaml"),
            },
        },
        logging={"enabled": False},
    )
    apply_credentials(nornir.inventory, load_secrets_file(lab.state / "secrets.yaml"))
    return nornir


@pytest.fixture(scope="module")
def nr(lab: RunningLab) -> Iterator[Nornir]:
    nornir = open_nornir(lab)
    yield nornir
    nornir.close_connections()


def router(lab: RunningLab, name: str = "bras-01") -> dict[str, Any]:
    return next(c for c in lab.fleet()["concentrators"] if c["name"] == name)


@pytest.fixture
def device(lab: RunningLab) -> Iterator[Any]:
    """The unmodified napalm-ros driver, logged in to bras-01 (over TLS, as the lab serves)."""
    driver = napalm.get_network_driver("ros")
    options = {"port": router(lab)["port"], "ssl_wrapper": lab.tls_wrapper()}
    opened = driver("127.0.0.1", "lab", lab.password(), timeout=10, optional_args=options)
    opened.open()
    yield opened
    opened.close()


@pytest.fixture
def api(lab: RunningLab) -> Iterator[librouteros.api.Api]:
    connection = lab.api()
    yield connection
    connection.close()


def active_logins(api: librouteros.api.Api) -> set[str]:
    return {row["name"] for row in api.path("ppp", "active").select(Key("name"))}


def one(nr: Nornir, name: str, task: Any, **kwargs: Any) -> Any:
    result = nr.filter(name=name).run(task=task, **kwargs)
    assert not result.failed, result[name].exception
    return result[name][0].result


def wait_for(check: Any, timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


# -- the unmodified driver -----------------------------------------------------------------
def test_get_facts_names_the_concentrator_its_board_version_and_serial(
    lab: RunningLab, device: Any, api: librouteros.api.Api
) -> None:
    found = device.get_facts()
    [board] = api.path("system", "routerboard")
    assert found["hostname"] == "bras-01"
    assert found["vendor"] == "MikroTik"
    assert found["model"] == BOARD
    assert found["os_version"] == "7.16.2 (stable)"
    assert found["serial_number"] == board["serial-number"]
    assert found["serial_number"].startswith("HE") and len(found["serial_number"]) == 11
    assert found["uptime"] > 3 * 7 * 86400  # up for weeks, as "3w2d10h5m..." says
    sessions = active_logins(api)
    assert sessions, "the lab's bras-01 should have customers online"
    names = set(found["interface_list"])
    assert {"ether1", "sfp-sfpplus1", "sfp-sfpplus2", PPPOE_VLAN} <= names
    assert {f"<pppoe-{login}>" for login in sessions} <= names


def test_get_interfaces_shows_ports_vlans_and_session_interfaces(
    device: Any, api: librouteros.api.Api
) -> None:
    interfaces = device.get_interfaces()
    vlan = interfaces[PPPOE_VLAN]
    assert vlan["is_up"] is True and vlan["is_enabled"] is True
    assert vlan["description"] == "PPPoE clientes" and vlan["mtu"] == 1500
    uplink = interfaces["sfp-sfpplus1"]
    assert uplink["is_up"] and uplink["mac_address"].startswith("48:A9:8A:")
    empty_cage = interfaces["sfp-sfpplus5"]
    assert empty_cage["is_enabled"] is True and empty_cage["is_up"] is False
    for login in active_logins(api):
        session = interfaces[f"<pppoe-{login}>"]
        assert session["is_up"] and session["mtu"] == 1480 and session["mac_address"] == ""
    counters = device.get_interfaces_counters()
    assert counters["sfp-sfpplus1"]["rx_octets"] > 0 and counters["sfp-sfpplus5"]["rx_octets"] == 0


def test_get_arp_table_gives_resolved_neighbours_only(device: Any) -> None:
    table = device.get_arp_table()
    by_ip = {entry["ip"]: entry for entry in table}
    assert by_ip["10.200.0.1"]["interface"] == "sfp-sfpplus1"
    assert by_ip["10.200.0.1"]["mac"] == "3C:61:04:5A:0B:12"
    assert by_ip["10.254.0.12"]["interface"] == "vlan200-gerencia-olt"
    assert "10.254.0.99" not in by_ip  # asked for, never answered: no MAC
    assert all(entry["age"] == -1.0 for entry in table)


def test_get_users_lists_the_router_accounts_and_one_added_through_the_api(
    lab: RunningLab, device: Any, api: librouteros.api.Api
) -> None:
    users = device.get_users()
    assert users["lab"]["level"] == 15 and users["lab-ro"]["level"] == 0
    assert users["admin"]["level"] == 15
    assert all(user["password"] == "" for user in users.values())
    added = api.path("user").add(name="suporte-temp", group="full", password="Tr0ca-ja")
    try:
        assert device.get_users()["suporte-temp"] == {"level": 15, "password": "", "sshkeys": []}
        [row] = (
            api.path("user")
            .select(Key("name"), Key("password"))
            .where(Key("name") == "suporte-temp")
        )
        assert "password" not in row  # write-only, as on a real router
    finally:
        api.path("user").remove(added)
    assert "suporte-temp" not in device.get_users()
    read_only = lab.api(user="lab-ro")
    try:
        with pytest.raises(TrapError, match="not enough permissions"):
            read_only.path("user").add(name="intruso", group="full")
    finally:
        read_only.close()


def test_a_disabled_pppoe_vlan_is_down_and_drops_its_sessions_until_enabled(
    device: Any, api: librouteros.api.Api
) -> None:
    before = active_logins(api)
    assert before
    [vlan] = api.path("interface").select(Key(".id")).where(Key("name") == PPPOE_VLAN)
    api.path("interface").update(**{".id": vlan[".id"], "disabled": True})
    try:
        down = device.get_interfaces()[PPPOE_VLAN]
        assert down["is_enabled"] is False and down["is_up"] is False
        assert active_logins(api) == set()
        assert not any(name.startswith("<pppoe-") for name in device.get_facts()["interface_list"])
    finally:
        api.path("interface").update(**{".id": vlan[".id"], "disabled": False})
    assert wait_for(lambda: active_logins(api) == before)
    assert device.get_interfaces()[PPPOE_VLAN]["is_up"] is True


def test_get_config_hides_ppp_passwords_unless_asked(device: Any, api: librouteros.api.Api) -> None:
    secrets = {
        row["name"]: row["password"]
        for row in api.path("ppp", "secret").select(Key("name"), Key("password"))
    }
    assert secrets
    sanitized = device.get_config(retrieve="running", sanitized=True)["running"]
    assert sanitized.startswith("# by RouterOS 7.16.2\n")  # napalm-ros drops the date
    lines = sanitized.splitlines()
    for login, password in secrets.items():
        [line] = [x for x in lines if x.startswith("/ppp secret add ") and f" name={login} " in x]
        assert "password=" not in line and "service=pppoe" in line
        assert password not in sanitized
    assert "/system identity set name=bras-01" in sanitized
    full = device.get_config(retrieve="running", sanitized=False)["running"]
    for login, password in secrets.items():
        assert f"name={login} password={password} " in full
    # The export went through a file on the router, removed after the read.
    assert not list(api.path("file").select(Key("name")))


def test_a_pool_and_a_list_entry_added_through_the_api_show_in_the_next_export(
    device: Any, api: librouteros.api.Api
) -> None:
    before = device.get_config(retrieve="running")["running"]
    assert "teste-cgnat" not in before
    pool = api.path("ip", "pool").add(name="teste-cgnat", ranges="100.127.0.2-100.127.0.254")
    entry = api.path("ip", "firewall", "address-list").add(
        list="inadimplentes", address="100.64.9.9", comment="fatura 11/2026"
    )
    try:
        after = device.get_config(retrieve="running")["running"]
        assert "/ip pool add name=teste-cgnat ranges=100.127.0.2-100.127.0.254" in after
        assert (
            '/ip firewall address-list add address=100.64.9.9 comment="fatura 11/2026" '
            "list=inadimplentes" in after
        )
    finally:
        api.path("ip", "pool").remove(pool)
        api.path("ip", "firewall", "address-list").remove(entry)
    assert "teste-cgnat" not in device.get_config(retrieve="running")["running"]


# -- through Nornir ------------------------------------------------------------------------
def test_the_facts_task_reads_every_lab_concentrator(
    lab: RunningLab, nr: Nornir, api: librouteros.api.Api
) -> None:
    concentrators = nr.filter(role="concentrator")
    assert sorted(concentrators.inventory.hosts) == ["bras-01", "bras-02"]
    result = concentrators.run(task=facts)
    assert not result.failed, {name: r.exception for name, r in result.items()}
    for name in ("bras-01", "bras-02"):
        found = result[name][0].result
        assert found["hostname"] == name and found["model"] == BOARD
        assert found["os_version"] == "7.16.2 (stable)" and found["serial"].startswith("HE")
        assert found["uptime"] > 3 * 7 * 86400
        assert found["interfaces"][PPPOE_VLAN] == {
            "is_up": True,
            "is_enabled": True,
            "description": "PPPoE clientes",
            "mtu": 1500,
            "mac_address": found["interfaces"]["sfp-sfpplus2"]["mac_address"],
        }
        assert (
            "sfp-sfpplus5" in found["interfaces_down"]
            and PPPOE_VLAN not in found["interfaces_down"]
        )
        assert found["interface_count"] == len(found["interfaces"]) + found["pppoe_sessions"]
        assert set(found["users"]) == {"admin", "lab", "lab-ro"}
        assert lab.password() not in str(found)
        # Closed after the read: nothing left open on the host.
        assert "napalm" not in nr.inventory.hosts[name].connections
    assert result["bras-01"][0].result["pppoe_sessions"] == len(active_logins(api)) > 0


def test_the_config_task_masks_what_the_export_still_shows(lab: RunningLab, nr: Nornir) -> None:
    masked = one(nr, "bras-01", config)
    text = masked["config"]
    assert masked["masked"] is True and masked["lines"] > 20
    assert "/snmp community set [ find default=yes ] addresses=10.255.0.0/16 name=***" in text
    plain = one(nr, "bras-01", config, mask=False)["config"]
    community = next(
        line.rsplit("name=", 1)[1]
        for line in plain.splitlines()
        if line.startswith("/snmp community")
    )
    assert community != "***" and community not in text
    assert "password=" in plain and "password=" not in text


def test_dry_run_says_what_it_would_read_without_connecting(lab: RunningLab) -> None:
    nornir = open_nornir(lab)
    nornir.data.dry_run = True
    nornir.inventory.hosts["bras-01"].password = "never-sent-9"
    found = one(nornir, "bras-01", facts)
    assert "get_facts" in found["would"] and "NAPALM (ros)" in found["would"]
    assert found["address"] == f"127.0.0.1:{router(lab)['port']}" and found["tls"] is True
    assert "never-sent-9" not in str(found)
    assert "napalm" not in nornir.inventory.hosts["bras-01"].connections
    assert "configuration" in one(nornir, "bras-01", config)["would"]


def test_unreachable_or_refused_names_host_and_address_never_the_password(
    lab: RunningLab,
) -> None:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        closed_port = sock.getsockname()[1]
    nornir = open_nornir(lab)
    try:
        host = nornir.inventory.hosts["bras-01"]
        right_port = host.port
        host.port = closed_port
        result = nornir.filter(name="bras-01").run(task=facts)
        error = result["bras-01"].exception
        assert isinstance(error, ConcentratorConnectError)
        assert str(error).startswith(f"bras-01 (127.0.0.1:{closed_port}): unreachable: ")
        assert lab.password() not in str(error)

        nornir.data.reset_failed_hosts()
        host.port = right_port
        host.password = "s3nha-errada-123"
        result = nornir.filter(name="bras-01").run(task=facts)
        error = result["bras-01"].exception
        assert isinstance(error, ConcentratorConnectError) and error.status == "login refused"
        assert f"bras-01 (127.0.0.1:{right_port}): login refused: user 'lab'" in str(error)
        assert "s3nha-errada-123" not in str(error) and "cannot log in" in str(error)
        assert "napalm" not in host.connections
    finally:
        nornir.close_connections()


def test_the_config_read_directly_is_masked_and_keeps_the_configuration(
    nr: Nornir, api: librouteros.api.Api
) -> None:
    def read(task: Any, sanitized: bool) -> Any:
        from nornir.core.task import Result

        return Result(host=task.host, result=concentrator_config(task, sanitized=sanitized))

    text = one(nr, "bras-01", read, sanitized=True)
    pools = {row["name"]: row["ranges"] for row in api.path("ip", "pool")}
    for name, ranges in pools.items():
        assert f"/ip pool add name={name} ranges={ranges}" in text
    assert mask_config(text) == text  # nothing left to mask


def test_the_napalm_session_is_tls_by_default_and_trusts_the_inventorys_certificate(
    lab: RunningLab,
) -> None:
    nornir = open_nornir(lab)
    try:
        host = nornir.inventory.hosts["bras-02"]
        extras = host.get_connection_parameters("routeros_api").extras
        assert extras["tls"] is True and Path(extras["ca_file"]).is_file()
        # No `tls` at all: TLS all the same, against the CA the inventory names.
        host.connection_options["routeros_api"].extras = {"ca_file": extras["ca_file"]}
        found = one(nornir, "bras-02", facts)
        assert found["hostname"] == "bras-02" and found["model"] == BOARD
        # Without the lab's certificate as trust anchor the handshake is refused.
        host.connection_options["routeros_api"].extras = {}
        result = nornir.filter(name="bras-02").run(task=facts)
        error = result["bras-02"].exception
        assert isinstance(error, ConcentratorConnectError) and error.status == "connection failed"
        assert "certificate is not trusted" in str(error) and "ca_file" in str(error)
        # `tls: false` on the same port: the router's api-ssl does not speak the plain API.
        nornir.data.reset_failed_hosts()
        host.connection_options["routeros_api"].extras = {"tls": False}
        result = nornir.filter(name="bras-02").run(task=facts)
        error = result["bras-02"].exception
        assert isinstance(error, ConcentratorConnectError)
        assert error.address == f"127.0.0.1:{router(lab, 'bras-02')['port']}"
        assert error.status == "connection failed" and lab.password() not in str(error)
    finally:
        nornir.close_connections()
