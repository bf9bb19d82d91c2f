"""The ONU lifecycle over real SSH against the lab, through the shipped runbooks: one lab
for the module, with every OLT vendor, model and CLI dialect the lab simulates."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.lab.conftest import (
    RunningLab,
    onu_row,
    pending_contract,
    start_lab,
    step_results,
    waiting_serials,
)

# Every OLT model the lab fleets cycle through, once: the vendors take turns in VENDORS'
# order, so eleven OLTs give three Huawei, three ZTE, three FiberHome and both DmOS chassis.
MODELS = [
    "MA5800-X7", "C320", "AN5516-06", "DM4610",
    "MA5608T", "C600", "AN5516-06B", "DM4612",
    "MA5683T", "C300", "AN5516-04",
]  # fmt: skip
VENDORS = "huawei,zte,fiberhome,datacom"
# Every CLI dialect once too: Huawei r019 (MA5800-X7) and r018, ZTE v2 (C320) and v1 (C300,
# named here; the other models run their newest), `gpon_olt-` naming on the C600 (titan),
# the AN5516 `pon` (AN5516-06, -04) and `link` (AN5516-06B) words, DmOS v9.
FIRMWARE = "C300=v1"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    """One lab for the module: every model and dialect (see MODELS). Each test takes ONUs no
    earlier test touched, so they share it."""
    yield from start_lab(
        tmp_path_factory.mktemp("lifecycle"), "--olts", str(len(MODELS)), "--vendors", VENDORS,
        "--firmware", FIRMWARE, "--autofind", "4", "--concentrators", "0",
    )  # fmt: skip


def runs(lab: RunningLab) -> int:
    return int(lab.query("SELECT COUNT(*) AS n FROM runs")[0]["n"])


def test_the_fleet_has_every_model_with_its_dialect(lab: RunningLab) -> None:
    olts = lab.fleet()["olts"]
    assert [o["model"] for o in olts] == MODELS
    firmware = {o["model"]: o["firmware"] for o in olts}
    assert (firmware["MA5800-X7"], firmware["MA5608T"], firmware["MA5683T"]) == (
        "r019",
        "r018",
        "r018",
    )
    assert (firmware["C320"], firmware["C300"], firmware["C600"]) == ("v2", "v1", "titan")
    assert (firmware["AN5516-06"], firmware["AN5516-06B"], firmware["AN5516-04"]) == (
        "pon",
        "link",
        "pon",
    )
    assert (firmware["DM4610"], firmware["DM4612"]) == ("v9", "v9")


@pytest.mark.parametrize("model", MODELS)
def test_autofind_authorize_signal_describe_deauthorize(lab: RunningLab, model: str) -> None:
    olt = lab.olt_of_model(model)["name"]
    onu = pending_contract(lab, olt)
    assert onu["serial"] in waiting_serials(lab, olt)

    report = lab.run_json("onu-authorize", "-e", f"contract={onu['contract']}")
    [added] = step_results(report, "authorize")
    assert added["host"] == olt and added["status"] == "changed"
    assert added["result"]["port"] == onu["port"]
    if model.startswith("AN5516"):
        # The whitelist names the type: the one autofind reports, whatever the default is.
        assert added["result"]["onu_type"] == onu["onu_type"]
    onu_id = added["result"]["onu_id"]
    [signal] = step_results(report, "read signal")
    assert signal["status"] == "ok"
    assert signal["result"][0]["onu_id"] == onu_id
    assert signal["result"][0]["rx_dbm"] == pytest.approx(onu["expected_rx_dbm"], abs=1.0)
    row = onu_row(lab, onu["serial"])
    assert (row["state"], row["onu_index"], row["contract_status"]) == (
        "authorized",
        onu_id,
        "active",
    )
    assert onu["serial"] not in waiting_serials(lab, olt)
    # The install's own reading is the contract's signal from then on.
    shown = lab.cli("contract", "show", onu["contract"], "-o", "json")
    assert json.loads(shown.stdout)["signal"]["rx_dbm"] == signal["result"][0]["rx_dbm"]

    again = lab.run_json("onu-authorize", "-e", f"contract={onu['contract']}")
    [same] = step_results(again, "authorize")
    assert same["status"] == "ok" and same["result"]["already"] is True
    assert same["result"]["onu_id"] == onu_id

    readings = lab.run_json("onu-signal", "-e", f"contract={onu['contract']}")
    [read] = step_results(readings, "read a contract's signal")
    assert [r["onu_id"] for r in read["result"]] == [onu_id]
    stored = lab.query(
        "SELECT contract, rx_dbm FROM optical_readings WHERE serial IS NULL OR serial = :s "
        "ORDER BY id DESC LIMIT 1",
        s=onu["serial"],
    )
    assert stored and stored[0]["contract"] == onu["contract"]

    described = lab.run_json(
        "onu-describe", "-e", f"contract={onu['contract']}", "-e", "description=Casa da Maria"
    )
    [named] = step_results(described, "describe")
    assert named["status"] == "changed"
    # Read back from the OLT by the audit: the ONU, its description and its VLAN are the
    # contract's.
    audit = lab.run_json("compliance-audit", "--limit", olt)
    [checked] = step_results(audit, "OLTs against the rules")
    assert onu["port"] in checked["result"]["ports_read"]
    assert not [
        f for f in checked["result"]["findings"]
        if onu["serial"] in (f.get("serial"), f.get("expected_serial"))
        or f.get("contract") == onu["contract"]
    ]  # fmt: skip

    removed = lab.run_json("onu-deauthorize", "-e", f"contract={onu['contract']}")
    [gone] = step_results(removed, "deauthorize")
    assert gone["status"] == "changed" and gone["result"]["onu_id"] == onu_id
    assert onu_row(lab, onu["serial"])["state"] == "removed"
    assert onu["serial"] in waiting_serials(lab, olt)


def test_failed_signal_check_rolls_the_onu_back(lab: RunningLab) -> None:
    olt = lab.olt_of_model("MA5800-X7")["name"]
    onu = pending_contract(lab, olt, condition="critical")
    report = lab.run_json("onu-authorize", "-e", f"contract={onu['contract']}", expect=1)
    [signal] = step_results(report, "read signal")
    assert signal["status"] == "failed" and "critical" in signal["error"]
    rollback = [r for r in report["results"] if r["rollback"]]
    assert rollback and rollback[0]["status"] == "changed"
    assert onu["serial"] in waiting_serials(lab, olt)
    row = onu_row(lab, onu["serial"])
    assert (row["state"], row["contract_status"]) == ("pending", "pending")


@pytest.mark.parametrize("model", ["MA5608T", "C600"])
def test_an_onu_authorized_by_hand_gets_its_contracts_description(
    lab: RunningLab, model: str
) -> None:
    olt = lab.olt_of_model(model)["name"]
    onu = pending_contract(lab, olt)
    [row] = lab.query(
        "SELECT o.vlan FROM contracts c JOIN onus o ON o.id = c.onu_id WHERE c.code = :c",
        c=onu["contract"],
    )
    # A technician tried the ONU on the bench: authorized with a label of theirs, which the
    # store does not know (typed on the OLT's own CLI).
    by_hand = lab.run_json(
        "onu-authorize", "-e", f"olt={olt}", "-e", f"port={onu['port']}",
        "-e", f"serial={onu['serial']}", "-e", f"vlan={row['vlan']}",
        "-e", "description=bancada-teste",
    )  # fmt: skip
    assert [r["status"] for r in step_results(by_hand, "authorize")] == ["changed"]
    lab.query("UPDATE onus SET description = NULL WHERE serial = :s", s=onu["serial"])

    report = lab.run_json("onu-authorize", "-e", f"contract={onu['contract']}")
    [found] = step_results(report, "authorize")
    assert found["status"] == "changed", found["error"]
    assert found["result"]["already"] is True
    assert found["result"]["note"] == "its description set"
    # Read back from the OLT by the audit: it names the contract's customer, not the bench.
    audit = lab.run_json("compliance-audit", "--limit", olt)
    [checked] = step_results(audit, "OLTs against the rules")
    assert [f for f in checked["result"]["findings"] if f.get("contract") == onu["contract"]] == []
    again = lab.run_json("onu-authorize", "-e", f"contract={onu['contract']}")
    [same] = step_results(again, "authorize")
    assert same["status"] == "ok" and "note" not in same["result"]


def test_bulk_install_from_csv_on_every_olt_in_parallel(lab: RunningLab) -> None:
    before = lab.query("SELECT count(*) AS n FROM onus WHERE state = 'authorized'")[0]["n"]
    rows = []
    for index, olt in enumerate(lab.fleet()["olts"]):
        onu = pending_contract(lab, olt["name"])
        if index % 2:
            rows.append(f"{onu['contract']},,,,")
        else:
            rows.append(f",{olt['name']},{onu['port']},{onu['serial']},{onu['vlan']}")
    csv = lab.root / "install.csv"
    csv.write_text("contract,olt,port,serial,vlan\n" + "\n".join(rows) + "\n")
    report = lab.run_json("onu-authorize", "-e", f"items={csv}")
    installed = step_results(report, "install from file")
    assert len(installed) == len(lab.fleet()["olts"])
    for result in installed:
        [item] = [i for i in result["result"] if i["status"] != "skipped"]
        assert item["status"] == "changed"
        assert item["result"]["signal"] in ("good", "warning")
    active = lab.query("SELECT count(*) AS n FROM onus WHERE state = 'authorized'")[0]["n"]
    assert active == before + len(rows)


def test_concurrent_authorize_on_one_pon_takes_distinct_ids(lab: RunningLab) -> None:
    olt = lab.olt_of_model("MA5800-X7")
    # The PON with the most ONUs still waiting (earlier tests of the module took some).
    still = waiting_serials(lab, olt["name"])
    port = max(
        (pon["port"] for pon in olt["pons"]),
        key=lambda p: sum(o["serial"] in still for o in lab.onus(olt=olt["name"], port=p)),
    )
    waiting = [o for o in lab.onus(olt=olt["name"], port=port) if o["serial"] in still][:3]
    assert len(waiting) == 3
    listed = lab.run_json("onu-signal", "-e", f"olt={olt['name']}", "-e", f"port={port}")
    [before] = step_results(listed, "read signal")
    runs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ispflow",
                "run",
                "onu-authorize",
                "-o",
                "json",
                "-q",
                "-e",
                f"olt={olt['name']}",
                "-e",
                f"port={port}",
                "-e",
                f"serial={onu['serial']}",
                "-e",
                "accept=good,warning,critical,overload,offline",
            ],
            cwd=lab.root,
            env=lab.cli.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for onu in waiting
    ]
    ids = []
    for proc in runs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, out[-2000:] + err[-2000:]
        [added] = step_results(json.loads(out), "authorize")
        ids.append(added["result"]["onu_id"])
    assert len(set(ids)) == 3
    report = lab.run_json("onu-signal", "-e", f"olt={olt['name']}", "-e", f"port={port}")
    [read] = step_results(report, "read signal")
    on_pon = [r["onu_id"] for r in read["result"]]
    assert len(on_pon) == len(set(on_pon)) == len(before["result"]) + 3
    assert set(ids) <= set(on_pon)


@pytest.mark.parametrize(
    ("var", "value"),
    [
        ("description", 'ok" \nreboot'),
        ("description", "x; undo service-port all"),
        ("description", "x\rsystem shutdown"),
    ],
)
def test_injection_in_description_never_reaches_the_olt(
    lab: RunningLab, var: str, value: str
) -> None:
    olt = lab.olt_of_model("MA5800-X7")["name"]
    onu = pending_contract(lab, olt)
    earlier = runs(lab)
    # Refused when the vars are checked (exit 2, naming the var given), before any host runs.
    proc = lab.cli(
        "run", "onu-authorize", "-e", f"olt={olt}", "-e", f"port={onu['port']}",
        "-e", f"serial={onu['serial']}", "-e", f"{var}={value}",
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"var '{var}':" in proc.stdout + proc.stderr
    assert runs(lab) == earlier
    assert onu["serial"] in waiting_serials(lab, olt)


def test_injection_in_serial_is_refused_before_anything_runs(lab: RunningLab) -> None:
    olt = lab.olt_of_model("C320")["name"]
    earlier = runs(lab)
    proc = lab.cli(
        "run", "onu-authorize", "-e", f"olt={olt}", "-e", "serial=ZTEG12345678\nno onu 1"
    )
    assert proc.returncode == 2
    assert "serial" in proc.stderr
    assert runs(lab) == earlier


def test_a_bad_row_of_a_bulk_install_stops_no_other_row_and_rerun_takes_only_it(
    lab: RunningLab,
) -> None:
    olt = lab.olt_of_model("MA5800-X7")["name"]
    bad = pending_contract(lab, olt, condition="critical")
    good = [
        o["contract"]
        for o in (
            {**onu, "contract": row["code"]}
            for onu in lab.onus(olt=olt, autofind=True, condition="good")
            for row in lab.query(
                "SELECT c.code FROM contracts c JOIN onus o ON o.id = c.onu_id "
                "WHERE o.serial = :s AND c.status = 'pending' AND o.state = 'pending'",
                s=onu["serial"],
            )
        )
    ][:2]
    assert len(good) == 2
    csv = lab.root / "rows.csv"
    csv.write_text("contract\n" + "\n".join([bad["contract"], *good]) + "\n")
    report = lab.run_json("onu-authorize", "-e", f"items={csv}", expect=1)
    [step] = step_results(report, "install from file")
    assert step["status"] == "failed" and step["changed"] is True
    rows = [r for r in step["result"] if r["status"] != "skipped"]
    assert [(r["item"]["contract"], r["status"]) for r in rows] == [
        (bad["contract"], "failed"),
        (good[0], "changed"),
        (good[1], "changed"),
    ]
    assert "critical" in rows[0]["error"] and "removed again" in rows[0]["error"]
    assert bad["serial"] in waiting_serials(lab, olt)
    for code in good:
        [row] = lab.query("SELECT status FROM contracts WHERE code = :c", c=code)
        assert row["status"] == "active"

    again = lab.cli("run", "--rerun-failed", report["run_id"], "-o", "json", "-q")
    assert again.returncode == 1, again.stderr
    [step] = step_results(json.loads(again.stdout), "install from file")
    rows = [r for r in step["result"] if r["status"] != "skipped"]
    assert [(r["item"]["contract"], r["status"], r.get("restored", False)) for r in rows] == [
        (bad["contract"], "failed", False),
        (good[0], "changed", True),
        (good[1], "changed", True),
    ]


@pytest.mark.parametrize("model", ["MA5800-X7", "C320", "DM4610", "AN5516-06B"])
def test_an_onu_that_never_comes_online_is_removed_again(lab: RunningLab, model: str) -> None:
    """An ONU authorized by serial that never ranges: the OLT answers its optical read with
    'not online' (Huawei), no reading (ZTE, DmOS) or a refusal (AN5516: the ONU is
    unactive). The install removes it again and says why; neither the OLT nor the store
    keeps it."""
    olt = lab.olt_of_model(model)
    port = olt["pons"][0]["port"]
    vendor_id = {"huawei": "HWTC", "zte": "ZTEG", "datacom": "DACM", "fiberhome": "FHTT"}
    serial = vendor_id[olt["vendor"]] + "0BADBEEF"
    csv = lab.root / f"absent-{model}.csv"
    csv.write_text(f"olt,port,serial,vlan\n{olt['name']},{port},{serial},100\n")
    report = lab.run_json("onu-authorize", "-e", f"items={csv}", "-e", "accept=[good]", expect=1)
    [result] = step_results(report, "install from file")
    [item] = [i for i in result["result"] if i["status"] != "skipped"]
    assert item["status"] == "failed"
    assert "no signal (offline)" in item["error"] and "removed again" in item["error"]
    on_port = lab.run_json("onu-signal", "-e", f"olt={olt['name']}", "-e", f"port={port}")
    [read] = step_results(on_port, "read signal")
    assert serial not in {r.get("serial") for r in read["result"]}
    assert not lab.query("SELECT id FROM onus WHERE serial = :s", s=serial)
