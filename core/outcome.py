"""What a run produced: one record per host per step, and the run around them.

These records are what the journal stores, what `ispflow runs show` reads back and what
every report format (text, JSON, JUnit, HTML) renders, so they stay plain and JSON-safe.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

StepStatus = Literal["pending", "ok", "changed", "failed", "skipped", "aborted"]
RunStatus = Literal["running", "ok", "failed", "aborted", "interrupted"]

# Statuses after which a host/step is not run again on --resume.
DONE_STATUSES: frozenset[str] = frozenset({"ok", "changed", "skipped", "failed"})


@dataclass
class StepOutcome:
    host: str
    step_index: int
    step_name: str
    status: StepStatus = "pending"
    changed: bool = False
    result: Any = None
    error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    attempts: int = 0
    rollback: bool = False

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "step_index": self.step_index,
            "step": self.step_name,
            "status": self.status,
            "changed": self.changed,
            "result": self.result,
            "error": self.error,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "duration": self.duration,
            "attempts": self.attempts,
            "rollback": self.rollback,
        }


# Key of a run's options: when a prune dropped the results of its steps that stored readings.
RESULTS_DROPPED = "results_dropped"


@dataclass
class RunOutcome:
    run_id: str
    runbook: str
    runbook_path: str | None
    vars: dict[str, Any]
    status: RunStatus
    started_at: datetime
    finished_at: datetime | None = None
    hosts: list[str] = field(default_factory=list)
    steps: list[str] = field(default_factory=list)
    outcomes: list[StepOutcome] = field(default_factory=list)
    dry_run: bool = False
    parent_run_id: str | None = None
    message: str | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def results_dropped(self) -> tuple[str, str] | None:
        """(when, raw window edge), as dates, if a prune dropped the results of this run's
        steps that stored readings (`store.journal_results`)."""
        mark = self.options.get(RESULTS_DROPPED) if isinstance(self.options, dict) else None
        if not isinstance(mark, dict):
            return None
        return str(mark.get("at") or "")[:10], str(mark.get("before") or "")[:10]

    def counts(self) -> dict[str, int]:
        """Counts of host/step outcomes by status."""
        counts: dict[str, int] = {}
        for outcome in self.outcomes:
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
        return counts

    def failed_hosts(self) -> list[str]:
        seen: dict[str, None] = {}
        for outcome in self.outcomes:
            if outcome.status == "failed" and not outcome.rollback:
                seen.setdefault(outcome.host, None)
        return list(seen)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "runbook": self.runbook,
            "runbook_path": self.runbook_path,
            "vars": self.vars,
            "status": self.status,
            "message": self.message,
            "dry_run": self.dry_run,
            "parent_run_id": self.parent_run_id,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "hosts": self.hosts,
            "steps": self.steps,
            "counts": self.counts(),
            "failed_hosts": self.failed_hosts(),
            "results": [o.to_dict() for o in self.outcomes],
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


class StepFailed(Exception):
    """The task ran and reported failure (or an assertion did not hold); `changed` when it
    changed something all the same (rows of a loop that went through)."""

    def __init__(self, message: str, result: Any = None, changed: bool = False) -> None:
        super().__init__(message)
        self.result = result
        self.changed = changed
