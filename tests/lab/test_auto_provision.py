"""Zero-touch installs on the lab: ONUs waiting in autofind on several OLTs, matched with
reserved stock, installed by one run of onu-auto-provision with their plan's template; a
wrong PON, a model without a template and ONUs nobody reserved are reported, not touched;
generated WiFi keys never show."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.lab.conftest import RunningLab, onu_row


def pending(lab: RunningLab) -> list[dict[str, Any]]:
    """Contracts waiting for an ONU in autofind with a good signal, with their lab ONU."""
    found = []
    for onu in lab.onus(autofind=True, condition="good"):
        rows = lab.query(
            "SELECT c.code FROM contracts c JOIN onus o ON o.id = c.onu_id "
            "WHERE o.serial = :serial AND c.status = 'pending'",
            serial=onu["serial"],
        )
        if rows:
            found.append({**onu, "contract": rows[0]["code"]})
    return found


def stock(lab: RunningLab, tmp_path: Path, rows: list[tuple[str, str, str]]) -> None:
    csv = tmp_path / "stock.csv"
    csv.write_text(
        "serial,model,vendor,technology,received_on\n"
        + "".join(f"{serial},{model},{vendor},GPON,2026-11-20\n" for serial, model, vendor in rows),
        encoding="utf-8",
    )
    proc = lab.cli("stock", "import", str(csv))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def reserve(lab: RunningLab, serial: str, contract: str) -> None:
    proc = lab.cli("stock", "reserve", serial, contract)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_one_run_installs_matched_onus_on_several_olts(lab: RunningLab, tmp_path: Path) -> None:
    waiting = pending(lab)
    huawei = next(o for o in waiting if o["vendor"] == "huawei")
    zte = next(o for o in waiting if o["vendor"] == "zte")
    rest = [o for o in waiting if o not in (huawei, zte)]
    stray = rest[0]
    # The wrong PON: the stray ONU reserved for a contract whose CTO is on another PON.
    elsewhere = next(o for o in rest[1:] if (o["olt"], o["port"]) != (stray["olt"], stray["port"]))
    no_template = next(o for o in rest[1:] if o is not elsewhere)
    stock(
        lab,
        tmp_path,
        [
            (huawei["serial"], huawei["model"], "huawei"),
            (zte["serial"], zte["model"], "zte"),
            (stray["serial"], stray["model"], stray["vendor"]),
            (no_template["serial"], "AN5506-01-A", "fiberhome"),
        ],
    )
    reserve(lab, huawei["serial"], huawei["contract"])
    reserve(lab, zte["serial"], zte["contract"])
    # A spare off the shelf (not the ONU the lab seeded for another contract: that one is
    # refused as another contract's, whatever its PON).
    lab.query("UPDATE contracts SET onu_id = NULL WHERE code = :c", c=stray["contract"])
    reserve(lab, stray["serial"], elsewhere["contract"])
    reserve(lab, no_template["serial"], no_template["contract"])

    proc = lab.cli("run", "onu-auto-provision", "-o", "json", "-q")
    assert proc.returncode == 1, proc.stderr  # some ONUs could not be installed: said so
    report = json.loads(proc.stdout)
    results = {r["host"]: r for r in report["results"]}
    installed = [i for r in results.values() for i in (r["result"] or {}).get("installed", [])]
    failed = [f for r in results.values() for f in (r["result"] or {}).get("failed", [])]
    unmatched = [u for r in results.values() for u in (r["result"] or {}).get("unmatched", [])]
    assert sorted(i["contract"] for i in installed) == sorted(
        [huawei["contract"], zte["contract"]]
    ), [(f["contract"], f["serial"], f["reason"]) for f in failed]
    assert all(i["signal"] in ("good", "warning") for i in installed)
    reasons = {f["serial"]: f["reason"] for f in failed}
    assert "wrong PON" in reasons[stray["serial"]]
    assert "no provisioning template for ONU model 'AN5506-01-A'" in reasons[no_template["serial"]]
    assert len(failed) == 2
    reserved = {huawei["serial"], zte["serial"], stray["serial"], no_template["serial"]}
    assert {u["serial"] for u in unmatched} == {
        o["serial"] for o in lab.onus(autofind=True)
    } - reserved

    for onu in (huawei, zte):
        row = onu_row(lab, onu["serial"])
        assert row["state"] == "authorized" and row["contract_status"] == "active"
        [item] = lab.query("SELECT state FROM stock_items WHERE serial = :s", s=onu["serial"])
        assert item["state"] == "installed"
        orders = lab.query(
            "SELECT o.status, o.solution_code FROM service_orders o JOIN contracts c "
            "ON c.id = o.contract_id WHERE c.code = :c AND o.queue = 'installation'",
            c=onu["contract"],
        )
        assert orders and all(o["status"] == "closed" for o in orders)
        assert {o["solution_code"] for o in orders} == {"INSTALLED"}
    for onu in (stray, no_template):
        assert onu_row(lab, onu["serial"])["state"] == "pending"  # not touched

    # The WiFi key was made and kept encrypted; no output shows it.
    keys = lab.query("SELECT ciphertext FROM contract_secrets")
    assert len(keys) >= 2
    assert '"wifi_key": "***"' in proc.stdout
    # The ZTE OLT sent the WiFi settings to its ONU (OMCI); Huawei's leave them to the ACS.
    by_contract = {i["contract"]: i for i in installed}
    assert set(by_contract[zte["contract"]]["settings_sent"]) == {"wifi_ssid", "wifi_key"}
    assert by_contract[huawei["contract"]]["settings_sent"] == []
    assert "wifi_key" in by_contract[huawei["contract"]]["settings_not_sent"]
    lab.run_json("config-backup", "--limit", zte["olt"], "-e", "keep_secrets=true")
    config = lab.cli("config", "show", zte["olt"]).stdout
    [key_line] = [line for line in config.splitlines() if "wpa2-psk" in line]
    key = key_line.split()[-1]
    assert len(key) == 12 and key not in proc.stdout + proc.stderr
    assert any(line.strip().startswith("ssid ctrl wifi_0/1 name") for line in config.splitlines())

    again = lab.cli("run", "onu-auto-provision", "-o", "json", "-q")
    again_report = json.loads(again.stdout)
    assert not [
        i for r in again_report["results"] for i in (r["result"] or {}).get("installed", [])
    ]


def run_results(lab: RunningLab, run_id: str) -> dict[str, list[dict[str, Any]]]:
    """installed/failed/unmatched/expired of a stored run, over all OLTs."""
    shown = lab.cli("runs", "show", run_id, "-o", "json")
    assert shown.returncode in (0, 1), shown.stderr
    found: dict[str, list[dict[str, Any]]] = {}
    for row in json.loads(shown.stdout)["results"]:
        for key, items in (row["result"] or {}).items():
            if isinstance(items, list):
                found.setdefault(key, []).extend(items)
    return found


def scheduled_cycle(lab: RunningLab) -> str:
    """One provisioning cycle as cron would start it; the run's id."""
    proc = lab.cli("scheduler", "--once")
    assert proc.returncode in (0, 1), proc.stderr
    assert "start onu-auto-provision" in proc.stderr, proc.stderr
    [schedule] = json.loads(lab.cli("schedule", "list", "-o", "json").stdout)
    return schedule["last_run_id"]


def test_scheduled_cycles_install_a_batch_and_an_onu_plugged_in_later(
    lab: RunningLab, tmp_path: Path
) -> None:
    waiting = pending(lab)
    olts = {o["olt"] for o in waiting}
    assert len(olts) >= 2, "the lab seed should have installs waiting on several OLTs"
    # One install per OLT, and a late one the technician has not plugged in yet.
    batch = [next(o for o in waiting if o["olt"] == olt) for olt in sorted(olts)]
    late = next(o for o in waiting if o not in batch)
    stock(lab, tmp_path, [(o["serial"], o["model"], o["vendor"]) for o in [*batch, late]])
    for onu in [*batch, late]:
        reserve(lab, onu["serial"], onu["contract"])
    fault = lab.cli("lab", "fault", late["olt"], "--unplug", late["serial"])
    assert fault.returncode == 0, fault.stderr
    added = lab.cli("schedule", "add", "onu-auto-provision", "--every", "2s")
    assert added.returncode == 0, added.stderr

    first = run_results(lab, scheduled_cycle(lab))
    assert sorted(i["contract"] for i in first["installed"]) == sorted(
        o["contract"] for o in batch
    ), first.get("failed")
    assert late["serial"] not in {u["serial"] for u in first["unmatched"]}  # not there at all
    for onu in batch:
        assert onu_row(lab, onu["serial"])["state"] == "authorized"

    time.sleep(2.2)
    second = run_results(lab, scheduled_cycle(lab))
    assert not second["installed"] and not second["failed"]
    assert onu_row(lab, late["serial"])["state"] == "pending"

    # The technician plugs it in: the next cycle finds and installs it.
    assert lab.cli("lab", "fault", "--clear").returncode == 0
    time.sleep(2.2)
    third = run_results(lab, scheduled_cycle(lab))
    assert [i["contract"] for i in third["installed"]] == [late["contract"]]
    assert onu_row(lab, late["serial"])["contract_status"] == "active"
    states = lab.query("SELECT serial, state FROM stock_items")
    assert {s["state"] for s in states} == {"installed"} and len(states) == len(batch) + 1


def test_an_expired_reservation_is_listed_and_not_installed(
    lab: RunningLab, tmp_path: Path
) -> None:
    onu = pending(lab)[0]
    stock(lab, tmp_path, [(onu["serial"], onu["model"], onu["vendor"])])
    reserve(lab, onu["serial"], onu["contract"])
    lab.query(
        "UPDATE stock_items SET updated_at = :old WHERE serial = :s",
        old=datetime.now(UTC) - timedelta(days=45),
        s=onu["serial"],
    )
    proc = lab.cli("run", "onu-auto-provision", "-o", "json", "-q")
    assert proc.returncode == 0, proc.stderr
    results = [r["result"] or {} for r in json.loads(proc.stdout)["results"]]
    [expired] = [e for r in results for e in r.get("expired", [])]
    assert expired["serial"] == onu["serial"] and expired["contract"] == onu["contract"]
    assert "expired" in expired["reason"] and "kept 30 days" in expired["reason"]
    assert not [i for r in results for i in r.get("installed", [])]
    assert onu_row(lab, onu["serial"])["state"] == "pending"

    # A longer wait, asked for: installed.
    longer = lab.run_json("onu-auto-provision", "-e", "expire_days=60")
    installed = [i for r in longer["results"] for i in (r["result"] or {}).get("installed", [])]
    assert [i["serial"] for i in installed] == [onu["serial"]]


def test_a_serial_twice_in_stock_is_refused_and_the_reserved_one_installs(
    lab: RunningLab, tmp_path: Path
) -> None:
    onu = pending(lab)[0]
    stock(lab, tmp_path, [(onu["serial"], onu["model"], onu["vendor"])])
    # The same ONU again, written the way the OLT shows it (all hex): refused, nothing added.
    vendor_id, rest = onu["serial"][:4], onu["serial"][4:]
    hex_form = vendor_id.encode().hex().upper() + rest
    again = tmp_path / "again.csv"
    again.write_text(
        "serial,model,vendor,technology,received_on\n"
        f"{hex_form},{onu['model']},{onu['vendor']},GPON,2026-11-21\n",
        encoding="utf-8",
    )
    proc = lab.cli("stock", "import", str(again))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert f"{again}:2" in proc.stderr and "is already in the stock" in proc.stderr
    assert len(lab.query("SELECT id FROM stock_items")) == 1

    reserve(lab, onu["serial"], onu["contract"])
    report = lab.run_json("onu-auto-provision")
    installed = [i for r in report["results"] for i in (r["result"] or {}).get("installed", [])]
    assert [i["contract"] for i in installed] == [onu["contract"]]
