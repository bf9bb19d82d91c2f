"""State shared by the worker threads of one run: hosts, failures, the budget, the journal."""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ispflow.core.csv_items import read_csv, resolve_csv
from ispflow.core.outcome import StepOutcome
from ispflow.engine.connections import ConnectLimiter, EarlyLogins
from ispflow.engine.context import HostState
from ispflow.engine.model import Step
from ispflow.engine.secrets import Secrets

if TYPE_CHECKING:
    from ispflow.core.journal import RunJournal

# Read-only results reach the journal in batches of this many, or this many seconds old.
BATCH = 256
BATCH_AGE = 0.5


class RunState:
    def __init__(
        self,
        *,
        run_id: str,
        journal: RunJournal,
        hosts: dict[str, HostState],
        dry_run: bool,
        limiter: ConnectLimiter | None,
        secrets: Secrets,
        max_fail_percent: float | None,
        on_outcome: Callable[[StepOutcome], None] | None = None,
        early: EarlyLogins | None = None,
    ) -> None:
        self.run_id = run_id
        self.journal = journal
        self.hosts = hosts
        self.dry_run = dry_run
        self.limiter = limiter
        # Logins made for the first step while the run was being recorded (connections.py).
        self.early = early
        self.secrets = secrets
        self.max_fail_percent = max_fail_percent
        self.on_outcome = on_outcome
        self.aborted = False
        self.abort_reason: str | None = None
        self.outcomes: dict[tuple[str, int, bool], StepOutcome] = {}
        self._lock = threading.Lock()
        self._csv: dict[Path, list[dict[str, str]]] = {}
        self._buffer: deque[StepOutcome] = deque()
        self._drained_at = time.monotonic()
        # Per (host, step index): the rows of a looped step an earlier run already did, by
        # row, so a re-run of that host's failed step runs only the rows that failed.
        self.done_items: dict[tuple[str, int], dict[str, dict[str, Any]]] = {}

    # -- results -------------------------------------------------------------------------
    def finished(self, step: Step, outcome: StepOutcome) -> None:
        """Journal one host/step result and update failures and the budget.

        A step that changes devices waits until its result is durable before the host moves
        on, so a crash never makes `--resume` repeat a change that was made. Read-only
        results are handed to the journal in batches (at least every half second and at the
        end of the step): re-reading after a crash is harmless, and a 10,000-host audit does
        not pay a queue hand-over, let alone a commit round trip, per host.

        The common path takes no lock: with twenty worker threads a shared lock held across a
        GIL switch makes all of them queue behind it. Dict stores and deque appends/pops are
        atomic in CPython; only failures, which change shared counters, take the lock.
        """
        self.outcomes[(outcome.host, outcome.step_index, outcome.rollback)] = outcome
        if outcome.status == "failed":
            with self._lock:
                self._account_failure(step, outcome)
        if step.task.changes_device and not self.dry_run:
            self.journal.wait_durable(self.journal.record(self.run_id, outcome))
        else:
            self._buffer.append(outcome)
            if len(self._buffer) >= BATCH or time.monotonic() - self._drained_at > BATCH_AGE:
                self.flush_buffer()
        if self.on_outcome is not None:
            self.on_outcome(outcome)

    def end_early_logins(self) -> None:
        """Close the early logins no task took; later steps log in as they go."""
        early, self.early = self.early, None
        if early is not None:
            early.close_unused()

    def flush_buffer(self) -> None:
        """Hand every buffered result to the journal (also at the end of each step)."""
        self._drained_at = time.monotonic()
        batch = []
        buffer = self._buffer
        while True:
            try:
                batch.append(buffer.popleft())
            except IndexError:
                break
        if batch:
            self.journal.record_many(self.run_id, batch)

    def amend(self, step: Step, outcome: StepOutcome) -> None:
        """Replace a host's result for a step after the fact (a deferred check failed); it is
        journaled before this returns."""
        self.outcomes[(outcome.host, outcome.step_index, outcome.rollback)] = outcome
        if outcome.status == "failed":
            with self._lock:
                self._account_failure(step, outcome)
        self.journal.wait_durable(self.journal.record(self.run_id, outcome))

    def carry_items(self, outcome: StepOutcome) -> None:
        """Keep the rows an earlier run's failed, looped step did (ok or changed)."""
        if not isinstance(outcome.result, list):
            return
        done = {
            item_key(row["item"]): row
            for row in outcome.result
            if isinstance(row, dict) and "item" in row and row.get("status") in ("ok", "changed")
        }
        if done:
            self.done_items[(outcome.host, outcome.step_index)] = done

    def remember(self, step: Step, outcome: StepOutcome) -> None:
        """Account for an outcome already journaled (restored from an earlier run)."""
        self.outcomes[(outcome.host, outcome.step_index, outcome.rollback)] = outcome
        if outcome.status == "failed":
            with self._lock:
                self._account_failure(step, outcome)

    def _account_failure(self, step: Step, outcome: StepOutcome) -> None:
        if outcome.rollback or step.on_failure == "continue":
            return
        host_state = self.hosts[outcome.host]
        if host_state.failed_at is None:
            host_state.failed_at = step.index
        if step.on_failure == "abort":
            self._abort(f"step '{step.name}' failed on {outcome.host} (on_failure: abort)")
        self._check_budget()

    def failed_count(self) -> int:
        return sum(1 for h in self.hosts.values() if h.failed_at is not None)

    def _check_budget(self) -> None:
        if self.max_fail_percent is None or self.aborted:
            return
        failed = self.failed_count()
        percent = 100.0 * failed / max(1, len(self.hosts))
        if percent > self.max_fail_percent:
            self._abort(
                f"{failed} of {len(self.hosts)} hosts failed ({percent:.1f}%), "
                f"above max_fail_percent {self.max_fail_percent:g}%"
            )

    def abort(self, reason: str) -> None:
        with self._lock:
            self._abort(reason)

    def _abort(self, reason: str) -> None:
        if not self.aborted:
            self.aborted = True
            self.abort_reason = reason

    # -- loop items ----------------------------------------------------------------------
    def loop_items(self, step: Step, ctx: dict[str, Any]) -> list[Any]:
        loop = step.loop
        assert loop is not None
        if loop.items is not None:
            items = loop.items.render(ctx)
            if isinstance(items, dict):
                return [{"key": k, "value": v} for k, v in items.items()]
            if not isinstance(items, list | tuple):
                raise ValueError(f"loop: expected a list, got {type(items).__name__}")
            return list(items)
        assert loop.csv_file is not None
        name = str(loop.csv_file.render(ctx) or "").strip()
        # An empty path (an optional `items` var left unset) means no items, not an error.
        return self.csv_rows(name, loop.base_dir) if name else []

    def csv_rows(self, name: str, base_dir: Path | None) -> list[dict[str, str]]:
        path = resolve_csv(name, base_dir)
        with self._lock:
            rows = self._csv.get(path)
        if rows is None:
            rows = read_csv(path)
            with self._lock:
                self._csv[path] = rows
        return rows


def item_key(item: Any) -> str:
    """One row of a loop as a stable key (the row's own values, in key order)."""
    return json.dumps(item, sort_keys=True, default=str)
