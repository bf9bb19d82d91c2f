"""Findings of audit runs (signal, compliance, reconcile) and the severity threshold CI uses.

A step result carries findings as a list of dicts with a `kind`, or as a mapping's
`findings` list; each may have a `severity`. `--fail-on SEVERITY` makes a run (or its JUnit
report) fail when a finding is at least that severe.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ispflow.core.outcome import RunOutcome

# Worst first. The compliance rules use critical/major/minor/info; other names found in
# findings rank where a reader would expect them.
SEVERITIES: tuple[str, ...] = (
    "critical", "high", "error", "major", "warning", "medium", "minor", "low", "info", "unrated",
)  # fmt: skip
FAIL_ON_CHOICES = ("critical", "major", "minor", "info")


@dataclass(frozen=True)
class RunFinding:
    host: str
    step_index: int
    step: str
    severity: str
    kind: str
    rule: str | None
    subject: str
    fields: dict[str, Any] = field(default_factory=dict, compare=False)


def rank(severity: str) -> int:
    return SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES)


def at_least(severity: str, threshold: str) -> bool:
    """Is `severity` as bad as `threshold` or worse?"""
    return rank(severity) <= rank(threshold)


def check_threshold(threshold: str | None) -> None:
    if threshold is not None and threshold not in FAIL_ON_CHOICES:
        raise ValueError(
            f"--fail-on '{threshold}' is not a severity: choose {', '.join(FAIL_ON_CHOICES)}"
        )


def run_findings(run: RunOutcome) -> Iterator[RunFinding]:
    """Every finding in the run's step results, in host and step order."""
    for outcome in run.outcomes:
        if outcome.rollback:
            continue
        items = outcome.result
        if isinstance(items, dict):
            items = items.get("findings")
        if not isinstance(items, list):
            continue
        for item in items:
            if not isinstance(item, dict) or not item.get("kind"):
                continue
            yield RunFinding(
                host=outcome.host,
                step_index=outcome.step_index,
                step=outcome.step_name,
                severity=str(item.get("severity") or "unrated").lower(),
                kind=str(item["kind"]),
                rule=str(item["rule"]) if item.get("rule") else None,
                subject=str(item.get("subject") or item.get("summary") or _describe(item)),
                fields=item,
            )


def failing(run: RunOutcome, threshold: str | None) -> list[RunFinding]:
    """The findings at or above `threshold` (none when there is no threshold)."""
    if threshold is None:
        return []
    return [f for f in run_findings(run) if at_least(f.severity, threshold)]


def rules_checked(run: RunOutcome) -> Iterator[tuple[str, int, str, str]]:
    """(host, step index, step, rule id) for every rule a compliance step applied."""
    for outcome in run.outcomes:
        result = outcome.result
        if outcome.rollback or not isinstance(result, dict):
            continue
        for rule in result.get("rules") or []:
            yield outcome.host, outcome.step_index, outcome.step_name, str(rule)


def _describe(item: dict[str, Any]) -> str:
    keys = ("olt", "port", "onu_id", "serial", "cto", "contract", "concentrator", "login", "pool")
    parts = [f"{k}={item[k]}" for k in keys if item.get(k) not in (None, "")]
    return " ".join(parts) or str(item["kind"])
