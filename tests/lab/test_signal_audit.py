"""The signal audit against the lab's outside plant: a cut fibre behind one CTO, a dead OLT
port, a dirty drop on one ONU; one ticket per fault, kept across audits, closed once fixed."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from ruamel.yaml import YAML

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
    assert found[cto_key]["kind"] == "cto_cut"
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


def test_a_pon_down_twice_is_two_pon_faults_not_its_customers_flapping(
    plant_lab: RunningLab,
) -> None:
    lab = plant_lab
    _, _, behind, good, dead = pick(lab)
    used = {(o["olt"], o["port"]) for o in [*behind, good]} | {tuple(dead.split(" "))}
    onus = [o for o in lab.fleet()["onus"] if o.get("onu_id") is not None]
    olt, port = sorted({(o["olt"], o["port"]) for o in onus} - used)[-1]
    results = []
    try:
        for down in (True, False, True, False):
            if down:
                fault(lab, olt, "--down-pon", port)
            else:
                assert lab.cli("lab", "fault", "--clear").returncode == 0
            results.append(audit(lab, "-e", "tickets=false"))
    finally:
        lab.cli("lab", "fault", "--clear")
    pon_key = f"signal:pon:{olt}:{port}"
    assert [pon_key in {f["key"] for f in r["findings"]} for r in results] == [
        True, False, True, False,
    ]  # fmt: skip
    on_pon = [f for f in results[-1]["findings"] if (f.get("olt"), f.get("port")) == (olt, port)]
    assert [f for f in on_pon if f["kind"] == "onu_flapping"] == []


def test_light_lost_at_every_box_of_a_pon_is_one_pon_finding(plant_lab: RunningLab) -> None:
    lab = plant_lab
    onus = [o for o in lab.fleet()["onus"] if o.get("onu_id") is not None]
    boxes: dict[tuple[str, str], set[str]] = {}
    for o in onus:
        if o["cto"]:
            boxes.setdefault((o["olt"], o["port"]), set()).add(o["cto"])
    (olt, port), ctos = max(boxes.items(), key=lambda item: (len(item[1]), item[0]))
    assert len(ctos) >= 2
    audit(lab, "-e", "tickets=false")  # what the PON read before
    dirt = [arg for cto in sorted(ctos) for arg in ("--dirty-cto", f"{cto}=4")]
    fault(lab, olt, *dirt)
    try:
        found = audit(lab, "-e", "tickets=false")["findings"]
    finally:
        lab.cli("lab", "fault", "--clear")
    on_pon = [f for f in found if (f.get("olt"), f.get("port")) == (olt, port)]
    kinds = Counter(f["kind"] for f in on_pon)
    assert kinds["pon_degraded"] == 1 and kinds["cto_degraded"] == 0, kinds
    assert kinds["onu_degraded"] == 0, kinds
    [pon] = [f for f in on_pon if f["kind"] == "pon_degraded"]
    assert pon["key"] == f"signal:pon-degraded:{olt}:{port}" and set(pon["ctos"]) == ctos
    assert 3.5 <= pon["drop_db"] <= 4.5


def test_one_cut_cto_on_a_pon_of_two_is_that_cto_alone_with_one_order(
    plant_lab: RunningLab,
) -> None:
    lab = plant_lab
    onus = [o for o in lab.fleet()["onus"] if o.get("onu_id") is not None and o.get("cto")]
    ctos_of: dict[tuple[str, str], set[str]] = {}
    for onu in onus:
        ctos_of.setdefault((onu["olt"], onu["port"]), set()).add(onu["cto"])
    (olt, port), ctos = next((pon, c) for pon, c in sorted(ctos_of.items()) if len(c) == 2)
    cto, other = sorted(ctos, key=lambda c: -sum(o["cto"] == c for o in onus))
    # With a customer or two of the other box unplugged too, most of the PON is down (a PON
    # fault by share alone), while the other box is mostly online: the cut is the box's.
    on_pon = [
        o for o in lab.fleet()["onus"]
        if o.get("onu_id") is not None and (o["olt"], o["port"]) == (olt, port)
    ]  # fmt: skip
    short = math.ceil(0.6 * len(on_pon)) - sum(o["cto"] == cto for o in onus)
    unplug = [o["serial"] for o in onus if o["cto"] == other][: max(short, 0)]
    assert len(unplug) < 0.5 * sum(o["cto"] == other for o in onus)
    audit(lab)
    fault(lab, olt, "--cut-cto", cto, *(a for serial in unplug for a in ("--unplug", serial)))
    try:
        found = audit(lab)
    finally:
        assert lab.cli("lab", "fault", "--clear").returncode == 0
    cto_key = f"signal:cto:{cto}"
    at_cto = [f for f in found["findings"] if f.get("cto") == cto]
    assert [(f["kind"], f["key"]) for f in at_cto] == [("cto_cut", cto_key)]
    assert at_cto[0]["down"] == at_cto[0]["onus"] == sum(o["cto"] == cto for o in onus)
    assert not [f for f in found["findings"] if f.get("level") in ("pon", "board", "olt")]
    behind = {(o["port"], o["onu_id"]) for o in onus if o["cto"] == cto}
    assert not [
        f for f in found["findings"]
        if f["kind"] == "onu_down" and f["olt"] == olt and (f["port"], f["onu_id"]) in behind
    ]  # fmt: skip
    [order] = orders(lab, cto_key)
    assert found["tickets"]["orders"][cto_key] == f"opened {order['protocol']}"
    assert order["queue"] == "on-site-visit" and order["urgent"] is True
    assert not [k for k in found["tickets"]["orders"] if k.startswith(f"signal:pon:{olt}:")]
    assert audit(lab)["tickets"]["orders"][cto_key] == f"closed {order['protocol']}"


def test_thresholds_set_per_inventory_group_apply_to_its_olts(plant_lab: RunningLab) -> None:
    lab = plant_lab
    olt, cto, behind, _, _ = pick(lab)
    groups_file = lab.state / "inventory" / "groups.yaml"
    hosts = YAML(typ="safe").load((lab.state / "inventory" / "hosts.yaml").read_text())
    group = hosts[olt]["groups"][-1]
    original = groups_file.read_text()
    yaml = YAML()

    def thresholds(values: dict[str, Any]) -> None:
        groups = yaml.load(original)
        groups[group].setdefault("data", {})["audit_thresholds"] = values
        with groups_file.open("w") as out:
            yaml.dump(groups, out)

    try:
        # A group whose CTOs serve many customers each: a box is at fault only with 99 down.
        thresholds({"cto_min": 99, "group_min": 99})
        fault(lab, olt, "--cut-cto", cto)
        found = audit(lab, "-e", "tickets=false")["findings"]
        assert not [f for f in found if f.get("cto") == cto]
        down = {(f["port"], f["onu_id"]) for f in found if f["kind"] == "onu_down"}
        assert {(o["port"], o["onu_id"]) for o in behind} <= down

        thresholds({"cto_minimum": 2})
        report = lab.run_json("signal-audit", "-e", "tickets=false", expect=None)
        [local] = [r for r in report["results"] if r["host"] == "local"]
        assert local["status"] == "failed"
        assert "audit_thresholds: unknown key 'cto_minimum'" in local["error"]
    finally:
        groups_file.write_text(original)
        assert lab.cli("lab", "fault", "--clear").returncode == 0


def _plant(lab: RunningLab) -> tuple[list[dict[str, Any]], dict[tuple[str, str], list[str]]]:
    """The authorized ONUs behind CTOs, and each PON's CTOs, biggest first."""
    onus = [o for o in lab.fleet()["onus"] if o.get("onu_id") is not None and o.get("cto")]
    sizes = Counter(o["cto"] for o in onus)
    ctos: dict[tuple[str, str], list[str]] = {}
    for onu in onus:
        ctos.setdefault((onu["olt"], onu["port"]), [])
        if onu["cto"] not in ctos[(onu["olt"], onu["port"])]:
            ctos[(onu["olt"], onu["port"])].append(onu["cto"])
    return onus, {pon: sorted(c, key=lambda x: -sizes[x]) for pon, c in ctos.items()}


def _good_customer(onus: list[dict[str, Any]], olt: str) -> dict[str, Any]:
    return next(o for o in onus if o["olt"] == olt and o["condition"] == "good")


FAULT_KINDS = [
    "power_outage", "feeder_cut", "pon_down", "board_down", "two_ctos_on_one_pon",
    "customer_power_off", "drop_cut", "cto_dirty",
]  # fmt: skip


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_each_fault_kind_is_named_at_its_node(plant_lab: RunningLab, kind: str) -> None:
    """Each kind the lab can inject, through the real audit: the finding names the node that
    explains it with the kind a NOC acts on, and nothing under it is reported again."""
    lab = plant_lab
    onus, ctos = _plant(lab)
    (olt, port), pon_ctos = next(
        (pon, c) for pon, c in sorted(ctos.items()) if len(c) >= (3 if "two" in kind else 2)
    )
    cto = pon_ctos[0]
    customer = _good_customer(onus, olt)
    args = {
        "power_outage": ["--power-off-cto", cto],
        "feeder_cut": ["--cut-feeder", port],
        "pon_down": ["--down-pon", port],
        "board_down": ["--board-down", port.split("/")[1]],
        "two_ctos_on_one_pon": ["--cut-cto", pon_ctos[0], "--cut-cto", pon_ctos[1]],
        "customer_power_off": ["--power-off", customer["serial"]],
        "drop_cut": ["--cut-drop", customer["serial"]],
        "cto_dirty": ["--dirty-cto", f"{cto}=3.5"],
    }[kind]
    audit(lab, "-e", "tickets=false")  # the baseline a degradation is measured against
    fault(lab, olt, *args)
    try:
        found = audit(lab)
    finally:
        assert lab.cli("lab", "fault", "--clear").returncode == 0
    nodes = [(f["kind"], f.get("cto") or f.get("serial") or f.get("port")) for f in found["findings"]
             if f["olt"] == olt and f["kind"] not in ("onu_flapping", "onu_overload")]  # fmt: skip
    opened = found.get("tickets", {}).get("orders", {})
    if kind == "power_outage":
        [power] = [f for f in found["findings"] if f["kind"] == "power_outage"]
        assert power.get("cto") == cto
        [order] = orders(lab, power["key"])
        assert order["queue"] == "power-outage" and not order["urgent"]
        assert not [
            n for n in nodes if n[0] in ("cto_cut", "pon_fault", "onu_down") and n[1] == cto
        ]
    elif kind in ("feeder_cut", "pon_down"):
        assert ("pon_fault", port) in nodes
        assert not [n for n in nodes if n[0] == "cto_cut" and n[1] in pon_ctos]
    elif kind == "board_down":
        assert [f["kind"] for f in found["findings"] if f["olt"] == olt and f.get("level") in
                ("board", "olt")] in (["board_fault"], ["olt_fault"])  # fmt: skip
        assert not [n for n in nodes if n[0] in ("pon_fault", "cto_cut")]
    elif kind == "two_ctos_on_one_pon":
        assert sorted(n[1] for n in nodes if n[0] == "cto_cut") == sorted(pon_ctos[:2])
        assert not [n for n in nodes if n[0] == "pon_fault"]
    elif kind == "customer_power_off":
        # (Earlier cases of this module switched this customer on and off: it flaps.)
        assert not [
            f for f in found["findings"]
            if f.get("serial") == customer["serial"] and f["kind"] != "onu_flapping"
        ]  # fmt: skip
        assert not [k for k in opened if customer["serial"] in k]
    elif kind == "drop_cut":
        assert ("onu_down", customer["serial"]) in nodes
        [order] = orders(lab, f"signal:onu:{customer['serial']}")
        assert order["queue"] == "on-site-visit"
    elif kind == "cto_dirty":
        assert ("cto_degraded", cto) in nodes
        behind = {o["serial"] for o in onus if o["cto"] == cto}
        assert not [n for n in nodes if n[0] == "onu_degraded" and n[1] in behind]
    audit(lab)  # the fault is gone: the orders it opened close
