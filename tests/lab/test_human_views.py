"""The text output of the shipped read-only runbooks shows the values they read, the same as
their JSON; `runs show` prints the same rows later; `-v` prints every row."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ispflow.engine.reports.views import ROWS_SHOWN
from tests.lab.conftest import RunningLab, start_lab, step_results


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    yield from start_lab(tmp_path_factory.mktemp("views"))


def text_run(lab: RunningLab, *args: str, expect: int = 0) -> str:
    proc = lab.cli("run", *args)
    assert proc.returncode == expect, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


def section(text: str, step: str) -> str:
    """The lines of one step's view: from its numbered title to the next blank line after
    its table."""
    match = re.search(rf"^\d+\. {re.escape(step)}$", text, re.MULTILINE)
    assert match, f"no view of step '{step}' in:\n{text}"
    return text[match.end() :].split("\n\n", 1)[0]


def run_id(text: str) -> str:
    match = re.search(r"^Run (\S+) · ", text, re.MULTILINE)
    assert match, text
    return match.group(1)


def test_autofind_lists_the_waiting_serials(lab: RunningLab) -> None:
    waiting = {onu["serial"] for onu in lab.onus(autofind=True)}
    assert len(waiting) > ROWS_SHOWN
    brief = section(text_run(lab, "onu-autofind"), "autofind")
    assert len([s for s in waiting if s in brief]) == ROWS_SHOWN
    assert f"… and {len(waiting) - ROWS_SHOWN} more (-v shows all)" in brief
    full = section(text_run(lab, "onu-autofind", "-v"), "autofind")
    assert all(serial in full for serial in waiting)
    assert "more (-v shows all)" not in full


def test_one_onu_read_shows_its_dbm_and_class(lab: RunningLab) -> None:
    [row] = lab.query(
        "SELECT c.code FROM contracts c JOIN onus o ON o.id = c.onu_id "
        "WHERE c.status = 'active' ORDER BY c.code LIMIT 1"
    )
    report = lab.run_json("onu-signal", "-e", f"contract={row['code']}")
    [result] = step_results(report, "read a contract's signal")
    [reading] = result["result"]
    shown = section(
        text_run(lab, "onu-signal", "-e", f"contract={row['code']}"), "read a contract's signal"
    )
    line = next(line for line in shown.splitlines() if result["host"] in line)
    assert str(reading["rx_dbm"]) in line.split() and reading["signal"] in line.split()


def test_ppp_lookup_shows_session_address_mac_and_blocking(lab: RunningLab) -> None:
    [row] = lab.query(
        "SELECT code FROM contracts WHERE concentrator IS NOT NULL AND NOT blocked "
        "ORDER BY code LIMIT 1"
    )
    code = row["code"]
    report = lab.run_json("ppp-lookup", "-e", f"contract={code}")
    [found] = [r for res in step_results(report, "lookup") for r in res["result"]]
    shown = section(text_run(lab, "ppp-lookup", "-e", f"contract={code}"), "lookup")
    header, _, line = shown.strip("\n").splitlines()[:3]
    cells = dict(zip(header.split(), line.split(), strict=True))
    assert cells["contract"] == code and cells["login"] == found["login"]
    assert cells["online"] == ("yes" if found["online"] else "no")
    assert cells["address"] == str(found["address"]) and cells["caller_id"] == found["caller_id"]
    assert cells["profile"] == found["profile"] and cells["blocked"] == "no"


def test_auto_close_dry_run_names_the_orders_it_would_close(lab: RunningLab) -> None:
    report = lab.run_json("ticket-auto-close", "--dry-run")
    [result] = step_results(report, "close orders waiting on the customer")
    would = [order["protocol"] for order in result["result"]["would_close"]]
    assert would, "the lab seeds orders waiting on the customer for days"
    shown = section(
        text_run(lab, "ticket-auto-close", "--dry-run"), "close orders waiting on the customer"
    )
    assert f"{result['result']['waiting']} waiting on the customer" in shown
    assert f"{len(would)} would close" in shown
    assert all(protocol in shown for protocol in would)


def test_signal_audit_says_which_orders_it_opened(lab: RunningLab) -> None:
    text = text_run(lab, "signal-audit")
    report = json.loads(lab.cli("runs", "show", run_id(text), "-o", "json").stdout)
    [result] = step_results(report, "find faults")
    tickets = result["result"]["tickets"]
    assert tickets["opened"], "the lab has faults"
    shown = section(text, "find faults")
    assert f"{result['result']['readings']:,} readings · " in shown
    assert f"service orders: {len(tickets['opened'])} opened, 0 commented, 0 closed" in shown
    full = section(text_run(lab, "signal-audit", "-e", "tickets=false", "-v"), "find faults")
    assert "service orders" not in full
    # `runs show` of the first audit prints the same rows as the run did.
    again = lab.cli("runs", "show", run_id(text)).stdout
    assert section(again, "find faults") == shown


def test_auto_provision_says_per_onu_what_became_of_it(lab: RunningLab) -> None:
    report = lab.run_json("onu-auto-provision")
    unmatched = sum(len(r["result"]["unmatched"]) for r in step_results(report, "provision"))
    text = text_run(lab, "onu-auto-provision", "-v")
    shown = section(text, "provision")
    assert shown.count(" unmatched ") == unmatched
    assert re.search(r"olt-\S+: \d+ unmatched", shown)


def test_show_in_a_runbook_chooses_the_columns(lab: RunningLab, tmp_path: Path) -> None:
    runbook = tmp_path / "weakest.yaml"
    runbook.write_text(
        "name: weakest\ntargets: role=olt\nsteps:\n"
        "  - name: read\n    task: onu.optical\n    show: [serial, rx_dbm]\n"
    )
    report: dict[str, Any] = lab.run_json(str(runbook))
    readings = [r for res in step_results(report, "read") for r in res["result"]]
    weakest = min((r for r in readings if r["rx_dbm"] is not None), key=lambda r: r["rx_dbm"])
    shown = section(text_run(lab, str(runbook)), "read")
    assert shown.strip("\n").splitlines()[0].split() == ["host", "serial", "rx_dbm"]
    # No light first, then the weakest reading.
    rows = [line.split() for line in shown.strip("\n").splitlines()[2:]]
    first = next(row for row in rows if row[2] != "—")
    assert first[1:] == [weakest["serial"], str(weakest["rx_dbm"])]
    assert all(row[2] == "—" for row in rows[: rows.index(first)])
