"""Lab firmware generations: which OLT runs which, and the output layouts each one prints."""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import replace
from pathlib import Path

import asyncssh
import pytest
from ruamel.yaml import YAML
from typer.testing import CliRunner

from ispflow.cli.lab import lab_app
from ispflow.lab.behaviour import Behaviour
from ispflow.lab.catalog import olt_models
from ispflow.lab.control import LabStatus, server_command
from ispflow.lab.datacom import render as datacom_render
from ispflow.lab.fiberhome import render as fiberhome_render
from ispflow.lab.fleet import (
    FleetError,
    FleetSpec,
    assign_firmware,
    build_fleet,
    describe,
    plan_models,
)
from ispflow.lab.huawei import render as huawei_render
from ispflow.lab.model import LabOlt
from ispflow.lab.profiles import olt_profile
from ispflow.lab.server import parse_args
from ispflow.lab.shell import Shell
from ispflow.lab.sshd import LabDevice, LabThread
from ispflow.lab.statefiles import StatePaths, write_inventory
from ispflow.lab.terminal import Terminal
from ispflow.lab.zte import render as zte_render

RENDERERS = {
    "huawei": huawei_render.FIRMWARE,
    "zte": zte_render.FIRMWARE,
    "datacom": datacom_render.FIRMWARE,
    "fiberhome": fiberhome_render.FIRMWARE,
}
# The fleets below are of the two vendors whose generations they name.
TWO_VENDORS = ("huawei", "zte")
SMALL = FleetSpec(pons=1, onus=4, autofind=0, base_port=0, concentrators=0, vendors=TWO_VENDORS)


class _Keys:
    """A client that answers every pager prompt with the space bar."""

    async def read(self, n: int = -1) -> str:
        return " "


class _Screen:
    def __init__(self) -> None:
        self.text = ""

    def write(self, data: str) -> None:
        self.text += data

    async def drain(self) -> None:
        pass


def _fleet(vendor: str, firmware: str, olts: int = 1) -> list[LabDevice]:
    return build_fleet(replace(SMALL, olts=olts, vendors=(vendor,), firmware=firmware))


def _olt(vendor: str, firmware: str) -> LabOlt:
    return _steady(_fleet(vendor, firmware)[0].olt)


def _steady(olt: LabOlt) -> LabOlt:
    """Every ONU on the fibre works (no flapping, none dark), so counts are exact."""
    for pon in olt.pons.values():
        for device in pon.devices:
            device.condition = "ok"
    return olt


def _batch(olt: LabOlt, commands: str) -> list[str]:
    """What an exec request with these command lines prints."""
    screen = _Screen()
    cli = olt_profile(olt.vendor).shell
    shell: Shell = cli(olt, Behaviour(), Terminal(_Keys(), screen, echo=False), batch=True)
    asyncio.run(shell.run_batch(commands))
    return screen.text.split("\r\n")[:-1]


def _unplug_second(olt: LabOlt, pon: str) -> int:
    """Take the PON's second ONU off the fibre; returns its id."""
    view = olt.snapshot(pon)[1]
    olt.plant = replace(olt.plant, unplugged=frozenset({view.serial}))
    return view.onu_id


# -- which OLT runs which generation ----------------------------------------------------
def test_every_model_has_generations_the_vendor_can_render() -> None:
    for name, model in olt_models().items():
        assert model.generations, name
        for generation in model.generations:
            assert generation in RENDERERS[model.vendor], (name, generation)


def test_mixed_gives_each_model_its_generations_in_turn() -> None:
    default = FleetSpec(vendors=TWO_VENDORS)
    assert default.firmware == "mixed"
    assert plan_models(default) == ["MA5800-X7", "C320", "MA5608T", "C600"]
    assert assign_firmware("mixed", plan_models(default)) == ["r019", "v2", "r018", "titan"]
    eight = plan_models(FleetSpec(olts=8, vendors=TWO_VENDORS))
    assert eight[7] == "C320"
    assert assign_firmware("mixed", eight)[7] == "v1"  # the second C320 runs the other one


def test_firmware_words_and_pairs() -> None:
    models = ["MA5800-X7", "C320", "MA5608T", "C600"]
    assert assign_firmware("newest", models) == ["r019", "v2", "r018", "titan"]
    assert assign_firmware("oldest", models) == ["r018", "v1", "r018", "titan"]
    assert assign_firmware("v1", models) == ["r019", "v1", "r018", "titan"]
    assert assign_firmware("R018", models) == ["r018", "v2", "r018", "titan"]
    assert assign_firmware("c320=v1, MA5800-X7=r018", models) == ["r018", "v1", "r018", "titan"]


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("C320=r019", ["C320", "v2, v1"]),
        ("MA5608T=r019", ["MA5608T", "r018"]),
        ("C999=v1", ["MODEL=GENERATION", "C320"]),
        ("r020", ["r020", "mixed"]),
        ("C320", ["C320=v2"]),
    ],
)
def test_a_generation_the_model_does_not_run_is_refused(value: str, words: list[str]) -> None:
    with pytest.raises(FleetError) as refused:
        FleetSpec(firmware=value).check()
    for word in words:
        assert word in str(refused.value)


def test_a_generation_no_olt_of_the_lab_runs_is_refused() -> None:
    with pytest.raises(FleetError, match="titan: no OLT in this lab runs it"):
        FleetSpec(vendors=("huawei",), firmware="titan").check()


def test_the_generation_is_on_the_olt_in_lab_json_and_in_the_inventory(tmp_path: Path) -> None:
    spec = replace(SMALL, olts=4, firmware="C320=v1")
    devices = build_fleet(spec)
    assert [device.olt.firmware for device in devices] == ["r019", "v1", "r018", "titan"]
    assert [olt["firmware"] for olt in describe(devices, spec)["olts"]] == [
        "r019",
        "v1",
        "r018",
        "titan",
    ]
    paths = StatePaths(tmp_path)
    write_inventory(paths, devices, spec)
    hosts = YAML(typ="safe").load((paths.inventory / "hosts.yaml").read_text())
    assert {name: host["data"]["firmware"] for name, host in hosts.items()} == {
        device.olt.name: device.olt.firmware for device in devices
    }


def test_the_server_process_is_started_with_the_firmware(tmp_path: Path) -> None:
    spec = FleetSpec(firmware="C320=v1")
    command = server_command(spec, StatePaths(tmp_path))
    assert command[command.index("--firmware") + 1] == "C320=v1"
    parsed, _paths = parse_args(command[3:])
    assert parsed.firmware == "C320=v1"
    assert parse_args(["--state-dir", str(tmp_path)])[0].firmware == "mixed"


def test_lab_up_takes_firmware(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    started: list[FleetSpec] = []

    def fake_up(spec: FleetSpec, paths: StatePaths) -> LabStatus:
        spec.check()
        started.append(spec)
        return LabStatus(4242, spec.host, {"olt-poa-01": 10201}, time.time())

    monkeypatch.setattr("ispflow.lab.control.up", fake_up)
    state = ["--state-dir", str(tmp_path), "--no-seed-store"]
    runner = CliRunner()
    done = runner.invoke(lab_app, ["up", "--firmware", "C320=v1,MA5800-X7=r018", *state])
    assert done.exit_code == 0, done.output
    assert started[-1].firmware == "C320=v1,MA5800-X7=r018"
    assert runner.invoke(lab_app, ["up", *state]).exit_code == 0
    assert started[-1].firmware == "mixed"
    refused = runner.invoke(lab_app, ["up", "--firmware", "C600=v2", *state])
    assert refused.exit_code == 2
    assert "C600 does not run 'v2'" in refused.output
    assert "titan" in refused.output


def test_lab_status_shows_model_and_firmware(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    running = LabStatus(4242, "127.0.0.1", {"olt-poa-02": 10202}, time.time())
    monkeypatch.setattr("ispflow.lab.control.status", lambda paths: running)
    olts = [{"name": "olt-poa-02", "model": "C320", "firmware": "v2"}]
    (tmp_path / "lab.json").write_text(json.dumps({"olts": olts}))
    shown = CliRunner().invoke(lab_app, ["status", "--state-dir", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    assert re.search(r"olt-poa-02 .*127\.0\.0\.1:10202 .*C320 .*v2", shown.output)


# -- Huawei ---------------------------------------------------------------------------------
def test_empty_autofind_wording_per_generation() -> None:
    for firmware, wording in (
        ("r019", "  Failure: The automatically found ONTs do not exist"),
        ("r018", "  Failure: Automatically found ONTs do not exist"),
    ):
        olt = _olt("huawei", firmware)
        assert _batch(olt, "display ont autofind all")[-1] == wording


def test_r019_bulk_optics_leave_offline_onts_out() -> None:
    olt = _olt("huawei", "r019")
    dark = _unplug_second(olt, "0/1/0")
    lines = _batch(olt, "config\ninterface gpon 0/1\ndisplay ont optical-info 0 all")
    sep = "  " + "-" * 77
    assert lines[:4] == [
        sep,
        "  ONT  Rx power  Tx power  OLT Rx ONT  Temperature  Voltage  Current  Distance",
        "  ID   (dBm)     (dBm)     power(dBm)  (C)          (V)      (mA)     (m)",
        sep,
    ]
    assert lines[-1] == sep
    rows = lines[4:-1]
    row = re.compile(
        r"^  [ \d]{3}  -?\d+\.\d\d {2,}-?\d+\.\d\d {2,}-?\d+\.\d\d {2,}\d+ {2,}\d\.\d{3} {2,}"
        r"\d+ {2,}\d+ +$"
    )
    assert rows and all(row.match(line) for line in rows), rows
    ids = [int(line.split()[0]) for line in rows]
    assert dark not in ids and ids == sorted(ids)
    assert len(ids) == len(olt.snapshot("0/1/0")) - 1
    assert all(len(line) == 78 for line in rows)  # the narrower distance column


def test_r018_bulk_optics_keep_dash_rows() -> None:
    olt = _olt("huawei", "r018")
    dark = _unplug_second(olt, "0/1/0")
    lines = _batch(olt, "config\ninterface gpon 0/1\ndisplay ont optical-info 0 all")
    assert lines[0].endswith(huawei_render.CURSOR_QUIRK)
    assert lines[1].endswith("Distance  ")
    rows = {int(line.split()[0]): line for line in lines[4:-1]}
    assert rows[dark].split()[1:] == ["-"] * 7
    assert len(rows) == len(olt.snapshot("0/1/0"))


def test_r019_port_with_only_dark_onts_prints_the_bare_table() -> None:
    readings = [
        reading._replace(reading=None) for reading in _olt("huawei", "r019").readings("0/1/0")
    ]
    lines = huawei_render.optical_all(readings, huawei_render.FIRMWARE["r019"])
    assert len(lines) == 5 and "Rx power" in lines[1]


# -- ZTE ------------------------------------------------------------------------------------
def test_v2_state_table_has_a_channel_column_and_a_footer() -> None:
    olt = _olt("zte", "v2")
    assert olt.model.name == "C320"
    dark = _unplug_second(olt, "1/1/1")
    lines = _batch(olt, "show gpon onu state gpon-olt_1/1/1")
    assert lines[0] == "OnuIndex   Admin State  OMCC State  Phase State  Channel    "
    assert lines[1] == "-" * 62
    rows = lines[2:-1]
    row = re.compile(r"^1/1/1:(\d+) +enable {7}(enable {6}working|disable {5}\w+) +1\(GPON\)$")
    assert all(row.match(line) for line in rows), rows
    assert all(line.index("enable") == 12 for line in rows)
    online = sum(" working " in line for line in rows)
    assert online == len(rows) - 1
    assert lines[-1] == f"ONU Number: {online}/{len(rows)}"
    [offline] = [line for line in rows if line.startswith(f"1/1/1:{dark} ")]
    assert offline.split()[3] in ("LOS", "DyingGasp")


def test_titan_state_table_has_a_speed_mode_column() -> None:
    c600 = _steady(_fleet("zte", "mixed", olts=2)[1].olt)
    assert (c600.model.name, c600.firmware) == ("C600", "titan")
    _unplug_second(c600, "1/1/1")
    lines = _batch(c600, "show gpon onu state gpon_olt-1/1/1")
    assert lines[0] == "OnuIndex     Admin state  OMCC state  Phase state  Speed mode"
    assert lines[1] == "-" * 65
    row = re.compile(r"^1/1/1:\d+ +enable {7}(enable {6}working|disable {5}\w+) +GPON$")
    assert all(row.match(line) for line in lines[2:]), lines
    assert all(line.index("enable") == 13 for line in lines[2:])
    assert not any(line.startswith("ONU Number") for line in lines)


def test_v1_state_table_is_the_classic_one() -> None:
    olt = _olt("zte", "v1")
    lines = _batch(olt, "show gpon onu state gpon-olt_1/1/1")
    assert lines[0] == "OnuIndex               Admin State  OMCC State   O7 State     Phase State"
    assert all(line.startswith("gpon-onu_1/1/1:") for line in lines[2:])
    assert all(line.split()[3] in ("operation", "unknown") for line in lines[2:])


@pytest.mark.parametrize(
    ("firmware", "code"), [("v1", "32310"), ("v2", "62310"), ("titan", "62310")]
)
def test_empty_answers_per_generation(firmware: str, code: str) -> None:
    olt = _fleet("zte", firmware, olts=2)[1 if firmware == "titan" else 0].olt
    olt_if = "gpon_olt-1/1/1" if olt.model.name == "C600" else "gpon-olt_1/1/1"
    answer = f"%Code {code}-GPONSRV : No related information to show."
    assert _batch(olt, "show gpon onu uncfg") == [answer]
    assert _batch(olt, f"show gpon onu state {olt_if} 99") == [answer]
    assert _batch(olt, "show gpon onu by sn ZTEG00000000") == [answer]


def test_state_of_one_onu_in_the_generation_layout() -> None:
    olt = _olt("zte", "v2")
    by_port = _batch(olt, "show gpon onu state gpon-olt_1/1/1 2")
    by_onu = _batch(olt, "show gpon onu state gpon-onu_1/1/1:2")
    assert by_port == by_onu
    assert by_port[0].startswith("OnuIndex   Admin State")
    assert by_port[2].startswith("1/1/1:2     enable")
    assert by_port[3] == "ONU Number: 1/1"


def test_v2_state_pages_with_more_and_backspaces() -> None:
    olt = _olt("zte", "v2")
    screen = _Screen()
    shell = olt_profile("zte").shell(
        olt, Behaviour(page_lines=3), Terminal(_Keys(), screen, echo=False)
    )
    asyncio.run(shell.execute("show gpon onu state"))
    erase = "\x08" * 8 + " " * 8 + "\x08" * 8
    assert screen.text.count("--More--" + erase) >= 1
    whole = screen.text.replace("--More--" + erase, "").split("\r\n")[:-1]
    assert whole == _batch(olt, "show gpon onu state")
    assert whole[-1].startswith("ONU Number: ")


# -- over SSH -------------------------------------------------------------------------------
def test_a_v2_olt_answers_in_its_layout_over_ssh() -> None:
    devices = _fleet("zte", "v2")

    async def ask(port: int) -> str:
        async with asyncssh.connect(
            "127.0.0.1", port, username="lab", password="pw", known_hosts=None
        ) as conn:
            done = await conn.run("show gpon onu state gpon-olt_1/1/1\nshow gpon onu uncfg")
            return str(done.stdout)

    with LabThread(devices, username="lab", password="pw") as lab:
        text = asyncio.run(ask(lab.ports[devices[0].olt.name]))
    lines = text.split("\r\n")
    assert lines[0].startswith("OnuIndex   Admin State  OMCC State  Phase State  Channel")
    assert any(line.startswith("ONU Number: ") for line in lines)
    assert "%Code 62310-GPONSRV" in text
