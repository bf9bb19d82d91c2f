"""`ispflow reconcile` against the lab: the devices as they are, the store made wrong on
purpose, findings of every kind, the safe fixes shown and then applied."""

from __future__ import annotations

import dataclasses
import json

import pytest

from tests.lab.conftest import RunningLab


def reconcile(lab: RunningLab, *args: str, expect: int) -> dict:
    proc = lab.cli("reconcile", "-o", "json", *args)
    assert proc.returncode == expect, proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads(proc.stdout)


def installed(lab: RunningLab) -> list[dict]:
    return lab.query(
        "SELECT o.id, o.serial, o.onu_index, o.frame, o.slot, o.port, c.code, t.name AS olt, "
        "c.pppoe_login FROM onus o JOIN contracts c ON c.onu_id = o.id "
        "JOIN olts t ON t.id = o.olt_id WHERE o.state = 'authorized' ORDER BY t.name, o.id"
    )


def kinds(report: dict) -> dict[str, list[dict]]:
    found: dict[str, list[dict]] = {}
    for finding in report["findings"]:
        found.setdefault(finding["kind"], []).append(finding)
    return found


def test_reconcile_finds_every_kind_and_fixes_the_safe_ones(lab: RunningLab, tmp_path) -> None:
    clean = reconcile(lab, expect=0)
    assert clean["findings"] == [] and clean["devices"] == len(lab.fleet()["olts"]) + len(
        lab.fleet()["concentrators"]
    )

    rows = installed(lab)
    by_olt: dict[str, list[dict]] = {}
    for row in rows:
        by_olt.setdefault(row["olt"], []).append(row)
    first_olt, second_olt = sorted(by_olt)[:2]
    wrong_id, lost, orphaned = by_olt[first_olt][:3]
    elsewhere = by_olt[second_olt][0]
    lab.query("UPDATE onus SET onu_index = 120 WHERE id = :i", i=wrong_id["id"])
    lab.query("UPDATE onus SET serial = 'HWTC0000DEAD' WHERE id = :i", i=lost["id"])
    lab.query("UPDATE contracts SET pppoe_login = NULL WHERE code = :c", c=orphaned["code"])
    # The store says this ONU is on the first OLT; it is on the second.
    [first_olt_id] = lab.query("SELECT id FROM olts WHERE name = :n", n=first_olt)
    lab.query(
        "UPDATE onus SET olt_id = :o, onu_index = 121, pon_port_id = (SELECT pon_port_id FROM onus "
        "WHERE id = :w) WHERE id = :i",
        o=first_olt_id["id"],
        w=wrong_id["id"],
        i=elsewhere["id"],
    )
    lab.query(
        "INSERT INTO contracts (code, customer_id, status, pppoe_login, concentrator) "
        "SELECT 'C-NOLOGIN', customer_id, 'active', 'cliente-sem-secret', 'bras-01' "
        "FROM contracts LIMIT 1"
    )

    report = reconcile(lab, expect=1)
    found = kinds(report)
    assert [(f["olt"], f["serial"], f["contract"]) for f in found["missing"]] == [
        (first_olt, "HWTC0000DEAD", lost["code"])
    ]
    assert [(f["olt"], f["serial"]) for f in found["ghost"]] == [(first_olt, lost["serial"])]
    moved = {f["serial"]: f for f in found["moved"]}
    assert moved[wrong_id["serial"]]["recorded"]["onu_id"] == 120
    assert moved[wrong_id["serial"]]["onu_id"] == wrong_id["onu_index"]
    # Across OLTs: one finding, the move, not also "missing" on the recorded OLT.
    assert moved[elsewhere["serial"]]["olt"] == second_olt
    assert moved[elsewhere["serial"]]["recorded"]["olt"] == first_olt
    assert [f["login"] for f in found["ppp_orphan"]] == [orphaned["pppoe_login"]]
    assert [f["login"] for f in found["ppp_missing"]] == ["cliente-sem-secret"]

    preview = reconcile(lab, "--fix", expect=1)
    assert preview["applied"] is False and len(preview["fixes"]) == 3
    assert installed(lab) != rows  # nothing changed yet: still the broken store
    assert reconcile(lab, expect=1)["counts"] == report["counts"]

    applied = reconcile(lab, "--fix", "--apply", expect=1)  # ghosts and PPP stay
    assert all(f["done"] for f in applied["fixes"])
    after = kinds(reconcile(lab, expect=1))
    assert set(after) == {"ghost", "ppp_orphan", "ppp_missing"}
    [lost_now] = lab.query("SELECT state FROM onus WHERE id = :i", i=lost["id"])
    assert lost_now["state"] == "removed"
    [moved_now] = lab.query(
        "SELECT o.onu_index, t.name FROM onus o JOIN olts t ON t.id = o.olt_id WHERE o.id = :i",
        i=elsewhere["id"],
    )
    assert (moved_now["onu_index"], moved_now["name"]) == (
        elsewhere["onu_index"],
        second_olt,
    )

    page = lab.cli("reconcile", "-o", "html", "--out", str(tmp_path / "r.html"))
    assert page.returncode == 1
    html = (tmp_path / "r.html").read_text()
    assert "ghost" in html and lost["serial"] in html and "<script" not in html
    text = lab.cli("reconcile")
    assert "PPP login with no contract" in text.stdout and "cliente-sem-secret" in text.stdout


def test_an_unreachable_olt_is_reported_not_taken_for_missing_onus(lab: RunningLab) -> None:
    olt = lab.fleet()["olts"][0]["name"]
    assert lab.cli("lab", "fault", olt, "--refuse-logins").returncode == 0
    report = reconcile(lab, expect=1)
    found = kinds(report)
    assert set(found) == {"unread"}
    assert [f["device"] for f in found["unread"]] == [olt]


@pytest.mark.netbox
def test_reconcile_compares_the_inventory_with_netbox(
    lab: RunningLab, netbox: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.netbox_data import Fleet, connect, lab_fleet, populate

    fleet = lab_fleet(lab.state)
    kept = [d for d in fleet.devices if d.name != fleet.devices[0].name]
    extra = dataclasses.replace(kept[-1], name="olt-nao-existe", address="10.9.9.9/32")
    moved = dataclasses.replace(kept[0], address="10.1.1.1/32")
    devices = [extra, moved, *kept[1:]]
    populate(connect(netbox), Fleet(devices, fleet.vrf, fleet.site_names))
    monkeypatch.setenv("ISPFLOW_NETBOX_URL", netbox["url"])
    monkeypatch.setenv("ISPFLOW_NETBOX_TOKEN", netbox["token"])

    report = reconcile(lab, "--netbox", expect=1)
    found = kinds(report)
    assert report["netbox_compared"] is True
    assert [f["device"] for f in found["netbox_only"]] == ["olt-nao-existe"]
    assert [f["device"] for f in found["network_only"]] == [fleet.devices[0].name]
    [differs] = found["netbox_differs"]
    assert differs["device"] == moved.name and differs["netbox"].startswith("10.1.1.1:")
    assert netbox["token"] not in json.dumps(report)
