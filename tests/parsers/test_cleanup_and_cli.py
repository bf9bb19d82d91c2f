"""Terminal debris removal, value helpers, and `ispflow parse` as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ispflow.plugins.olt.cleanup import clean_lines, clean_text
from ispflow.plugins.olt.parsing import gpon_serial, number, port_text

CASES = Path(__file__).parent / "cases"
ROOT = Path(__file__).resolve().parents[2]


def test_clean_text_drops_cursor_moves_colours_and_carriage_returns() -> None:
    raw = "\x1b[1m  0  -19.40\x1b[0m\r\n  ---- More ( Press 'Q' to break ) ---- \x1b[37D  1  -20.1\r\n"
    assert clean_text(raw).split("\n") == ["  0  -19.40", "    1  -20.1", ""]


@pytest.mark.parametrize(
    "stop",
    [
        "---- More ( Press 'Q' to quit ) ----",  # Huawei
        "--More--",  # ZTE, Datacom
        "<--- More --->",  # ZTE
        "--Press any key to continue Ctrl+c to stop--",  # FiberHome: no "more" in it
    ],
)
def test_every_vendors_pager_stop_is_taken_out(stop: str) -> None:
    assert clean_text(f"  0  -19.40\n{stop}  1  -20.1\n").split("\n") == [
        "  0  -19.40",
        "  1  -20.1",
        "",
    ]


def test_clean_lines_drops_prompts_echo_smart_prompts_and_alarms() -> None:
    raw = (
        "OLT(config)#display ont info 0 1 0 all\n"
        "{ <cr>|ontid<U><0,127> }:\n"
        "  Command:\n"
        "          display ont info 0 1 0 all\n"
        "! CRITICAL ALARM 2026-11-24 10:00:00\n"
        "  ALARM NAME :The ONT is offline\n"
        "  kept line\n"
        "Command is being executed. Please wait...\n"
        "OLT(config)#"
    )
    assert clean_lines(raw, "display ont info 0 1 0 all") == ["  kept line"]


@pytest.mark.parametrize(
    "prompt",
    [
        "MA5800-X7>",
        "olt.poa-01/sul#show gpon onu state",
        "ZXAN(config-if-gpon-olt_1/1/1)#",
        "  OLT_01(gpon-onu-mng 1/1/1:5)#",
    ],
)
def test_prompts_of_any_name_are_dropped_and_rules_of_dashes_kept(prompt: str) -> None:
    rule = "  " + "-" * 78
    raw = f"{prompt}\n{rule}\n  0  -19.40\n-/.-_--\n{rule}"
    assert clean_lines(raw) == [rule, "  0  -19.40", "-/.-_--", rule]


def test_the_echo_without_a_prompt_is_dropped_in_any_case_and_spacing() -> None:
    raw = "  DISPLAY ont   info 0 1 0 all  \n  display ont info 0 1 0 all more\n  kept line"
    assert clean_lines(raw, "display ont info 0 1 0 all") == [
        "  display ont info 0 1 0 all more",
        "  kept line",
    ]
    assert clean_lines("  kept line", "display ont info 0 1 0 all") == ["  kept line"]


@pytest.mark.parametrize(
    ("shown", "serial"),
    [
        ("48575443A1B2C3D4", "HWTCA1B2C3D4"),
        ("48575443A1B2C3D4 (HWTC-A1B2C3D4)", "HWTCA1B2C3D4"),
        ("HWTC-a1b2c3d4", "HWTCA1B2C3D4"),
        ("ZTEGC8A1B2F0", "ZTEGC8A1B2F0"),
        ("48575443a1b2c3d4", "HWTCA1B2C3D4"),
        ("00000000a1b2c3d4", "00000000A1B2C3D4"),  # no vendor id in ASCII: kept as hex
        ("zteg-c8a1b2f0 spare", "ZTEGC8A1B2F0"),
        ("-", None),
    ],
)
def test_gpon_serial_forms(shown: str, serial: str | None) -> None:
    assert gpon_serial(shown) == serial


def test_number_and_port_helpers() -> None:
    for _ in range(2):  # numbers read once are remembered: the second reading is the same
        assert number("-16.676(dbm)") == -16.676
        assert number("N/A") is None and number("-") is None
        assert number("-21.55") == -21.55 and number("55(C)") == 55.0
    assert port_text("0/ 1/0") == "0/1/0"


def parse_cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "ispflow.py"), "parse", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )


def test_cli_prints_json_records() -> None:
    proc = parse_cli(
        "--vendor", "zte", "--command", "show pon power onu-rx gpon-olt_1/2/3",
        str(CASES / "zte" / "show_pon_power_onu-rx" / "pager_stop_and_na.txt"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert [r["rx_dbm"] for r in json.loads(proc.stdout)] == [-22.104, None, -28.35]


def test_cli_reads_standard_input() -> None:
    text = (CASES / "zte" / "show_gpon_onu_uncfg" / "empty_code_32310.txt").read_text()
    proc = parse_cli("--vendor", "zte", "--command", "show gpon onu uncfg", "-", stdin=text)
    assert (proc.returncode, json.loads(proc.stdout)) == (0, [])


def test_cli_device_refusal_exits_1_with_the_message() -> None:
    proc = parse_cli(
        "--vendor", "huawei", "--command", "ont add 5 sn-auth 48575443A1B2C3D4 omci",
        str(CASES / "huawei" / "ont_add" / "sn_already_exists.txt"),
    )  # fmt: skip
    assert proc.returncode == 1
    assert "SN already exists" in proc.stderr and proc.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--vendor", "nokia", "--command", "x", "-"], "nokia"),
        (["--vendor", "zte", "--command", "show fan", "-"], "no zte parser"),
        (["--vendor", "zte", "--command", "show gpon onu uncfg", "/nonexistent"], "cannot read"),
    ],
)
def test_cli_usage_errors_exit_2(args: list[str], message: str) -> None:
    proc = parse_cli(*args, stdin="")
    assert proc.returncode == 2 and message in proc.stderr
