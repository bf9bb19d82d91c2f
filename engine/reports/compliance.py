"""The compliance report: findings by severity and rule, unread devices, remediations."""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

from ispflow.engine.compliance_remediation import Remedy
from ispflow.engine.reports._common import dumps
from ispflow.engine.reports.findings import RunFinding, rank


@dataclass
class ComplianceReport:
    run_id: str
    rules_file: str
    devices: int
    findings: list[RunFinding]
    unread: list[dict[str, Any]]
    remedies: list[Remedy] = field(default_factory=list)
    unfixable: list[RunFinding] = field(default_factory=list)  # remediation not filled in
    applied: bool = False
    fail_on: str = "info"

    def by_severity(self) -> dict[str, int]:
        counts = Counter(f.severity for f in self.findings)
        return dict(sorted(counts.items(), key=lambda item: rank(item[0])))

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "rules": self.rules_file,
            "devices": self.devices,
            "counts": self.by_severity(),
            "by_rule": dict(Counter(f.rule or f.kind for f in self.findings)),
            "findings": [
                {"host": f.host, **{k: v for k, v in f.fields.items()}} for f in self.findings
            ],
            "unread": self.unread,
            "remediation": {
                "applied": self.applied,
                "runs": [r.as_dict() for r in self.remedies],
            },
            "fail_on": self.fail_on,
        }


def render_json(report: ComplianceReport) -> str:
    return dumps(report.as_dict()) + "\n"


def render_text(report: ComplianceReport, width: int = 120) -> str:
    buffer = io.StringIO()
    out = Console(file=buffer, width=width, highlight=False, color_system=None)
    counts = " · ".join(f"{n} {s}" for s, n in report.by_severity().items()) or "none"
    out.print(
        f"Compliance of {report.devices} devices (run {report.run_id}, rules {report.rules_file})"
    )
    out.print(f"findings: {counts}")
    if report.findings:
        table = Table(show_edge=False)
        for column in ("severity", "rule", "device", "finding", "remediation"):
            table.add_column(column, overflow="fold")
        for found in sorted(report.findings, key=lambda f: (rank(f.severity), f.rule or "")):
            fix = found.fields.get("remediation") or {}
            table.add_row(
                found.severity,
                found.rule or found.kind,
                found.host,
                found.subject,
                fix.get("error") or fix.get("runbook") or "",
            )
        out.print(table)
    drifted = [f for f in report.findings if "missing" in f.fields and "extra" in f.fields]
    for found in sorted(drifted, key=lambda f: f.host):
        out.print(f"\nconfiguration drift on {found.host} (against {found.fields['intended']}):")
        for line in found.fields["missing"]:
            out.print(f"  - {line}   (missing)", soft_wrap=True, markup=False)
        for line in found.fields["extra"]:
            out.print(f"  + {line}   (extra)", soft_wrap=True, markup=False)
    for item in report.unread:
        out.print(f"NOT READ {item['host']}: {item['error']}", soft_wrap=True)
    if report.remedies:
        out.print(
            "\nremediation carried out:"
            if report.applied
            else "\nremediation (dry run, nothing changed; add --apply to carry it out):"
        )
        for remedy in report.remedies:
            state = {"done": "done", "failed": "FAILED", "previewed": "would run"}.get(
                remedy.status, remedy.status
            )
            out.print(f"  {state}: {remedy.command_line}", soft_wrap=True)
            for found in remedy.findings[:5]:
                out.print(f"      for {found.rule}: {found.subject}", soft_wrap=True)
            verb = "sent" if report.applied else "would send"
            for host, lines in remedy.commands.items():
                out.print(f"      {host} {verb}: {' | '.join(lines)}", soft_wrap=True)
            if remedy.error:
                out.print(f"      {remedy.error}", soft_wrap=True)
            if remedy.run_id:
                out.print(f"      run {remedy.run_id}", soft_wrap=True)
    for found in report.unfixable:
        error = (found.fields.get("remediation") or {}).get("error")
        out.print(f"  cannot remediate {found.subject}: {error}", soft_wrap=True)
    return buffer.getvalue()
