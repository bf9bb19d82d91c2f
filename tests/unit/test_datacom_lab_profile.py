"""The Datacom lab profile: simulated, found through the registry, and only in the fleets
that name it (the default fleet, and every seed people know, stay as they were)."""

from __future__ import annotations

from ispflow.lab.fleet import FleetSpec, plan_models
from ispflow.lab.profiles import default_lab_olt_vendors, lab_olt_vendors, olt_profile


def test_datacom_is_simulated_but_not_in_the_default_fleet() -> None:
    assert "datacom" in lab_olt_vendors()
    assert "datacom" not in default_lab_olt_vendors()
    assert set(default_lab_olt_vendors()) <= set(lab_olt_vendors())
    assert all(olt_profile(name).in_default_fleet for name in default_lab_olt_vendors())
    assert FleetSpec().vendors == default_lab_olt_vendors()


def test_a_fleet_that_names_datacom_takes_its_boxes_in_turn() -> None:
    spec = FleetSpec(olts=5, vendors=("datacom", "huawei"), pons=2)
    spec.check()
    assert plan_models(spec) == ["DM4610", "MA5800-X7", "DM4612", "MA5608T", "DM4610"]


def test_dmos_numbering() -> None:
    numbering = olt_profile("datacom").numbering
    assert (numbering.frame, numbering.first_port) == (1, 1)
    assert numbering.onu_ids == range(0, 128)
    assert numbering.service_port_scope == "olt"
