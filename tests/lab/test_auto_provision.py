"""Zero-touch installs on the lab: ONUs waiting in autofind on several OLTs, matched with
reserved stock, installed by one run of onu-auto-provision with their plan's template; a
wrong PON, a model without a template and ONUs nobody reserved are reported, not touched;
generated WiFi keys never show."""

from __future__ import annotations

import json
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

    again = lab.cli("run", "onu-auto-provision", "-o", "json", "-q")
    again_report = json.loads(again.stdout)
    assert not [
        i for r in again_report["results"] for i in (r["result"] or {}).get("installed", [])
    ]
