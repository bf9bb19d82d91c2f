"""Audits in CI: `--fail-on` turns findings at a severity into a failing exit and JUnit
failures, on a run and on a stored run's report; `--output html` on an audit run is the
audit page."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from tests.lab.conftest import RunningLab


def findings_suite(text: str) -> ET.Element:
    root = ET.fromstring(text)
    [suite] = [s for s in root.iter("testsuite") if s.get("name", "").endswith(".findings")]
    return suite


def test_fail_on_threshold_on_a_run_and_its_report(lab: RunningLab, tmp_path: Path) -> None:
    lab.cli("lab", "fault", lab.fleet()["olts"][0]["name"], "--down-pon", "0/1/0")
    report = tmp_path / "audit.xml"
    proc = lab.cli(
        "run", "signal-audit", "-e", "tickets=false", "-o", "junit", "--out", str(report),
        "--fail-on", "critical",
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "at or above critical: failing (--fail-on critical)" in proc.stderr
    suite = findings_suite(report.read_text())
    failures = [c for c in suite.iter("testcase") if c.find("failure") is not None]
    skipped = [c for c in suite.iter("testcase") if c.find("skipped") is not None]
    assert failures and all(c.find("failure").get("type") == "critical" for c in failures)
    assert all("below --fail-on critical" in c.find("skipped").get("message") for c in skipped)
    assert int(suite.get("failures")) == len(failures)

    [run_id] = [
        p.get("value")
        for p in ET.fromstring(report.read_text()).iter("property")
        if p.get("name") == "run_id"
    ]
    again = lab.cli("report", run_id, "-o", "junit", "--fail-on", "critical")
    assert again.returncode == 1
    assert len(findings_suite(again.stdout).findall("testcase/failure")) == len(failures)
    assert lab.cli("report", run_id, "-o", "junit").returncode == 0  # no threshold: no failure
    bad = lab.cli("report", run_id, "-o", "junit", "--fail-on", "urgent")
    assert bad.returncode == 2 and "not a severity" in bad.stderr


def test_html_output_of_an_audit_run_is_the_audit_page(lab: RunningLab, tmp_path: Path) -> None:
    page = tmp_path / "out" / "audit.html"
    proc = lab.cli("run", "signal-audit", "-e", "tickets=false", "-o", "html", "--out", str(page))
    assert proc.returncode == 0, proc.stderr
    text = page.read_text()
    assert "<title>Signal audit · signal-audit" in text and "<svg" in text
    plain = tmp_path / "autofind.html"
    assert lab.cli("run", "onu-autofind", "-o", "html", "--out", str(plain)).returncode == 0
    assert "<title>onu-autofind" in plain.read_text()
