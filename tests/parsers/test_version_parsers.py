"""Version commands: the OLT drivers render them, RouterOS resources say the device.

The OLT answers (`display version`, `show version`) are cases under cases/<vendor>/.
"""

from __future__ import annotations

import pytest

from ispflow.plugins.concentrator.mikrotik.driver import MikrotikDriver
from ispflow.plugins.olt.drivers import driver_class


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
