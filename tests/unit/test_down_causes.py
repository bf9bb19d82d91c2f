"""Why an offline ONU is down: each vendor's words to classes, and the lab's answers in
every firmware generation read back through the driver."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ispflow.lab.faults import ground_truth, plant_faults
from ispflow.lab.fleet import build_fleet
from ispflow.lab.model import LabOlt
from ispflow.plugins.olt.driver import PonPort
from ispflow.plugins.olt.drivers import driver_class
from ispflow.plugins.olt.huawei.driver import HuaweiDriver
from ispflow.plugins.olt.session import CliSession
from ispflow.plugins.olt.zte.driver import ZteDriver
from ispflow.plugins.vendors import olt_vendors
from ispflow.tasks.onu import _add_down_causes
from tests.unit.test_lab_firmware import SMALL, _batch, _fleet, _steady


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


def test_zte_reads_one_olt_wide_table_when_most_of_its_pons_need_causes() -> None:
    pons = [PonPort(1, 1, n) for n in range(1, 9)]
    for model in ("C320", "C600"):
        [step] = ZteDriver(model).down_cause_ports(pons[:4], olt_pons=8)
        assert (step.line, step.pon, step.every_pon) == ("show gpon onu state", None, True)
    zte = ZteDriver("C320")
    # Fewer than half of them, one PON, or only some PONs read: a table per PON.
    for ports, olt_pons in ((pons[:3], 8), (pons[:1], 1), (pons, 0)):
        steps = zte.down_cause_ports(ports, olt_pons)
        assert [(s.pon, s.every_pon) for s in steps] == [(p, False) for p in ports]
    huawei = HuaweiDriver("MA5800-X7").down_cause_ports([PonPort(0, 1, 0), PonPort(0, 1, 1)], 2)
    assert [s.pon for s in huawei] == [PonPort(0, 1, 0), PonPort(0, 1, 1)]


@pytest.mark.parametrize("vendor", sorted(olt_vendors()))
def test_every_driver_is_told_when_all_pons_are_read(vendor: str) -> None:
    """A fleet read passes how many PONs the OLT has; each driver takes it (and may ignore it)."""
    driver = driver_class(vendor)()
    pons = driver.default_pons(4)
    for steps in (driver.down_cause_ports(pons, olt_pons=4), driver.down_cause_ports(pons)):
        assert all(step.pon in pons or step.every_pon for step in steps)


def _zte_with_faults(firmware: str) -> tuple[LabOlt, list[str], dict[str, str]]:
    """A ZTE OLT of this generation with three PONs in use, one ONU powered off and one with
    its drop cut on each; those PONs, and the serials with the cause each must have."""
    if firmware == "titan":
        olt = _steady(build_fleet(replace(SMALL, olts=2, pons=3, vendors=("zte",)))[1].olt)
    else:
        spec = replace(SMALL, pons=3, vendors=("zte",), firmware=firmware)
        olt = _steady(build_fleet(spec)[0].olt)
    used = [name for name in olt.pons if olt.snapshot(name)]
    assert len(used) == 3
    want: dict[str, str] = {}
    for pon_name in used:
        off, cut = olt.snapshot(pon_name)[:2]
        want[off.serial], want[cut.serial] = "power", "fibre"
    olt.plant = replace(
        olt.plant,
        powered_off=frozenset(s for s, c in want.items() if c == "power"),
        cut_drops=frozenset(s for s, c in want.items() if c == "fibre"),
    )
    return olt, used, want


class _Answers:
    """A connection answering from a lab OLT's own batch output, refusing the lines given
    with ZXROS's syntax error: no ZTE firmware seen refuses the OLT-wide state table, so the
    lab cannot, and this stands in for one that would."""

    def __init__(self, olt: LabOlt, refuse: tuple[str, ...] = ()) -> None:
        self.olt, self.refuse, self.sent = olt, refuse, []

    def exchange(self, line: str, prompt: object, read_timeout: float) -> str:
        self.sent.append(line)
        if line in self.refuse:
            return "          ^\n%Error 140303: Invalid input detected at '^' marker."
        return "\n".join(_batch(self.olt, line))


@pytest.mark.parametrize("firmware", ["v1", "v2", "titan"])
@pytest.mark.parametrize("refused", [False, True])
def test_the_olt_wide_table_gives_each_pon_its_onus_causes(firmware: str, refused: bool) -> None:
    olt, used, want = _zte_with_faults(firmware)
    assert olt.firmware == firmware
    driver = ZteDriver(olt.model.name)
    connection = _Answers(olt, refuse=("show gpon onu state",) if refused else ())
    session = CliSession(connection, driver, host=olt.name)
    pons = [PonPort.parse(name) for name in used]
    dark = {
        PonPort.parse(name): {
            view.onu_id: {"serial": view.serial}
            for view in olt.snapshot(name)
            if view.serial in want
        }
        for name in used
    }
    _add_down_causes(session, dark, {}, olt_pons=len(pons))
    per_pon = [f"show gpon onu state {driver.olt_interface(p)}" for p in pons]
    assert connection.sent == (
        ["show gpon onu state", *per_pon] if refused else ["show gpon onu state"]
    )
    got = {r["serial"]: r["down_class"] for onus in dark.values() for r in onus.values()}
    assert got == want
    words = {"power": "DyingGasp", "fibre": "LOS"}
    assert all(
        r["down_cause"] == words[want[r["serial"]]] for o in dark.values() for r in o.values()
    )


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
