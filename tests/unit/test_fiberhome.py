"""The FiberHome AN5516 driver's own rules: serials in the OLT's case, the two firmware
dialects, refusals, masking, and parsers that never turn an unknown answer into nothing."""

from __future__ import annotations

import pytest

from ispflow.plugins.olt import parsers_for
from ispflow.plugins.olt.driver import AuthorizeRequest, PonPort
from ispflow.plugins.olt.drivers import driver_class
from ispflow.plugins.olt.fiberhome.driver import device_serial
from ispflow.plugins.olt.fiberhome.session import in_dialect
from ispflow.plugins.olt.parsing import DeviceError, UnreadableOutput


@pytest.fixture
def driver():  # type: ignore[no-untyped-def]
    return driver_class("fiberhome")(model="AN5516-06")


@pytest.mark.parametrize(
    ("given", "sent"),
    [
        ("FHTT9d7c9f80", "FHTT9d7c9f80"),  # as discovered: sent as it is
        ("FHTT9D7C9F80", "FHTT9d7c9f80"),  # upper-cased on the way (a runbook's serial type)
        ("fhtt9d7c9f80", "FHTT9d7c9f80"),
        ("FHTT-9d7c9f80", "FHTT9d7c9f80"),
        ("464854549D7C9F80", "FHTT9d7c9f80"),  # the hex form
        ("DD1B3edac7ed", "DD1B3edac7ed"),  # another vendor's ONU: the same rule
    ],
)
def test_serials_go_out_as_the_olt_prints_them(given: str, sent: str) -> None:
    assert device_serial(given) == sent


@pytest.mark.parametrize(
    "bad", ["FHTT9d7c9f8", "FHTT9d7c9f8g", "FHTT 9d7c9f80", "FHTT9d7c9f80\nsave"]
)
def test_a_serial_that_is_not_one_is_refused_before_any_line(bad: str) -> None:
    with pytest.raises(ValueError, match="serial"):
        device_serial(bad)


def test_authorize_whitelists_the_serial_in_the_olts_case(driver) -> None:  # type: ignore[no-untyped-def]
    request = AuthorizeRequest(
        port=PonPort.parse("1/3/7"), onu_id=5, vlan=120, serial="FHTT9D7C9F80",
        description="Maria Silva",
    )  # fmt: skip
    lines = driver.authorize(request)
    assert lines[0] == (
        "set whitelist phy_addr address FHTT9d7c9f80 password null action add "
        "slot 3 pon 7 onu 5 type 5506-04-F1"
    )
    assert "set onu_desc slot 3 pon 7 onu 5 desc Maria_Silva" in lines
    assert lines[-2].endswith("service 1 vlan_mode tag 0 33024 120")
    assert lines[-1] == "apply onu 3 7 5 vlan"
    assert driver.onu_by_serial("FHTT9D7C9F80") == ["show whitelist phy_addr address FHTT9d7c9f80"]
    assert driver.deauthorize(PonPort.parse("1/3/7"), 5) == ["no whitelist slot 3 pon 7 onu 5"]


# One PON's discovery table in the newer firmware's layout and the older one's (as captured
# answers print them; serials in the OLT's case).
NEWER_DISCOVERY = """\
----- ONU Unauth Table, SLOT = 4, PON = 8, ITEM = 2 -----
No  OnuType        PhyId        PhyPwd     LogicId                  LogicPwd     Why
--- -------------- ------------ ---------- ------------------------ ------------ ---
1   5506-04-F1     FHTT033178b0 fiberhome  fiberhome                fiberhome    1
2   HG6243C        FHTT92f445c8 fiberhome  fiberhome                fiberhome    1

Command executes success.
"""
OLDER_DISCOVERY = """\
-----  ONU Unauth Table ,SLOT=4 PON=8 ,ITEM=2-----
NO       TYPE           PHY_ID        PWD           SN LOID, SN PWD
--  --------------  ------------  ----------  --------------------------
01  HG260           ZNTSa0b1c2d3              , \r
02  HG6243C         FHTT92f445c8              , \r
"""


@pytest.mark.parametrize("answer", [NEWER_DISCOVERY, OLDER_DISCOVERY])
def test_with_no_type_given_authorize_reads_the_pons_discovery_for_the_onus_own(
    driver,
    answer: str,  # type: ignore[no-untyped-def]
) -> None:
    request = AuthorizeRequest(
        port=PonPort.parse("1/4/8"), onu_id=5, vlan=120, serial="FHTT92F445C8"
    )
    [read] = driver.onu_type_reads(request)
    assert read == "show discovery slot 4 pon 8"
    assert in_dialect(read, "link") == "show discovery slot 4 link 8"
    records = driver.parse(read, answer)
    assert driver.discovered_type(request, records) == "HG6243C"
    request.onu_type = driver.discovered_type(request, records)
    assert driver.authorize(request)[0].endswith("slot 4 pon 8 onu 5 type HG6243C")


def test_an_onu_discovery_does_not_list_on_its_pon_has_no_discovered_type(driver) -> None:  # type: ignore[no-untyped-def]
    records = driver.parse("show discovery slot 4 pon 8", NEWER_DISCOVERY)
    elsewhere = AuthorizeRequest(
        port=PonPort.parse("1/4/7"), onu_id=5, vlan=1, serial="FHTT92f445c8"
    )
    absent = AuthorizeRequest(port=PonPort.parse("1/4/8"), onu_id=5, vlan=1, serial="FHTT0badcafe")
    assert driver.discovered_type(elsewhere, records) is None
    assert driver.discovered_type(absent, records) is None
    assert driver.authorize(absent)[0].endswith("type 5506-04-F1")  # the default


def test_a_given_type_costs_no_read_and_is_sent_as_given(driver) -> None:  # type: ignore[no-untyped-def]
    request = AuthorizeRequest(
        port=PonPort.parse("1/4/8"), onu_id=5, vlan=1, serial="FHTT92f445c8", onu_type="HG6145E"
    )
    assert driver.onu_type_reads(request) == []
    assert driver.authorize(request)[0].endswith("type HG6145E")


@pytest.mark.parametrize("bad", ["HG 6145E", "HG6145E\nsave", "HG6145E;save"])
def test_a_type_that_is_not_one_word_is_refused_before_any_line(driver, bad: str) -> None:  # type: ignore[no-untyped-def]
    request = AuthorizeRequest(
        port=PonPort.parse("1/4/8"), onu_id=5, vlan=1, serial="FHTT92f445c8", onu_type=bad
    )
    with pytest.raises(ValueError, match="onu_type|ONU type"):
        driver.authorize(request)


def test_a_port_outside_the_one_frame_is_refused(driver) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="frame 1 only"):
        driver.list_onus(PonPort.parse("0/3/7"))


@pytest.mark.parametrize(
    ("line", "older"),
    [
        ("show authorization slot 3 pon 7", "show authorization slot 3 link 7"),
        ("show discovery slot all pon all", "show discovery slot all link all"),
        ("show optic_module slot 3 pon 7 onu 5", "show optic_module slot 3 link 7 onu 5"),
        ("no whitelist slot 3 pon 7 onu 5", "no whitelist slot 3 link 7 onu 5"),
        (
            "set whitelist phy_addr address FHTT9d7c9f80 password null action add slot 3 pon 7 "
            "onu 5 type HG6145E",
            "set whitelist phy_addr address FHTT9d7c9f80 password null action add slot 3 link 7 "
            "onu 5 type HG6145E",
        ),
        # `set epon` names the PON `pon` on both; the rest has no PON.
        ("set epon slot 3 pon 7 onu 5 port 1 service number 1", None),
        ("apply onu 3 7 5 vlan", None),
        ("show version", None),
        ("cd onu", "cd gpononu"),
    ],
)
def test_the_session_writes_lines_in_the_older_dialect(line: str, older: str | None) -> None:
    assert in_dialect(line, "pon") == line
    assert in_dialect(line, "link") == (older or line)


def test_refusals_are_errors_and_the_harmless_ones_are_named(driver) -> None:  # type: ignore[no-untyped-def]
    unactive = "\r\n[ ERR -553 ] onu is in unactive!\n\r\n\rAdmin\\onu# "
    said = driver.refused(unactive, "show optic_module slot 1 pon 1 onu 3")
    assert said == "[ ERR -553 ] onu is in unactive!"
    assert driver.onu_offline.search(said)
    gone = driver.refused(
        "[ ERR -506 ] the onu is not authorized!", "no whitelist slot 1 pon 1 onu 3"
    )
    assert gone and driver.nothing_to_remove.search(gone)
    assert driver.refused("[ERR -598] physical address is error!") is not None
    assert driver.refused("Command executes failed.") is not None
    assert driver.refused("Command executes success.") is None
    with pytest.raises(DeviceError, match="ERR -598"):
        parsers_for("fiberhome").parse(
            "set whitelist phy_addr address FHTT9D7C9F80 password null action add slot 1 pon 1 "
            "onu 1 type HG6145E",
            "[ERR -598] physical address is error!\nAdmin\\onu# ",
        )


def test_configuration_secrets_are_masked(driver) -> None:  # type: ignore[no-untyped-def]
    config = "\n".join(
        [
            "add user admin password s3cr3tAdmin level admin",
            "set community pUbl1cRO access read",
            "set whitelist phy_addr address FHTT9d7c9f80 password onuPwd1 action add slot 1 "
            "pon 1 onu 1 type HG6145E",
            "set wancfg slot 1 1 1 index 1 mode internet type route 100 0 nat enable qos disable "
            "dsp pppoe proxy disable maria.silva PppPass9 null auto active enable",
            "set wifi_serv_cfg slot 1 1 1 ssid 1 wpa_share_key WiFiKey77 enable",
            "set onu_desc slot 1 pon 1 onu 1 desc password_reset_customer",
        ]
    )
    masked = driver.mask_config(config)
    for secret in ("s3cr3tAdmin", "pUbl1cRO", "onuPwd1", "PppPass9", "WiFiKey77"):
        assert secret not in masked
    assert "maria.silva *** null auto" in masked  # the user name stays, its password goes
    assert "desc password_reset_customer" in masked
    assert len(masked.splitlines()) == len(config.splitlines())


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("show discovery slot all pon all", "ONU 1/2/3 FHTT9d7c9f80 waiting\n"),
        ("show authorization slot 1 pon 1", "Slot 1 Pon 1: 3 ONUs\n"),
        ("show whitelist phy_addr", "FHTT9d7c9f80 at 1/1/1\n"),
        ("show optic_module slot 1 pon 1 onu 1", "RX -20.1 dBm\n"),
        ("show version", "AN5516-06 RP0800\n"),
        ("show onu_config slot 1 pon 1 onu 1", "vlan 100\n"),
    ],
)
def test_an_answer_in_a_layout_not_known_is_an_error_never_an_empty_list(
    command: str, answer: str
) -> None:
    with pytest.raises(UnreadableOutput):
        parsers_for("fiberhome").parse(command, answer + "Admin\\onu# ")


def test_empty_tables_are_empty_lists() -> None:
    parsers = parsers_for("fiberhome")
    assert parsers.parse("show discovery slot all pon all", "Command executes success.\n") == []
    empty = "-----  ONU Auth Table ,SLOT=1 PON=2 ,ITEM=0 -----\n\rAdmin\\gpononu# "
    assert parsers.parse("show authorization slot 1 link 2", empty) == []
