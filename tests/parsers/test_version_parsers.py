"""What an OLT's version command and a RouterOS resource print say the device is."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugins.concentrator.mikrotik.driver import MikrotikDriver
from plugins.olt import parsers_for
from plugins.olt.drivers import driver_class
from plugins.olt.parsing import DeviceError

# The layout a SmartAX prints (active then standby main board, trailing blanks kept).
HUAWEI_VERSION = (Path(__file__).parent / "fixtures" / "huawei" / "version_ma5683t.txt").read_text()
ZTE_VERSION = """ ZXA10 C300 Software, Version: V2.1.0P2, Release software
 Copyright (c) 2000-2019 by ZTE Corporation

 System uptime is 12 days 2 hours 30 minutes 1 seconds
"""


def test_huawei_display_version() -> None:
    [record] = parsers_for("huawei").parse("display version", HUAWEI_VERSION)
    assert record == {
        "vendor": "huawei",
        "model": "MA5683T",
        "software": "MA5600V800R018C10",
        "patch": "SPH207",
        "uptime": "3 day(s), 4 hour(s), 5 minute(s), 6 second(s)",
    }


def test_zte_show_version() -> None:
    [record] = parsers_for("zte").parse("show version", ZTE_VERSION)
    assert record == {
        "vendor": "zte",
        "model": "C300",
        "software": "V2.1.0P2",
        "patch": None,
        "uptime": "12 days 2 hours 30 minutes 1 seconds",
    }


def test_another_vendors_answer_is_no_version() -> None:
    # A ZTE answer read as Huawei's (and the other way round) names no model.
    assert parsers_for("huawei").parse("display version", ZTE_VERSION) == []
    assert parsers_for("zte").parse("show version", HUAWEI_VERSION) == []
    with pytest.raises(DeviceError):
        parsers_for("zte").parse("show version", "%Error 20200: Invalid input detected")


@pytest.mark.parametrize(
    ("vendor", "line"), [("huawei", "display version"), ("zte", "show version")]
)
def test_drivers_render_the_version_command(vendor: str, line: str) -> None:
    assert driver_class(vendor)().version() == [line]


def test_routeros_resource() -> None:
    driver = MikrotikDriver()
    op = driver.resource()
    assert op.command == "/system/resource/print"
    rows = [
        {
            "board-name": "CCR1036-8G-2S+",
            "version": "6.49.10 (long-term)",
            "platform": "MikroTik",
            "uptime": "1w2d",
        }
    ]
    assert driver.identity(rows) == {
        "vendor": "mikrotik",
        "model": "CCR1036-8G-2S+",
        "software": "6.49.10",
        "uptime": "1w2d",
    }
    assert driver.identity([]) is None
    assert driver.identity([{"name": "x"}]) is None
