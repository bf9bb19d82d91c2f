"""Setting one ONU's description reads that ONU's settings, not every ONU's of its PON.

ZTE and FiberHome keep an ONU's name in its own configuration, one command per ONU: an
authorize that finds its ONU already there checks the name, and on a PON of 64 ONUs that
must cost one read, not 64. The OLT's answers are stood in for here (the records the
parsers would return); which commands are asked for is what is checked. The lab tests
(test_onu_lifecycle.py) run the same path over SSH.
"""

from __future__ import annotations

from typing import Any

import pytest

import ispflow.tasks.compliance as compliance
from ispflow.plugins.olt.driver import PonPort
from ispflow.plugins.olt.drivers import driver_class
from ispflow.tasks.onu_describe import set_description


class Session:
    def __init__(self, vendor: str, model: str) -> None:
        self.driver = driver_class(vendor)(model=model)
        self.host = "olt-1"
        self.sent: list[str] = []

    def run(self, lines: list[str]) -> list[tuple[str, str]]:
        self.sent += lines
        return [(line, "") for line in lines]


@pytest.mark.parametrize(
    ("vendor", "model", "port"), [("zte", "C320", "1/1/1"), ("fiberhome", "AN5516-06", "1/1/1")]
)
def test_one_onus_description_is_checked_and_set_with_one_onus_reads(
    vendor: str, model: str, port: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    session = Session(vendor, model)
    pon = PonPort.parse(port)
    shown = {"name": "bancada-teste"}
    reads: list[list[str]] = []

    def onu_list(_: Any, lines: list[str]) -> list[dict[str, Any]]:
        reads.append(lines)
        return [{"port": str(pon), "onu_id": n, "serial": f"ZTEG0000{n:04d}"} for n in range(64)]

    def onu_settings(_: Any, lines: list[str]) -> list[dict[str, Any]]:
        reads.append(lines)
        return [{"port": str(pon), "onu_id": 5, "description": shown["name"]}]

    monkeypatch.setattr(compliance, "read_records", onu_list)
    monkeypatch.setattr(compliance, "_all_records", onu_settings)
    wanted = session.driver.onu_description("C-1001 Maria")
    original_run = session.run

    def run(lines: list[str]) -> list[tuple[str, str]]:
        shown["name"] = wanted  # the OLT takes the new name
        return original_run(lines)

    session.run = run  # type: ignore[method-assign]
    assert set_description(session, pon, 5, "C-1001 Maria") is True  # type: ignore[arg-type]
    one_onu = session.driver.onu_services(pon, [5])
    assert len(one_onu) == 1
    # The PON's list (no names in it), then this ONU's settings; after the change, the list
    # and this ONU's settings again: never the other 63 ONUs' settings, nor a list twice.
    listed = session.driver.onu_serials(pon)
    assert reads == [listed, one_onu, listed, one_onu]
    assert session.sent == session.driver.describe(pon, 5, "C-1001 Maria")
    reads.clear()
    assert set_description(session, pon, 5, "C-1001 Maria") is False  # already so: no change
    assert reads == [listed, one_onu]
