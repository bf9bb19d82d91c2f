"""ONU service ports and descriptions read, and descriptions set, through a real lab session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from ispflow.plugins.connections.olt_cli import OltCli
from ispflow.plugins.olt.driver import PonPort
from ispflow.plugins.olt.drivers import driver_class
from ispflow.plugins.olt.session import CliSession, DeviceRefused
from tests.lab.conftest import RunningLab, start_lab

MODELS = ("MA5800-X7", "MA5608T", "C320", "C600")


@pytest.fixture(scope="module")
def services_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    yield from start_lab(tmp_path_factory.mktemp("services"))


@pytest.fixture
def session(services_lab: RunningLab, request: pytest.FixtureRequest) -> Iterator[CliSession]:
    olt = services_lab.olt_of_model(request.param)
    plugin = OltCli()
    plugin.open("127.0.0.1", "lab", services_lab.password(), olt["port"], olt["platform"])
    driver = driver_class(olt["vendor"])(model=olt["model"])
    try:
        yield CliSession(plugin.connection, driver, read_timeout=10)
    finally:
        plugin.close()


def olt_of(lab: RunningLab, session: CliSession) -> dict[str, Any]:
    return lab.olt_of_model(session.driver.model)


def expected_onus(lab: RunningLab, olt: dict[str, Any], port: str) -> dict[int, dict[str, Any]]:
    onus = lab.onus(olt=olt["name"], port=port, autofind=False)
    return {onu["onu_id"]: onu for onu in onus}


def read_onus(session: CliSession, port: PonPort, onu_ids: list[int]) -> dict[int, dict]:
    """What a vendor-neutral caller does: read, parse, and merge the records per ONU."""
    driver = session.driver
    onus: dict[int, dict] = {}
    for command, output in session.read(
        driver.onu_serials(port) + driver.onu_services(port, onu_ids)
    ):
        for record in driver.parse(command, output):
            assert record["port"] == driver.records_port(port)
            onu = onus.setdefault(record["onu_id"], {"services": [], "description": None})
            if "vlan" in record:
                onu["services"].append(record)
            if "description" in record:
                onu["description"] = record["description"]
    return onus


@pytest.mark.parametrize("session", MODELS, indirect=True)
def test_every_onu_of_a_pon_has_its_vlan_and_description(
    services_lab: RunningLab, session: CliSession
) -> None:
    olt = olt_of(services_lab, session)
    for pon in olt["pons"]:
        expected = expected_onus(services_lab, olt, pon["port"])
        assert expected, f"the lab seed has no authorized ONU on {olt['name']} {pon['port']}"
        onus = read_onus(session, PonPort.parse(pon["port"]), sorted(expected))
        assert sorted(onus) == sorted(expected)
        for onu_id, onu in expected.items():
            [service] = onus[onu_id]["services"]
            assert (service["vlan"], service["user_vlan"]) == (pon["vlan"], pon["vlan"])
            assert onu["vlan"] == pon["vlan"]  # the lab gives PON number n VLAN 100 + n
            assert onus[onu_id]["description"] == onu["description"]


@pytest.mark.parametrize("session", ["MA5800-X7", "MA5608T"], indirect=True)
def test_huawei_service_ports_of_one_ont_read_in_config_mode(
    services_lab: RunningLab, session: CliSession
) -> None:
    olt = olt_of(services_lab, session)
    pon = olt["pons"][1]
    onu_id = min(expected_onus(services_lab, olt, pon["port"]))
    read = f"display service-port port {pon['port']} ont {onu_id}"
    answers = dict(session.read(["config", read, "return"]))
    [service] = session.driver.parse(read, answers[read])
    assert (service["port"], service["onu_id"]) == (pon["port"], onu_id)
    assert service["vlan"] == pon["vlan"] == 102
    assert service["gemport"] == 1 and service["state"] in ("up", "down")


@pytest.mark.parametrize("session", MODELS, indirect=True)
def test_a_new_description_is_set_and_read_back(
    services_lab: RunningLab, session: CliSession
) -> None:
    olt = olt_of(services_lab, session)
    pon = olt["pons"][0]
    port = PonPort.parse(pon["port"])
    expected = expected_onus(services_lab, olt, pon["port"])
    onu_id = max(expected)
    session.run(session.driver.describe(port, onu_id, "C-9001_Renamed"))
    # Read from the base mode: describe must have left the session where it found it.
    onus = read_onus(session, port, sorted(expected))
    assert onus[onu_id]["description"] == "C-9001_Renamed"
    others = {n: onu["description"] for n, onu in onus.items() if n != onu_id}
    assert others == {n: onu["description"] for n, onu in expected.items() if n != onu_id}
    serial = expected[onu_id]["serial"]
    by_serial = session.read(session.driver.onu_by_serial(serial))[-1]
    if olt["vendor"] == "huawei":  # its detail view carries the description too
        [detail] = session.driver.parse(*by_serial)
        assert detail["description"] == "C-9001_Renamed"
    original = expected[onu_id]["description"]
    session.run(session.driver.describe(port, onu_id, original))
    assert read_onus(session, port, [onu_id])[onu_id]["description"] == original


@pytest.mark.parametrize("session", MODELS, indirect=True)
@pytest.mark.parametrize("bad", ['x"\nundo ont 0', "x\nend", "a;b", 'say "hi"'])
def test_an_injected_description_is_refused_before_sending(
    services_lab: RunningLab, session: CliSession, bad: str
) -> None:
    olt = olt_of(services_lab, session)
    pon = olt["pons"][1]
    port = PonPort.parse(pon["port"])
    expected = expected_onus(services_lab, olt, pon["port"])
    onu_id = min(expected)
    sent: list[str] = []
    with pytest.raises(ValueError, match="unsafe value for 'description'"):
        sent += session.driver.describe(port, onu_id, bad)
    assert sent == []
    assert (
        read_onus(session, port, [onu_id])[onu_id]["description"]
        == (expected[onu_id]["description"])
    )


@pytest.mark.parametrize("session", MODELS, indirect=True)
def test_describing_an_onu_the_olt_does_not_have_is_refused(
    services_lab: RunningLab, session: CliSession
) -> None:
    olt = olt_of(services_lab, session)
    port = PonPort.parse(olt["pons"][0]["port"])
    with pytest.raises(DeviceRefused, match="does not exist"):
        session.run(session.driver.describe(port, 99, "C-9002"))
    session.run(session.driver.leave_config())
    assert 99 not in read_onus(session, port, [99])
