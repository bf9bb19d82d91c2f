"""Alarm and log lines printed in the middle of an answer do not change what is read."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from netmiko import ConnectHandler
from netmiko.ssh_dispatcher import CLASS_MAPPER

from ispflow.plugins.connections.olt_cli import OltCli
from ispflow.plugins.olt import parsers_for
from tests.lab.conftest import RunningLab, start_lab, step_results

READS = {
    "MA5800-X7": ("huawei_smartax", ["enable", "config", "interface gpon 0/1"],
                  "display ont optical-info 0 all", "ALARM"),
    "C320": ("zte_zxros", [], "show pon power onu-rx gpon-olt_1/1/1", "%"),
    # DmOS has no optical table: the PON's ONUs with their optics in one answer.
    "DM4610": ("datacom_dmos", [],
               "show interface gpon 1/1/1 onu | display curly-braces | nomore", "System message"),
}  # fmt: skip


@pytest.fixture
def alarm_lab(tmp_path: Path) -> Iterator[RunningLab]:
    """The usual fleet and two DmOS OLTs, printing alarm and log lines in the middle of some
    answers; on the oldest firmware, whose bulk tables list every ONU (offline ones too)."""
    yield from start_lab(
        tmp_path, "--alarms", "--firmware", "oldest", "--vendors", "huawei,zte,datacom",
        "--olts", "6",
    )  # fmt: skip


def cli_session(lab: RunningLab, olt: dict[str, Any], device_type: str) -> Any:
    """netmiko's own class for the platforms it knows; ispflow's session for the others."""
    if device_type in CLASS_MAPPER:
        return ConnectHandler(
            device_type=device_type,
            host="127.0.0.1",
            port=olt["port"],
            username="lab",
            password=lab.password(),
        )
    plugin = OltCli()
    plugin.open("127.0.0.1", "lab", lab.password(), olt["port"], device_type)
    return plugin.connection


def ids_and_rx(records: list[dict[str, Any]]) -> list[tuple[int, float | None]]:
    return [(r["onu_id"], r["rx_dbm"]) for r in records]


@pytest.mark.parametrize("model", sorted(READS))
def test_a_bulk_read_with_an_alarm_inside_parses_like_one_without(
    alarm_lab: RunningLab, model: str
) -> None:
    olt = alarm_lab.olt_of_model(model)
    device_type, setup, command, marker = READS[model]
    parsers = parsers_for(olt["vendor"])
    with_alarm, without = None, None
    with cli_session(alarm_lab, olt, device_type) as conn:
        for line in setup:
            conn.send_command(line, expect_string=r"[>#]\s*$")
        for _ in range(60):
            raw = conn.send_command(command, expect_string=r"[>#]\s*$", strip_prompt=False)
            has_alarm = any(marker in line and "(dbm)" not in line for line in raw.splitlines())
            if has_alarm and with_alarm is None:
                with_alarm = raw
            elif not has_alarm and without is None:
                without = raw
            if with_alarm and without:
                break
    assert with_alarm is not None, "the lab printed no alarm in 60 answers"
    assert without is not None
    clean = parsers.parse(command, without)
    noisy = parsers.parse(command, with_alarm)
    assert len(clean) == 4  # the ONUs the lab put on that PON
    # Flapping ONUs may change state between the two reads; the rest must agree exactly.
    assert [r["onu_id"] for r in noisy] == [r["onu_id"] for r in clean]
    steady = [pair for pair in zip(ids_and_rx(noisy), ids_and_rx(clean), strict=True)]
    assert sum(a == b for a, b in steady) >= len(steady) - 1


def test_fleet_signal_run_reads_every_authorized_onu_despite_alarms(alarm_lab: RunningLab) -> None:
    report = alarm_lab.run_json("onu-signal", expect=None)
    read = {
        (r["host"], reading["port"], reading["onu_id"])
        for r in step_results(report, "read signal")
        for reading in r["result"] or []
    }
    expected = {(onu["olt"], onu["port"], onu["onu_id"]) for onu in alarm_lab.onus(autofind=False)}
    assert read == expected
