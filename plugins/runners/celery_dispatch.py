"""The coordinator of `--runner celery`: each step's hosts sent to workers as shards.

The run itself (steps in order, failures, the budget, rollback, the report) stays in the
process that started it; only the per-host work of a step goes to the workers, one Celery
task per shard (the hosts of one site by default, or one host each), on the site's queue.
The coordinator waits for the shards while it shows the step's progress from the journal,
sends again a shard whose worker stopped renewing its lease or whose message the broker lost
(a Redis without persistence that restarts loses its queues), and gives up on a shard no
worker takes, saying which of those happened (the run is aborted and can be resumed once
workers are there).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.text import Text

from ispflow.core.errors import UsageError
from ispflow.core.outcome import StepOutcome
from ispflow.engine.model import Runbook, Step
from ispflow.engine.vartypes import mask_secrets
from ispflow.plugins.runners.celery_broker import (
    PROBE_EVERY_S,
    BrokerWatch,
    Restart,
    reason,
    workers_listening,
)
from ispflow.plugins.runners.celery_reasons import (
    Kind,
    Seen,
    Waited,
    give_up_reason,
    node_names,
    resent_notice,
)
from ispflow.plugins.runners.celery_settings import load_settings, queue_for
from ispflow.plugins.runners.shard_message import runbook_sha256

POLL_S = 0.2
# Sends of one shard at most: after its worker was lost, or its message was.
MAX_ATTEMPTS = 3
# A shard the broker would not take is tried again this often.
RETRY_SEND_S = 1.0
SHARD_BY = ("site", "host")
log = logging.getLogger("ispflow.celery")


@dataclasses.dataclass
class Delivery:
    """One shard's messages as the coordinator knows them; the store knows only the claims."""

    sends: int = 0  # messages the broker took
    since: float = 0.0  # monotonic: the last send, or the first refused try after it
    tried: float = 0.0  # monotonic: the last try, taken or not
    lost: int = 0  # times the queue held nothing for it and no worker had claimed it
    failure: str | None = None  # why the broker refuses it, while it does
    first_sent: datetime | None = None
    empty_since: float | None = None  # monotonic: its queue first seen empty since the send


class CeleryDispatcher:
    """Runs a step's hosts on Celery workers; `Executor` calls `run_step` for each step."""

    def __init__(
        self,
        runbook: str,
        options: dict[str, Any],
        *,
        shard_by: str = "site",
        progress: Sequence[Any] = (),
    ) -> None:
        if shard_by not in SHARD_BY:
            raise UsageError(f"--shard-by '{shard_by}': choose {' or '.join(SHARD_BY)}")
        from ispflow.plugins.runners.celery_app import app

        self.app = app
        self.settings = load_settings()
        self.runbook = runbook
        self.options = options
        self.shard_by = shard_by
        self.progress = [p for p in progress if hasattr(p, "begin")]
        self.watch = BrokerWatch(app)

    def check_store(self, db: Any) -> None:
        """Before the run is recorded: a store and a broker that every worker shares."""
        if db.dialect_name == "sqlite":
            raise UsageError(
                "--runner celery needs a store every worker reaches: give a PostgreSQL URL "
                "(--db postgresql://... or ISPFLOW_DB); SQLite is one machine's file"
            )
        self.watch.check(self.settings)

    def record_run(self, db: Any, run_id: str, runbook: Runbook, values: dict[str, Any]) -> None:
        """Once the run is recorded (or resumed): what its workers run, kept in its row. The
        messages then carry no runbook, vars or options a worker would act on."""
        from ispflow.store import worker_runs

        if runbook.path is None:
            raise UsageError("--runner celery needs a runbook file the workers can load")
        secret = {n for n, spec in runbook.var_specs.items() if spec.secret}
        worker_runs.record(
            db,
            run_id,
            runbook=self.runbook,
            runbook_sha256=runbook_sha256(Path(runbook.path)),
            vars=mask_secrets(runbook.var_specs, values),
            secrets={n: v for n, v in values.items() if n in secret and v is not None},
            options=self.options,
        )

    # -- one step ------------------------------------------------------------------------
    def run_step(
        self, step: Step, hosts: list[str], state: Any, inventory: Any, *, rollback: bool
    ) -> None:
        from ispflow.store import shards

        db = state.journal.db
        parts = self._parts(hosts, inventory)
        planned = shards.plan(db, state.run_id, step.index, rollback, parts)
        deliveries: dict[int, Delivery] = {}
        for shard in planned:
            if shard.status != "done":
                self._deliver(shard, state.run_id, deliveries.setdefault(shard.id, Delivery()))
        name = f"rollback: {step.name}" if rollback else step.name
        for bar in self.progress:
            bar.begin(name, len(hosts))
        try:
            self._wait(step, state, deliveries, rollback)
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

    def _deliver(self, shard: Any, run_id: str, delivery: Delivery) -> bool:
        """Send the shard's message; a broker that refuses it is tried again while waiting."""
        now = time.monotonic()
        delivery.tried = now
        try:
            self._send(shard, run_id)
        except Exception as exc:  # noqa: BLE001 - kombu and the transports raise their own
            if delivery.failure is None:
                delivery.since = now
            delivery.failure = reason(exc)
            return False
        delivery.sends += 1
        delivery.since = now
        delivery.failure = None
        delivery.empty_since = None
        delivery.first_sent = delivery.first_sent or datetime.now(UTC)
        return True

    def _send(self, shard: Any, run_id: str) -> None:
        self.app.send_task(
            "ispflow.shard",
            # Which shard is ready, no more: the worker reads the rest from the store. The
            # runbook is named for whoever watches the queue; the worker checks it agrees.
            kwargs={"shard_id": shard.id, "run_id": run_id, "runbook": self.runbook},
            queue=shard.queue,
            # The store has every outcome; waiting on the result backend would only add a
            # second service whose absence stops the sending.
            ignore_result=True,
        )

    def _wait(
        self, step: Step, state: Any, deliveries: dict[int, Delivery], rollback: bool
    ) -> None:
        from ispflow.store import shards

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
                delivery = deliveries.setdefault(shard.id, Delivery(since=time.monotonic()))
                if shard.status == "running":
                    if shard.lease_until and shard.lease_until < now:
                        self._lapsed(shard, state, delivery)
                    continue
                problem = self._unclaimed(shard, step, state, delivery)
                if problem:
                    self._give_up(step, state, rollback, problem)
                    return
            time.sleep(POLL_S)

    def _lapsed(self, shard: Any, state: Any, delivery: Delivery) -> None:
        """Its worker died (or lost the store): send it again, up to MAX_ATTEMPTS times."""
        from ispflow.store import shards

        db = state.journal.db
        if not shards.requeue_lapsed(db, shard.id):
            return
        # Claims in the store count an earlier coordinator's sends too (a resumed run).
        if max(shard.attempts, delivery.sends) >= MAX_ATTEMPTS:
            shards.cancel(
                db,
                state.run_id,
                shard.step_index,
                shard.rollback,
                f"its worker was lost {shard.attempts} times (last {shard.worker})",
            )
            return
        self._deliver(shard, state.run_id, delivery)

    def _unclaimed(self, shard: Any, step: Step, state: Any, delivery: Delivery) -> str | None:
        """A queued shard: sent again when its message is gone; why to give up, if it is time."""
        waited = time.monotonic() - delivery.since
        if delivery.failure is not None:
            if waited > self.settings.wait_for_workers:
                return self._why(shard, step, state, delivery, "unsent")
            if time.monotonic() - delivery.tried >= RETRY_SEND_S:
                self._deliver(shard, state.run_id, delivery)
            return None
        if waited < self.settings.lease:
            return None
        if self._message_gone(shard, state, delivery):
            delivery.lost += 1
            if delivery.sends >= MAX_ATTEMPTS:
                return self._why(shard, step, state, delivery, "lost")
            if self._deliver(shard, state.run_id, delivery):
                self._notice(resent_notice(self._waited(shard, step, delivery), MAX_ATTEMPTS))
            return None
        if waited > self.settings.wait_for_workers:
            return self._why(shard, step, state, delivery, "waiting")
        return None

    def _message_gone(self, shard: Any, state: Any, delivery: Delivery) -> bool:
        """A worker claims a shard as soon as it takes its message, so a shard unclaimed for
        a lease while its queue stays empty has lost its message (a broker restart, a purge).
        Empty on two looks a probe apart: not a worker between taking it and claiming it."""
        from ispflow.store import shards

        if self.watch.queue_size(shard.queue) != 0:
            delivery.empty_since = None
            return False
        now = time.monotonic()
        if delivery.empty_since is None:
            delivery.empty_since = now
        if now - delivery.empty_since < PROBE_EVERY_S:
            return False
        row = shards.get(state.journal.db, shard.id)
        return row is not None and row.status == "queued"

    def _restart(self, delivery: Delivery) -> Restart | None:
        if delivery.first_sent is None:
            return None
        return self.watch.restarted_since(delivery.first_sent)

    def _waited(self, shard: Any, step: Step, delivery: Delivery) -> Waited:
        return Waited(
            shard=shard.name,
            step=step.name,
            queue=shard.queue,
            sends=delivery.sends,
            lost=delivery.lost,
            seconds=self.settings.wait_for_workers,
            broker=self.settings.shown(),
            restart=self._restart(delivery),
            broker_error=delivery.failure or self.watch.error,
        )

    def _why(self, shard: Any, step: Step, state: Any, delivery: Delivery, kind: Kind) -> str:
        from ispflow.store import shards

        by_queue = shards.workers_by_queue(state.journal.db, state.run_id)
        claimed = node_names(by_queue.pop(shard.queue, ()))
        elsewhere = node_names(w for workers in by_queue.values() for w in workers)
        # Asking the workers goes through the broker: pointless while it does not answer.
        listening = None
        if kind != "unsent" and self.watch.error is None:
            listening = workers_listening(self.app, shard.queue)
        seen = Seen(claimed, listening, sorted(set(elsewhere) - set(claimed)))
        return give_up_reason(kind, self._waited(shard, step, delivery), seen, state.run_id)

    def _give_up(self, step: Step, state: Any, rollback: bool, reason_text: str) -> None:
        from ispflow.store import shards

        shards.cancel(state.journal.db, state.run_id, step.index, rollback, reason_text)
        state.abort(reason_text)

    def _notice(self, text: str) -> None:
        """A line for the user above the progress (nothing when the run is quiet)."""
        consoles = [bar.console for bar in self.progress if getattr(bar, "console", None)]
        for console in consoles[:1]:
            console.print(Text(text), soft_wrap=True)
        if not consoles:
            log.info(text)

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
        from ispflow.store import shards

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
