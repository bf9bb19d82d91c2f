"""The Datacom DmOS driver, command side: what a DM46xx is sent, how its refusals read, and
which words of its configuration are secrets."""

from __future__ import annotations

import pytest

from ispflow.core.guard import UnsafeValueError
from ispflow.plugins.olt.datacom.driver import DatacomDriver, service_port_index
from ispflow.plugins.olt.driver import MASK, AuthorizeRequest, PonPort

PON = PonPort.parse("1/1/2")


def test_authorize_is_one_commit_with_the_onu_its_vlan_and_its_service_port() -> None:
    lines = DatacomDriver("DM4610").authorize(
        AuthorizeRequest(port=PON, onu_id=4, vlan=110, serial="DACM9131CC5C", description="TUP 1")
    )
    assert lines == [
        "config",
        "interface gpon 1/1/2 onu 4",
        "name TUP_1",
        "serial-number DACM9131CC5C",
        "line-profile DEFAULT-LINE",
        "ethernet 1",
        "native vlan vlan-id 110",
        "top",
        "service-port 2181",
        "gpon 1/1/2 onu 4 gem 1 match vlan vlan-id 110 action vlan replace vlan-id 110 "
        "description TUP_1",
        "commit",
        "end",
    ]


def test_a_named_line_profile_is_sent_as_named() -> None:
    lines = DatacomDriver().authorize(
        AuthorizeRequest(port=PON, onu_id=0, vlan=200, serial="DACM9131CC5C", line_profile="FTTH")
    )
    assert "line-profile FTTH" in lines and not any(line.startswith("name ") for line in lines)


def test_deauthorize_names_the_service_port_authorize_made_and_commits_once() -> None:
    assert DatacomDriver().deauthorize(PON, 4) == [
        "config",
        "no service-port 2181",
        "interface gpon 1/1/2",
        "no onu 4",
        "commit",
        "end",
    ]
    assert DatacomDriver().authorize_check(PON, 4) == [
        "show running-config service-port 2181 | nomore"
    ]


def test_service_ports_of_different_onus_never_share_an_index() -> None:
    indexes = {
        service_port_index(PonPort(1, 1, pon), onu) for pon in range(1, 17) for onu in range(0, 128)
    }
    assert len(indexes) == 16 * 128
    assert min(indexes) > 2048


def test_a_refused_change_is_left_with_abort_which_drops_the_candidate() -> None:
    assert DatacomDriver().leave_config() == ["abort"]


@pytest.mark.parametrize(
    "answer",
    [
        "Aborted: the configuration database is locked by session 59 dummy tcp",
        "--------------------------------^\nsyntax error: incomplete path: 'aaa'",
        "Error: element does not exist",
    ],
)
def test_refusals_are_recognised(answer: str) -> None:
    assert DatacomDriver().refused(answer) == answer.splitlines()[-1]


def test_what_is_not_a_refusal() -> None:
    driver = DatacomDriver()
    assert driver.refused("Commit complete.") is None
    assert driver.refused("% No modifications to commit.") is None
    assert driver.refused("% No entries found.", "show interface gpon discovered-onus") is None


def test_removing_what_is_not_there_is_tolerated() -> None:
    assert DatacomDriver.nothing_to_remove.search("Error: element does not exist")


def test_a_description_that_could_end_the_command_is_refused() -> None:
    with pytest.raises(UnsafeValueError):
        DatacomDriver().describe(PON, 1, "x\ncommit")


def test_a_portuguese_description_is_written_in_the_letters_dmos_takes() -> None:
    driver = DatacomDriver("DM4610")
    assert driver.onu_description("São João inadimplência") == "Sao_Joao_inadimplencia"
    assert driver.onu_description("Rua 7/B, apto 3") == "Rua_7_B_apto_3"
    lines = driver.authorize(
        AuthorizeRequest(
            port=PON, onu_id=4, vlan=110, serial="DACM9131CC5C", description="Conceição"
        )
    )
    assert "name Conceicao" in lines and lines[-3].endswith("description Conceicao")


@pytest.mark.parametrize("serial", ["DACM12", "DACM9131CC5CAA", "DACM9131CC5Z"])
def test_a_serial_of_the_wrong_shape_is_refused_before_any_line(serial: str) -> None:
    driver = DatacomDriver("DM4610")
    with pytest.raises(ValueError, match="is not a GPON serial"):
        driver.authorize(AuthorizeRequest(port=PON, onu_id=4, vlan=110, serial=serial))
    with pytest.raises(ValueError):
        driver.onu_by_serial(serial)


def test_a_serial_is_sent_in_the_form_dmos_shows() -> None:
    driver = DatacomDriver("DM4610")
    assert driver.onu_by_serial("dacm-9131cc5c") == [
        "show interface gpon onu | include DACM9131CC5C | nomore"
    ]
    assert driver.onu_by_serial("4441434D9131CC5C") == driver.onu_by_serial("DACM9131CC5C")


def test_one_bulk_read_per_pon_and_no_down_cause_read() -> None:
    driver = DatacomDriver()
    steps = driver.optical_ports([PON, PonPort.parse("1/1/3")])
    assert [(s.line, str(s.pon)) for s in steps] == [
        ("show interface gpon 1/1/2 onu | nomore", "1/1/2"),
        ("show interface gpon 1/1/2 onu | display curly-braces | nomore", "1/1/2"),
        ("show interface gpon 1/1/3 onu | nomore", "1/1/3"),
        ("show interface gpon 1/1/3 onu | display curly-braces | nomore", "1/1/3"),
    ]
    assert driver.down_cause_ports([PON]) == []


def test_readings_join_the_optical_rows_to_the_onu_list() -> None:
    driver = DatacomDriver()
    records = [
        {"port": "1/1/2", "onu_id": 0, "serial": "DACM0A1B2C3D", "run_state": "offline"},
        {"port": "1/1/2", "onu_id": 3, "serial": "DACM91AB0017", "run_state": "online"},
        {"port": "1/1/2", "onu_id": 0, "rx_dbm": None, "tx_dbm": None, "olt_rx_dbm": None},
        {"port": "1/1/2", "onu_id": 3, "rx_dbm": -21.37, "tx_dbm": 2.41, "olt_rx_dbm": None},
    ]
    readings = driver.readings(PON, records)
    assert [(r["onu_id"], r["serial"], r["rx_dbm"], r["run_state"]) for r in readings] == [
        (0, "DACM0A1B2C3D", None, "offline"),
        (3, "DACM91AB0017", -21.37, "online"),
    ]


def test_a_service_port_at_the_index_for_another_onu_is_not_this_onus() -> None:
    driver = DatacomDriver()
    mine = {"index": 2181, "port": "1/1/2", "onu_id": 4, "vlan": 110}
    theirs = {"index": 2181, "port": "1/1/3", "onu_id": 9, "vlan": 110}
    assert driver.authorize_missing(110, [mine]) == ([], [])
    assert driver.authorize_missing(110, [theirs]) == (["service port with VLAN 110"], [])


# (line, its secrets), in DmOS's configuration syntax.
DMOS: list[tuple[str, tuple[str, ...]]] = [
    ("aaa user admin", ()),
    (" password $1$9c0ffee$AbCdEfGhIjKlMnOpQrStU.", ("$1$9c0ffee$AbCdEfGhIjKlMnOpQrStU.",)),
    ("snmp community N0cR34d", ("N0cR34d",)),
    (" sec-name public", ()),
    (
        "snmp user noc-v3 authentication-protocol sha authentication-password Auth77 "
        "privacy-protocol aes privacy-password Priv88",
        ("Auth77", "Priv88"),
    ),
    ("radius server 10.0.0.4 secret-key R4d1usK3y", ("R4d1usK3y",)),
    ("tacacs server 10.0.0.5 key T4c4cs", ("T4c4cs",)),
    ("  password 1234567890", ("1234567890",)),
    ("  name CLIENTE_password_42", ()),
    (" gpon 1/1/2 onu 4 gem 1 match vlan vlan-id 110 action vlan replace vlan-id 110", ()),
]


@pytest.mark.parametrize(("line", "secrets"), DMOS)
def test_secrets_are_masked_and_the_rest_of_the_line_kept(
    line: str, secrets: tuple[str, ...]
) -> None:
    masked = DatacomDriver().mask_config(line)
    for secret in secrets:
        assert secret not in masked
    expected = line
    for secret in secrets:
        expected = expected.replace(secret, MASK, 1)
    assert masked == expected
