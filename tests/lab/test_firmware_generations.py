"""Every firmware generation the lab serves, read through the shipped runbooks and checked
against the lab's own truth: no ONU missing, no offline ONU lost, every count right.

One lab holds every generation: MA5800-X7 r019 (offline ONTs left out of optical tables),
MA5608T and MA5683T r018, C320 v2, C300 v1, C600 titan, and the AN5516's two dialects
(AN5516-06 `pon`, AN5516-06B `link`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from ispflow.tasks.signal import classify
from tests.lab.conftest import RunningLab, start_lab, step_results

GENERATIONS = {
    "MA5800-X7": "r019",
    "C320": "v2",
    "MA5608T": "r018",
    "C600": "titan",
    "MA5683T": "r018",
    "C300": "v1",
    "AN5516-06": "pon",
    "AN5516-06B": "link",
}


@pytest.fixture(scope="module")
def mixed_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    root = tmp_path_factory.mktemp("generations")
    yield from start_lab(
        root, "--olts", "8", "--onus", "16", "--firmware", "C300=v1", "--concentrators", "0",
        "--vendors", "huawei,zte,fiberhome",
    )  # fmt: skip


def olt_names(lab: RunningLab) -> dict[str, str]:
    return {olt["model"]: olt["name"] for olt in lab.fleet()["olts"]}


def truth(lab: RunningLab, olt: str) -> dict[tuple[str, int], dict[str, Any]]:
    """The lab's authorized ONUs of one OLT by (port, id)."""
    return {
        (onu["port"], onu["onu_id"]): onu
        for onu in lab.onus(olt=olt, state="authorized")
        if onu["onu_id"] is not None
    }


def expected_class(onu: dict[str, Any]) -> str | None:
    """What a read must say of an ONU; None for a flapping one (either, by the read)."""
    if onu["condition"] == "flapping":
        return None
    return classify(onu["expected_rx_dbm"])


def test_the_lab_runs_every_generation(mixed_lab: RunningLab) -> None:
    running = {olt["model"]: olt["firmware"] for olt in mixed_lab.fleet()["olts"]}
    assert running == GENERATIONS


def test_signal_reads_every_onu_of_every_generation(mixed_lab: RunningLab) -> None:
    report = mixed_lab.run_json("onu-signal")
    by_host = {r["host"]: r["result"] for r in step_results(report, "read signal")}
    for model, olt in olt_names(mixed_lab).items():
        known = truth(mixed_lab, olt)
        read = {(r["port"], r["onu_id"]): r for r in by_host[olt]}
        assert set(read) == set(known), f"{model}: ONUs read differ from the lab's"
        for key, onu in known.items():
            want = expected_class(onu)
            got = read[key]
            assert got["serial"] == onu["serial"], (model, key)
            if want is None:
                assert got["signal"] in ("offline", classify(onu["expected_rx_dbm"]))
                continue
            assert got["signal"] == want, (model, key, got)
            if want != "offline":
                assert got["rx_dbm"] == pytest.approx(onu["expected_rx_dbm"], abs=1.0)
        # Class by class, the ONUs that do not flap are counted as the lab has them.
        steady = {key: expected_class(onu) for key, onu in known.items() if expected_class(onu)}
        assert Counter(read[key]["signal"] for key in steady) == Counter(steady.values()), model
    # Each generation has offline ONUs, and each was read as offline, none left out.
    for model, olt in olt_names(mixed_lab).items():
        dark = [o for o in truth(mixed_lab, olt).values() if o["condition"] == "offline"]
        assert dark, f"the lab put no offline ONU on {model}"
    # The tally printed for people counts every reading of the run, offline ones included.
    everything = Counter(r["signal"] for result in by_host.values() for r in result)
    printed = mixed_lab.cli("report", report["run_id"])
    assert printed.returncode == 0, printed.stderr
    total = sum(everything.values())
    assert f"{total} ONUs read on {len(by_host)} OLTs" in printed.stdout
    for signal, count in everything.items():
        assert f"{count} {signal}" in printed.stdout, (signal, printed.stdout)
    stored = mixed_lab.query(
        "SELECT olt, COUNT(*) AS n, COUNT(serial) AS with_serial, "
        "SUM(CASE WHEN state = 'offline' THEN 1 ELSE 0 END) AS dark "
        "FROM optical_readings WHERE run_id = :run GROUP BY olt",
        run=report["run_id"],
    )
    for row in stored:
        known = truth(mixed_lab, row["olt"])
        assert row["n"] == row["with_serial"] == len(known)
        assert row["dark"] >= sum(o["condition"] == "offline" for o in known.values())


def test_autofind_lists_every_waiting_onu_of_every_generation(mixed_lab: RunningLab) -> None:
    report = mixed_lab.run_json("onu-autofind")
    by_host = {r["host"]: r["result"] for r in step_results(report, "autofind")}
    for model, olt in olt_names(mixed_lab).items():
        waiting = {onu["serial"] for onu in mixed_lab.onus(olt=olt, autofind=True)}
        assert {r["serial"] for r in by_host[olt]} == waiting, model


def test_reconcile_and_compliance_agree_with_a_clean_lab(mixed_lab: RunningLab) -> None:
    reconcile = mixed_lab.cli("reconcile", "-o", "json")
    assert reconcile.returncode == 0, reconcile.stdout[-2000:] + reconcile.stderr[-2000:]
    compliance = mixed_lab.cli("compliance", "-o", "json")
    assert compliance.returncode == 0, compliance.stdout[-2000:] + compliance.stderr[-2000:]


def test_signal_audit_reads_every_onu(mixed_lab: RunningLab) -> None:
    report = mixed_lab.run_json("signal-audit", "-e", "tickets=false", expect=None)
    reads = [r for r in report["results"] if r["step"] != "analyse" and r["host"] != "local"]
    assert reads and all(r["status"] == "ok" for r in reads), reads
    stored = mixed_lab.query(
        "SELECT olt, COUNT(*) AS n FROM optical_readings WHERE run_id = :run GROUP BY olt",
        run=report["run_id"],
    )
    assert {row["olt"]: row["n"] for row in stored} == {
        olt: len(truth(mixed_lab, olt)) for olt in olt_names(mixed_lab).values()
    }


@pytest.mark.parametrize("model", list(GENERATIONS))
def test_authorize_signal_deauthorize_on_every_generation(
    mixed_lab: RunningLab, model: str
) -> None:
    olt = olt_names(mixed_lab)[model]
    onu = next(
        (o for o in mixed_lab.onus(olt=olt, autofind=True, condition="good")),
        None,
    )
    assert onu is not None, f"no good ONU waits on {model}"
    port = onu["port"]
    added = mixed_lab.run_json(
        "onu-authorize", "-e", f"olt={olt}", "-e", f"port={port}",
        "-e", f"serial={onu['serial']}", "-e", "vlan=100",
    )  # fmt: skip
    [result] = step_results(added, "authorize")
    assert result["status"] == "changed"
    onu_id = result["result"]["onu_id"]
    listed = mixed_lab.run_json("onu-signal", "-e", f"olt={olt}", "-e", f"port={port}")
    [read] = step_results(listed, "read signal")
    mine = [r for r in read["result"] if r["onu_id"] == onu_id]
    assert mine and mine[0]["serial"] == onu["serial"] and mine[0]["signal"] == "good"
    removed = mixed_lab.run_json(
        "onu-deauthorize", "-e", f"olt={olt}", "-e", f"port={port}", "-e", f"serial={onu['serial']}"
    )
    assert [r["status"] for r in step_results(removed, "deauthorize")] == ["changed"]
    waiting = mixed_lab.run_json("onu-autofind", "--limit", olt)
    [found] = step_results(waiting, "autofind")
    assert onu["serial"] in {r["serial"] for r in found["result"]}
