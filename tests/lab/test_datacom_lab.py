"""Datacom DmOS OLTs in the lab, over real SSH: a refused commit that leaves nothing behind,
facts and a masked configuration backup. (Their ONU lifecycle is in test_onu_lifecycle.py,
with every other model's; every shipped runbook on a fleet mixing them with the other
vendors is in test_mixed_fleet.py.)"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from ispflow.plugins.connections.olt_cli import OltCli
from ispflow.plugins.olt.datacom.session import CommitRefused, DmosSession
from tests.lab.conftest import (
    RunningLab,
    start_lab,
    step_results,
    waiting_serials,
)

MODEL = "DM4610"


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    yield from start_lab(
        tmp_path_factory.mktemp("datacom"), "--olts", "1", "--vendors", "datacom",
        "--concentrators", "0",
    )  # fmt: skip


def dmos_session(lab: RunningLab) -> DmosSession:
    olt = lab.olt_of_model(MODEL)
    plugin = OltCli()
    plugin.open("127.0.0.1", "lab", lab.password(), olt["port"], olt["platform"])
    session = plugin.connection
    assert isinstance(session, DmosSession)
    return session


def test_a_refused_commit_fails_the_authorize_and_leaves_nothing(lab: RunningLab) -> None:
    fleet_olt = lab.olt_of_model(MODEL)
    olt = fleet_olt["name"]
    onu = next(o for o in lab.onus(olt=olt, autofind=True, condition="good"))
    holder = dmos_session(lab)
    try:
        holder.send_command_timing("config exclusive")  # the other session's lock
        failed = lab.run_json(
            "onu-authorize", "-e", f"olt={olt}", "-e", f"port={onu['port']}",
            "-e", f"serial={onu['serial']}", "-e", "vlan=100", expect=None,
        )  # fmt: skip
    finally:
        holder.disconnect()
    [refused] = step_results(failed, "authorize")
    assert refused["status"] == "failed"
    assert "Aborted: the configuration database is locked" in json.dumps(refused)
    assert onu["serial"] in waiting_serials(lab, olt)
    listed = lab.run_json("onu-signal", "-e", f"olt={olt}", "-e", f"port={onu['port']}")
    [read] = step_results(listed, "read signal")
    assert onu["serial"] not in {r.get("serial") for r in read["result"]}


def test_the_session_rolls_a_refused_commit_back(lab: RunningLab) -> None:
    port = lab.olt_of_model(MODEL)["pons"][0]["port"]
    holder, writer = dmos_session(lab), dmos_session(lab)
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


def test_facts_and_a_masked_configuration_backup(lab: RunningLab) -> None:
    olt = lab.olt_of_model(MODEL)["name"]
    probe = lab.run_json("inventory-probe", "--limit", olt)
    [facts] = step_results(probe, "probe")
    assert (facts["result"]["vendor"], facts["result"]["model"]) == ("datacom", MODEL)
    assert facts["result"]["status"] == "ok"
    backup = lab.run_json("config-backup", "--limit", olt)
    [saved] = step_results(backup, "backup")
    assert saved["result"]["masked"] is True and saved["result"]["lines"] > 0
    [row] = lab.query(
        "SELECT b.content FROM config_versions v JOIN config_blobs b ON b.sha256 = v.sha256 "
        "WHERE v.host = :h ORDER BY v.number DESC LIMIT 1",
        h=olt,
    )
    text = row["content"]
    assert "secret-key ***" in text and "authentication-password ***" in text
    assert " password ***" in text and "$1$" not in text
