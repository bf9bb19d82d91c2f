"""The run as JUnit XML, one test case per host × step, for Jenkins and GitLab test reports.

An audit run (signal, compliance, reconcile) adds a second suite, `findings`: one case per
finding, failed when it is at least as severe as `fail_on` and skipped (listed, not
failing) otherwise; each compliance rule a device passed is a passing case of its own.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from ispflow.core.outcome import RunOutcome, StepOutcome
from ispflow.engine.reports._common import dumps, first_line, host_names, run_duration, shorten
from ispflow.engine.reports.findings import at_least, rules_checked, run_findings

# Bigger <system-out> blocks make CI test pages unusable and some parsers choke.
SYSTEM_OUT_LIMIT = 64 * 1024

# XML 1.0 cannot carry most control characters, and device output (terminal escapes,
# stray NULs) is full of them; ElementTree would write them and produce a file no CI parses.
_INVALID_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

_NOT_RUN = {"skipped", "aborted", "pending"}


def render_junit(run: RunOutcome, fail_on: str | None = None) -> str:
    """JUnit XML text (with XML declaration) for the run; findings at least as severe as
    `fail_on` are failures."""
    cases = _ordered(run)
    failures = sum(1 for o in cases if o.status == "failed")
    skipped = sum(1 for o in cases if o.status in _NOT_RUN)
    duration = run_duration(run)
    if duration is None:
        duration = sum(o.duration or 0.0 for o in cases)
    totals = {
        "tests": str(len(cases)),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(skipped),
        "time": _seconds(duration),
    }

    root = ET.Element("testsuites", {"name": "ispflow", **totals})
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": _clean(f"ispflow.{run.runbook}"),
            **totals,
            "timestamp": _timestamp(run.started_at),
        },
    )
    props = ET.SubElement(suite, "properties")
    for name, value in (
        ("run_id", run.run_id),
        ("runbook", run.runbook),
        ("dry_run", "true" if run.dry_run else "false"),
        ("status", run.status),
    ):
        ET.SubElement(props, "property", {"name": name, "value": _clean(str(value))})
    if run.parent_run_id:
        ET.SubElement(
            props, "property", {"name": "parent_run_id", "value": _clean(run.parent_run_id)}
        )

    for outcome in cases:
        _testcase(suite, outcome, run)
    _findings_suite(root, run, fail_on)

    ET.indent(root, space="  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _findings_suite(root: ET.Element, run: RunOutcome, fail_on: str | None) -> None:
    findings = list(run_findings(run))
    flagged = {(f.host, f.step_index, f.rule) for f in findings if f.rule}
    passed = [r for r in rules_checked(run) if (r[0], r[1], r[3]) not in flagged]
    if not findings and not passed:
        return
    failures = [f for f in findings if fail_on is not None and at_least(f.severity, fail_on)]
    failed_ids = {id(f) for f in failures}
    suite = ET.SubElement(
        root,
        "testsuite",
        {
            "name": _clean(f"ispflow.{run.runbook}.findings"),
            "tests": str(len(findings) + len(passed)),
            "failures": str(len(failures)),
            "errors": "0",
            "skipped": str(len(findings) - len(failures)),
            "time": "0.000",
            "timestamp": _timestamp(run.started_at),
        },
    )
    props = ET.SubElement(suite, "properties")
    ET.SubElement(props, "property", {"name": "fail_on", "value": fail_on or "none"})
    for host, _, _, rule in passed:
        ET.SubElement(
            suite, "testcase", {"classname": _clean(host), "name": _clean(rule), "time": "0"}
        )
    for found in findings:
        name = f"{found.rule or found.kind}: {found.subject}"
        case = ET.SubElement(
            suite,
            "testcase",
            {"classname": _clean(found.host), "name": _clean(shorten(name, 300)), "time": "0"},
        )
        message = _clean(shorten(f"{found.severity}: {found.subject}", 500))
        if id(found) in failed_ids:
            failure = ET.SubElement(case, "failure", {"message": message, "type": found.severity})
            failure.text = _clean(_truncate(dumps(found.fields)))
        else:
            below = f" (below --fail-on {fail_on})" if fail_on else ""
            ET.SubElement(case, "skipped", {"message": message + below})


def _ordered(run: RunOutcome) -> list[StepOutcome]:
    order = {name: i for i, name in enumerate(host_names(run))}
    return sorted(run.outcomes, key=lambda o: (order.get(o.host, 0), o.rollback, o.step_index))


def _testcase(suite: ET.Element, outcome: StepOutcome, run: RunOutcome) -> None:
    name = outcome.step_name
    if outcome.rollback and not name.startswith("rollback: "):
        name = f"rollback: {name}"
    case = ET.SubElement(
        suite,
        "testcase",
        {
            "classname": _clean(outcome.host),
            "name": _clean(f"{outcome.step_index:02d} {name}"),
            "time": _seconds(outcome.duration or 0.0),
        },
    )
    error = _clean(outcome.error or "")
    if outcome.status == "failed":
        failure = ET.SubElement(
            case,
            "failure",
            {"message": shorten(first_line(error) or "step failed", 500), "type": "StepFailed"},
        )
        failure.text = error or "step failed"
    elif outcome.status in _NOT_RUN:
        ET.SubElement(case, "skipped", {"message": _skip_message(outcome, error, run)})
    if outcome.result is not None:
        ET.SubElement(case, "system-out").text = _clean(_truncate(dumps(outcome.result)))


def _skip_message(outcome: StepOutcome, error: str, run: RunOutcome) -> str:
    if outcome.status == "aborted":
        # The engine records "not run: <reason>"; the message already says it was not run.
        reason = (first_line(error) or first_line(run.message)).removeprefix("not run: ")
        return shorten(f"the run was aborted before this step ran: {reason}".rstrip(": "), 500)
    if outcome.status == "pending":
        return "not finished: the run stopped before this step completed"
    return shorten(first_line(error) or "skipped: the step's condition did not match", 500)


def _truncate(text: str) -> str:
    data = text.encode("utf-8")
    if len(data) <= SYSTEM_OUT_LIMIT:
        return text
    kept = data[:SYSTEM_OUT_LIMIT].decode("utf-8", errors="ignore")
    return f"{kept}\n… truncated ({len(data) - len(kept.encode('utf-8'))} more bytes)"


def _clean(text: str) -> str:
    return _INVALID_XML.sub("\ufffd", text)


def _seconds(value: float) -> str:
    return f"{max(value, 0.0):.3f}"


def _timestamp(value: datetime) -> str:
    # The JUnit schema wants ISO 8601 without an offset; report it in UTC.
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S")
