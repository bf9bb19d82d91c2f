"""The coordinator of `--runner celery`: each step's hosts sent to workers as shards.

The run itself (steps in order, failures, the budget, rollback, the report) stays in the
process that started it; only the per-host work of a step goes to the workers, one Celery
task per shard (the hosts of one site by default, or one host each), on the site's queue.
The coordinator waits for the shards while it shows the step's progress from the journal,
sends again a shard whose worker stopped renewing its lease, and gives up on a shard no
worker takes (the run is aborted and can be resumed once workers are there).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from engine.errors import UsageError
from engine.model import Step
from engine.outcome import StepOutcome
from plugins.runners.celery_settings import load_settings, queue_for

POLL_S = 0.2
MAX_ATTEMPTS = 3
SHARD_BY = ("site", "host")


class CeleryDispatcher:
    """Runs a step's hosts on Celery workers; `Executor` calls `run_step` for each step."""

    def __init__(
        self,
        runbook: str,
        given_vars: dict[str, Any],
        options: dict[str, Any],
        *,
        shard_by: str = "site",
        progress: Sequence[Any] = (),
    ) -> None:
        if shard_by not in SHARD_BY:
            raise UsageError(f"--shard-by '{shard_by}': choose {' or '.join(SHARD_BY)}")
        from plugins.runners.celery_app import app

        self.app = app
        self.settings = load_settings()
        self.runbook = runbook
        self.given_vars = given_vars
        self.options = options
        self.shard_by = shard_by
        self.progress = [p for p in progress if hasattr(p, "begin")]

    def check_store(self, db: Any) -> None:
        if db.dialect_name == "sqlite":
            raise UsageError(
                "--runner celery needs a store every worker reaches: give a PostgreSQL URL "
                "(--db postgresql://... or ISPFLOW_DB); SQLite is one machine's file"
            )

    # -- one step ------------------------------------------------------------------------
    def run_step(
        self, step: Step, hosts: list[str], state: Any, inventory: Any, *, rollback: bool
    ) -> None:
        from store import shards

        db = state.journal.db
        parts = self._parts(hosts, inventory)
        planned = shards.plan(db, state.run_id, step.index, rollback, parts)
        sent: dict[int, float] = {}
        for shard in planned:
            if shard.status != "done":
                self._send(shard, state.run_id)
                sent[shard.id] = time.monotonic()
        name = f"rollback: {step.name}" if rollback else step.name
        for bar in self.progress:
            bar.begin(name, len(hosts))
        try:
            self._wait(step, state, sent, rollback)
        except KeyboardInterrupt:
            shards.cancel(db, state.run_id, step.index, rollback, "the run was interrupted")
            raise
        finally:
            for bar in self.progress:
                bar.end()
        self._collect(step, hosts, state, rollback)

    def _parts(self, hosts: list[str], inventory: Any) -> list[tuple[str, str, list[str]]]:
        groups: dict[tuple[str, str], list[str]] = defaultdict(list)
        for name in hosts:
            queue = queue_for(inventory[name])
            shard = name if self.shard_by == "host" else queue
            groups[(shard, queue)].append(name)
        return [(shard, queue, names) for (shard, queue), names in sorted(groups.items())]

    def _send(self, shard: Any, run_id: str) -> None:
        self.app.send_task(
            "ispflow.shard",
            kwargs={
                "shard_id": shard.id,
                "run_id": run_id,
                "runbook": self.runbook,
                "given_vars": self.given_vars,
                "options": self.options,
            },
            queue=shard.queue,
        )

    def _wait(self, step: Step, state: Any, sent: dict[int, float], rollback: bool) -> None:
        from store import shards

        db = state.journal.db
        reported: dict[str, int] = {}
        while True:
            current = shards.of_step(db, state.run_id, step.index, rollback)
            self._show(state, step, rollback, reported)
            pending = [s for s in current if s.status in ("queued", "running")]
            if not pending:
                return
            now = datetime.now(UTC)
            for shard in pending:
                if shard.status == "running" and shard.lease_until and shard.lease_until < now:
                    self._lapsed(shard, state, sent)
                elif shard.status == "queued":
                    waited = time.monotonic() - sent.setdefault(shard.id, time.monotonic())
                    if waited > self.settings.wait_for_workers:
                        self._no_worker(shard, step, state, rollback)
                        return
            time.sleep(POLL_S)

    def _lapsed(self, shard: Any, state: Any, sent: dict[int, float]) -> None:
        """Its worker died (or lost the store): send it again, up to MAX_ATTEMPTS times."""
        from store import shards

        db = state.journal.db
        if not shards.requeue_lapsed(db, shard.id):
            return
        if shard.attempts >= MAX_ATTEMPTS:
            shards.cancel(
                db,
                state.run_id,
                shard.step_index,
                shard.rollback,
                f"its worker was lost {shard.attempts} times (last {shard.worker})",
            )
            return
        self._send(shard, state.run_id)
        sent[shard.id] = time.monotonic()

    def _no_worker(self, shard: Any, step: Step, state: Any, rollback: bool) -> None:
        from store import shards

        reason = (
            f"no worker took shard '{shard.name}' of step '{step.name}' from queue "
            f"'{shard.queue}' within {self.settings.wait_for_workers:g} s (start one: "
            f"ispflow worker --queues {shard.queue}); resume with ispflow run --resume "
            f"{state.run_id} --runner celery"
        )
        shards.cancel(state.journal.db, state.run_id, step.index, rollback, reason)
        state.abort(reason)

    def _show(self, state: Any, step: Step, rollback: bool, reported: dict[str, int]) -> None:
        if not self.progress:
            return
        counts = state.journal.step_counts(state.run_id, step.index, rollback)
        for status, count in counts.items():
            for _ in range(count - reported.get(status, 0)):
                for bar in self.progress:
                    bar.advance(status)
            reported[status] = count

    def _collect(self, step: Step, hosts: list[str], state: Any, rollback: bool) -> None:
        """The step's results as the workers journaled them, into the run's state; a host
        whose shard failed as a whole (or was given up) fails with the shard's reason."""
        from store import shards

        done = state.journal.step_outcomes(state.run_id, step.index, rollback, hosts)
        errors = {
            host: shard.error
            for shard in shards.of_step(state.journal.db, state.run_id, step.index, rollback)
            for host in shard.hosts
            if shard.status == "failed"
        }
        now = datetime.now(UTC)
        for host in hosts:
            outcome = done.get(host)
            if outcome is not None:
                state.remember(step, outcome)
                if step.register and not rollback:
                    state.hosts[host].register(step.register, outcome.result)
                continue
            aborted = state.aborted and not rollback
            outcome = StepOutcome(
                host=host,
                step_index=step.index,
                step_name=step.name,
                status="aborted" if aborted else "failed",
                error=(f"not run: {state.abort_reason}" if aborted else None)
                or f"its shard failed: {errors.get(host) or 'no result from the worker'}",
                started_at=now,
                finished_at=now,
                rollback=rollback,
            )
            state.finished(step, outcome)
        state.flush_buffer()
