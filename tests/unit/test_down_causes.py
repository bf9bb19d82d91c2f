"""Why an offline ONU is down: each vendor's words to classes, and the lab's answers in
every firmware generation read back through the driver."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ispflow.lab.faults import ground_truth, plant_faults
from ispflow.lab.model import LabOlt
from ispflow.plugins.olt.driver import PonPort
from ispflow.plugins.olt.huawei.driver import HuaweiDriver
from ispflow.plugins.olt.zte.driver import ZteDriver
from tests.unit.test_lab_firmware import _batch, _fleet, _steady


@pytest.mark.parametrize(
    ("cause", "down_class"),
    [
        ("dying-gasp", "power"),
        ("LOSi/LOBi", "fibre"),
        ("LOS", "fibre"),
        ("LOFi", "fibre"),
        ("LOAMi", "fibre"),
        ("ONT is reset by ONT comma", "other"),
        (None, None),
    ],
)
def test_huawei_down_causes_to_classes(cause: str | None, down_class: str | None) -> None:
    assert HuaweiDriver().down_class(cause) == down_class


@pytest.mark.parametrize(
    ("cause", "down_class"),
    [
        ("DyingGasp", "power"),
        ("LOS", "fibre"),
        ("LOFi", "fibre"),
        ("OffLine", "other"),
        ("syncMib", "other"),
        (None, None),
    ],
)
def test_zte_down_causes_to_classes(cause: str | None, down_class: str | None) -> None:
    assert ZteDriver().down_class(cause) == down_class


def test_a_working_zte_onu_has_no_down_cause() -> None:
    records = [
        {"port": "1/1/1", "onu_id": 1, "phase_state": "working"},
        {"port": "1/1/1", "onu_id": 2, "phase_state": "DyingGasp"},
    ]
    assert ZteDriver("C320").down_causes(PonPort(1, 1, 1), records) == [
        {"port": "1/1/1", "onu_id": 1, "down_cause": None, "down_class": None},
        {"port": "1/1/1", "onu_id": 2, "down_cause": "DyingGasp", "down_class": "power"},
    ]


def test_one_command_per_pon_in_each_naming() -> None:
    pons = [PonPort(0, 1, 0), PonPort(0, 2, 3)]
    assert [s.line for s in HuaweiDriver("MA5800-X7").down_cause_ports(pons)] == [
        "display ont info summary 0/1/0",
        "display ont info summary 0/2/3",
    ]
    assert [(s.line, s.pon) for s in ZteDriver("C320").down_cause_ports([PonPort(1, 1, 2)])] == [
        ("show gpon onu state gpon-olt_1/1/2", PonPort(1, 1, 2))
    ]
    assert [s.line for s in ZteDriver("C600").down_cause_ports([PonPort(1, 1, 2)])] == [
        "show gpon onu state gpon_olt-1/1/2"
    ]


def _generation(vendor: str, firmware: str) -> LabOlt:
    if firmware == "titan":  # the C600 comes second in a mixed ZTE fleet
        return _steady(_fleet("zte", "mixed", olts=2)[1].olt)
    return _steady(_fleet(vendor, firmware)[0].olt)


@pytest.mark.parametrize(
    ("vendor", "firmware", "words"),
    [
        ("huawei", "r018", ("dying-gasp", "LOSi/LOBi")),
        ("huawei", "r019", ("dying-gasp", "LOSi/LOBi")),
        ("zte", "v1", ("DyingGasp", "LOS")),
        ("zte", "v2", ("DyingGasp", "LOS")),
        ("zte", "titan", ("DyingGasp", "LOS")),
    ],
)
def test_every_generation_says_why_its_onus_are_down(
    vendor: str, firmware: str, words: tuple[str, str]
) -> None:
    olt = _generation(vendor, firmware)
    assert olt.firmware == firmware
    driver = (HuaweiDriver if vendor == "huawei" else ZteDriver)(olt.model.name)
    pon_name = next(iter(olt.pons))
    views = olt.snapshot(pon_name)
    powered_off, drop_cut, lit = views[0], views[1], views[2]
    olt.plant = replace(
        olt.plant,
        powered_off=frozenset({powered_off.serial}),
        cut_drops=frozenset({drop_cut.serial}),
    )
    pon = PonPort.parse(pon_name)
    [step] = driver.down_cause_ports([pon])
    answer = "\n".join(_batch(olt, step.line))
    causes = {r["onu_id"]: r for r in driver.down_causes(pon, driver.parse(step.line, answer))}
    power_word, fibre_word = words
    assert causes[powered_off.onu_id]["down_cause"] == power_word
    assert causes[powered_off.onu_id]["down_class"] == "power"
    assert causes[drop_cut.onu_id]["down_cause"] == fibre_word
    assert causes[drop_cut.onu_id]["down_class"] == "fibre"
    if vendor == "zte":  # a working ONU has no cause; SmartAX keeps telling of its last down
        assert causes[lit.onu_id]["down_class"] is None


def test_an_ont_never_seen_up_has_no_cause_to_tell() -> None:
    olt = _generation("zte", "v2")
    pon_name = next(iter(olt.pons))
    view = olt.snapshot(pon_name)[0]
    olt.pons[pon_name].onts[view.onu_id].last_up = None
    olt.plant = replace(olt.plant, unplugged=frozenset({view.serial}))
    answer = "\n".join(_batch(olt, f"show gpon onu state gpon-olt_{pon_name}"))
    [row] = [line for line in answer.splitlines() if line.startswith(f"{pon_name}:{view.onu_id} ")]
    assert row.split()[3] == "OffLine"


def test_plant_faults_from_the_faults_file() -> None:
    plant = plant_faults(
        {
            "cut_feeders": ["0/1/0"],
            "down_boards": [2],
            "dirty_ctos": {"CTO-A": 3.5},
            "power_off_ctos": ["CTO-B"],
            "power_off": ["hwtc00000001"],
            "cut_drops": ["HWTC00000002"],
        }
    )
    assert plant.darkens
    assert plant.powered_off == {"HWTC00000001"}
    assert plant.extra_for("HWTC00000009", "CTO-A") == 3.5
    assert not plant_faults({"dirty_ctos": {"CTO-A": 2}}).darkens


def test_ground_truth_names_the_onus_behind_each_node() -> None:
    fleet = {
        "onus": [
            {"olt": "o1", "port": "0/1/0", "serial": "A1", "cto": "C1"},
            {"olt": "o1", "port": "0/1/0", "serial": "A2", "cto": None},
            {"olt": "o1", "port": "0/2/0", "serial": "B1", "cto": "C2"},
            {"olt": "o2", "port": "0/1/0", "serial": "Z1", "cto": "C1"},
        ]
    }
    faults = {
        "o1": {"cut_feeders": ["0/1/0"], "down_boards": [2], "power_off_ctos": ["C2"]},
        "o2": {"dirty_ctos": {"C1": 3.0}, "drop_on": "service-port"},
    }
    truth = {(t["olt"], t["kind"]): t for t in ground_truth(fleet, faults)}
    assert set(truth) == {
        ("o1", "feeder_cut"),
        ("o1", "board_down"),
        ("o1", "power_outage"),
        ("o2", "cto_dirty"),
    }
    assert truth[("o1", "feeder_cut")]["serials"] == ["A1"]  # A2 is patched in the cabinet
    assert truth[("o1", "board_down")]["serials"] == ["B1"]
    assert truth[("o1", "power_outage")]["down_class"] == "power"
    assert truth[("o2", "cto_dirty")]["serials"] == ["Z1"]
    assert truth[("o2", "cto_dirty")]["db"] == 3.0
    assert truth[("o2", "cto_dirty")]["down_class"] is None
