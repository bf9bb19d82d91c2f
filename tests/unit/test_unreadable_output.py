"""Fail loud, never silently empty: unknown layouts, kept raw answers, "nothing there"
answers, and readings that never drop an ONU the OLT lists."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from ispflow.plugins.olt import raw_answers
from ispflow.plugins.olt.driver import PonPort
from ispflow.plugins.olt.drivers import driver_class
from ispflow.plugins.olt.parsing import UnreadableOutput
from ispflow.plugins.olt.session import CliSession, DeviceRefused

# A ZTE ONU-state table of a firmware not seen yet: a column more in every row.
FUTURE_STATE = """\
OnuIndex   Admin State  OMCC State  Phase State  Channel
--------------------------------------------------------------
1/1/1:1     enable       enable      working      1(GPON)   XGS
1/1/1:2     enable       enable      working      1(GPON)   XGS
ONU Number: 2/2
"""


@pytest.fixture
def raw_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "raw"
    monkeypatch.setenv("ISPFLOW_RAW_DIR", str(folder))
    return folder


def test_an_unknown_layout_names_vendor_model_command_line_and_the_kept_answer(
    raw_dir: Path,
) -> None:
    driver = driver_class("zte")(model="C320")
    command = "show gpon onu state gpon-olt_1/1/1"
    with pytest.raises(UnreadableOutput) as caught:
        driver.parse(command, FUTURE_STATE, host="olt-sul-01")
    error = caught.value
    text = str(error)
    assert "zte C320" in text and repr(command) in text
    assert error.line.strip() == "1/1/1:1     enable       enable      working      1(GPON)   XGS"
    [kept] = raw_dir.iterdir()
    assert str(kept) in text and "olt-sul-01" in kept.name
    assert kept.read_text().endswith(FUTURE_STATE)
    assert "# command: show gpon onu state gpon-olt_1/1/1" in kept.read_text()
    assert oct(os.stat(kept).st_mode & 0o777) == "0o600"


def test_kept_answers_are_bounded(raw_dir: Path) -> None:
    for n in range(raw_answers.KEEP + 7):
        raw_answers.keep("huawei", "MA5608T", f"display ont info 0 1 {n} all", "x")
    assert len(list(raw_dir.iterdir())) == raw_answers.KEEP


def test_an_unwritable_raw_folder_still_reports_the_layout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("ISPFLOW_RAW_DIR", str(blocker / "raw"))
    with pytest.raises(UnreadableOutput, match="cannot read the answer") as caught:
        driver_class("zte")(model="C320").parse("show gpon onu state", FUTURE_STATE)
    assert "kept in" not in str(caught.value)


@pytest.mark.parametrize(
    ("vendor", "line", "answer"),
    [
        ("huawei", "display ont autofind all", "  Failure: The automatically found ONTs do not exist"),
        ("huawei", "display ont autofind all", "  Failure: Automatically found ONTs do not exist"),
        ("huawei", "display ont info 0 1 3 all", "  Failure: The ONT does not exist"),
        ("huawei", "display service-port port 0/1/3", "  Failure: No service virtual port can be operated"),
        ("zte", "show gpon onu uncfg", "%Code 62310-GPONSRV : No related information to show."),
        ("zte", "show gpon onu state gpon-olt_1/1/1", "%Code 32310-GPONSRV : No related information to show."),
        # In any case: the words that let a table skip the search are matched lower-cased.
        ("huawei", "display ont info 0 1 3 all", "  FAILURE: THE ONT DOES NOT EXIST"),
        ("huawei", "display ont info summary 0/1/3", "  There is no ONT available"),
        ("huawei", "display service-port port 0/1/3", "  No Service Virtual Port Can Be OPERATED."),
        ("zte", "show pon power onu-rx gpon-olt_1/1/1", "%CODE 32310-GPONSRV : NO RELATED INFORMATION TO SHOW."),
    ],
)  # fmt: skip
def test_nothing_there_answers_to_reads_are_empty_lists_not_refusals(
    vendor: str, line: str, answer: str
) -> None:
    driver = driver_class(vendor)()
    assert driver.refused(answer, line) is None
    assert driver.parse(line, answer) == []


def test_the_same_words_answering_a_change_are_a_refusal() -> None:
    driver = driver_class("huawei")()
    assert driver.refused("  Failure: The ONT does not exist", "ont delete 3 5") == (
        "Failure: The ONT does not exist"
    )
    busy = "  Failure: System is busy, please retry after a while"
    assert driver.refused(busy, "display ont info by-sn 485754430000AB01") == busy.strip()


@pytest.mark.parametrize(
    ("vendor", "line", "refusal"),
    [
        ("huawei", "display ont optical-info 3 all", "  Failure: System is busy, please retry after a while"),
        ("huawei", "display ont optical-info 3 all", "% Unknown command, the error locates at '^'"),
        ("zte", "show pon power onu-rx gpon-olt_1/1/1", "%Error 20202: Invalid input"),
    ],
)  # fmt: skip
def test_a_refusal_after_a_long_table_is_found(vendor: str, line: str, refusal: str) -> None:
    table = "".join(f"  {n}  -21.5  2.1  -23.0  40  3.3  10  1500\n" for n in range(128))
    driver = driver_class(vendor)()
    assert driver.refused(table, line) is None
    assert driver.refused(table + refusal + "\n", line) == refusal.strip()


class ScriptedConnection:
    """Stands in for an OLT session (netmiko) whose answers a test chooses: a firmware the
    lab does not serve (a future layout, a busy OLT) cannot be produced on the lab."""

    base_prompt = "OLT"

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.sent: list[str] = []

    def send_command(self, line: str, **_: Any) -> str:
        self.sent.append(line)
        return self.answers.get(line, "")


def test_a_busy_olt_is_not_taken_for_a_serial_that_is_not_there() -> None:
    from ispflow.tasks.onu import read_records

    driver = driver_class("huawei")()
    line = driver.onu_by_serial("HWTC0000AB01")[-1]
    busy = ScriptedConnection({line: "  Failure: System is busy, please retry after a while"})
    with pytest.raises(DeviceRefused, match="System is busy"):
        read_records(CliSession(busy, driver), driver.onu_by_serial("HWTC0000AB01"))
    gone = ScriptedConnection({line: "  Failure: The ONT does not exist"})
    assert read_records(CliSession(gone, driver), driver.onu_by_serial("HWTC0000AB01")) == []


def test_offline_onts_left_out_of_the_optical_table_are_read_as_offline() -> None:
    """MA5800 firmware lists only online ONTs in `display ont optical-info P all`; the
    summary of the same port names the others, which become offline readings, and says why
    they are down. The optical table's row is the reading, not the summary's rounded power."""
    driver = driver_class("huawei")(model="MA5800-X7")
    pon = PonPort(0, 2, 8)
    steps = driver.optical_ports([pon])
    reads = [step.line for step in steps if step.pon is not None]
    assert reads == ["display ont info summary 0/2/8", "display ont optical-info 8 all"]
    summary = (
        "  In port 0/2/8, the total of ONTs are: 3, online: 2\n"
        "  ONT  Run     Last                Last                Last\n"
        "  ID   State   UpTime              DownTime            DownCause\n"
        "  0    online  2026-01-01 00:00:00 -                   -\n"
        "  1    offline 2026-01-01 00:00:00 2026-01-02 00:00:00 dying-gasp\n"
        "  2    online  2026-01-01 00:00:00 -                   -\n"
        "  ONT        SN        Type          Distance Rx/Tx power  Description\n"
        "  ID                                    (m)      (dBm)\n"
        "  0   48575443AA000001 HG8245H          596   -21.3/2.30   C-1\n"
        "  1   48575443AA000002 HG8245H          -     -/-          C-2\n"
        "  2   48575443AA000003 HG8245H          500   -26.4/2.16   C-3\n"
    )
    optical = (
        "  ONT  Rx power  Tx power  OLT Rx ONT  Temperature  Voltage  Current  Distance\n"
        "  ID   (dBm)     (dBm)     power(dBm)  (C)          (V)      (mA)     (m)\n"
        "    0  -21.31    2.30      -25.10      37           3.260    6        596\n"
        "    2  -26.42    2.16      -27.20      37           3.340    7        500\n"
    )
    records = driver.parse(reads[0], summary) + driver.parse(reads[1], optical)
    readings = driver.readings(pon, records)
    assert [(r["onu_id"], r["serial"], r["rx_dbm"], r["olt_rx_dbm"]) for r in readings] == [
        (0, "HWTCAA000001", -21.31, -25.1),
        (1, "HWTCAA000002", None, None),
        (2, "HWTCAA000003", -26.42, -27.2),
    ]
    assert all(r["port"] == "0/2/8" for r in readings)
    assert readings[1]["optical_row"] is False and readings[1]["run_state"] == "offline"
    causes = driver.listed_down_causes(pon, records)
    assert causes is not None
    assert [(c["onu_id"], c["down_cause"], c["down_class"]) for c in causes] == [
        (0, None, None),
        (1, "dying-gasp", "power"),
        (2, None, None),
    ]


def test_an_ont_that_changed_between_the_summary_and_the_optical_read_is_as_last_seen() -> None:
    """The summary is read before the optical table: ONT 0, up in the summary, is missing
    from the table (it went down in between), ONT 1, down in the summary, has a row (it came
    up). Each reading says what the table saw, and ONT 0 is not given the cause of a down
    the summary told of before this one."""
    driver = driver_class("huawei")(model="MA5800-X7")
    pon = PonPort(0, 1, 3)
    summary = (
        "  In port 0/1/3, the total of ONTs are: 2, online: 1\n"
        "  ONT  Run     Last                Last                Last\n"
        "  ID   State   UpTime              DownTime            DownCause\n"
        "  0    online  2026-01-03 00:00:00 2026-01-02 00:00:00 LOSi/LOBi\n"
        "  1    offline 2026-01-01 00:00:00 2026-01-02 00:00:00 dying-gasp\n"
        "  ONT        SN        Type          Distance Rx/Tx power  Description\n"
        "  ID                                    (m)      (dBm)\n"
        "  0   48575443AA000001 HG8245H          596   -21.3/2.30   C-1\n"
        "  1   48575443AA000002 HG8245H          -     -/-          C-2\n"
    )
    optical = (
        "  ONT  Rx power  Tx power  OLT Rx ONT  Temperature  Voltage  Current  Distance\n"
        "  ID   (dBm)     (dBm)     power(dBm)  (C)          (V)      (mA)     (m)\n"
        "    1  -22.05    2.10      -25.40      36           3.300    6        700\n"
    )
    records = driver.parse("display ont info summary 0/1/3", summary)
    records += driver.parse("display ont optical-info 3 all", optical)
    readings = driver.readings(pon, records)
    assert [(r["onu_id"], r["run_state"], r["rx_dbm"]) for r in readings] == [
        (0, "offline", None),
        (1, "online", -22.05),
    ]
    causes = driver.listed_down_causes(pon, records)
    assert causes is not None
    assert [(c["onu_id"], c["down_cause"]) for c in causes] == [(0, None), (1, "dying-gasp")]


def test_an_onu_list_without_causes_leaves_them_to_their_own_read() -> None:
    driver = driver_class("huawei")(model="MA5800-X7")
    pon = PonPort(0, 2, 8)
    optical_only = [{"port": None, "onu_id": 0, "rx_dbm": -20.0, "olt_rx_dbm": -24.0}]
    assert driver.listed_down_causes(pon, optical_only) is None
    assert driver_class("zte")(model="C320").listed_down_causes(pon, optical_only) is None


def test_zte_reads_its_pon_list_with_the_optical_table() -> None:
    driver = driver_class("zte")(model="C600")
    reads = [s.line for s in driver.optical_ports([PonPort(1, 1, 2)]) if s.pon is not None]
    assert reads == [
        "show running-config interface gpon_olt-1/1/2",
        "show pon power onu-rx gpon_olt-1/1/2",
    ]


def test_parse_command_exits_3_on_an_unknown_layout_and_reads_abbreviations(cli: Any) -> None:
    unknown = cli.cwd / "state.txt"
    unknown.write_text(FUTURE_STATE)
    proc = cli(
        "parse", "--vendor", "zte", "--command", "sh gpon onu st gpon-olt_1/1/1", str(unknown)
    )
    assert proc.returncode == 3, proc.stderr
    assert "layout not known" in proc.stderr and "XGS" in proc.stderr
    known = cli.cwd / "known.txt"
    known.write_text(FUTURE_STATE.replace("   XGS", ""))
    proc = cli("parse", "--vendor", "zte", "--command", "sh gpon onu st gpon-olt_1/1/1", str(known))
    assert proc.returncode == 0, proc.stderr
    assert '"phase_state": "working"' in proc.stdout and '"onu_id": 2' in proc.stdout
