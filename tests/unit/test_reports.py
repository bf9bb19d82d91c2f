"""Report formats: JSON, JUnit XML, HTML and the text summary, from one hand-built run."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console

from ispflow.core.outcome import RESULTS_DROPPED, RunOutcome, StepOutcome
from ispflow.engine.reports import FORMATS, render_report, write_report
from ispflow.engine.reports.html import render_html
from ispflow.engine.reports.json_report import render_json
from ispflow.engine.reports.junit import SYSTEM_OUT_LIMIT, render_junit
from ispflow.engine.reports.text import print_summary, render_text
from tests.unit.test_audit_report import assert_scripts_pinned

T0 = datetime(2026, 11, 24, 11, 3, 55, tzinfo=UTC)
STEPS = ["check signal", "configure vlan", "save config"]
HOSTS = ["olt-poa-01", "olt-poa-02", "olt-cwb-03"]
FAIL_ERROR = "TimeoutError: vlan 100 refused by olt-poa-02\nline 2 of the device output"
XSS = "<script>alert('x')</script>"


def outcome(
    host: str,
    index: int,
    status: str,
    *,
    changed: bool = False,
    result: object = None,
    error: str | None = None,
    rollback: bool = False,
    name: str | None = None,
    seconds: float = 1.5,
) -> StepOutcome:
    start = T0 + timedelta(seconds=index * 2)
    return StepOutcome(
        host=host,
        step_index=index,
        step_name=name or STEPS[index],
        status=status,  # type: ignore[arg-type]
        changed=changed,
        result=result,
        error=error,
        started_at=start if status != "pending" else None,
        finished_at=start + timedelta(seconds=seconds) if status != "pending" else None,
        attempts=0 if status in ("skipped", "aborted", "pending") else 1,
        rollback=rollback,
    )


def build_run(*, dry_run: bool = False) -> RunOutcome:
    """olt-poa-01 all good; olt-poa-02 fails step 1 and is rolled back; olt-cwb-03 aborted/pending."""
    outcomes = [
        outcome("olt-poa-01", 0, "ok", result={"rx_power": -19.2, "note": XSS}),
        outcome(
            "olt-poa-01",
            1,
            "changed",
            changed=True,
            result={"commands": [f"vlan {100 + i}" for i in range(25)]},
        ),
        outcome("olt-poa-01", 2, "skipped"),
        outcome("olt-poa-02", 0, "ok", result={"rx_power": -21.0}),
        outcome("olt-poa-02", 1, "failed", error=FAIL_ERROR, result={"message": "refused"}),
        outcome("olt-poa-02", 2, "aborted", error="not run: 1 of 3 hosts failed (max 0%)"),
        outcome(
            "olt-poa-02",
            3,
            "changed",
            changed=True,
            rollback=True,
            name="undo vlan",
            result={"commands": ["undo vlan 100"]},
        ),
        outcome("olt-cwb-03", 0, "ok", result=[1, 2, 3]),
        outcome("olt-cwb-03", 1, "aborted", error="not run: 1 of 3 hosts failed (max 0%)"),
        outcome("olt-cwb-03", 2, "pending"),
    ]
    return RunOutcome(
        run_id="20261124T110355-7f3a",
        runbook="vlan-rollout",
        runbook_path="runbooks/vlan-rollout.yaml",
        vars={"vlan": 100, "token": "********", "sites": ["poa", "cwb"]},
        status="aborted",
        started_at=T0,
        finished_at=T0 + timedelta(seconds=42),
        hosts=list(HOSTS),
        steps=list(STEPS),
        outcomes=outcomes,
        dry_run=dry_run,
        message="1 of 3 hosts failed (max 0%)",
    )


# -- JSON ------------------------------------------------------------------------------------
def test_json_round_trips_with_counts_and_fields() -> None:
    run = build_run()
    data = json.loads(render_json(run))
    assert data["version"] == 1
    assert data["run_id"] == run.run_id and data["runbook"] == "vlan-rollout"
    assert data["status"] == "aborted" and data["dry_run"] is False
    assert data["counts"] == {
        "ok": 3,
        "changed": 2,
        "failed": 1,
        "skipped": 1,
        "aborted": 2,
        "pending": 1,
    }
    assert data["failed_hosts"] == ["olt-poa-02"]
    assert data["started_at"] == "2026-11-24T11:03:55+00:00"
    assert len(data["results"]) == 10
    failed = next(r for r in data["results"] if r["status"] == "failed")
    assert failed["host"] == "olt-poa-02" and failed["error"] == FAIL_ERROR
    assert failed["duration"] == 1.5
    assert sum(r["rollback"] for r in data["results"]) == 1
    assert data["vars"]["token"] == "********"


def test_json_never_raises_on_odd_results() -> None:
    class Weird:
        def __str__(self) -> str:
            raise RuntimeError("no")

    cyclic: list[object] = []
    cyclic.append(cyclic)
    run = build_run()
    run.outcomes[0].result = {
        (1, 2): "tuple key",
        "nan": float("nan"),
        "set": {3, 1, 2},
        "bytes": b"\xff\xfeok",
        "when": T0,
        "obj": object(),
        "weird": Weird(),
        "cycle": cyclic,
        "ip": __import__("ipaddress").ip_address("10.0.0.1"),
    }
    data = json.loads(render_json(run))
    result = data["results"][0]["result"]
    assert result["(1, 2)"] == "tuple key"
    assert result["nan"] == "nan"
    assert result["set"] == [1, 2, 3]
    assert result["ip"] == "10.0.0.1"
    assert result["when"] == T0.isoformat()
    assert "Weird" in result["weird"]


# -- JUnit -----------------------------------------------------------------------------------
def junit_suite(run: RunOutcome) -> ET.Element:
    text = render_junit(run)
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>')
    root = ET.fromstring(text)
    suite = root if root.tag == "testsuite" else root.find("testsuite")
    assert suite is not None
    return suite


def test_junit_counts_and_names() -> None:
    suite = junit_suite(build_run())
    assert suite.get("name") == "ispflow.vlan-rollout"
    assert suite.get("tests") == "10"
    assert suite.get("failures") == "1"
    assert suite.get("skipped") == "4"
    assert suite.get("errors") == "0"
    assert suite.get("time") == "42.000"
    assert suite.get("timestamp") == "2026-11-24T11:03:55"
    props = {p.get("name"): p.get("value") for p in suite.iter("property")}
    assert props == {
        "run_id": "20261124T110355-7f3a",
        "runbook": "vlan-rollout",
        "dry_run": "false",
        "status": "aborted",
    }
    cases = suite.findall("testcase")
    assert [(c.get("classname"), c.get("name")) for c in cases[:4]] == [
        ("olt-poa-01", "00 check signal"),
        ("olt-poa-01", "01 configure vlan"),
        ("olt-poa-01", "02 save config"),
        ("olt-poa-02", "00 check signal"),
    ]
    assert ("olt-poa-02", "03 rollback: undo vlan") in [
        (c.get("classname"), c.get("name")) for c in cases
    ]
    assert len(suite.findall("testcase/failure")) == 1
    assert len(suite.findall("testcase/skipped")) == 4
    assert all(float(c.get("time", "x")) >= 0 for c in cases)


def test_junit_failure_skip_and_output_details() -> None:
    suite = junit_suite(build_run())
    by_name = {(c.get("classname"), c.get("name")): c for c in suite.findall("testcase")}
    failure = by_name[("olt-poa-02", "01 configure vlan")].find("failure")
    assert failure is not None
    assert failure.get("type") == "StepFailed"
    assert failure.get("message") == "TimeoutError: vlan 100 refused by olt-poa-02"
    assert failure.text == FAIL_ERROR
    aborted = by_name[("olt-cwb-03", "01 configure vlan")].find("skipped")
    assert aborted is not None and "aborted" in aborted.get("message", "")
    assert by_name[("olt-cwb-03", "02 save config")].find("skipped") is not None
    out = by_name[("olt-poa-01", "00 check signal")].find("system-out")
    assert out is not None and json.loads(out.text or "") == {"rx_power": -19.2, "note": XSS}


def test_junit_survives_control_characters_and_huge_output() -> None:
    run = build_run()
    run.outcomes[4].error = "bad \x00\x1b[31mcolour\x07 output"
    run.outcomes[0].result = {"output": "x" * (SYSTEM_OUT_LIMIT * 2)}
    suite = junit_suite(run)
    out = suite.find("testcase/system-out")
    assert out is not None and len((out.text or "").encode()) < SYSTEM_OUT_LIMIT + 200
    assert "truncated" in (out.text or "")


# -- HTML ------------------------------------------------------------------------------------
def test_html_has_one_detail_row_per_host_step() -> None:
    page = render_html(build_run())
    assert_scripts_pinned(page)
    body = page.split('<table class="details"', 1)[1].split("</table>", 1)[0]
    assert body.count("<tr id=") == 10
    assert len(re.findall(r'data-status="failed"', body)) == 1
    for host in HOSTS:
        assert host in page
    assert "vlan 100 refused by olt-poa-02" in page
    assert "rollback: undo vlan" in page
    assert page.lstrip().lower().startswith("<!doctype html>")


def test_html_escapes_script_in_results_and_names() -> None:
    run = build_run()
    run.outcomes[4].error = XSS
    run.vars["note"] = XSS
    run.outcomes[0].host = "<b>olt</b>"
    page = render_html(run)
    assert XSS not in page
    assert "<b>olt</b>" not in page
    assert "&lt;script&gt;alert(" in page
    # Only the page's own inline script.
    assert page.count("<script>") == 1


def test_html_is_self_contained() -> None:
    page = render_html(build_run())
    lowered = page.lower()
    assert 'src="http' not in lowered and 'href="http' not in lowered
    assert "src='http" not in lowered and "@import" not in lowered
    assert not re.search(r"url\(\s*['\"]?https?:", lowered)
    assert "<link" not in lowered
    assert "<style>" in page and "<script>" in page


def test_html_matrix_marks_cells_and_missing_steps() -> None:
    run = build_run()
    run.outcomes = [o for o in run.outcomes if o.host != "olt-cwb-03" or o.step_index == 0]
    page = render_html(run)
    matrix = page.split('<table class="matrix">', 1)[1].split("</table>", 1)[0]
    assert matrix.count('<th class="host') == 4  # header + 3 hosts
    assert '<th class="host bad">olt-poa-02</th>' in matrix
    assert 'title="failed: TimeoutError: vlan 100 refused by olt-poa-02' in matrix
    assert "not run on this host" in matrix


# -- text ------------------------------------------------------------------------------------
def test_text_summary_contents() -> None:
    text = render_text(build_run())
    assert "\x1b[" not in text
    for host in HOSTS:
        assert host in text
    assert "20261124T110355-7f3a" in text and "vlan-rollout" in text and "ABORTED" in text
    assert "ok=3 changed=1 failed=1 skipped=1 aborted=2 pending=1 hosts=3" in text
    assert "TimeoutError: vlan 100 refused by olt-poa-02" in text
    assert "line 2 of the device output" in text
    assert "rolled back on: olt-poa-02" in text
    assert "Per step" not in text
    assert "would be sent" not in text


def test_text_summary_verbose_per_step_counts() -> None:
    text = render_text(build_run(), verbose=True)
    assert "Per step" in text
    step_lines = [
        line for line in text.splitlines() if "configure vlan" in line and "Failures" not in line
    ]
    assert any(re.search(r"configure vlan\s+0\s+1\s+1\s+0\s+1", line) for line in step_lines)
    assert "rollback: undo vlan" in text


def test_text_summary_dry_run_commands_are_capped() -> None:
    text = render_text(build_run(dry_run=True))
    assert "DRY RUN" in text
    assert "vlan 119" in text and "vlan 120" not in text
    assert "… 5 more" in text


@pytest.mark.parametrize("width", [80, 60])
def test_text_summary_fits_narrow_terminals(width: int) -> None:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=False, color_system=None)
    run = build_run(dry_run=True)
    run.outcomes[4].error = "E" * 300 + " and a [bold]markup-looking[/bold] tail"
    print_summary(run, console, verbose=True)
    text = buffer.getvalue()
    assert max(len(line) for line in text.splitlines()) <= width
    assert "ok=3 changed=1" in text
    assert "[bold]markup-looking[/bold]" in text


def test_print_summary_uses_colour_only_on_terminals() -> None:
    buffer = io.StringIO()
    print_summary(
        build_run(), Console(file=buffer, width=100, force_terminal=True, color_system="standard")
    )
    assert "\x1b[" in buffer.getvalue()


def test_text_summary_of_empty_run() -> None:
    run = RunOutcome("r1", "empty", None, {}, "running", T0)
    text = render_text(run)
    assert "ok=0 changed=0 failed=0 skipped=0 aborted=0 hosts=0" in text


# -- dispatcher ------------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_render_and_write_every_format(fmt: str, tmp_path: Path) -> None:
    run = build_run()
    text = render_report(run, fmt)
    assert "olt-poa-02" in text
    target = tmp_path / "sub" / f"report.{fmt}"
    write_report(run, fmt, target)
    assert target.read_text(encoding="utf-8") == text


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="text, json, junit, html"):
        render_report(build_run(), "yaml")


def signal_run() -> RunOutcome:
    run = build_run()
    readings = {
        "olt-poa-01": ["good", "good", "critical", "offline"],
        "olt-poa-02": ["good", "warning"],
    }
    run.outcomes = [
        outcome(host, 0, "ok", result=[{"onu_id": i, "signal": s} for i, s in enumerate(values)])
        for host, values in readings.items()
    ] + [outcome("olt-cwb-03", 0, "failed", error="login refused")]
    run.options = {"tally": {"0": "signal"}}
    return run


def test_tally_counts_the_key_over_hosts_in_text_and_json() -> None:
    run = signal_run()
    text = render_text(run)
    assert f"signal ({STEPS[0]}): 3 good · 1 critical · 1 offline · 1 warning" in text
    assert re.search(r"olt-poa-01\s+2 good · 1 critical · 1 offline", text)
    assert re.search(r"olt-poa-02\s+1 good · 1 warning", text)
    assert "olt-cwb-03  " not in text.split("signal (")[1]  # no records, no line
    [tally] = json.loads(render_json(run))["tallies"]
    assert tally["total"] == {"good": 3, "critical": 1, "offline": 1, "warning": 1}
    assert tally["per_host"]["olt-poa-02"] == {"good": 1, "warning": 1}


def test_a_tallied_step_that_returned_nothing_says_so() -> None:
    run = signal_run()
    for step in run.outcomes:
        if step.status == "ok":
            step.result = []  # an empty PON: understood, and nothing on it
    text = " ".join(render_text(run).split())
    assert f"signal ({STEPS[0]}): no records on 2 hosts" in text
    [tally] = json.loads(render_json(run))["tallies"]
    assert (tally["total"], tally["hosts_done"]) == ({}, 2)
    for step in run.outcomes:
        step.status = "skipped" if step.status == "ok" else step.status
    assert "signal (" not in render_text(run)  # a step that did not run counts nothing


def test_no_tally_without_the_runbook_asking() -> None:
    run = signal_run()
    run.options = {}
    assert "signal (" not in render_text(run)
    assert json.loads(render_json(run))["tallies"] == []


def test_a_run_whose_read_results_were_dropped_says_so_in_every_format() -> None:
    run = signal_run()
    assert json.loads(render_json(run))["results_dropped"] is None
    assert "raw window" not in render_text(run) + render_html(run)
    run.options = run.options | {
        RESULTS_DROPPED: {"at": "2026-12-21T03:00:00+00:00", "before": "2026-12-07T00:00:00+00:00"}
    }
    assert json.loads(render_json(run))["results_dropped"] == {
        "at": "2026-12-21",
        "before": "2026-12-07",
    }
    said = (
        "Readings stored before 2026-12-07 have left the history's raw window: the results of "
        "the steps that read them were dropped from this run's record on 2026-12-21."
    )
    assert said in " ".join(render_text(run).split())
    assert "signal (" in render_text(run)  # this run's results are all still here
    for step in run.outcomes:
        step.result = None if step.status == "ok" else step.result
    # Dropped records are not "no records": the tally line goes, the sentence above says why.
    assert "no records" not in render_text(run)
    assert said.replace("'", "&#39;") in render_html(run)
