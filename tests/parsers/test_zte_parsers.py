"""ZTE C300/C320 and C600 answers read into records."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugins.olt import parsers_for
from plugins.olt.parsing import DeviceError

FIXTURES = Path(__file__).parent / "fixtures" / "zte"


def parse(command: str, fixture: str) -> list[dict]:
    return parsers_for("zte").parse(command, (FIXTURES / fixture).read_text())


def test_empty_uncfg_is_an_empty_list_not_an_error() -> None:
    assert parse("show gpon onu uncfg", "uncfg_empty.txt") == []


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        (
            "uncfg_c320.txt",
            [("1/2/3", 1, "ZTEGC8A1B2F0"), ("1/2/4", 1, "HWTC0BADF00D")],
        ),
        ("uncfg_c600.txt", [("1/1/2", 1, "ZTEG00C0FFEE")]),
    ],
)
def test_uncfg_in_both_namings(fixture: str, expected: list[tuple]) -> None:
    rows = parse("show gpon onu uncfg", fixture)
    assert [(r["port"], r["index"], r["serial"]) for r in rows] == expected
    assert all(r["state"] == "unknown" for r in rows)


def test_state_skips_log_lines_and_maps_phase_to_run_state() -> None:
    rows = parse("show gpon onu state gpon-olt_1/2/3", "state_c320.txt")
    assert [(r["onu_id"], r["phase_state"], r["run_state"]) for r in rows] == [
        (1, "working", "online"),
        (2, "DyingGasp", "offline"),
        (4, "LOS", "offline"),
    ]
    assert {r["port"] for r in rows} == {"1/2/3"}


def test_state_with_c600_naming() -> None:
    [row] = parse("show gpon onu state gpon_olt-1/1/2", "state_c600.txt")
    assert (row["port"], row["onu_id"], row["run_state"]) == ("1/1/2", 7, "online")


def test_onu_rx_reads_dbm_through_the_pager_and_na_as_null() -> None:
    rows = parse("show pon power onu-rx gpon-olt_1/2/3", "onu_rx_pager.txt")
    assert [(r["onu_id"], r["rx_dbm"]) for r in rows] == [(1, -22.104), (2, None), (4, -28.35)]


def test_attenuation_gives_both_directions() -> None:
    [row] = parse("show pon power attenuation gpon-onu_1/2/3:1", "attenuation.txt")
    assert (row["port"], row["onu_id"]) == ("1/2/3", 1)
    assert (row["olt_rx_dbm"], row["tx_dbm"], row["attenuation_up_db"]) == (-24.01, 2.105, 26.115)
    assert (row["olt_tx_dbm"], row["rx_dbm"], row["attenuation_down_db"]) == (4.88, -22.104, 26.984)


def test_detail_info() -> None:
    [row] = parse("show gpon onu detail-info gpon-onu_1/2/3:1", "detail.txt")
    assert row["name"] == "C-2002" and row["onu_type"] == "F670L"
    assert row["serial"] == "ZTEGC8A1B2F0" and row["distance_m"] == 1840
    assert row["description"] == "CTO-S02-0301_P07" and row["run_state"] == "online"


def test_onu_add_refused_carries_the_code_and_message() -> None:
    with pytest.raises(DeviceError) as refused:
        parse("onu 2 type F670L sn ZTEGC8A1B2F0", "onu_add_refused.txt")
    assert "32358" in refused.value.message and "already exists" in refused.value.message


def test_an_empty_answer_to_a_change_is_still_a_refusal() -> None:
    # %Code 32310 means "nothing to show" only for show commands
    with pytest.raises(DeviceError):
        parsers_for("zte").parse(
            "no onu 9", "%Code 32310-GPONSRV : No related information to show.\n"
        )


def test_onu_config_gives_the_name_then_each_service_port() -> None:
    rows = parse("show running-config interface gpon-onu_1/2/3:4", "onu_config_c320.txt")
    assert rows == [
        {"port": "1/2/3", "onu_id": 4, "description": "C-2004_Joana"},
        {"port": "1/2/3", "onu_id": 4, "vlan": 210, "user_vlan": 210, "index": 1, "vport": 1},
        # masked VLANs, as in shared configurations
        {"port": "1/2/3", "onu_id": 4, "vlan": None, "user_vlan": None, "index": 2, "vport": 2},
    ]


def test_onu_config_with_c600_naming_and_no_vport_on_the_line() -> None:
    rows = parse("show running-config interface gpon_onu-1/1/2:7", "onu_config_c600.txt")
    assert rows == [
        {"port": "1/1/2", "onu_id": 7, "description": "CTO-01_P03"},
        {"port": "1/1/2", "onu_id": 7, "vlan": 102, "user_vlan": 102, "index": 1, "vport": None},
    ]


def test_c600_vport_interface_names_the_onu_and_the_vport() -> None:
    rows = parse("show running-config interface vport-1/1/2.7:1", "vport_config_c600.txt")
    assert rows == [
        {"port": "1/1/2", "onu_id": 7, "vlan": 1102, "user_vlan": 102, "index": 3, "vport": 1}
    ]


def test_onu_config_without_a_name_or_service_port() -> None:
    rows = parse("show running-config interface gpon-onu_1/2/3:6", "onu_config_unnamed.txt")
    assert rows == [{"port": "1/2/3", "onu_id": 6, "description": None}]


def test_onu_config_of_a_missing_onu_has_no_records() -> None:
    answer = "%Code 32310-GPONSRV : No related information to show.\n"
    assert parsers_for("zte").parse("show running-config interface gpon-onu_1/2/3:9", answer) == []


def test_describe_lines_have_no_records_and_a_refused_name_is_an_error() -> None:
    zte = parsers_for("zte")
    for line in ("configure terminal", "interface gpon_onu-1/1/2:7", "name C-2004_Joana", "end"):
        assert zte.parse(line, "OLT-C600(config)#") == []
    with pytest.raises(DeviceError, match="140303"):
        zte.parse("name C-2004_Joana", "%Error 140303: Invalid input detected at '^' marker.\n")
