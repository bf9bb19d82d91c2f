"""bench/root_cause.py's scoring on a real lab: three scenarios, each judged against the
lab's own ground truth (`ispflow lab fault --list`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.root_cause import (
    Lab,
    Scenario,
    Score,
    Sessions,
    baseline,
    play,
    start_fleet,
)
from tests.lab.conftest import free_base_port


def test_scoring_judges_the_audit_against_the_injected_faults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("ISPFLOW_INVENTORY", "ISPFLOW_CONFIG", "ISPFLOW_TICKETS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    fleet = start_fleet(tmp_path, 2, 2, 16, seed=5, port=free_base_port(2))
    sessions = Sessions()
    try:
        baseline(fleet, sessions)
        plant = fleet.plant
        first, second = plant.pons[0], plant.pons[-1]
        # A PON all behind its boxes: every ONU on it goes dark with its port.
        third = next(p for p in plant.pons[1:-1] if not p.loose)
        box = next(code for code, serials in first.ctos.items() if len(serials) >= 2)
        quiet = next(
            s for s in second.serials
            if plant.onus[s]["condition"] == "good" and s not in plant.seeded
        )  # fmt: skip
        scenarios = [
            Scenario([("cto_cut", first.olt, box)], [], {}),
            Scenario([("customer_power_off", second.olt, quiet)], [], {}),
            Scenario([("pon_down", third.olt, third.port)], [], {}),
        ]
        lab, new, old = Lab(), Score(), Score()
        for n, scenario in enumerate(scenarios):
            play(lab, fleet, scenario, sessions, new, old, f"#{n}")
        lab.cli(fleet, "lab", "fault", "--clear")
    finally:
        sessions.restore()
        Lab().cli(fleet, "lab", "down")

    assert new.injected == {"cto_cut": 1, "customer_power_off": 1, "pon_down": 1}
    assert new.found == new.injected, new.failures
    assert new.orders == {1: 2}  # one order per real fault
    assert (new.power_offs, new.power_off_orders) == (1, 0)
    # The naive rule calls the customer's power-off a down ONU.
    assert old.found["customer_power_off"] == 0
    assert old.confusion["customer_power_off"] == {"onu_down (wrong)": 1}
