"""OLT facts and running configuration over SSH to the lab: every lab model, paging on."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from nornir.core import Nornir

from ispflow.plugins.connections.olt_cli import OltCli
from ispflow.plugins.olt.drivers import driver_class
from ispflow.plugins.olt.session import CliSession
from ispflow.tasks.olt_facts import config, facts, read_olt_config
from ispflow.tasks.onu import authorize
from ispflow.tasks.onu_describe import describe
from tests.lab.conftest import RunningLab, start_lab

MODELS = ("MA5800-X7", "C320", "MA5608T", "C600")
PAGING = {"huawei": "scroll 10", "zte": "terminal length 10"}


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    yield from start_lab(tmp_path_factory.mktemp("olt-config"))


@pytest.fixture(scope="module")
def nr(lab: RunningLab) -> Iterator[Nornir]:
    nornir = lab.nornir()
    yield nornir
    nornir.close_connections()


def _one(nr: Nornir, name: str, task: Any, **kwargs: Any) -> Any:
    result = nr.filter(name=name).run(task=task, **kwargs)
    assert not result.failed, result[name].exception
    return result[name][0].result


def _serial_forms(onu: dict[str, Any]) -> tuple[str, str]:
    return onu["serial"], onu["serial_hex"]


@pytest.mark.parametrize("model", MODELS)
def test_facts_name_the_model_the_software_and_the_boards(
    lab: RunningLab, nr: Nornir, model: str
) -> None:
    olt = lab.olt_of_model(model)
    found = _one(nr, olt["name"], facts)
    assert found["vendor"] == olt["vendor"]
    assert found["model"] == model
    expected_software = {"huawei": r"^MA5[68]00V\d+R\d+C\d+$", "zte": r"^V\d+\.\d+\.\d+P\d+$"}
    assert re.match(expected_software[olt["vendor"]], found["os_version"])
    assert found["uptime"]
    line_card = {"MA5800-X7": "H901GPHF", "MA5608T": "H807GPBH", "C320": "GTGH", "C600": "GFCH"}
    boards = {board["slot"]: board for board in found["boards"]}
    assert line_card[model] in {board["board_name"] for board in boards.values()}
    assert all(board["status"] for board in boards.values())


@pytest.mark.parametrize("model", MODELS)
def test_the_configuration_is_read_whole_through_the_pager(
    lab: RunningLab, nr: Nornir, model: str
) -> None:
    olt = lab.olt_of_model(model)
    plugin = OltCli()
    plugin.open("127.0.0.1", "lab", lab.password(), olt["port"], olt["platform"])
    driver = driver_class(olt["vendor"])(model=olt["model"])
    session = CliSession(plugin.connection, driver, read_timeout=20)
    try:
        session.run([PAGING[olt["vendor"]]])  # the OLT now stops every 10 lines
        [(command, output)] = session.read(driver.running_config_command())
    finally:
        plugin.close()
    assert output.count("\n") > 60  # many pages
    text = driver.running_config(command, output)
    assert "More" not in text and "\x1b" not in text and "\x08" not in text
    lines = text.splitlines()
    assert max(len(line) - len(line.lstrip()) for line in lines) <= 4  # no pager blanks left
    name_line = f"{'sysname' if olt['vendor'] == 'huawei' else 'hostname'} {olt['name']}"
    assert name_line in [line.strip() for line in lines]
    if olt["vendor"] == "huawei":
        assert lines[0].startswith("[MA5") and lines[-1] == "return"
    else:
        assert not any(line.startswith("Building") for line in lines)
    for onu in lab.onus(olt=olt["name"], autofind=False):
        serial, serial_hex = _serial_forms(onu)
        assert serial in text or serial_hex in text, onu
    for onu in lab.onus(olt=olt["name"], autofind=True):
        serial, serial_hex = _serial_forms(onu)
        assert serial not in text and serial_hex not in text
    for pon in olt["pons"]:
        assert re.search(rf"\bvlan {pon['vlan']}\b", text)
    # The same text as a read without pager stops (the olt_cli session's own settings).
    assert nr.filter(name=olt["name"]).run(task=read_olt_config)[olt["name"]][0].result == text


@pytest.mark.parametrize("model", MODELS)
def test_two_reads_of_an_unchanged_olt_are_the_same(
    lab: RunningLab, nr: Nornir, model: str
) -> None:
    name = lab.olt_of_model(model)["name"]
    first = nr.filter(name=name).run(task=read_olt_config)[name][0].result
    second = nr.filter(name=name).run(task=read_olt_config)[name][0].result
    assert first == second


@pytest.mark.parametrize("model", MODELS)
def test_an_authorized_onu_and_a_new_description_show_up_in_the_next_read(
    lab: RunningLab, nr: Nornir, model: str
) -> None:
    olt = lab.olt_of_model(model)
    name = olt["name"]
    before = nr.filter(name=name).run(task=read_olt_config)[name][0].result
    waiting = lab.onus(olt=name, autofind=True, condition="good")[0]
    added = _one(
        nr,
        name,
        authorize,
        port=waiting["port"],
        vlan=waiting["vlan"],
        serial=waiting["serial"],
        onu_type=waiting["onu_type"],
        line_profile=10,
        service_profile=10,
        description="NEW_INSTALL",
    )
    after = nr.filter(name=name).run(task=read_olt_config)[name][0].result
    serial, serial_hex = _serial_forms(waiting)
    assert serial not in before and serial_hex not in before
    assert serial in after or serial_hex in after
    _one(nr, name, describe, port=waiting["port"], onu_id=added["onu_id"], description="MOVED_CTO")
    described = nr.filter(name=name).run(task=read_olt_config)[name][0].result
    assert "MOVED_CTO" in described and "MOVED_CTO" not in after
    changed = [line for line in described.splitlines() if line not in set(after.splitlines())]
    assert changed and all("MOVED_CTO" in line for line in changed)


@pytest.mark.parametrize("model", MODELS)
def test_the_config_task_masks_secrets(lab: RunningLab, nr: Nornir, model: str) -> None:
    olt = lab.olt_of_model(model)
    name = olt["name"]
    plain = nr.filter(name=name).run(task=read_olt_config)[name][0].result
    masked = _one(nr, name, config)
    assert masked["masked"] is True
    text = masked["config"]
    assert len(text.splitlines()) == len(plain.splitlines())
    assert "***" in text
    secret_lines = [
        line
        for line in plain.splitlines()
        if re.search(r"cipher|password|secret|community", line) and "complexity-check" not in line
    ]
    assert secret_lines
    for line in secret_lines:
        assert line not in text.splitlines(), line
    assert "zte privilege" not in text and "community public" not in text
    assert _one(nr, name, config, mask=False)["config"] == plain


def test_a_refused_command_names_the_host_and_the_command(lab: RunningLab, nr: Nornir) -> None:
    # A ZTE driver talking to a SmartAX: the OLT does not know `show running-config`.
    name = lab.olt_of_model("MA5608T")["name"]
    host = nr.inventory.hosts[name]
    host.data["vendor"] = "zte"
    try:
        result = nr.filter(name=name).run(task=read_olt_config)
    finally:
        del host.data["vendor"]
    assert result.failed
    message = str(result[name].exception)
    assert name in message and "show running-config" in message and "Unknown command" in message
