"""Datacom DmOS OLTs in the lab, over real SSH, through the shipped runbooks: a fleet that
mixes them with the other vendors, every ONU read, the ONU lifecycle, and a refused commit
that leaves nothing behind."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from ispflow.plugins.connections.olt_cli import OltCli
from ispflow.plugins.olt.datacom.session import CommitRefused, DmosSession
from tests.lab.conftest import (
    RunningLab,
    onu_row,
    pending_contract,
    start_lab,
    step_results,
    waiting_serials,
)

MODEL = "DM4610"
MODELS = ["DM4610", "DM4612"]


@pytest.fixture(scope="module")
def mixed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    yield from start_lab(
        tmp_path_factory.mktemp("datacom"),
        "--olts",
        "6",
        "--vendors",
        "huawei,zte,datacom",
        "--concentrators",
        "0",
    )


def dmos_session(lab: RunningLab) -> DmosSession:
    olt = lab.olt_of_model(MODEL)
    plugin = OltCli()
    plugin.open("127.0.0.1", "lab", lab.password(), olt["port"], olt["platform"])
    session = plugin.connection
    assert isinstance(session, DmosSession)
    return session


def test_the_fleet_mixes_the_vendors_named(mixed: RunningLab) -> None:
    vendors = {olt["model"]: olt["vendor"] for olt in mixed.fleet()["olts"]}
    assert vendors == {
        "MA5800-X7": "huawei",
        "C320": "zte",
        "DM4610": "datacom",
        "MA5608T": "huawei",
        "C600": "zte",
        "DM4612": "datacom",
    }


def test_signal_reads_every_onu_of_every_olt(mixed: RunningLab) -> None:
    report = mixed.run_json("onu-signal")
    read = {r["host"]: r["result"] for r in step_results(report, "read signal")}
    for olt in mixed.fleet()["olts"]:
        truth = {
            (onu["port"], onu["onu_id"]): onu
            for onu in mixed.onus(olt=olt["name"], state="authorized")
        }
        got = {(r["port"], r["onu_id"]): r for r in read[olt["name"]]}
        assert set(got) == set(truth), olt["model"]
        for key, onu in truth.items():
            if onu["condition"] == "offline":
                assert got[key]["signal"] == "offline" and got[key]["rx_dbm"] is None
            elif onu["condition"] != "flapping":
                assert got[key]["rx_dbm"] == pytest.approx(onu["expected_rx_dbm"], abs=1.0)
                assert got[key]["serial"] == onu["serial"]


@pytest.mark.parametrize("model", MODELS)
def test_autofind_authorize_signal_deauthorize(mixed: RunningLab, model: str) -> None:
    olt = mixed.olt_of_model(model)["name"]
    onu = pending_contract(mixed, olt)
    assert onu["serial"] in waiting_serials(mixed, olt)

    report = mixed.run_json("onu-authorize", "-e", f"contract={onu['contract']}")
    [added] = step_results(report, "authorize")
    assert added["status"] == "changed" and added["result"]["port"] == onu["port"]
    onu_id = added["result"]["onu_id"]
    assert added["result"]["commands"][-2:] == ["commit", "end"]
    [signal] = step_results(report, "read signal")
    assert signal["result"][0]["onu_id"] == onu_id
    assert signal["result"][0]["rx_dbm"] == pytest.approx(onu["expected_rx_dbm"], abs=1.0)
    assert onu_row(mixed, onu["serial"])["state"] == "authorized"
    assert onu["serial"] not in waiting_serials(mixed, olt)

    again = mixed.run_json("onu-authorize", "-e", f"contract={onu['contract']}")
    [same] = step_results(again, "authorize")
    assert same["result"]["already"] is True and same["result"]["onu_id"] == onu_id

    readings = mixed.run_json("onu-signal", "-e", f"contract={onu['contract']}")
    [read] = step_results(readings, "read a contract's signal")
    assert [r["onu_id"] for r in read["result"]] == [onu_id]

    described = mixed.run_json(
        "onu-describe", "-e", f"contract={onu['contract']}", "-e", "description=Casa da Maria"
    )
    [named] = step_results(described, "describe")
    assert named["status"] == "changed"

    audit = mixed.run_json("compliance-audit", "--limit", olt)
    [checked] = step_results(audit, "OLTs against the rules")
    assert checked["result"]["findings"] == []

    removed = mixed.run_json("onu-deauthorize", "-e", f"contract={onu['contract']}")
    [gone] = step_results(removed, "deauthorize")
    assert gone["status"] == "changed" and gone["result"]["onu_id"] == onu_id
    assert onu_row(mixed, onu["serial"])["state"] == "removed"
    assert onu["serial"] in waiting_serials(mixed, olt)


def test_a_refused_commit_fails_the_authorize_and_leaves_nothing(mixed: RunningLab) -> None:
    fleet_olt = mixed.olt_of_model(MODEL)
    olt = fleet_olt["name"]
    onu = next(o for o in mixed.onus(olt=olt, autofind=True, condition="good"))
    holder = dmos_session(mixed)
    try:
        holder.send_command_timing("config exclusive")  # the other session's lock
        failed = mixed.run_json(
            "onu-authorize", "-e", f"olt={olt}", "-e", f"port={onu['port']}",
            "-e", f"serial={onu['serial']}", "-e", "vlan=100", expect=None,
        )  # fmt: skip
    finally:
        holder.disconnect()
    [refused] = step_results(failed, "authorize")
    assert refused["status"] == "failed"
    assert "Aborted: the configuration database is locked" in json.dumps(refused)
    assert onu["serial"] in waiting_serials(mixed, olt)
    listed = mixed.run_json("onu-signal", "-e", f"olt={olt}", "-e", f"port={onu['port']}")
    [read] = step_results(listed, "read signal")
    assert onu["serial"] not in {r.get("serial") for r in read["result"]}


def test_the_session_rolls_a_refused_commit_back(mixed: RunningLab) -> None:
    port = mixed.olt_of_model(MODEL)["pons"][0]["port"]
    holder, writer = dmos_session(mixed), dmos_session(mixed)
    try:
        holder.send_command_timing("config exclusive")
        writer.config_mode()
        writer.send_command_timing(f"interface gpon {port} onu 99")
        writer.send_command_timing("serial-number DACM0BADC0DE")
        with pytest.raises(CommitRefused, match="locked by session"):
            writer.commit()
        assert not writer.check_config_mode()  # `abort` took it out of configuration mode
        holder.send_command_timing("abort")
        writer.config_mode()
        assert "No modifications to commit" in writer.commit()  # the candidate was dropped
        writer.exit_config_mode()
        shown = writer.send_command_timing(f"show running-config interface gpon {port} | nomore")
    finally:
        holder.disconnect()
        writer.disconnect()
    assert "onu 99" not in shown and "DACM0BADC0DE" not in shown


def test_facts_and_a_masked_configuration_backup(mixed: RunningLab) -> None:
    olt = mixed.olt_of_model(MODEL)["name"]
    probe = mixed.run_json("inventory-probe", "--limit", olt)
    [facts] = step_results(probe, "probe")
    assert (facts["result"]["vendor"], facts["result"]["model"]) == ("datacom", MODEL)
    assert facts["result"]["status"] == "ok"
    backup = mixed.run_json("config-backup", "--limit", olt)
    [saved] = step_results(backup, "backup")
    assert saved["result"]["masked"] is True and saved["result"]["lines"] > 0
    [row] = mixed.query(
        "SELECT b.content FROM config_versions v JOIN config_blobs b ON b.sha256 = v.sha256 "
        "WHERE v.host = :h ORDER BY v.number DESC LIMIT 1",
        h=olt,
    )
    text = row["content"]
    assert "secret-key ***" in text and "authentication-password ***" in text
    assert " password ***" in text and "$1$" not in text
