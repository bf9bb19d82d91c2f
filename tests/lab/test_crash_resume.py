"""Killed between two device commands, resumed: every change whole exactly once.

The lab holds a session when a chosen command arrives (`lab fault --hang-on`), before running
it, and says so; the test then kills ispflow with SIGKILL, so the OLT has run exactly the
commands before that one. `ispflow run --resume` must finish the change (or undo and redo
it), and the OLT read back must have the ONU with every part of it, the store agreeing.
Each command of authorize and deauthorize is a crash point once, on both vendors, and each
API sentence of a PPP block and unblock.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ispflow.plugins.connections.olt_cli import OltCli
from ispflow.plugins.olt.driver import PonPort
from ispflow.plugins.olt.drivers import driver_class
from ispflow.plugins.olt.session import CliSession
from tests.lab.conftest import RunningLab, onu_row, pending_contract, start_lab, step_results
from tests.lab.test_ppp import free_contracts

# What a dry run shows for a value only the device knows: <free-id>, <id of SERIAL>,
# <session address>, ...
PLACEHOLDER = re.compile(r"<[^<>]*>")
HANG_WAIT_S = 120  # bound on a hang that never comes (a test failure, not a timing)


@pytest.fixture(scope="module")
def crash_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    root = tmp_path_factory.mktemp("crash")
    yield from start_lab(
        root,
        "--olts",
        "4",
        "--vendors",
        "huawei,zte,datacom,fiberhome",
        "--onus",
        "8",
        "--autofind",
        "16",
        "--concentrators",
        "1",
    )


def commands_of(lab: RunningLab, *args: str) -> list[str]:
    """The device lines a run would send for its changes (its dry run)."""
    report = lab.run_json(*args, "--dry-run")
    lines: list[str] = []
    for result in report["results"]:
        if result["status"] != "skipped" and isinstance(result["result"], dict):
            lines += result["result"].get("commands", [])
    return lines


def crash_points(lines: list[str]) -> list[str]:
    """Each line but the first, as the text to hang on (so the kill comes after the line
    before it). An ONU id chosen at run time shows as <free-id> (or <id of SERIAL>) in a
    dry run: the longest part of the line around it is the text. A text that also came earlier cannot be told
    apart and is left out."""
    points = []
    for index, line in enumerate(lines[1:], start=1):
        text = max(PLACEHOLDER.split(line), key=len).strip()
        if not any(text in earlier for earlier in lines[:index]):
            points.append(text)
    return points


def kill_at(lab: RunningLab, olt: str, hang_on: str, *args: str) -> str:
    """Run `ispflow run ARGS` until the OLT holds `hang_on`, kill it (SIGKILL); the run id."""
    fault = lab.cli("lab", "fault", olt, "--hang-on", hang_on)
    assert fault.returncode == 0, fault.stderr
    marker = lab.state / f"hung-{olt}"
    marker.unlink(missing_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-m", "ispflow", "run", *args, "-q", "-o", "json"],
        cwd=lab.root,
        env=lab.cli.env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + HANG_WAIT_S
        while not marker.exists():
            if proc.poll() is not None:
                said = proc.communicate()
                pytest.fail(f"the run ended before {hang_on!r}: {said[0][-3000:]!r} {said[1]!r}")
            assert time.monotonic() < deadline, f"the OLT never got {hang_on!r}"
            time.sleep(0.05)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
        assert lab.cli("lab", "fault", "--clear").returncode == 0
    [run] = lab.query("SELECT id, status FROM runs ORDER BY started_at DESC, id DESC LIMIT 1")
    assert run["status"] == "running"  # killed: nobody closed it
    return str(run["id"])


def resume(lab: RunningLab, run_id: str) -> dict[str, Any]:
    proc = lab.cli("run", "--resume", run_id, "-o", "json", "-q")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    return json.loads(proc.stdout)


def parts_on_device(lab: RunningLab, olt: dict[str, Any], port: str, onu_id: int, vlan: int):
    plugin = OltCli()
    plugin.open("127.0.0.1", "lab", lab.password(), olt["port"], olt["platform"])
    try:
        driver = driver_class(olt["vendor"])(model=olt["model"])
        session = CliSession(plugin.connection, driver, read_timeout=10)
        pon = PonPort.parse(port)
        records = []
        for command, output in session.read(driver.authorize_check(pon, onu_id)):
            records += driver.parse(command, output)
        listed = driver.parse(*session.read(driver.list_onus(pon))[-1])
        return driver.authorize_missing(vlan, records), {r["onu_id"] for r in listed}
    finally:
        plugin.close()


def orders_closed(lab: RunningLab, contract: str) -> int:
    [row] = lab.query(
        "SELECT COUNT(*) AS n FROM service_orders s JOIN contracts c ON c.id = s.contract_id "
        "WHERE c.code = :c AND s.queue = 'installation' AND s.status = 'closed'",
        c=contract,
    )
    return int(row["n"])


# Crash points per vendor: one per authorize line after the first (Huawei's 6 lines; ZTE's
# 14 lines, whose second `exit` cannot be told from its first; Datacom's 12, one commit;
# FiberHome's 5).
POINTS = {"huawei": 5, "zte": 12, "datacom": 11, "fiberhome": 4}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("vendor", "point"), [(v, n) for v, count in POINTS.items() for n in range(count)]
)
def test_authorize_killed_after_each_command_is_whole_after_resume(
    crash_lab: RunningLab, vendor: str, point: int
) -> None:
    lab = crash_lab
    olt = next(o for o in lab.fleet()["olts"] if o["vendor"] == vendor)
    onu = pending_contract(lab, olt["name"])
    contract = onu["contract"]
    lines = commands_of(lab, "onu-authorize", "-e", f"contract={contract}")
    points = crash_points(lines)
    assert len(points) == POINTS[vendor], points
    hang_on = points[point]
    run_id = kill_at(lab, olt["name"], hang_on, "onu-authorize", "-e", f"contract={contract}")
    report = resume(lab, run_id)
    assert report["status"] == "ok"
    row = onu_row(lab, onu["serial"])
    assert (row["state"], row["contract_status"]) == ("authorized", "active"), (hang_on, row)
    (missing, other), on_pon = parts_on_device(lab, olt, onu["port"], row["onu_index"], onu["vlan"])
    assert (missing, other) == ([], []), hang_on
    assert row["onu_index"] in on_pon
    assert orders_closed(lab, contract) == 1
    # Whatever the resume did, the ONU it reports is the one on the device and in the store.
    [authorize] = step_results(report, "authorize")
    assert authorize["result"]["onu_id"] == row["onu_index"]


@pytest.mark.slow
# FiberHome removes an ONU with one line: there is no point between two of its commands.
@pytest.mark.parametrize("vendor", ["huawei", "zte", "datacom"])
def test_deauthorize_killed_after_each_command_is_whole_after_resume(
    crash_lab: RunningLab, vendor: str, tmp_path: Path
) -> None:
    lab = crash_lab
    olt = next(o for o in lab.fleet()["olts"] if o["vendor"] == vendor)
    installed = lab.query(
        "SELECT c.code, o.serial, o.frame || '/' || o.slot || '/' || o.port AS port, o.onu_index "
        "FROM contracts c JOIN onus o ON o.id = c.onu_id JOIN olts t ON t.id = o.olt_id "
        "WHERE t.name = :olt AND o.state = 'authorized' AND c.status = 'active' ORDER BY c.code",
        olt=olt["name"],
    )
    sample = installed[0]
    lines = commands_of(lab, "onu-deauthorize", "-e", f"contract={sample['code']}")
    points = crash_points(lines)
    assert points
    for point, victim in zip(points, installed[1:], strict=False):
        run_id = kill_at(
            lab, olt["name"], point, "onu-deauthorize", "-e", f"contract={victim['code']}"
        )
        resume(lab, run_id)
        row = onu_row(lab, victim["serial"])
        assert row["state"] == "removed", (point, row)
        _, on_pon = parts_on_device(lab, olt, victim["port"], victim["onu_index"], 100)
        assert victim["onu_index"] not in on_pon, point


def list_entries_of(lab: RunningLab, router: str, code: str) -> list[str]:
    """The block list's static entries a block made for this contract (comment `CODE …`)."""
    api = lab.api(router, encoding="cp1252")
    try:
        return [
            str(row.get("address"))
            for row in api.path("ip", "firewall", "address-list")
            if str(row.get("comment", "")).split(" ", 1)[0] == code and not row.get("dynamic")
        ]
    finally:
        api.close()


def ppp_state(lab: RunningLab, code: str) -> dict[str, Any]:
    report = lab.run_json("ppp-lookup", "-e", f"contract={code}")
    [row] = [
        r for host in report["results"] for r in host["result"] or [] if r.get("contract") == code
    ]
    [store] = lab.query("SELECT blocked, unblock_profile FROM contracts WHERE code = :c", c=code)
    return {**row, "store": dict(store)}


@pytest.mark.slow
@pytest.mark.parametrize("action", ["block", "unblock"])
def test_ppp_killed_after_each_api_sentence_is_whole_after_resume(
    crash_lab: RunningLab, action: str
) -> None:
    lab = crash_lab
    router = lab.fleet()["concentrators"][0]["name"]
    candidates = [
        {**c, "profile": state["profile"]}
        for c in free_contracts(lab, 8)
        if (state := ppp_state(lab, c["code"]))["online"]
    ]

    def block(code: str) -> None:
        # The session dials again on the block pool: the list keeps the entry of the address
        # it had before, which the unblock must remove.
        done = lab.run_json(
            "ppp-block", "-e", "method=both", "-e", "settle=10", "-e", f"contract={code}"
        )
        assert done["status"] == "ok"

    method = "both"
    sample = candidates[0]["code"]
    if action == "unblock":
        block(sample)
    lines = commands_of(lab, f"ppp-{action}", "-e", f"method={method}", "-e", f"contract={sample}")
    points = crash_points(lines)
    assert len(points) >= 3, points
    plans = {c["code"]: c["profile"] for c in candidates}
    for point, contract in zip(points, candidates[1:], strict=False):
        code = contract["code"]
        if action == "unblock":
            # Blocked just before: its session is still the one on the block list.
            block(code)
        run_id = kill_at(
            lab, router, point.replace(sample, code).replace(candidates[0]["pppoe_login"], contract["pppoe_login"]),
            f"ppp-{action}", "-e", f"method={method}", "-e", "settle=0", "-e", f"contract={code}",
        )  # fmt: skip
        resume(lab, run_id)
        state = ppp_state(lab, code)
        if action == "block":
            assert state["profile"] == "bloqueio" and state["on_block_list"], (point, state)
            assert state["store"]["blocked"] and state["store"]["unblock_profile"] == plans[code]
        else:
            assert state["profile"] == plans[code], (point, state)
            assert not state["store"]["blocked"], (point, state)
            # No entry of the block is left (the session's dynamic one goes when it dials).
            assert not list_entries_of(lab, router, code), point


def fresh_pair(lab: RunningLab, olt: str, used: set[str]) -> tuple[dict, dict]:
    """An active contract's ONU and a spare waiting on the same PON, neither used before by
    this test (the spare taken off the pending contract the lab seeded it for)."""
    for spare in lab.onus(olt=olt, autofind=True, condition="good"):
        # The lab's description is its seed: other tests of the module installed some.
        taken = lab.query("SELECT state FROM onus WHERE serial = :s", s=spare["serial"])
        if spare["serial"] in used or (taken and taken[0]["state"] == "authorized"):
            continue
        rows = lab.query(
            "SELECT c.code, o.serial, o.vlan FROM contracts c JOIN onus o ON o.id = c.onu_id "
            "JOIN olts t ON t.id = o.olt_id WHERE o.state = 'authorized' AND t.name = :olt "
            "AND o.frame || '/' || o.slot || '/' || o.port = :port AND c.status = 'active' "
            "ORDER BY c.code",
            olt=olt,
            port=spare["port"],
        )
        for row in rows:
            if row["code"] in used or row["serial"] in used:
                continue
            lab.query(
                "UPDATE contracts SET onu_id = NULL, status = 'cancelled' WHERE status = 'pending' "
                "AND onu_id = (SELECT id FROM onus WHERE serial = :s)",
                s=spare["serial"],
            )
            used.update((row["code"], row["serial"], spare["serial"]))
            return {**row, "contract": row["code"], "port": spare["port"]}, spare
    raise AssertionError("no more contracts with a spare ONU on their PON")


# After the old ONU's removal (its lines come from the dry run), the new ONU's authorize:
# texts that only its lines have (`show gpon onu by sn` has the serial, so not that).
NEW_ONU_POINTS = {
    "huawei": ("ont add", "quit", "service-port vlan"),
    "zte": (" type ", "interface gpon-onu_", "tcont 1", "service-port", "pon-onu-mng",
            "service internet"),
    # `show whitelist phy_addr address SN` has the serial too: the add's `action add`.
    "fiberhome": ("action add", "set onu_desc", "service number", "vlan_mode", "apply onu"),
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("vendor", ["huawei", "zte", "fiberhome"])
def test_replace_killed_after_each_command_is_whole_after_resume(
    crash_lab: RunningLab, vendor: str
) -> None:
    lab = crash_lab
    olt = next(o for o in lab.fleet()["olts"] if o["vendor"] == vendor)
    used: set[str] = set()
    old, new = fresh_pair(lab, olt["name"], used)
    removal = commands_of(
        lab, "onu-replace", "-e", f"contract={old['contract']}", "-e", f"serial={new['serial']}"
    )
    for point in [*crash_points(removal), *NEW_ONU_POINTS[vendor]]:
        old, new = fresh_pair(lab, olt["name"], used)
        run_id = kill_at(
            lab, olt["name"], point,
            "onu-replace", "-e", f"contract={old['contract']}", "-e", f"serial={new['serial']}",
        )  # fmt: skip
        resume(lab, run_id)
        row = onu_row(lab, new["serial"])
        assert (row["state"], row["contract_status"]) == ("authorized", "active"), (point, row)
        (missing, other), on_pon = parts_on_device(
            lab, olt, new["port"], row["onu_index"], old["vlan"]
        )
        assert (missing, other) == ([], []), point
        assert onu_row(lab, old["serial"])["state"] == "removed", point
        [contract] = lab.query(
            "SELECT o.serial FROM contracts c JOIN onus o ON o.id = c.onu_id WHERE c.code = :c",
            c=old["contract"],
        )
        assert contract["serial"] == new["serial"], point


@pytest.mark.slow
def test_a_bulk_install_killed_between_rows_resumes_with_the_rows_still_to_do(
    crash_lab: RunningLab,
) -> None:
    from ispflow.plugins.olt.huawei.driver import serial_hex

    lab = crash_lab
    olt = next(o for o in lab.fleet()["olts"] if o["vendor"] == "huawei")
    rows = []
    for onu in lab.onus(olt=olt["name"], autofind=True, condition="good"):
        found = lab.query(
            "SELECT c.code FROM contracts c JOIN onus o ON o.id = c.onu_id "
            "WHERE o.serial = :s AND c.status = 'pending'",
            s=onu["serial"],
        )
        if found:
            rows.append({**onu, "contract": found[0]["code"]})
        if len(rows) == 3:
            break
    csv = lab.root / "bulk.csv"
    csv.write_text("contract\n" + "\n".join(r["contract"] for r in rows) + "\n")
    # Killed as the second row's ONU is about to be added: the first row is done.
    run_id = kill_at(
        lab, olt["name"], f"sn-auth {serial_hex(rows[1]['serial'])}",
        "onu-authorize", "-e", f"items={csv}",
    )  # fmt: skip
    report = resume(lab, run_id)
    [step] = step_results(report, "install from file")
    done = [r for r in step["result"] if r["status"] != "skipped"]
    assert [(r["item"]["contract"], r["status"], r.get("restored", False)) for r in done] == [
        (rows[0]["contract"], "changed", True),
        (rows[1]["contract"], "changed", False),
        (rows[2]["contract"], "changed", False),
    ]
    for row in rows:
        assert onu_row(lab, row["serial"])["state"] == "authorized"
        assert orders_closed(lab, row["contract"]) == 1
