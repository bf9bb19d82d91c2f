"""`ispflow onu replace` on the lab: the old ONU out, the new one in on the same PON with the
contract's VLAN, the store and the stock following; a new ONU whose signal fails is removed
again and the old one is put back as it was."""

from __future__ import annotations

import itertools
import json
import re
from pathlib import Path
from typing import Any

from tests.lab.conftest import RunningLab, onu_row, step_results


def installed_with_spare(lab: RunningLab, **match: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """A contract's working ONU and an ONU waiting in autofind on the same PON."""
    for spare in lab.onus(autofind=True, condition="good", **match):
        rows = lab.query(
            "SELECT c.code, o.serial, o.vlan FROM contracts c JOIN onus o ON o.id = c.onu_id "
            "JOIN olts t ON t.id = o.olt_id WHERE o.state = 'authorized' AND t.name = :olt "
            "AND o.frame || '/' || o.slot || '/' || o.port = :port AND c.status = 'active'",
            olt=spare["olt"],
            port=spare["port"],
        )
        for row in rows:
            old = next(o for o in lab.onus(serial=row["serial"]))
            if old["condition"] == "good":
                # A spare off the shelf: no contract's ONU (the lab seeds one for each).
                lab.query(
                    "UPDATE contracts SET onu_id = NULL WHERE onu_id = "
                    "(SELECT id FROM onus WHERE serial = :s)",
                    s=spare["serial"],
                )
                return {**old, "contract": row["code"], "vlan": row["vlan"]}, spare
    raise AssertionError("no contract with a spare ONU on its PON")


def stock_both(lab: RunningLab, tmp_path: Path, old: dict, new: dict) -> None:
    csv = tmp_path / "stock.csv"
    csv.write_text(
        "serial,model,vendor\n"
        f"{old['serial']},{old['model']},{old['vendor']}\n"
        f"{new['serial']},{new['model']},{new['vendor']}\n"
    )
    assert lab.cli("stock", "import", str(csv)).returncode == 0
    assert lab.cli("stock", "reserve", old["serial"], old["contract"]).returncode == 0
    assert lab.cli("stock", "installed", old["serial"]).returncode == 0


def stock_state(lab: RunningLab, serial: str) -> str:
    [row] = lab.query("SELECT state FROM stock_items WHERE serial = :s", s=serial)
    return str(row["state"])


def test_replace_swaps_onu_store_and_stock(lab: RunningLab, tmp_path: Path) -> None:
    old, new = installed_with_spare(lab)
    stock_both(lab, tmp_path, old, new)
    proc = lab.cli("onu", "replace", old["contract"], "--serial", new["serial"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert onu_row(lab, new["serial"])["state"] == "authorized"
    assert onu_row(lab, old["serial"])["state"] == "removed"
    [linked] = lab.query(
        "SELECT o.serial, o.vlan FROM contracts c JOIN onus o ON o.id = c.onu_id WHERE c.code = :c",
        c=old["contract"],
    )
    assert linked == {"serial": new["serial"], "vlan": old["vlan"]}
    assert stock_state(lab, new["serial"]) == "installed"
    assert stock_state(lab, old["serial"]) == "defective"
    waiting = lab.run_json("onu-autofind", "--limit", old["olt"])
    serials = {r.get("serial") for res in waiting["results"] for r in (res["result"] or [])}
    assert old["serial"] in serials and new["serial"] not in serials  # the old one is off


def test_a_replacement_keeps_the_label_the_onu_was_given(lab: RunningLab, tmp_path: Path) -> None:
    old, new = installed_with_spare(lab)
    stock_both(lab, tmp_path, old, new)
    described = lab.cli(
        "run", "onu-describe", "-e", f"contract={old['contract']}", "-e",
        "description=Casa da Maria - portao azul",
    )  # fmt: skip
    assert described.returncode == 0, described.stdout + described.stderr
    label = description_of(lab, old["serial"])
    assert label and "Maria" in label
    proc = lab.cli("onu", "replace", old["contract"], "--serial", new["serial"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert description_of(lab, new["serial"]) == label
    # The OLT shows it too: the audit finds nothing to say of the contract.
    audit = lab.run_json("compliance-audit", "--limit", old["olt"])
    [checked] = step_results(audit, "OLTs against the rules")
    assert [f for f in checked["result"]["findings"] if f.get("contract") == old["contract"]] == []


def description_of(lab: RunningLab, serial: str) -> str | None:
    [row] = lab.query("SELECT description FROM onus WHERE serial = :s", s=serial)
    return row["description"]


def test_a_new_onu_with_bad_signal_puts_the_old_one_back(lab: RunningLab, tmp_path: Path) -> None:
    old, new = installed_with_spare(lab)
    stock_both(lab, tmp_path, old, new)
    # The new ONU's drop is bad: 12 dB more loss than it should have.
    fault = lab.cli("lab", "fault", new["olt"], "--attenuate", f"{new['serial']}=12")
    assert fault.returncode == 0, fault.stderr
    proc = lab.cli("run", "onu-replace", "-e", f"contract={old['contract']}", "-e",
                   f"serial={new['serial']}", "-o", "json", "-q")  # fmt: skip
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    by_step = {(r["step"], r["status"]) for r in report["results"] if r["status"] != "skipped"}
    assert ("install the new ONU", "failed") in by_step
    assert ("put the old ONU back", "changed") in by_step
    assert onu_row(lab, old["serial"])["state"] == "authorized"  # back, on its contract
    [linked] = lab.query(
        "SELECT o.serial FROM contracts c JOIN onus o ON o.id = c.onu_id WHERE c.code = :c",
        c=old["contract"],
    )
    assert linked["serial"] == old["serial"]
    assert onu_row(lab, new["serial"])["state"] != "authorized"
    assert stock_state(lab, old["serial"]) == "installed"  # nothing changed in the stock
    assert stock_state(lab, new["serial"]) == "in_stock"


def wifi_key_on_device(lab: RunningLab, olt: str, port: str, onu_id: int) -> str:
    """The WiFi key the OLT holds for one ONU (a backup that keeps secrets, read back)."""
    lab.run_json("config-backup", "--limit", olt, "-e", "keep_secrets=true")
    lines = iter(lab.cli("config", "show", olt).stdout.splitlines())
    heading = re.compile(rf"^pon-onu-mng gpon[-_]onu[-_]{re.escape(port)}:{onu_id}$")
    next(line for line in lines if heading.match(line))
    block = [line for line in itertools.takewhile(lambda line: line != "!", lines)]
    return next(line for line in block if "wpa2-psk" in line).split()[-1]


def test_a_replaced_zte_onu_gets_the_plan_template_and_keeps_the_wifi(
    lab: RunningLab, tmp_path: Path
) -> None:
    old, new = installed_with_spare(lab, vendor="zte")
    # Both on the stock's books as a WiFi router model, so the plan's template has WiFi.
    stock_both(lab, tmp_path, {**old, "model": "F670L"}, {**new, "model": "F670L"})
    first = lab.cli(
        "run", "onu-replace", "-e", f"contract={old['contract']}", "-e", f"serial={new['serial']}",
        "-o", "json", "-q",
    )  # fmt: skip
    assert first.returncode == 0, first.stdout + first.stderr
    [installed] = [
        r["result"] for r in json.loads(first.stdout)["results"]
        if r["step"] == "install the new ONU" and r["status"] == "changed"
    ]  # fmt: skip
    assert set(installed["settings_sent"]) == {"wifi_ssid", "wifi_key"}
    assert installed["provisioning"]["settings"]["wifi_key"] == "***"
    key = wifi_key_on_device(lab, old["olt"], old["port"], installed["onu_id"])
    assert key not in first.stdout + first.stderr

    # Back to the first ONU (it was fine after all): the customer's WiFi key is the same.
    second = lab.cli(
        "run", "onu-replace", "-e", f"contract={old['contract']}", "-e", f"serial={old['serial']}",
        "-e", "old_state=returned", "-o", "json", "-q",
    )  # fmt: skip
    assert second.returncode == 0, second.stdout + second.stderr
    [back] = [
        r["result"] for r in json.loads(second.stdout)["results"]
        if r["step"] == "install the new ONU" and r["status"] == "changed"
    ]  # fmt: skip
    assert wifi_key_on_device(lab, old["olt"], old["port"], back["onu_id"]) == key
