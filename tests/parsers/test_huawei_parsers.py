"""Huawei SmartAX answers, captured the way a session sees them, read into records."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugins.olt import parsers_for
from plugins.olt.parsing import DeviceError, ParseError

FIXTURES = Path(__file__).parent / "fixtures" / "huawei"


def parse(command: str, fixture: str) -> list[dict]:
    return parsers_for("huawei").parse(command, (FIXTURES / fixture).read_text())


def test_autofind_reads_every_block_with_the_serial_as_shown() -> None:
    found = parse("display ont autofind all", "autofind.txt")
    assert [(f["number"], f["port"], f["serial"]) for f in found] == [
        (1, "0/2/5", "HWTCA1B2C3D4"),
        (2, "0/2/7", "ZTEGC0FFEE01"),
    ]
    first, second = found
    assert first["serial_hex"] == "48575443A1B2C3D4"
    assert first["model"] == "HG8245Q2"
    assert first["mac"] == "70:a8:e3:c1:0f:22"
    assert first["found_at"] == "2026-11-20 09:14:02-03:00"
    assert second["mac"] is None and second["equipment_sn"] is None


def test_optical_table_survives_the_pager_and_reads_offline_as_null() -> None:
    rows = parse("display ont optical-info 5 all", "optical_all_pager.txt")
    assert [r["onu_id"] for r in rows] == [0, 1, 2, 3, 4]
    by_id = {r["onu_id"]: r for r in rows}
    assert by_id[0]["rx_dbm"] == -19.40 and by_id[0]["olt_rx_dbm"] == -21.05
    assert by_id[0]["distance_m"] == 2315 and by_id[0]["voltage_v"] == 3.28
    assert all(by_id[2][k] is None for k in ("rx_dbm", "tx_dbm", "olt_rx_dbm", "distance_m"))
    # the row printed right after the pager stop and its cursor moves
    assert by_id[3]["rx_dbm"] == -7.12 and by_id[3]["distance_m"] == 312


def test_optical_one_after_a_smart_mode_prompt() -> None:
    [reading] = parse("display ont optical-info 5 0", "optical_one_smart.txt")
    assert reading["onu_id"] == 0
    assert (reading["rx_dbm"], reading["tx_dbm"], reading["olt_rx_dbm"]) == (-21.37, 2.41, -23.9)
    assert reading["temperature_c"] == 49 and reading["bias_ma"] == 12
    assert reading["module"] == "GPON"


def test_optical_one_offline_is_the_device_refusing() -> None:
    with pytest.raises(DeviceError, match="The ONT is not online"):
        parse("display ont optical-info 5 9", "optical_one_offline.txt")


def test_info_table_joins_descriptions_and_ignores_an_alarm_in_the_middle() -> None:
    rows = parse("display ont info 0 2 5 all", "info_table_alarm.txt")
    assert [(r["port"], r["onu_id"]) for r in rows] == [("0/2/5", 0), ("0/2/5", 1), ("0/2/5", 3)]
    by_id = {r["onu_id"]: r for r in rows}
    assert by_id[0]["serial"] == "HWTCA1B2C3D4"
    assert by_id[0]["description"] == "C-1001 Maria Souza"
    assert by_id[1]["run_state"] == "offline" and by_id[1]["description"] is None
    assert by_id[3]["match_state"] == "mismatch" and by_id[3]["serial"] == "ZTEGC0FFEE01"


def test_info_by_sn_reads_the_detail_block_with_a_wrapped_description() -> None:
    [ont] = parse("display ont info by-sn 48575443A1B2C3D4", "info_by_sn.txt")
    assert (ont["port"], ont["onu_id"], ont["serial"]) == ("0/2/5", 0, "HWTCA1B2C3D4")
    assert ont["run_state"] == "online" and ont["distance_m"] == 2315
    assert ont["temperature_c"] == 44
    assert ont["description"] == "C-1001_Maria_Souza_Rua_das_Acacias_1234_apto_52_bloco_B"
    assert (ont["line_profile"], ont["service_profile"]) == ("10", "10")


def test_info_summary_merges_state_and_ont_tables() -> None:
    rows = parse("display ont info summary 0/2/5", "info_summary.txt")
    by_id = {r["onu_id"]: r for r in rows}
    assert set(by_id) == {0, 1}
    assert by_id[0]["port"] == "0/2/5" and by_id[0]["model"] == "HG8245Q2"
    assert (by_id[0]["rx_dbm"], by_id[0]["tx_dbm"]) == (-19.4, 2.31)
    assert by_id[1]["rx_dbm"] is None and by_id[1]["distance_m"] is None
    assert by_id[1]["run_state"] == "offline" and by_id[1]["last_down_cause"] == "LOSi/LOBi"


def test_ont_add_success_gives_the_new_id() -> None:
    command = 'ont add 5 sn-auth 48575443A1B2C3D4 omci ont-lineprofile-id 10 ont-srvprofile-id 10 desc "C-1001"'
    assert parse(command, "ont_add_ok.txt") == [{"port": None, "port_number": 5, "onu_id": 4}]


def test_ont_add_refused_carries_the_device_message() -> None:
    command = "ont add 5 sn-auth 48575443A1B2C3D4 omci ont-lineprofile-id 10 ont-srvprofile-id 10"
    with pytest.raises(DeviceError) as refused:
        parse(command, "ont_add_sn_exists.txt")
    assert refused.value.message == "Failure: SN already exists"
    assert refused.value.command == command


def test_ont_add_without_confirmation_is_an_error_not_a_guess() -> None:
    with pytest.raises(DeviceError, match="did not confirm"):
        parsers_for("huawei").parse("ont add 5 sn-auth 48575443A1B2C3D4", "OLT#\n")


def test_unknown_command_error_is_reported() -> None:
    with pytest.raises(DeviceError, match="Unknown command"):
        parse("screen-length 0 temporary", "unknown_command.txt")


def test_mode_changes_have_no_records() -> None:
    assert parsers_for("huawei").parse("interface gpon 0/2", "OLT(config-if-gpon-0/2)#") == []


def test_a_command_without_a_parser_is_named() -> None:
    with pytest.raises(ParseError, match="display temperature 0"):
        parsers_for("huawei").parse("display temperature 0", "")


def test_unknown_vendor() -> None:
    with pytest.raises(ValueError, match="fiberhome"):
        parsers_for("fiberhome")


def test_service_ports_of_a_pon_after_a_smart_prompt_and_an_alarm() -> None:
    rows = parse("display service-port port 0/2/5", "service_port_pon.txt")
    assert [(r["index"], r["port"], r["onu_id"], r["gemport"]) for r in rows] == [
        (7, "0/2/5", 0, 1),
        (12, "0/2/5", 1, 1),
        (13, "0/2/5", 1, 2),
        (140, "0/2/5", 17, 1),
    ]
    assert [(r["vlan"], r["user_vlan"], r["state"]) for r in rows] == [
        (305, 305, "up"),
        (305, 305, "down"),
        (830, None, "down"),  # no user VLAN when the flow is not a VLAN match
        (305, 42, "up"),
    ]


def test_service_ports_of_one_ont_with_a_two_digit_slot_and_the_note() -> None:
    [row] = parse("display service-port port 0/12/3 ont 9 | no-more", "service_port_ont.txt")
    assert row == {
        "port": "0/12/3",
        "onu_id": 9,
        "vlan": 1200,
        "user_vlan": 1200,
        "gemport": 1,
        "index": 2051,
        "state": "up",
    }


def test_a_pon_without_service_ports_is_the_device_refusing() -> None:
    with pytest.raises(DeviceError, match="No service virtual port"):
        parse("display service-port port 0/2/6", "service_port_none.txt")


def test_describe_lines_have_no_records_and_a_missing_ont_is_refused() -> None:
    huawei = parsers_for("huawei")
    for line in ("config", "interface gpon 0/2", 'ont modify 5 4 desc "C-2004_Joana"', "return"):
        assert huawei.parse(line, "OLT-NORTE-01(config-if-gpon-0/2)#") == []
    with pytest.raises(DeviceError, match="The ONT does not exist"):
        parse('ont modify 5 40 desc "C-2040_Maria"', "ont_modify_missing.txt")
