"""FiberHome AN5516 over SSH to the lab, in both firmware dialects: the session's set-up,
serials in the OLT's case, refusals, paging, facts, configuration and ONU services."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from nornir.core import Nornir

from ispflow.plugins.connections.olt_cli import OltCli
from ispflow.plugins.olt.driver import PonPort
from ispflow.plugins.olt.drivers import driver_class
from ispflow.plugins.olt.session import CliSession, DeviceRefused
from ispflow.tasks.olt_facts import config, facts, read_olt_config
from ispflow.tasks.onu import authorize, autofind, deauthorize, status
from ispflow.tasks.onu_describe import describe
from tests.lab.conftest import RunningLab, start_lab, step_results

# AN5516-06 runs the newer firmware (`cd onu`, `slot S pon P`), AN5516-06B the older
# (`cd gpononu`, `slot S link L`).
DIALECTS = {"AN5516-06": "pon", "AN5516-06B": "link"}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    yield from start_lab(
        tmp_path_factory.mktemp("fiberhome"), "--vendors", "fiberhome", "--olts", "2",
        "--concentrators", "0",
    )  # fmt: skip


@pytest.fixture(scope="module")
def nr(lab: RunningLab) -> Iterator[Nornir]:
    nornir = lab.nornir()
    yield nornir
    nornir.close_connections()


class Opened:
    def __init__(self, lab: RunningLab, model: str) -> None:
        self.olt = lab.olt_of_model(model)
        self.plugin = OltCli()
        self.plugin.open("127.0.0.1", "lab", lab.password(), self.olt["port"], self.olt["platform"])
        self.driver = driver_class("fiberhome")(model=model)
        self.session = CliSession(self.plugin.connection, self.driver, read_timeout=20)


@pytest.fixture(params=list(DIALECTS))
def opened(lab: RunningLab, request: pytest.FixtureRequest) -> Iterator[Opened]:
    got = Opened(lab, request.param)
    yield got
    got.plugin.close()


def _one(nr: Nornir, name: str, task: Any, **kwargs: Any) -> Any:
    result = nr.filter(name=name).run(task=task, **kwargs)
    assert not result.failed, result[name].exception
    return result[name][0].result


def test_the_session_enables_and_finds_the_olts_dialect(opened: Opened) -> None:
    connection = opened.plugin.connection
    assert connection.base_prompt == "Admin"
    assert connection.dialect == DIALECTS[opened.olt["model"]]


def test_an_upper_cased_serial_is_refused_by_the_olt_and_the_driver_never_sends_one(
    lab: RunningLab, opened: Opened
) -> None:
    waiting = lab.onus(olt=opened.olt["name"], autofind=True, condition="good")[0]
    pon = PonPort.parse(waiting["port"])
    word = DIALECTS[opened.olt["model"]]
    raw = (
        f"set whitelist phy_addr address {waiting['serial'].upper()} password null action add "
        f"slot {pon.b} {word} {pon.c} onu 120 type HG6145E"
    )
    with pytest.raises(DeviceRefused, match=r"\[ERR -598\] physical address is error!"):
        opened.session.run([raw])
    sent = opened.driver.onu_by_serial(waiting["serial"].upper())
    shown = waiting["serial"][:4] + waiting["serial"][4:].lower()
    assert sent == [f"show whitelist phy_addr address {shown}"]
    assert opened.driver.parse(*opened.session.read(sent)[-1]) == []  # not authorized yet


def test_a_pon_read_with_paging_on_is_whole(lab: RunningLab, opened: Opened) -> None:
    pon = PonPort.parse(opened.olt["pons"][0]["port"])
    opened.session.run(["terminal length 3"])  # the OLT now stops every 3 lines
    [(command, output)] = opened.session.read(opened.driver.list_onus(pon))
    listed = opened.driver.parse(command, output)
    known = {
        (onu["onu_id"], onu["serial"])
        for onu in lab.onus(olt=opened.olt["name"], state="authorized")
        if onu["port"] == str(pon)
    }
    assert {(r["onu_id"], r["serial"]) for r in listed} == known


def test_offline_onus_cost_no_optical_read_and_are_read_as_offline(opened: Opened) -> None:
    found = []
    for row in opened.olt["pons"]:
        pon = PonPort.parse(row["port"])
        records = opened.driver.parse(*opened.session.read(opened.driver.list_onus(pon))[-1])
        follow = opened.driver.optical_follow_up(pon, records)
        online = [r for r in records if r["run_state"] == "online"]
        assert len(follow) == len(online)
        found += [(pon, r) for r in records if r["run_state"] == "offline"]
    assert found, "the lab put no offline ONU on this OLT"
    pon, dark = found[0]
    with pytest.raises(DeviceRefused, match="ERR -553"):
        opened.session.run(opened.driver.optical_onu(pon, dark["onu_id"]))


@pytest.mark.parametrize("model", list(DIALECTS))
def test_facts_name_the_model_and_the_software(lab: RunningLab, nr: Nornir, model: str) -> None:
    olt = lab.olt_of_model(model)
    found = _one(nr, olt["name"], facts)
    assert (found["vendor"], found["model"]) == ("fiberhome", model)
    assert found["os_version"].startswith("RP") and found["uptime"]


@pytest.mark.parametrize("model", list(DIALECTS))
def test_authorize_and_describe_show_up_in_the_masked_configuration(
    lab: RunningLab, nr: Nornir, model: str
) -> None:
    name = lab.olt_of_model(model)["name"]
    before = nr.filter(name=name).run(task=read_olt_config)[name][0].result
    assert before == nr.filter(name=name).run(task=read_olt_config)[name][0].result
    waiting = lab.onus(olt=name, autofind=True, condition="good")[-1]
    added = _one(
        nr, name, authorize, port=waiting["port"], vlan=waiting["vlan"],
        serial=waiting["serial"].upper(), onu_type=waiting["onu_type"], description="NEW INSTALL",
    )  # fmt: skip
    shown = waiting["serial"][:4] + waiting["serial"][4:].lower()
    after = nr.filter(name=name).run(task=read_olt_config)[name][0].result
    assert shown not in before and shown in after and "NEW_INSTALL" in after
    _one(nr, name, describe, port=waiting["port"], onu_id=added["onu_id"], description="MOVED_CTO")
    described = nr.filter(name=name).run(task=read_olt_config)[name][0].result
    changed = [line for line in described.splitlines() if line not in set(after.splitlines())]
    assert changed and all("MOVED_CTO" in line for line in changed)
    masked = _one(nr, name, config)
    assert masked["masked"] is True
    secret_lines = [
        line for line in described.splitlines() if "add user" in line or "community" in line
    ]
    assert secret_lines
    assert not set(secret_lines) & set(masked["config"].splitlines())
    assert len(masked["config"].splitlines()) == len(described.splitlines())


def _waiting_of_another_type(nr: Nornir, lab: RunningLab, name: str) -> dict[str, Any]:
    """An ONU in autofind (now) whose type is not the driver's default one."""
    default = driver_class("fiberhome").default_onu_type
    waiting = {r["serial"] for r in _one(nr, name, autofind)}
    for onu in lab.onus(olt=name, autofind=True, condition="good"):
        if onu["onu_type"] != default and onu["serial"] in waiting:
            return onu
    pytest.fail(f"the lab put no ONU of another type than {default} in autofind on {name}")


def _authorized(nr: Nornir, name: str, port: str) -> dict[str, dict[str, Any]]:
    """The PON's authorized ONUs by serial, as the OLT lists them."""
    return {r["serial"]: r for r in _one(nr, name, status, port=port)}


@pytest.mark.parametrize("model", list(DIALECTS))
def test_authorize_by_hand_whitelists_the_type_autofind_reports(
    lab: RunningLab, nr: Nornir, model: str
) -> None:
    name = lab.olt_of_model(model)["name"]
    waiting = _waiting_of_another_type(nr, lab, name)
    added = _one(
        nr, name, authorize, port=waiting["port"], vlan=waiting["vlan"], serial=waiting["serial"]
    )
    assert added["onu_type"] == waiting["onu_type"]
    assert added["note"] == f"type {waiting['onu_type']}: as autofind reports it"
    assert f"type {waiting['onu_type']}" in added["commands"][0]
    listed = _authorized(nr, name, waiting["port"])[waiting["serial"]]
    assert (listed["onu_id"], listed["onu_type"]) == (added["onu_id"], waiting["onu_type"])


@pytest.mark.parametrize("model", list(DIALECTS))
def test_a_given_type_wins_and_the_olt_refuses_it_for_an_onu_of_another_type(
    lab: RunningLab, nr: Nornir, model: str
) -> None:
    name = lab.olt_of_model(model)["name"]
    waiting = _waiting_of_another_type(nr, lab, name)
    default = driver_class("fiberhome").default_onu_type
    result = nr.filter(name=name).run(
        task=authorize, port=waiting["port"], vlan=waiting["vlan"], serial=waiting["serial"],
        onu_type=default,
    )  # fmt: skip
    assert result.failed
    nr.data.reset_failed_hosts()  # the refusal is the point: later runs take the host again
    error = result[name].exception
    assert isinstance(error, DeviceRefused) and "onu type is not match" in str(error)
    assert f"type {default}" in error.line
    assert waiting["serial"] not in _authorized(nr, name, waiting["port"])  # nothing left


@pytest.mark.parametrize("model", list(DIALECTS))
def test_an_onu_autofind_does_not_list_gets_the_default_type_and_the_result_says_so(
    lab: RunningLab, nr: Nornir, model: str
) -> None:
    name = lab.olt_of_model(model)["name"]
    port = lab.olt_of_model(model)["pons"][0]["port"]
    serial = "FHTT0BADCAFE" if model == "AN5516-06" else "FHTT0BADCAFF"
    added = _one(nr, name, authorize, port=port, vlan=100, serial=serial)
    default = driver_class("fiberhome").default_onu_type
    assert added["onu_type"] == default
    assert added["note"].startswith(f"{serial} is not in autofind on PON {port}: registered as "
                                    f"type {default} (the default)")  # fmt: skip
    assert _authorized(nr, name, port)[serial]["onu_type"] == default
    _one(nr, name, deauthorize, port=port, onu_id=added["onu_id"], store=False)


@pytest.mark.parametrize("model", list(DIALECTS))
def test_the_runbook_by_hand_uses_the_discovered_type_and_a_given_one_wins(
    lab: RunningLab, nr: Nornir, model: str
) -> None:
    name = lab.olt_of_model(model)["name"]
    waiting = _waiting_of_another_type(nr, lab, name)
    by_hand = ("-e", f"olt={name}", "-e", f"port={waiting['port']}",
               "-e", f"serial={waiting['serial']}", "-e", f"vlan={waiting['vlan']}")  # fmt: skip
    default = driver_class("fiberhome").default_onu_type
    refused = lab.run_json("onu-authorize", *by_hand, "-e", f"onu_type={default}", expect=1)
    [step] = step_results(refused, "authorize")
    assert step["status"] == "failed" and "onu type is not match" in step["error"]
    report = lab.run_json("onu-authorize", *by_hand)
    [added] = step_results(report, "authorize")
    assert added["status"] == "changed", added["error"]
    assert added["result"]["onu_type"] == waiting["onu_type"]
    listed = _authorized(nr, name, waiting["port"])[waiting["serial"]]
    assert listed["onu_type"] == waiting["onu_type"]
