"""Every shipped OLT runbook on one fleet that mixes the four OLT vendors (one OLT each, small
PON and ONU counts), over real SSH: exit codes, what the OLTs hold afterwards (read back
through ispflow's own reads), the store's rows and each vendor's result.

The tests share one lab and run in file order: the read-only runbooks first, on the fleet as
the lab seeded it; then the changes, each on ONUs no earlier test touched; at the end the
fleet is compared with the store again."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.lab.conftest import (
    RunningLab,
    onu_row,
    start_lab,
    step_results,
    waiting_serials,
)
from tests.lab.test_auto_provision import reserve, stock
from tests.lab.test_onu_replace import stock_state

VENDORS = ("huawei", "zte", "datacom", "fiberhome")
MODELS = {"huawei": "MA5800-X7", "zte": "C320", "datacom": "DM4610", "fiberhome": "AN5516-06"}
# The vendor id at the start of the serials of each vendor's own ONUs (the lab also puts a
# few ONUs of other makes on every OLT).
VENDOR_ID = {"huawei": "HWTC", "zte": "ZTEG", "datacom": "DACM", "fiberhome": "FHTT"}
NEW_VENDORS = ("datacom", "fiberhome")
ACCENTED = "São João inadimplência"
# The accented description as each OLT's configuration shows it: Huawei quotes it, ZTE and
# the AN5516 take one word, DmOS one word of plain ASCII letters.
ACCENTED_ON_DEVICE = {
    "huawei": '"São João inadimplência"',
    "zte": "São_João_inadimplência",
    "datacom": "Sao_Joao_inadimplencia",
    "fiberhome": "São_João_inadimplência",
}
SHIPPED_TEMPLATES = sorted(
    (Path(__file__).resolve().parents[2] / "templates/olt").glob("*/provisioning.yaml")
)

by_vendor = pytest.mark.parametrize("vendor", VENDORS)
new_vendor = pytest.mark.parametrize("vendor", NEW_VENDORS)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    yield from start_lab(
        tmp_path_factory.mktemp("mixed"), "--vendors", ",".join(VENDORS), "--autofind", "5",
        "--concentrators", "1",
    )  # fmt: skip


# ONUs a test of this module took, so that no later test takes them again.
taken: set[str] = set()
# The ONU each vendor's install by contract put in, for the removal test.
installed: dict[str, dict[str, Any]] = {}


def olt_of(lab: RunningLab, vendor: str) -> dict[str, Any]:
    return next(o for o in lab.fleet()["olts"] if o["vendor"] == vendor)


def waiting_own(lab: RunningLab, vendor: str) -> Iterator[dict[str, Any]]:
    """ONUs of the vendor's own make waiting in autofind on its OLT with a good signal, still
    pending in the store and untouched by this module, with the contract waiting for them
    (None when the store has none)."""
    olt = olt_of(lab, vendor)["name"]
    for onu in lab.onus(olt=olt, autofind=True, condition="good"):
        if onu["serial"] in taken or not onu["serial"].startswith(VENDOR_ID[vendor]):
            continue
        rows = lab.query(
            "SELECT o.state, c.code, c.status FROM onus o "
            "LEFT JOIN contracts c ON c.onu_id = o.id WHERE o.serial = :s",
            s=onu["serial"],
        )
        if rows and rows[0]["state"] != "pending":
            continue
        contract = rows[0]["code"] if rows and rows[0]["status"] == "pending" else None
        yield {**onu, "contract": contract}


def take(lab: RunningLab, vendor: str, *, contract: bool = True) -> dict[str, Any]:
    for onu in waiting_own(lab, vendor):
        if onu["contract"] or not contract:
            taken.add(onu["serial"])
            return onu
    pytest.fail(f"no {vendor} ONU left waiting for a contract on {olt_of(lab, vendor)['name']}")


def read_port(lab: RunningLab, olt: str, port: str) -> dict[str, dict[str, Any]]:
    """The ONUs on one PON as the OLT shows them (onu-signal), by serial."""
    report = lab.run_json("onu-signal", "-e", f"olt={olt}", "-e", f"port={port}")
    [read] = step_results(report, "read signal")
    assert read["status"] == "ok", read["error"]
    return {r["serial"].upper(): r for r in read["result"] if r.get("serial")}


def backup(lab: RunningLab, olt: str) -> str:
    """A backup of the OLT now: whether its configuration changed since the last one."""
    report = lab.run_json("config-backup", "--limit", olt)
    [saved] = step_results(report, "backup")
    assert saved["status"] in ("ok", "changed"), saved["error"]
    return str(saved["result"]["config"])


def device_config(lab: RunningLab, olt: str) -> str:
    """The OLT's running configuration now (a backup, then the stored text)."""
    backup(lab, olt)
    shown = lab.cli("config", "show", olt)
    assert shown.returncode == 0, shown.stderr
    return shown.stdout


def on_device(vendor: str, serial: str) -> str:
    """A serial as the vendor's configuration writes it."""
    if vendor == "huawei":
        return serial[:4].encode().hex().upper() + serial[4:]
    if vendor == "fiberhome":
        return serial[:4] + serial[4:].lower()
    return serial


def runs(lab: RunningLab) -> int:
    return int(lab.query("SELECT COUNT(*) AS n FROM runs")[0]["n"])


def template_of(model: str) -> dict[str, Any]:
    templates = [
        template
        for file in SHIPPED_TEMPLATES
        for template in YAML(typ="safe").load(file.read_text())["templates"]
    ]
    return next(t for t in templates if model in t["models"])


def installation_orders(lab: RunningLab, contract: str) -> list[dict[str, Any]]:
    return lab.query(
        "SELECT o.status, o.solution_code FROM service_orders o JOIN contracts c "
        "ON c.id = o.contract_id WHERE c.code = :c AND o.queue = 'installation'",
        c=contract,
    )


# -- the fleet as the lab seeded it: the read-only runbooks ------------------------------------


def test_the_fleet_is_one_olt_of_each_vendor(lab: RunningLab) -> None:
    olts = lab.fleet()["olts"]
    assert [(o["vendor"], o["model"]) for o in olts] == [(v, MODELS[v]) for v in VENDORS]
    assert all(len(o["pons"]) == 2 for o in olts)


def test_inventory_check_passes_every_olt(lab: RunningLab) -> None:
    report = lab.run_json("inventory-check")
    records = {r["host"]: r for r in step_results(report, "inventory record complete")}
    for olt in lab.fleet()["olts"]:
        record = records[olt["name"]]
        assert record["status"] == "ok", record["error"]
        assert (record["result"]["vendor"], record["result"]["role"]) == (olt["vendor"], "olt")
        assert record["result"]["platform"] == olt["platform"]
        assert record["result"]["credentials"] == "set" and record["result"]["problems"] == []
    # The same inventory, checked against the devices themselves.
    proc = lab.cli("inventory", "check", "-o", "json")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert lab.password() not in proc.stdout + proc.stderr
    found = {row["host"]: row for row in json.loads(proc.stdout)}
    for olt in lab.fleet()["olts"]:
        row = found[olt["name"]]
        assert (row["status"], row["vendor"], row["model"]) == ("ok", olt["vendor"], olt["model"])
        assert row["software"]


def test_signal_reads_every_onu_of_the_mixed_fleet(lab: RunningLab) -> None:
    """The README's main job, `ispflow run onu-signal`: every ONU of every OLT read, in one
    run, whatever the vendor."""
    plain = lab.cli("run", "onu-signal")
    assert plain.returncode == 0, plain.stdout[-3000:] + plain.stderr[-3000:]
    report = lab.run_json("onu-signal")
    assert report["status"] == "ok"
    read = {r["host"]: r for r in step_results(report, "read signal")}
    assert set(read) == {o["name"] for o in lab.fleet()["olts"]}
    for olt in lab.fleet()["olts"]:
        assert read[olt["name"]]["status"] == "ok", (olt["vendor"], read[olt["name"]]["error"])
        truth = {
            (onu["port"], onu["onu_id"]): onu
            for onu in lab.onus(olt=olt["name"], state="authorized")
        }
        got = {(r["port"], r["onu_id"]): r for r in read[olt["name"]]["result"]}
        assert len(got) == len(read[olt["name"]]["result"]) == len(truth), olt["vendor"]
        assert set(got) == set(truth), olt["vendor"]
        for key, onu in truth.items():
            if onu["condition"] == "offline":
                assert (got[key]["signal"], got[key]["rx_dbm"]) == ("offline", None), onu
            elif onu["condition"] != "flapping":
                assert got[key]["serial"].upper() == onu["serial"], onu
                assert got[key]["rx_dbm"] == pytest.approx(onu["expected_rx_dbm"], abs=1.0), onu
        stored = lab.query(
            "SELECT COUNT(*) AS n FROM optical_readings WHERE run_id = :r AND olt = :o",
            r=report["run_id"],
            o=olt["name"],
        )
        assert stored[0]["n"] == len(truth), olt["vendor"]


def test_signal_audit_reads_every_olt_and_finds_each_vendors_faults(lab: RunningLab) -> None:
    orders = lab.query("SELECT COUNT(*) AS n FROM service_orders")[0]["n"]
    report = lab.run_json("signal-audit", "-e", "tickets=false")
    read = {r["host"]: r for r in step_results(report, "read signal")}
    [local] = [r for r in report["results"] if r["host"] == "local"]
    assert local["status"] == "ok", local["error"]
    seeded = [o for o in lab.fleet()["onus"] if o["state"] == "authorized"]
    assert local["result"]["readings"] == len(seeded)
    for olt in lab.fleet()["olts"]:
        assert read[olt["name"]]["status"] == "ok", olt["vendor"]
        assert len(read[olt["name"]]["result"]) == len(
            lab.onus(olt=olt["name"], state="authorized")
        )
    findings = local["result"]["findings"]
    by_serial = {f["serial"]: f for f in findings if f.get("serial")}
    # The lab seeds ONUs with a critical signal on every OLT: each is a finding of its own,
    # down when too weak, overloaded when too strong, or part of its CTO's or PON's finding
    # when others there are down too.
    for onu in (o for o in seeded if o["condition"] == "critical"):
        if onu["serial"] in by_serial:
            finding = by_serial[onu["serial"]]
            assert (finding["olt"], finding["port"]) == (onu["olt"], onu["port"])
            weak = onu["expected_rx_dbm"] < -8
            assert finding["kind"] == ("onu_down" if weak else "onu_overload"), finding
            assert len(finding["contracts"]) == 1
        else:
            on_pon = (onu["olt"], "pon", onu["port"])
            assert [
                f for f in findings
                if f["olt"] == onu["olt"]
                and (f.get("cto") == onu["cto"] or (f["olt"], f.get("level"), f["port"]) == on_pon)
            ], onu  # fmt: skip
    assert {f["olt"] for f in findings} == {o["name"] for o in lab.fleet()["olts"]}
    assert lab.query("SELECT COUNT(*) AS n FROM service_orders")[0]["n"] == orders


def test_compliance_and_reconcile_find_nothing_on_the_seeded_fleet(lab: RunningLab) -> None:
    audit = lab.run_json("compliance-audit")
    checked = {r["host"]: r for r in step_results(audit, "OLTs against the rules")}
    for olt in lab.fleet()["olts"]:
        result = checked[olt["name"]]["result"]
        assert checked[olt["name"]]["status"] == "ok", olt["vendor"]
        assert result["findings"] == [], olt["vendor"]
        assert result["ports_read"] == [p["port"] for p in olt["pons"]]
        assert result["onus_on_device"] == len(lab.onus(olt=olt["name"], state="authorized"))
        # Every vendor ships an intended configuration, so drift is checked on each OLT.
        assert result.get("unchecked", []) == [], olt["vendor"]
    report = lab.run_json("reconcile")
    compared = {r["host"]: r for r in step_results(report, "ONUs against the store")}
    for olt in lab.fleet()["olts"]:
        assert compared[olt["name"]]["status"] == "ok", olt["vendor"]
        assert compared[olt["name"]]["result"]["findings"] == [], olt["vendor"]
        onus = compared[olt["name"]]["result"]["onus_on_device"]
        assert onus == len(lab.onus(olt=olt["name"], state="authorized"))


def test_config_backup_keeps_every_olt_once_with_its_onus_and_secrets_masked(
    lab: RunningLab,
) -> None:
    first = lab.run_json("config-backup")
    saved = {r["host"]: r for r in step_results(first, "backup")}
    for olt in lab.fleet()["olts"]:
        result = saved[olt["name"]]["result"]
        assert saved[olt["name"]]["status"] == "ok", olt["vendor"]
        assert (result["config"], result["version"], result["masked"]) == (
            "first version",
            1,
            True,
        )
        [row] = lab.query(
            "SELECT b.content FROM config_versions v JOIN config_blobs b ON b.sha256 = v.sha256 "
            "WHERE v.host = :h",
            h=olt["name"],
        )
        for onu in lab.onus(olt=olt["name"], state="authorized"):
            assert on_device(olt["vendor"], onu["serial"]) in row["content"], onu
        assert lab.password() not in row["content"]
    again = lab.run_json("config-backup")
    assert {r["result"]["config"] for r in step_results(again, "backup")} == {"unchanged"}


@by_vendor
def test_autofind_lists_what_waits_on_each_olt(lab: RunningLab, vendor: str) -> None:
    olt = olt_of(lab, vendor)
    report = lab.run_json("onu-autofind", "--limit", olt["name"])
    [found] = step_results(report, "autofind")
    assert found["status"] == "ok"
    got = {(r["port"], r["serial"].upper()) for r in found["result"]}
    assert got == {(o["port"], o["serial"]) for o in lab.onus(olt=olt["name"], autofind=True)}


# -- changes: one ONU of each vendor through each runbook ---------------------------------------


@by_vendor
def test_authorize_by_contract(lab: RunningLab, vendor: str) -> None:
    olt = olt_of(lab, vendor)["name"]
    onu = take(lab, vendor)
    report = lab.run_json("onu-authorize", "-e", f"contract={onu['contract']}")
    [added] = step_results(report, "authorize")
    assert (added["host"], added["status"]) == (olt, "changed")
    onu_id = added["result"]["onu_id"]
    [signal] = step_results(report, "read signal")
    assert signal["result"][0]["signal"] in ("good", "warning")
    row = onu_row(lab, onu["serial"])
    assert (row["state"], row["onu_index"], row["contract_status"]) == (
        "authorized",
        onu_id,
        "active",
    )
    assert {o["status"] for o in installation_orders(lab, onu["contract"])} == {"closed"}
    # The OLT holds it: on its PON at that id, out of autofind.
    assert read_port(lab, olt, onu["port"])[onu["serial"]]["onu_id"] == onu_id
    assert onu["serial"] not in waiting_serials(lab, olt)
    # The contract's signal is read through the store's record of it.
    readings = lab.run_json("onu-signal", "-e", f"contract={onu['contract']}")
    [read] = step_results(readings, "read a contract's signal")
    assert [r["onu_id"] for r in read["result"]] == [onu_id]
    [kept] = lab.query(
        "SELECT contract, onu_index FROM optical_readings WHERE run_id = :r", r=readings["run_id"]
    )
    assert kept == {"contract": onu["contract"], "onu_index": onu_id}
    installed[vendor] = {**onu, "onu_id": onu_id}


@by_vendor
def test_authorize_by_hand_with_an_accented_description(lab: RunningLab, vendor: str) -> None:
    olt = olt_of(lab, vendor)["name"]
    onu = take(lab, vendor, contract=False)
    report = lab.run_json(
        "onu-authorize", "-e", f"olt={olt}", "-e", f"port={onu['port']}",
        "-e", f"serial={onu['serial']}", "-e", f"vlan={onu['vlan']}",
        "-e", f"description={ACCENTED}",
    )  # fmt: skip
    [added] = step_results(report, "authorize")
    assert (added["host"], added["status"]) == (olt, "changed")
    assert added["result"]["vlan"] == onu["vlan"]
    onu_id = added["result"]["onu_id"]
    assert onu_row(lab, onu["serial"])["state"] == "authorized"
    assert read_port(lab, olt, onu["port"])[onu["serial"]]["onu_id"] == onu_id
    config = device_config(lab, olt)
    lines = [line for line in config.splitlines() if ACCENTED_ON_DEVICE[vendor] in line]
    assert lines, f"{vendor}: {ACCENTED_ON_DEVICE[vendor]} not in the configuration"


def test_authorize_from_csv_on_every_olt_at_once(lab: RunningLab) -> None:
    """One file, two rows per vendor: one by contract, one by hand."""
    chosen = {vendor: (take(lab, vendor), take(lab, vendor, contract=False)) for vendor in VENDORS}
    path = lab.root / "install.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["contract", "olt", "port", "serial", "vlan", "description"])
        for vendor, (by_contract, by_hand) in chosen.items():
            writer.writerow([by_contract["contract"], "", "", "", "", ""])
            writer.writerow(
                ["", olt_of(lab, vendor)["name"], by_hand["port"], by_hand["serial"],
                 by_hand["vlan"], "Casa da Ana"]
            )  # fmt: skip
    report = lab.run_json("onu-authorize", "-e", f"items={path}")
    results = {r["host"]: r for r in step_results(report, "install from file")}
    assert set(results) == {o["name"] for o in lab.fleet()["olts"]}
    for vendor, pair in chosen.items():
        olt = olt_of(lab, vendor)["name"]
        assert results[olt]["status"] == "changed", (vendor, results[olt]["error"])
        items = [i for i in results[olt]["result"] if i["status"] != "skipped"]
        assert [i["status"] for i in items] == ["changed", "changed"], vendor
        assert all(i["result"]["signal"] in ("good", "warning") for i in items), vendor
        for onu in pair:
            row = onu_row(lab, onu["serial"])
            assert row["state"] == "authorized", (vendor, onu["serial"])
            assert read_port(lab, olt, onu["port"])[onu["serial"]]["onu_id"] == row["onu_index"]
        assert onu_row(lab, pair[0]["serial"])["contract_status"] == "active"


@by_vendor
def test_deauthorize_by_contract(lab: RunningLab, vendor: str) -> None:
    if vendor not in installed:
        pytest.fail(f"the {vendor} install by contract did not run or failed")
    onu = installed[vendor]
    olt = olt_of(lab, vendor)["name"]
    report = lab.run_json("onu-deauthorize", "-e", f"contract={onu['contract']}")
    [gone] = step_results(report, "deauthorize")
    assert (gone["host"], gone["status"]) == (olt, "changed")
    assert gone["result"]["onu_id"] == onu["onu_id"]
    assert onu_row(lab, onu["serial"])["state"] == "removed"
    assert onu["serial"] not in read_port(lab, olt, onu["port"])
    assert onu["serial"] in waiting_serials(lab, olt)
    again = lab.run_json("onu-deauthorize", "-e", f"contract={onu['contract']}", expect=None)
    [nothing] = step_results(again, "deauthorize")
    assert nothing["status"] in ("ok", "failed") and nothing["changed"] is False


@by_vendor
def test_replace_a_contracts_onu(lab: RunningLab, vendor: str, tmp_path: Path) -> None:
    olt = olt_of(lab, vendor)["name"]
    spare = take(lab, vendor, contract=False)
    # A contract whose ONU the lab seeded in service with a good signal on the spare's PON.
    seeded = {o["serial"] for o in lab.onus(olt=olt, state="authorized", condition="good")}
    found = [
        row
        for row in lab.query(
            "SELECT c.code AS contract, o.serial, o.vlan FROM contracts c "
            "JOIN onus o ON o.id = c.onu_id JOIN olts t ON t.id = o.olt_id "
            "WHERE o.state = 'authorized' AND c.status = 'active' AND t.name = :olt "
            "AND o.frame || '/' || o.slot || '/' || o.port = :port ORDER BY o.onu_index",
            olt=olt,
            port=spare["port"],
        )
        if row["serial"] in seeded - taken
    ]
    assert found, f"no {vendor} contract with a good seeded ONU on {spare['port']}"
    old = found[0]
    taken.add(old["serial"])
    # A spare off the shelf: no other contract waits for it.
    lab.query(
        "UPDATE contracts SET onu_id = NULL WHERE onu_id = (SELECT id FROM onus WHERE serial = :s)",
        s=spare["serial"],
    )
    old_model = next(o["model"] for o in lab.onus(serial=old["serial"]))
    stock(
        lab,
        tmp_path,
        [(old["serial"], old_model, vendor), (spare["serial"], spare["model"], vendor)],
    )
    reserve(lab, old["serial"], old["contract"])
    assert lab.cli("stock", "installed", old["serial"]).returncode == 0

    report = lab.run_json(
        "onu-replace", "-e", f"contract={old['contract']}", "-e", f"serial={spare['serial']}"
    )
    done = {r["step"]: r for r in report["results"] if r["status"] != "skipped"}
    assert done["remove the old ONU"]["status"] == "changed"
    assert done["install the new ONU"]["status"] == "changed"
    new = done["install the new ONU"]["result"]
    assert new["provisioning"]["template"] == template_of(spare["model"])["name"]
    assert new["vlan"] == old["vlan"] and new["signal"] in ("good", "warning")
    assert done["stock"]["result"] == {"new": "installed", "old": "defective"}

    [linked] = lab.query(
        "SELECT o.serial, o.vlan, o.onu_index FROM contracts c JOIN onus o ON o.id = c.onu_id "
        "WHERE c.code = :c",
        c=old["contract"],
    )
    assert linked == {"serial": spare["serial"], "vlan": old["vlan"], "onu_index": new["onu_id"]}
    assert onu_row(lab, old["serial"])["state"] == "removed"
    assert (stock_state(lab, spare["serial"]), stock_state(lab, old["serial"])) == (
        "installed",
        "defective",
    )
    on_pon = read_port(lab, olt, spare["port"])
    assert spare["serial"] in on_pon and old["serial"] not in on_pon
    assert on_pon[spare["serial"]]["onu_id"] == new["onu_id"]
    assert old["serial"] in waiting_serials(lab, olt)


def test_auto_provision_installs_a_reserved_onu_on_every_olt(
    lab: RunningLab, tmp_path: Path
) -> None:
    chosen = {vendor: take(lab, vendor) for vendor in VENDORS}
    stock(lab, tmp_path, [(o["serial"], o["model"], v) for v, o in chosen.items()])
    for onu in chosen.values():
        reserve(lab, onu["serial"], onu["contract"])

    proc = lab.cli("run", "onu-auto-provision", "-o", "json", "-q")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    results = {r["host"]: r for r in json.loads(proc.stdout)["results"]}
    for vendor, onu in chosen.items():
        olt = olt_of(lab, vendor)["name"]
        result = results[olt]
        assert result["status"] == "changed", (vendor, result["error"])
        [item] = result["result"]["installed"]
        assert (item["contract"], item["serial"]) == (onu["contract"], onu["serial"])
        template = template_of(onu["model"])
        assert item["provisioning"]["template"] == template["name"]
        assert item["provisioning"]["onu_type"] == template.get("onu_type")
        assert item["signal"] in ("good", "warning")
        assert result["result"]["failed"] == []
        row = onu_row(lab, onu["serial"])
        assert (row["state"], row["contract_status"]) == ("authorized", "active")
        assert stock_state(lab, onu["serial"]) == "installed"
        assert {o["status"] for o in installation_orders(lab, onu["contract"])} == {"closed"}
        assert read_port(lab, olt, onu["port"])[onu["serial"]]["onu_id"] == item["onu_id"]
        assert onu["serial"] not in {u["serial"] for u in result["result"]["unmatched"]}
        if template.get("onu_type"):
            # The whitelist holds the ONU under its template's type.
            config = device_config(lab, olt)
            [line] = [
                line for line in config.splitlines()
                if on_device(vendor, onu["serial"]) in line and "whitelist" in line
            ]  # fmt: skip
            assert line.endswith(f"onu {item['onu_id']} type {template['onu_type']}")
    assert '"wifi_key": "***"' in proc.stdout


# -- hostile input on the new vendors: refused, and nothing reaches the OLT ---------------------


@new_vendor
@pytest.mark.parametrize(
    "description", ['ok" \nreboot', "x; no service-port 1", "x\rreboot"], ids=["lf", "semi", "cr"]
)
def test_a_description_that_would_inject_a_command_is_refused(
    lab: RunningLab, vendor: str, description: str
) -> None:
    olt = olt_of(lab, vendor)["name"]
    onu = next(waiting_own(lab, vendor))
    backup(lab, olt)
    earlier = runs(lab)
    by_var = lab.cli(
        "run", "onu-authorize", "-e", f"olt={olt}", "-e", f"port={onu['port']}",
        "-e", f"serial={onu['serial']}", "-e", f"description={description}",
    )  # fmt: skip
    assert by_var.returncode == 2, by_var.stdout + by_var.stderr
    assert "var 'description':" in by_var.stdout + by_var.stderr
    assert runs(lab) == earlier

    path = lab.root / f"hostile-{vendor}.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        csv.writer(out).writerows(
            [["olt", "port", "serial", "vlan", "description"],
             [olt, onu["port"], onu["serial"], onu["vlan"], description]]
        )  # fmt: skip
    report = lab.run_json("onu-authorize", "-e", f"items={path}", expect=1)
    [step] = step_results(report, "install from file")
    [item] = [i for i in step["result"] if i["status"] != "skipped"]
    assert item["status"] == "failed"
    assert "refused before contacting the device" in item["error"]
    assert "unsafe value for 'description'" in item["error"]
    assert onu_row(lab, onu["serial"])["state"] == "pending"
    assert onu["serial"] in waiting_serials(lab, olt)
    assert backup(lab, olt) == "unchanged"  # nothing reached the OLT


@new_vendor
@pytest.mark.parametrize(
    ("column", "value", "said"),
    [
        ("serial", "{prefix}12", "is not a GPON serial"),
        ("serial", "{prefix}1234567G", "is not a GPON serial"),
        ("serial", "{prefix}|include", "unsafe value for 'serial'"),
        ("vlan", "5000", "VLAN 5000 is out of range 1-4094"),
        ("vlan", "0", "VLAN 0 is out of range 1-4094"),
    ],
    ids=["short-serial", "non-hex-serial", "filter-serial", "vlan-5000", "vlan-0"],
)
def test_a_wrong_serial_or_vlan_is_refused(
    lab: RunningLab, vendor: str, column: str, value: str, said: str
) -> None:
    olt = olt_of(lab, vendor)["name"]
    onu = next(waiting_own(lab, vendor))
    value = value.format(prefix=VENDOR_ID[vendor])
    given = {"serial": onu["serial"], "vlan": str(onu["vlan"]), column: value}
    backup(lab, olt)
    earlier = runs(lab)
    by_var = lab.cli(
        "run", "onu-authorize", "-e", f"olt={olt}", "-e", f"port={onu['port']}",
        "-e", f"serial={given['serial']}", "-e", f"vlan={given['vlan']}",
    )  # fmt: skip
    assert by_var.returncode == 2, by_var.stdout + by_var.stderr
    assert f"'{column}'" in by_var.stdout + by_var.stderr
    assert runs(lab) == earlier

    path = lab.root / f"wrong-{vendor}.csv"
    path.write_text(
        f"olt,port,serial,vlan\n{olt},{onu['port']},{given['serial']},{given['vlan']}\n"
    )
    report = lab.run_json("onu-authorize", "-e", f"items={path}", expect=1)
    [step] = step_results(report, "install from file")
    [item] = [i for i in step["result"] if i["status"] != "skipped"]
    assert item["status"] == "failed" and said in item["error"], item["error"]
    assert onu["serial"] in waiting_serials(lab, olt)
    assert backup(lab, olt) == "unchanged"  # nothing reached the OLT


@new_vendor
def test_an_injecting_description_of_an_installed_onu_is_refused(
    lab: RunningLab, vendor: str
) -> None:
    olt = olt_of(lab, vendor)["name"]
    [onu] = lab.query(
        "SELECT c.code, o.description FROM contracts c JOIN onus o ON o.id = c.onu_id "
        "JOIN olts t ON t.id = o.olt_id WHERE o.state = 'authorized' AND t.name = :olt "
        "ORDER BY o.id LIMIT 1",
        olt=olt,
    )
    backup(lab, olt)
    for description in ("x\nreboot", "x; reboot", "x\rreboot"):
        proc = lab.cli(
            "run",
            "onu-describe",
            "-e",
            f"contract={onu['code']}",
            "-e",
            f"description={description}",
        )
        assert proc.returncode == 2, proc.stdout + proc.stderr
        assert "var 'description':" in proc.stdout + proc.stderr
    assert backup(lab, olt) == "unchanged"  # nothing reached the OLT
    [row] = lab.query("SELECT o.description FROM contracts c JOIN onus o ON o.id = c.onu_id "
                      "WHERE c.code = :c", c=onu["code"])  # fmt: skip
    assert row["description"] == onu["description"]


@new_vendor
def test_an_accented_description_is_written_recorded_and_read_back(
    lab: RunningLab, vendor: str
) -> None:
    olt = olt_of(lab, vendor)["name"]
    good = {o["serial"] for o in lab.onus(olt=olt, state="authorized", condition="good")}
    found = [
        row
        for row in lab.query(
            "SELECT c.code, o.serial, o.frame || '/' || o.slot || '/' || o.port AS port "
            "FROM contracts c JOIN onus o ON o.id = c.onu_id JOIN olts t ON t.id = o.olt_id "
            "WHERE o.state = 'authorized' AND c.status = 'active' AND t.name = :olt ORDER BY o.id",
            olt=olt,
        )
        if row["serial"] in good - taken
    ]
    assert found, f"no {vendor} contract with a good seeded ONU on {olt}"
    onu = found[0]
    taken.add(onu["serial"])
    report = lab.run_json(
        "onu-describe", "-e", f"contract={onu['code']}", "-e", f"description={ACCENTED}"
    )
    [named] = step_results(report, "describe")
    assert named["status"] == "changed", named["error"]
    [row] = lab.query("SELECT description FROM onus WHERE serial = :s", s=onu["serial"])
    # Recorded as the OLT reads it back.
    assert row["description"] == ACCENTED_ON_DEVICE[vendor]
    config = device_config(lab, olt)
    assert any(
        ACCENTED_ON_DEVICE[vendor] in line and (vendor != "datacom" or "name" in line)
        for line in config.splitlines()
    ), config
    # The audit compares the store's text with the OLT's through the same rewriting.
    audit = lab.run_json("compliance-audit", "--limit", olt)
    [checked] = step_results(audit, "OLTs against the rules")
    assert [f for f in checked["result"]["findings"] if f.get("contract") == onu["code"]] == []
    again = lab.run_json(
        "onu-describe", "-e", f"contract={onu['code']}", "-e", f"description={ACCENTED}"
    )
    [same] = step_results(again, "describe")
    assert same["status"] == "ok"  # already described so: nothing changes


# -- after every change: the fleet and the store still agree -----------------------------------


def test_the_fleet_and_the_store_agree_after_every_change(lab: RunningLab) -> None:
    report = lab.run_json("reconcile")
    compared = {r["host"]: r for r in step_results(report, "ONUs against the store")}
    audit = lab.run_json("compliance-audit")
    checked = {r["host"]: r for r in step_results(audit, "OLTs against the rules")}
    for olt in lab.fleet()["olts"]:
        authorized = lab.query(
            "SELECT COUNT(*) AS n FROM onus o JOIN olts t ON t.id = o.olt_id "
            "WHERE o.state = 'authorized' AND t.name = :olt",
            olt=olt["name"],
        )[0]["n"]
        assert compared[olt["name"]]["result"]["findings"] == [], olt["vendor"]
        assert compared[olt["name"]]["result"]["onus_on_device"] == authorized, olt["vendor"]
        assert checked[olt["name"]]["result"]["findings"] == [], olt["vendor"]
    # The commands that wrap these runbooks (merged across devices) say the same.
    merged = lab.cli("reconcile", "-o", "json")
    assert merged.returncode == 0, merged.stdout[-3000:] + merged.stderr[-3000:]
    assert json.loads(merged.stdout)["findings"] == []
    rules = lab.cli("compliance", "-o", "json")
    assert rules.returncode == 0, rules.stdout[-3000:] + rules.stderr[-3000:]
    assert json.loads(rules.stdout)["findings"] == []
    signal = lab.run_json("onu-signal")
    read = {r["host"]: r for r in step_results(signal, "read signal")}
    for olt in lab.fleet()["olts"]:
        assert read[olt["name"]]["status"] == "ok"
        assert len(read[olt["name"]]["result"]) == compared[olt["name"]]["result"]["onus_on_device"]
