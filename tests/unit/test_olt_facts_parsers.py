"""Chassis facts, configuration text and secret masking, from captured answers."""

from __future__ import annotations

import pytest

from ispflow.plugins.olt import parsers_for
from ispflow.plugins.olt.drivers import driver_class
from ispflow.plugins.olt.parsing import DeviceError, UnreadableOutput

HUAWEI_BOARD = """\
  -------------------------------------------------------------------------
  SlotID  BoardName  Status          SubType0 SubType1    Online/Offline
  -------------------------------------------------------------------------
  0       H901MPLA   Active_normal   CPCF                 \x20
  1       H901MPLA   Standby_failed  CPCF                 Offline \x20
  2     \x20
  3       H901GPHF   Normal                               \x20
  -------------------------------------------------------------------------
"""

HUAWEI_VERSION = """
  VERSION : MA5600V800R018C10
  PATCH   : SPH207
  PRODUCT : MA5608T

  Uptime is 1 day(s), 2 hour(s), 3 minute(s), 4 second(s)
"""

PAGER = "---- More ( Press 'Q' to break ) ----"
PAGER_ERASE = "\x1b[37D" + " " * 37 + "\x1b[37D"
# A smart-mode read through a raw terminal: parameter prompt, echo, a pager stop and an alarm.
HUAWEI_CONFIG = (
    "OLT-A#display current-configuration\r\n"
    "{ <cr>|ont<K>|port<K>|section<K>|service-port<K>|simple<K>||<K> }:\r\n"
    "\r\n  Command:\r\n          display current-configuration \x1b[1D\r\n"
    "[MA5600V800R018: 8103]\r\n#\r\n[global-config]\r\n  <global-config>\r\n"
    " sysname OLT-A\r\n"
    ' terminal user name buildrun_new_password root "x!Yz$1c%^%#q" 1 3 "admin user"\r\n'
    + PAGER
    + PAGER_ERASE
    + "#\r\n"
    "[public-config]\r\n  <public-config>\r\n"
    " snmp-agent community read cipher %^%#AbC.d(e)F%^%#\r\n"
    " snmp-agent community write cipher %^%#GhI:j;k%^%#\r\n"
    "\r\n  ! MAJOR ALARM 2026-01-02 03:04:05-03:00\r\n"
    "  ALARM  123  FAULT  MAJOR    0x2e112001  ID: 77  GPON\r\n"
    "  ALARM NAME :The ONT is offline\r\n"
    "  PARAMETERS :FrameID: 0, SlotID: 1, PortID: 0, ONT ID: 3, Cause: LOSi/LOBi\r\n\r\n"
    "#\r\n[gpon-0/1]\r\n  <gpon-0/1>\r\n interface gpon 0/1\r\n"
    ' ont add 0 3 sn-auth "48575443AABBCCDD" omci ont-lineprofile-id 10 '
    'ont-srvprofile-id 10 desc "password of the day"\r\n'
    "#\r\n[bbs-config]\r\n  <bbs-config>\r\n"
    " service-port 7 vlan 101 gpon 0/1/0 ont 3 gemport 1 multi-service user-vlan 101 "
    "tag-transform translate\r\n#\r\nreturn\r\n\r\nOLT-A#"
)

ZTE_CARD = """\
Rack Shelf Slot CfgType RealType Port  HardVer SoftVer         Status
-------------------------------------------------------------------------------
1    1     1    GTGH    GTGH     16    V1.0.0  V2.1.0          INSERVICE
1    1     2    GTGH             16                            OFFLINE
1    1     3    SMXA    SMXA     3     V1.0.0  V2.1.0          INSERVICE
"""

ZTE_VERSION = " ZXA10 C320 Software, Version: V2.1.0P3, Release software\n"

ZTE_MORE_ERASE = "--More--" + "\x08" * 8 + " " * 8 + "\x08" * 8
ZTE_CONFIG = (
    "zte-a#show running-config\r\n"
    "!<mim>\r\n"
    "!configuration saved at 10:11:12 Fri Jan 2 2026 by write zdb\r\n"
    "!last configuration change at 10:11:00 Fri Jan 2 2026 by zte\r\n"
    "!</mim>\r\n!<system-config>\r\nhostname zte-a\r\n!</system-config>\r\n"
    "!<system-user>\r\nusername zte password zte privilege 15\r\n"
    "enable secret level 15 5 QmFzZTY0U2VjcmV0\r\n"
    "system-user\r\n  user-name ops\r\n    password encrypted *21*Zm9vYmFy\r\n"
    "  strong-password check disable\r\n$\r\n!</system-user>\r\n"
    "!<xpon>\r\ninterface gpon-olt_1/1/1\r\n  onu 1 type ZTE-F660 sn ZTEGC0000001\r\n!\r\n"
    + ZTE_MORE_ERASE
    + "interface gpon-onu_1/1/1:1\r\n  name CLIENT_1\r\n"
    "  service-port 1 vport 1 user-vlan 100 vlan 100\r\n!\r\n"
    "%GPONSRV-4-ONU_LOS: 2026-01-02 10:12:00 ONU LOS alarm, gpon-onu_1/1/1:1\r\n"
    "pon-onu-mng gpon-onu_1/1/1:1\r\n"
    "  wan-ip 1 mode pppoe username cust1 password S3cr3t vlan-profile INET host 1\r\n"
    "  ssid auth wpa wifi_0/1 wpa2-psk key WiFiKey123\r\n!\r\n!</xpon>\r\n"
    "!<snmp>\r\nsnmp-server community public view allview ro\r\n"
    "snmp-server community encrypted *31*cHJpdmF0ZQ== view AllView rw\r\n!</snmp>\r\n"
    "end\r\nzte-a#"
)


# -- facts -------------------------------------------------------------------------------
def test_huawei_display_board_reads_occupied_slots_by_column() -> None:
    boards = parsers_for("huawei").parse("display board 0", HUAWEI_BOARD)
    assert boards == [
        {
            "slot": 0,
            "board_name": "H901MPLA",
            "status": "Active_normal",
            "subtype0": "CPCF",
            "subtype1": None,
            "online": None,
        },
        {
            "slot": 1,
            "board_name": "H901MPLA",
            "status": "Standby_failed",
            "subtype0": "CPCF",
            "subtype1": None,
            "online": "Offline",
        },
        {
            "slot": 3,
            "board_name": "H901GPHF",
            "status": "Normal",
            "subtype0": None,
            "subtype1": None,
            "online": None,
        },
    ]


def test_zte_show_card_names_the_real_card_or_the_configured_one() -> None:
    cards = parsers_for("zte").parse("show card", ZTE_CARD)
    assert [(c["slot"], c["board_name"], c["status"], c["ports"]) for c in cards] == [
        (1, "GTGH", "INSERVICE", 16),
        (2, "GTGH", "OFFLINE", 16),
        (3, "SMXA", "INSERVICE", 3),
    ]
    assert cards[1]["software"] is None and cards[0]["software"] == "V2.1.0"


@pytest.mark.parametrize(
    ("vendor", "answers", "expected"),
    [
        (
            "huawei",
            [("display version", HUAWEI_VERSION), ("display board 0", HUAWEI_BOARD)],
            ("MA5608T", "MA5600V800R018C10", "SPH207", 3),
        ),
        (
            "zte",
            [("show version", ZTE_VERSION), ("show card", ZTE_CARD)],
            ("C320", "V2.1.0P3", None, 3),
        ),
    ],
)
def test_driver_facts_merge_version_and_boards(
    vendor: str, answers: list[tuple[str, str]], expected: tuple
) -> None:
    driver = driver_class(vendor)()
    assert [line for line, _ in answers] == driver.facts_commands()
    found = driver.facts(answers)
    model, os_version, patch, boards = expected
    assert found["vendor"] == vendor
    assert (found["model"], found["os_version"], found["patch"]) == (model, os_version, patch)
    assert len(found["boards"]) == boards
    # A present board out of service is worth a look; active and standby ones are fine.
    assert (
        found["boards_in_trouble"]
        == {
            "huawei": ["slot 1 H901MPLA: Standby_failed"],
            "zte": ["slot 2 GTGH: OFFLINE"],
        }[vendor]
    )


# -- configuration text ------------------------------------------------------------------
def test_huawei_configuration_without_prompts_echo_pager_or_alarms() -> None:
    driver = driver_class("huawei")()
    assert driver.running_config_command() == ["display current-configuration"]
    text = driver.running_config("display current-configuration", HUAWEI_CONFIG)
    lines = text.splitlines()
    assert lines[0] == "[MA5600V800R018: 8103]" and lines[-1] == "return"
    assert "#" in lines and " sysname OLT-A" in lines
    for debris in ("More", "\x1b", "ALARM", "Command", "OLT-A#", "<cr>"):
        assert debris not in text
    assert all(not line.startswith("  " * 3) for line in lines)
    assert text.endswith("return\n")


def test_huawei_configuration_read_through_netmiko_keeps_indentation() -> None:
    # netmiko removes the VT100 sequences and one blank before each: 36 blanks are left.
    stripped = HUAWEI_CONFIG.replace(PAGER_ERASE, " " * 36).replace(PAGER, "")
    text = driver_class("huawei")().running_config("display current-configuration", stripped)
    assert text == driver_class("huawei")().running_config(
        "display current-configuration", HUAWEI_CONFIG
    )


def test_zte_configuration_drops_volatile_lines_and_pager_residue() -> None:
    driver = driver_class("zte")(model="C600")
    text = driver.running_config("show running-config", ZTE_CONFIG)
    assert "configuration saved" not in text and "last configuration change" not in text
    assert "!<mim>" in text  # the block's tags stay; only its time lines go
    assert "interface gpon-onu_1/1/1:1\n  name CLIENT_1\n" in text
    assert "--More--" not in text and "\x08" not in text and "GPONSRV" not in text
    assert text.splitlines()[-1] == "end"
    # Read through netmiko the backspaces are gone, 8 blanks are left.
    stripped = ZTE_CONFIG.replace(ZTE_MORE_ERASE, " " * 8)
    assert driver.running_config("show running-config", stripped) == text
    stripped = ZTE_CONFIG.replace(ZTE_MORE_ERASE, "\x08" * 8 + " " * 8 + "\x08" * 8)
    assert driver.running_config("show running-config", stripped) == text


def test_a_refusal_instead_of_a_configuration_is_a_device_error() -> None:
    refused = "show running-config\r\n                 ^\r\n% Unknown command, the error locates at '^'\r\n"
    with pytest.raises(DeviceError, match="Unknown command"):
        parsers_for("zte").parse("show running-config", refused)
    with pytest.raises(DeviceError, match="Unknown command"):
        parsers_for("huawei").parse("display current-configuration", refused)


# -- masking -----------------------------------------------------------------------------
def test_huawei_secrets_are_masked_line_by_line() -> None:
    driver = driver_class("huawei")()
    text = driver.running_config("display current-configuration", HUAWEI_CONFIG)
    masked = driver.mask_config(text)
    assert len(masked.splitlines()) == len(text.splitlines())
    assert ' terminal user name buildrun_new_password root *** 1 3 "admin user"' in masked
    assert " snmp-agent community read cipher ***" in masked
    assert " snmp-agent community write cipher ***" in masked
    assert "%^%#" not in masked and "x!Yz" not in masked
    assert " sysname OLT-A" in masked and "48575443AABBCCDD" in masked
    assert 'desc "password of the day"' in masked  # a description is not a secret
    assert (
        driver.mask_config("  local-user root password irreversible-cipher $1c$abc$def$")
        == "  local-user root password irreversible-cipher ***"
    )


def test_zte_secrets_are_masked_line_by_line() -> None:
    driver = driver_class("zte")()
    masked = driver.mask_config(driver.running_config("show running-config", ZTE_CONFIG))
    for line in (
        "username zte password *** privilege 15",
        "enable secret level 15 5 ***",
        "    password encrypted ***",
        "  wan-ip 1 mode pppoe username cust1 password *** vlan-profile INET host 1",
        "  ssid auth wpa wifi_0/1 wpa2-psk key ***",
        "snmp-server community *** view allview ro",
        "snmp-server community encrypted *** view AllView rw",
        "  strong-password check disable",  # a setting, not a secret
    ):
        assert line in masked.splitlines(), line
    for secret in ("QmFzZTY0", "Zm9vYmFy", "S3cr3t", "WiFiKey123", "public", "cHJpdmF0ZQ"):
        assert secret not in masked


def test_masking_twice_is_masking_once() -> None:
    driver = driver_class("zte")()
    once = driver.mask_config("username zte password zte privilege 15\n")
    assert driver.mask_config(once) == once


@pytest.mark.parametrize(
    ("vendor", "command"),
    [
        ("huawei", "display board 0"),
        ("huawei", "display current-configuration"),
        ("zte", "show card"),
        ("zte", "show running-config"),
    ],
)
def test_the_commands_have_parsers(vendor: str, command: str) -> None:
    # A configuration is no board table: a parser exists, and says it cannot read it.
    answer = {"huawei": HUAWEI_CONFIG, "zte": ZTE_CONFIG}[vendor]
    try:
        records = parsers_for(vendor).parse(command, answer)
    except UnreadableOutput as exc:
        assert exc.command == command
    else:
        assert records
