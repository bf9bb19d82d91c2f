"""Why offline ONUs are down, read from real lab OLTs of both vendors: every plant fault the
lab can inject gives its ONUs the OLT's own down cause (dying gasp for a power cut, loss of
signal for a fibre fault), the store keeps it, and `lab fault --list` tells the truth."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.lab.conftest import RunningLab, start_lab, step_results

WORDS = {
    "huawei": {"power": "dying-gasp", "fibre": "LOSi/LOBi"},
    "zte": {"power": "DyingGasp", "fibre": "LOS"},
}
# Seeded ONUs whose signal does not change by itself between reads.
STEADY = ("good", "warning", "critical", "overload")
DIRT_DB = 3.0


@pytest.fixture(scope="module")
def cause_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    root = tmp_path_factory.mktemp("down-causes")
    yield from start_lab(root, "--concentrators", "0")


def olts(lab: RunningLab) -> dict[str, dict[str, Any]]:
    """MA5800-X7, C320, MA5608T and C600 by model."""
    return {olt["model"]: olt for olt in lab.fleet()["olts"]}


def cto_of(olt: dict[str, Any], pon: int) -> str:
    return olt["pons"][pon]["ctos"][0]["code"]


def steady_onu(lab: RunningLab, olt: dict[str, Any], pon: int) -> str:
    port = olt["pons"][pon]["port"]
    return next(
        onu["serial"]
        for onu in lab.onus(olt=olt["name"], port=port, state="authorized")
        if onu["condition"] in STEADY and onu["cto"]
    )


def plan(lab: RunningLab, turn: int) -> dict[str, list[str]]:
    """Fault options per OLT; the second turn swaps vendors, so each vendor sees each kind."""
    by_model = olts(lab)
    x7, c320, m08, c600 = (by_model[m] for m in ("MA5800-X7", "C320", "MA5608T", "C600"))

    def outage_drop_dirt(olt: dict[str, Any]) -> list[str]:
        return [
            "--power-off-cto", cto_of(olt, 0), "--cut-drop", steady_onu(lab, olt, 1),
            "--dirty-cto", f"{cto_of(olt, 1)}={DIRT_DB}",
        ]  # fmt: skip

    def feeder_and_power(olt: dict[str, Any]) -> list[str]:
        return ["--cut-feeder", olt["pons"][0]["port"], "--power-off", steady_onu(lab, olt, 1)]

    def board(olt: dict[str, Any]) -> list[str]:
        return ["--board-down", olt["pons"][0]["port"].split("/")[1]]

    if turn == 1:
        return {
            x7["name"]: outage_drop_dirt(x7),
            c320["name"]: feeder_and_power(c320),
            m08["name"]: board(m08),
            c600["name"]: outage_drop_dirt(c600),
        }
    return {
        x7["name"]: feeder_and_power(x7),
        c320["name"]: outage_drop_dirt(c320),
        m08["name"]: ["--power-off-cto", cto_of(m08, 0), "--power-off-cto", cto_of(m08, 1)],
        c600["name"]: board(c600),
    }


def listed_faults(lab: RunningLab) -> list[dict[str, Any]]:
    proc = lab.cli("lab", "fault", "--list", "-o", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("turn", [1, 2])
def test_each_fault_gives_its_onus_the_olts_down_cause(cause_lab: RunningLab, turn: int) -> None:
    lab = cause_lab
    faults = plan(lab, turn)
    try:
        for olt, options in faults.items():
            proc = lab.cli("lab", "fault", olt, *options)
            assert proc.returncode == 0, proc.stdout + proc.stderr
        truth = listed_faults(lab)
        report = lab.run_json("onu-signal")
    finally:
        assert lab.cli("lab", "fault", "--clear").returncode == 0

    kinds = {(t["olt"], t["kind"]) for t in truth}
    names = {olt["model"]: olt["name"] for olt in lab.fleet()["olts"]}
    if turn == 1:
        assert kinds == {
            (names["MA5800-X7"], "power_outage"), (names["MA5800-X7"], "drop_cut"),
            (names["MA5800-X7"], "cto_dirty"), (names["C320"], "feeder_cut"),
            (names["C320"], "customer_power_off"), (names["MA5608T"], "board_down"),
            (names["C600"], "power_outage"), (names["C600"], "drop_cut"),
            (names["C600"], "cto_dirty"),
        }  # fmt: skip
    else:
        assert kinds == {
            (names["MA5800-X7"], "feeder_cut"), (names["MA5800-X7"], "customer_power_off"),
            (names["C320"], "power_outage"), (names["C320"], "drop_cut"),
            (names["C320"], "cto_dirty"), (names["MA5608T"], "power_outage"),
            (names["C600"], "board_down"),
        }  # fmt: skip
    onus = {(o["olt"], o["serial"]): o for o in lab.fleet()["onus"]}
    for entry in truth:
        assert entry["serials"], entry
        for serial in entry["serials"]:
            onu = onus[(entry["olt"], serial)]
            if entry["kind"] in ("power_outage", "cto_dirty"):
                assert onu["cto"] == entry["node"]
            elif entry["kind"] == "feeder_cut":
                assert onu["port"] == entry["node"] and onu["cto"]
            elif entry["kind"] == "board_down":
                assert onu["port"].split("/")[1] == str(entry["node"])

    # What every ONU a fault darkens must say: a fibre fault wins over a power cut.
    expected: dict[tuple[str, str], str] = {}
    for entry in truth:
        if entry["down_class"] is None:
            continue
        for serial in entry["serials"]:
            key = (entry["olt"], serial)
            lit_before = onus[key]["state"] == "authorized" and onus[key]["condition"] != "offline"
            if lit_before and expected.get(key) != "fibre":
                expected[key] = entry["down_class"]
    dirty = {
        (t["olt"], s): t["db"] for t in truth if t["kind"] == "cto_dirty" for s in t["serials"]
    }
    by_host = {r["host"]: r["result"] for r in step_results(report, "read signal")}
    vendors = {olt["name"]: olt["vendor"] for olt in lab.fleet()["olts"]}
    checked = set()
    for host, readings in by_host.items():
        for reading in readings:
            key = (host, reading["serial"])
            if key in expected:
                want = expected[key]
                assert reading["signal"] == "offline", reading
                assert reading["down_class"] == want, reading
                assert reading["down_cause"] == WORDS[vendors[host]][want], reading
                checked.add(key)
            elif reading["signal"] == "offline":
                # Seeded dark or flapping: the OLT still says why, in its own words.
                assert reading["down_class"] in ("power", "fibre"), reading
            else:
                assert reading.get("down_cause") is None and reading.get("down_class") is None
                if key in dirty and onus[key]["condition"] in STEADY:
                    assert reading["rx_dbm"] == pytest.approx(
                        onus[key]["expected_rx_dbm"] - dirty[key], abs=0.1
                    ), reading
    assert checked == set(expected)
    assert {vendors[olt] for olt, _ in checked} == {"huawei", "zte"}

    stored = lab.query(
        "SELECT olt, serial, down_cause, down_class FROM optical_readings "
        "WHERE run_id = :run AND state = 'offline'",
        run=report["run_id"],
    )
    kept = {(row["olt"], row["serial"]): row for row in stored}
    for key, want in expected.items():
        assert kept[key]["down_class"] == want
        assert kept[key]["down_cause"] == WORDS[vendors[key[0]]][want]


def test_flapping_and_unplugged_are_listed_and_a_cleared_lab_lists_nothing(
    cause_lab: RunningLab,
) -> None:
    lab = cause_lab
    x7 = olts(lab)["MA5800-X7"]
    flapping, unplugged = steady_onu(lab, x7, 0), steady_onu(lab, x7, 1)
    try:
        proc = lab.cli(
            "lab", "fault", x7["name"], "--flap", flapping, "--unplug", unplugged,
            "--attenuate", f"{flapping}=2",
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout + proc.stderr
        truth = {t["kind"]: t for t in listed_faults(lab)}
    finally:
        assert lab.cli("lab", "fault", "--clear").returncode == 0
    assert set(truth) == {"onu_flapping", "onu_unplugged", "onu_attenuated"}
    assert truth["onu_unplugged"]["serials"] == [unplugged]
    assert truth["onu_unplugged"]["down_class"] == "power"
    assert truth["onu_flapping"]["serials"] == [flapping]
    assert truth["onu_attenuated"]["db"] == 2.0
    assert listed_faults(lab) == []


def test_a_fault_on_a_board_the_olt_does_not_have_is_refused(cause_lab: RunningLab) -> None:
    x7 = olts(cause_lab)["MA5800-X7"]
    proc = cause_lab.cli("lab", "fault", x7["name"], "--board-down", "9")
    assert proc.returncode != 0
    assert "no board in slot '9'" in proc.stderr


def test_a_down_cause_table_in_a_layout_not_known_keeps_the_readings(cause_lab: RunningLab) -> None:
    """A ZTE answering its state table with a row no parser knows (a firmware not seen yet):
    that OLT's readings are all kept and stored, its offline ONUs' causes unknown, and the
    host fails naming the answer it could not read; the other OLTs are untouched. Run again
    (`--rerun-failed`) once the OLT answers as usual, the host's causes are known."""
    lab = cause_lab
    c320 = olts(lab)["C320"]["name"]
    try:
        proc = lab.cli("lab", "fault", c320, "--unknown-row-on", "onu state")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        report = lab.run_json("onu-signal", expect=1)
    finally:
        assert lab.cli("lab", "fault", "--clear").returncode == 0
    results = {r["host"]: r for r in step_results(report, "read signal")}
    assert {h: r["status"] for h, r in results.items() if h != c320} == {
        h: "ok" for h in results if h != c320
    }
    failed = results[c320]
    assert failed["status"] == "failed"
    assert "cannot read the answer to 'show gpon onu state" in failed["error"]
    assert "raw answer kept" in failed["error"]
    authorized = {onu["serial"] for onu in lab.onus(olt=c320, state="authorized")}
    readings = failed["result"]
    assert {r["serial"] for r in readings} == authorized and len(readings) == len(authorized)
    dark = [r for r in readings if r["signal"] == "offline"]
    assert dark and all(r["down_cause"] is None and r["down_class"] is None for r in dark)

    def stored(run: str) -> list[dict[str, Any]]:
        return lab.query(
            "SELECT serial, down_cause FROM optical_readings WHERE run_id = :run AND olt = :olt",
            run=run,
            olt=c320,
        )

    kept = stored(report["run_id"])
    assert {row["serial"] for row in kept} == authorized and len(kept) == len(authorized)
    assert not any(row["down_cause"] for row in kept)

    rerun = lab.run_json("--rerun-failed", report["run_id"])
    [again] = step_results(rerun, "read signal")
    assert (again["host"], again["status"]) == (c320, "ok")
    assert all(r["down_cause"] for r in again["result"] if r["signal"] == "offline")
    rows = stored(rerun["run_id"])
    assert {row["serial"] for row in rows} == authorized and len(rows) == len(authorized)
    assert any(row["down_cause"] for row in rows)


def test_an_optical_table_in_a_layout_not_known_fails_its_olt_naming_that_answer(
    cause_lab: RunningLab,
) -> None:
    """Tables are parsed as they arrive, while the OLT prepares the next one: an answer no
    parser knows in the middle of an OLT's reads still fails that OLT alone, naming that
    answer (not a later one), after every other OLT was read as usual."""
    lab = cause_lab
    x7 = olts(lab)["MA5800-X7"]
    second = x7["pons"][1]["port"].split("/")[-1]
    try:
        fault = lab.cli(
            "lab", "fault", x7["name"], "--unknown-row-on", f"optical-info {second} all"
        )
        assert fault.returncode == 0, fault.stdout + fault.stderr
        report = lab.run_json("onu-signal", expect=1)
    finally:
        assert lab.cli("lab", "fault", "--clear").returncode == 0
    results = {r["host"]: r for r in step_results(report, "read signal")}
    assert {h: r["status"] for h, r in results.items()} == {
        h: "failed" if h == x7["name"] else "ok" for h in results
    }
    error = results[x7["name"]]["error"]
    assert f"cannot read the answer to 'display ont optical-info {second} all'" in error
    assert "raw answer kept" in error
