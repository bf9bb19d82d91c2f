"""What the engine needs of a run journal: the write-ahead record of every host/step.

The store implements it (`ispflow.store.journal.Journal`); the engine is typed against this
interface, so the store never has to know the engine and another journal (a test double, a
remote one) can stand in.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

from ispflow.core.outcome import RunOutcome, StepOutcome


class RunJournal(Protocol):
    # The database behind the journal, for the checks and records a run makes beside it.
    db: Any

    def start_run(
        self,
        *,
        runbook: str,
        runbook_path: str | None,
        vars: dict,
        hosts: list[str],
        steps: list[str],
        options: dict,
        dry_run: bool,
        parent_run_id: str | None = None,
    ) -> str:
        """Record a new run; its id."""
        ...

    def reopen_run(self, run_id: str) -> RunOutcome:
        """An interrupted run, to resume it: what it has done so far."""
        ...

    def finish_run(self, run_id: str, status: str, message: str | None = None) -> None: ...

    def load_run(self, run_id: str, hosts: Sequence[str] | None = None) -> RunOutcome: ...

    def plan_step(
        self,
        run_id: str,
        step_index: int,
        step_name: str,
        hosts: list[str],
        *,
        rollback: bool = False,
    ) -> None:
        """Mark a step pending for these hosts, durably, before any of them starts it."""
        ...

    def record(self, run_id: str, outcome: StepOutcome) -> int:
        """Queue one host/step result; a ticket to wait on for it to be durable."""
        ...

    def record_many(self, run_id: str, outcomes: Sequence[StepOutcome]) -> int: ...

    def wait_durable(self, ticket: int) -> None: ...

    def flush(self) -> None: ...

    def close(self) -> None: ...
