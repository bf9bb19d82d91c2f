"""The signal audit against the lab's outside plant: a cut fibre behind one CTO, a dead OLT
port, a dirty drop on one ONU; one ticket per fault, kept across audits, closed once fixed."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from tests.lab.conftest import RunningLab, start_lab


@pytest.fixture(scope="module")
def plant_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    # 20 ONUs per PON: two or three CTOs share each PON, so a CTO can fail alone.
    yield from start_lab(
        tmp_path_factory.mktemp("plant"), "--onus", "20", "--autofind", "0",
        "--concentrators", "0",
    )  # fmt: skip


def audit(lab: RunningLab, *extra: str) -> dict[str, Any]:
    report = lab.run_json("signal-audit", *extra, expect=None)
    [local] = [r for r in report["results"] if r["host"] == "local"]
    assert local["status"] in ("ok", "changed"), local["error"]
    return local["result"]


def orders(lab: RunningLab, cause: str) -> list[dict[str, Any]]:
    proc = lab.cli("ticket", "list", "--cause", cause, "--status", "open", "-o", "json")
    return [t for t in json.loads(proc.stdout or "[]") if t["cause"] == cause]


def fault(lab: RunningLab, olt: str, *args: str) -> None:
    proc = lab.cli("lab", "fault", olt, *args)
    assert proc.returncode == 0, proc.stderr


def pick(lab: RunningLab) -> tuple[str, str, list[dict[str, Any]], dict[str, Any], str]:
    """A CTO sharing its PON with another, the ONUs behind it, a good ONU elsewhere on the
    same OLT, and another OLT's PON."""
    onus = [o for o in lab.fleet()["onus"] if o.get("onu_id") is not None]
    per_pon = Counter((o["olt"], o["port"], o["cto"]) for o in onus)
    for (olt, port, cto), count in per_pon.most_common():
        others = [k for k in per_pon if k[:2] == (olt, port) and k[2] != cto]
        if count >= 3 and others:
            behind = [o for o in onus if o["cto"] == cto]
            good = next(
                o for o in onus
                if o["olt"] == olt and o["cto"] != cto and o["condition"] == "good"
                and o["expected_rx_dbm"] > -22.5  # still above -27 after 4 dB more
            )  # fmt: skip
            other_olt = next(o for o in onus if o["olt"] != olt)
            return olt, cto, behind, good, f"{other_olt['olt']} {other_olt['port']}"
    pytest.fail("the lab has no PON shared by two CTOs")


def test_faults_become_one_ticket_each_and_close_when_fixed(plant_lab: RunningLab) -> None:
    lab = plant_lab
    olt, cto, behind, good, dead = pick(lab)
    dead_olt, dead_port = dead.split(" ")
    audit(lab)  # the baseline: what the plant is like before anything breaks

    fault(lab, olt, "--cut-cto", cto, "--attenuate", f"{good['serial']}=4")
    fault(lab, dead_olt, "--down-pon", dead_port)
    first = audit(lab)
    found = {f["key"]: f for f in first["findings"]}
    cto_key = f"signal:cto:{cto}"
    pon_key = f"signal:pon:{dead_olt}:{dead_port}"
    assert found[cto_key]["kind"] == "cto_fault"
    assert found[cto_key]["down"] == len(behind) == found[cto_key]["onus"]
    assert len(found[cto_key]["contracts"]) == len(behind)
    assert found[pon_key]["kind"] == "pon_fault"
    # The customers behind the cut are in the CTO's finding, not one finding each.
    behind_ids = {(o["olt"], o["port"], o["onu_id"]) for o in behind}
    assert not [
        f for f in first["findings"]
        if f["kind"] == "onu_down" and (f["olt"], f["port"], f["onu_id"]) in behind_ids
    ]  # fmt: skip
    degraded = [f for f in first["findings"] if f["kind"] == "onu_degraded"]
    assert any(f["onu_id"] == good["onu_id"] and f["port"] == good["port"] for f in degraded)
    assert [o["protocol"] for o in orders(lab, cto_key)] and len(orders(lab, pon_key)) == 1
    [cto_order] = orders(lab, cto_key)
    assert cto_order["urgent"] is True and cto_order["queue"] == "on-site-visit"

    second = audit(lab)  # the same faults: no new orders for them
    assert cto_key in {f["key"] for f in second["findings"]}
    assert [o["protocol"] for o in orders(lab, cto_key)] == [cto_order["protocol"]]
    assert len(orders(lab, pon_key)) == 1
    assert cto_order["protocol"] not in second["tickets"]["opened"]

    assert lab.cli("lab", "fault", "--clear").returncode == 0
    fixed = audit(lab)
    assert cto_order["protocol"] in fixed["tickets"]["closed"]
    assert orders(lab, cto_key) == [] and orders(lab, pon_key) == []
    shown = json.loads(lab.cli("ticket", "show", cto_order["protocol"], "-o", "json").stdout)
    assert shown["status"] == "closed" and shown["solution_code"] == "SIGNAL-RECOVERED"


def test_an_audit_without_tickets_only_reports(plant_lab: RunningLab) -> None:
    result = audit(plant_lab, "-e", "tickets=false")
    assert "tickets" not in result and result["readings"] > 0


def test_a_flapping_onu_is_found_after_a_few_audits(plant_lab: RunningLab) -> None:
    lab = plant_lab
    onu = next(
        o for o in lab.fleet()["onus"] if o.get("onu_id") is not None and o["condition"] == "good"
    )
    fault(lab, onu["olt"], "--flap", onu["serial"])
    try:
        results = [audit(lab, "-e", "tickets=false") for _ in range(4)]
    finally:
        lab.cli("lab", "fault", "--clear")
    flapping = [
        f for f in results[-1]["findings"]
        if f["kind"] == "onu_flapping" and (f["olt"], f["port"], f["onu_id"])
        == (onu["olt"], onu["port"], onu["onu_id"])
    ]  # fmt: skip
    assert flapping and flapping[0]["changes"] >= 3
