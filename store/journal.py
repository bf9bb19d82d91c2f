"""The run journal: a write-ahead record of every host/step result, for reports and --resume.

A result is durable once `wait_durable` returns for its ticket. Results from all worker
threads are written by one writer thread with group commit (see `store.group_commit`), so a
run over thousands of hosts costs a few hundred transactions, not one per host and step.
"""

from __future__ import annotations

import importlib
import os
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ispflow.core.outcome import DONE_STATUSES, RunOutcome, StepOutcome
from ispflow.store.bulk_sql import chunks, flat
from ispflow.store.columns import utcnow
from ispflow.store.db import Database
from ispflow.store.errors import StoreError
from ispflow.store.group_commit import GroupCommitWriter
from ispflow.store.journal_rows import clean_text, json_safe, outcome_from_row, run_from_row
from ispflow.store.liveness import is_interrupted, process_alive, this_machine
from ispflow.store.result_sql import plan_params, plan_sql, result_params, upsert_sql
from ispflow.store.schema import RUN_STATUSES, STEP_STATUSES, runs, step_results

_KEY = ("run_id", "host", "step_index", "rollback")
_FINAL_STATUSES = frozenset(RUN_STATUSES) - {"running"}
_HEARTBEAT_EVERY_S = 1.0
# The dialects whose INSERT has an upsert form; each is imported only for its own stores.
_UPSERT_DIALECTS = frozenset({"sqlite", "postgresql"})


def _dialect_insert(dialect: str) -> Callable[..., Any]:
    if dialect not in _UPSERT_DIALECTS:
        raise KeyError(dialect)
    return importlib.import_module(f"sqlalchemy.dialects.{dialect}").insert  # type: ignore[no-any-return]


def new_run_id(now: datetime | None = None) -> str:
    """Sortable by start time and short enough to type: 20261124T110355-7f3a (UTC)."""
    return f"{(now or utcnow()):%Y%m%dT%H%M%S}-{secrets.token_hex(2)}"


class Journal:
    """Runs and their host/step results in the store; one journal serves all worker threads."""

    def __init__(
        self, db: Database, *, flush_interval: float = 0.05, max_batch: int = 1000
    ) -> None:
        self.db = db
        self._engine = db.engine
        try:
            self._insert = _dialect_insert(db.dialect_name)
        except KeyError:
            raise StoreError(f"the journal does not support {db.dialect_name} databases") from None
        self._writer: GroupCommitWriter[tuple[str, StepOutcome]] = GroupCommitWriter(
            self._write_results,
            _describe,
            flush_interval=flush_interval,
            max_batch=max_batch,
            name="ispflow-journal",
        )
        self._beats: dict[str, float] = {}  # run id -> monotonic time of its last heartbeat
        self._statements: dict[tuple[Callable[..., str], int], str] = {}

    # -- runs -----------------------------------------------------------------------------
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
        """Record a new run (status `running`, owned by this process); returns its id."""
        now = utcnow()
        row = {
            "runbook": runbook,
            "runbook_path": runbook_path,
            "vars": json_safe(vars),
            "status": "running",
            "dry_run": dry_run,
            "parent_run_id": parent_run_id,
            "options": json_safe(options),
            "hosts": list(hosts),
            "steps": list(steps),
            "pid": os.getpid(),
            "machine": this_machine(),
            "started_at": now,
            "heartbeat_at": now,
        }
        for _ in range(5):
            run_id = new_run_id(now)
            try:
                with self._engine.begin() as conn:
                    conn.execute(insert(runs).values(id=run_id, **row))
                return run_id
            except IntegrityError as exc:
                # Two runs in the same second drew the same suffix; anything else is real.
                if self._exists(run_id):
                    continue
                raise StoreError(f"could not record the run: {exc.orig}") from exc
            except SQLAlchemyError as exc:
                raise StoreError(f"could not record the run: {_cause(exc)}") from exc
        raise StoreError("could not find a free run id")  # pragma: no cover - 5 collisions

    def reopen_run(self, run_id: str) -> RunOutcome:
        """Take over a stopped run for --resume: `running` again, owned by this process."""
        run = self._run_row(run_id)
        if (
            run.status == "running"
            and run.machine == this_machine()
            and run.pid not in (None, os.getpid())
            and process_alive(run.pid, run.heartbeat_at or run.started_at)
        ):
            raise StoreError(
                f"run {run.id} is still running (pid {run.pid} on {run.machine}); "
                "stop it before resuming"
            )
        with _failing_as(f"reopen run {run.id}"), self._engine.begin() as conn:
            conn.execute(
                update(runs)
                .where(runs.c.id == run.id)
                .values(
                    status="running",
                    message=None,
                    finished_at=None,
                    pid=os.getpid(),
                    machine=this_machine(),
                    heartbeat_at=utcnow(),
                )
            )
        return self.load_run(run.id)

    def finish_run(self, run_id: str, status: str, message: str | None = None) -> None:
        """Write what is queued, then the run's final status."""
        if status not in _FINAL_STATUSES:
            raise ValueError(f"a run finishes as one of {sorted(_FINAL_STATUSES)}, not {status!r}")
        now = utcnow()
        try:
            self.flush()
        finally:
            with _failing_as(f"finish run {run_id}"), self._engine.begin() as conn:
                done = conn.execute(
                    update(runs)
                    .where(runs.c.id == run_id)
                    .values(
                        status=status,
                        message=clean_text(message),
                        finished_at=now,
                        heartbeat_at=now,
                    )
                )
            if done.rowcount == 0:
                raise StoreError(f"no run with id {run_id!r}")

    # -- host/step results ----------------------------------------------------------------
    def plan_step(
        self,
        run_id: str,
        step_index: int,
        step_name: str,
        hosts: list[str],
        *,
        rollback: bool = False,
    ) -> None:
        """Mark `step_name` pending for the hosts that have no result for it yet (durable)."""
        if not hosts:
            return
        rows = [plan_params(run_id, host, step_index, step_name, rollback) for host in hosts]
        # Insert-or-ignore: one write statement, and no read first that SQLite would have to
        # upgrade to a write lock while the writer thread holds it.
        with _failing_as(f"plan step {step_index} of run {run_id}"), self.db.writing() as conn:
            for chunk in chunks(rows):
                conn.exec_driver_sql(self._sql(plan_sql, len(chunk)), flat(chunk))

    def record(self, run_id: str, outcome: StepOutcome) -> int:
        """Queue a host/step result (replacing the host's earlier row for that step).

        Returns a ticket for `wait_durable`. Safe to call from any number of threads. The
        outcome is converted by the writer thread, so it must not be changed after this call.
        """
        if outcome.status not in STEP_STATUSES:
            raise ValueError(f"unknown step status {outcome.status!r}")
        return self._writer.submit((run_id, outcome))

    def record_many(self, run_id: str, outcomes: Sequence[StepOutcome]) -> int:
        """Queue several results at once; returns the ticket of the last one."""
        for outcome in outcomes:
            if outcome.status not in STEP_STATUSES:
                raise ValueError(f"unknown step status {outcome.status!r}")
        return self._writer.submit_many([(run_id, outcome) for outcome in outcomes])

    def wait_durable(self, ticket: int) -> None:
        """Block until the result behind `ticket` is committed; StoreError if it was not."""
        self._writer.wait(ticket)

    def flush(self) -> None:
        """Block until every result queued so far is committed."""
        self._writer.flush()

    @property
    def commits(self) -> int:
        """Transactions the writer thread has committed."""
        return self._writer.batches

    @property
    def written(self) -> int:
        """Results the writer thread has committed."""
        return self._writer.items

    def close(self) -> None:
        """Write what is queued and stop the writer thread."""
        self._writer.close()

    def _write_results(self, items: Sequence[tuple[str, StepOutcome]]) -> None:
        # PostgreSQL refuses to update one row twice in a statement; the later result wins.
        latest = {(r, o.host, o.step_index, o.rollback): (r, o) for r, o in items}
        dialect = self.db.dialect_name
        params = [result_params(r, o, dialect) for r, o in latest.values()]
        beats = self._due_heartbeats({run_id for run_id, _ in items})
        with self.db.writing() as conn:
            for chunk in chunks(params):
                conn.exec_driver_sql(self._sql(upsert_sql, len(chunk)), flat(chunk))
            if beats:
                conn.execute(update(runs).where(runs.c.id.in_(beats)).values(heartbeat_at=utcnow()))
        now = time.monotonic()
        self._beats.update(dict.fromkeys(beats, now))

    def _sql(self, build: Callable[[str, int], str], rows: int) -> str:
        key = (build, rows)
        statement = self._statements.get(key)
        if statement is None:
            statement = self._statements[key] = build(self.db.dialect_name, rows)
        return statement

    def _due_heartbeats(self, run_ids: set[str]) -> list[str]:
        now = time.monotonic()
        return sorted(r for r in run_ids if now - self._beats.get(r, 0.0) >= _HEARTBEAT_EVERY_S)

    # -- reading --------------------------------------------------------------------------
    def load_run(self, run_id: str, hosts: Sequence[str] | None = None) -> RunOutcome:
        """A run with all its results (by host, then step), or only those of `hosts` (a
        worker's shard); `run_id` may be a unique prefix."""
        self._flush_pending()
        run = self._run_row(run_id)
        query = select(step_results).where(step_results.c.run_id == run.id)
        if hosts is not None:
            query = query.where(step_results.c.host.in_(list(hosts)))
        with _failing_as(f"read run {run.id}"), self._engine.connect() as conn:
            rows = conn.execute(
                query.order_by(
                    step_results.c.host, step_results.c.step_index, step_results.c.rollback
                )
            ).all()
        return run_from_row(run, _status(run), [outcome_from_row(r) for r in rows])

    def completed_steps(self, run_id: str) -> dict[tuple[str, int], StepOutcome]:
        """(host, step index) -> result, for the steps --resume must not run again."""
        self._flush_pending()
        with _failing_as(f"read run {run_id}"), self._engine.connect() as conn:
            rows = conn.execute(
                select(step_results).where(
                    step_results.c.run_id == run_id,
                    step_results.c.rollback.is_(False),
                    step_results.c.status.in_(sorted(DONE_STATUSES)),
                )
            ).all()
        return {(r.host, r.step_index): outcome_from_row(r) for r in rows}

    def step_counts(self, run_id: str, step_index: int, rollback: bool) -> dict[str, int]:
        """How many hosts have finished one step, by status (a distributed run's progress)."""
        self._flush_pending()
        query = (
            select(step_results.c.status, func.count())
            .where(
                step_results.c.run_id == run_id,
                step_results.c.step_index == step_index,
                step_results.c.rollback.is_(rollback),
                step_results.c.status.in_(sorted(DONE_STATUSES)),
            )
            .group_by(step_results.c.status)
        )
        with _failing_as(f"read run {run_id}"), self._engine.connect() as conn:
            return {status: int(count) for status, count in conn.execute(query)}

    def step_outcomes(
        self, run_id: str, step_index: int, rollback: bool, hosts: Sequence[str]
    ) -> dict[str, StepOutcome]:
        """host -> its finished result of one step (what workers journaled)."""
        self._flush_pending()
        wanted = set(hosts)
        with _failing_as(f"read run {run_id}"), self._engine.connect() as conn:
            rows = conn.execute(
                select(step_results).where(
                    step_results.c.run_id == run_id,
                    step_results.c.step_index == step_index,
                    step_results.c.rollback.is_(rollback),
                    step_results.c.status.in_(sorted(DONE_STATUSES)),
                )
            ).all()
        return {r.host: outcome_from_row(r) for r in rows if r.host in wanted}

    def list_runs(self, limit: int = 20, status: str | None = None) -> list[RunOutcome]:
        """The newest runs first, without their results (see `run_counts`)."""
        query = select(runs).order_by(runs.c.started_at.desc(), runs.c.id.desc())
        if status in ("running", "interrupted"):
            # Which running runs are really interrupted is only known after reading them.
            query = query.where(runs.c.status == "running")
        elif status is not None:
            query = query.where(runs.c.status == status).limit(limit)
        else:
            query = query.limit(limit)
        with _failing_as("list runs"), self._engine.connect() as conn:
            found = [run_from_row(r, _status(r)) for r in conn.execute(query)]
        if status is not None:
            found = [r for r in found if r.status == status]
        return found[:limit]

    def run_counts(self, run_ids: list[str]) -> dict[str, dict[str, int]]:
        """Per run, how many host/step results are in each status."""
        counts: dict[str, dict[str, int]] = {run_id: {} for run_id in run_ids}
        if not run_ids:
            return counts
        query = (
            select(step_results.c.run_id, step_results.c.status, func.count())
            .where(step_results.c.run_id.in_(run_ids))
            .group_by(step_results.c.run_id, step_results.c.status)
        )
        with _failing_as("count run results"), self._engine.connect() as conn:
            for run_id, status, count in conn.execute(query):
                counts[run_id][status] = count
        return counts

    def _run_row(self, run_id: str) -> Row[Any]:
        """The runs row for an id or a unique prefix of one."""
        with _failing_as(f"look up run {run_id!r}"), self._engine.connect() as conn:
            row = conn.execute(select(runs).where(runs.c.id == run_id)).first()
            if row is not None:
                return row
            matches = conn.execute(
                select(runs)
                .where(runs.c.id.startswith(run_id, autoescape=True))
                .order_by(runs.c.id)
                .limit(6)
            ).all()
        if not run_id or not matches:
            raise StoreError(f"no run with id {run_id!r}")
        if len(matches) > 1:
            shown = ", ".join(m.id for m in matches[:5]) + (", …" if len(matches) > 5 else "")
            raise StoreError(f"run id {run_id!r} is ambiguous: {shown}")
        return matches[0]

    def _exists(self, run_id: str) -> bool:
        with _failing_as("record the run"), self._engine.connect() as conn:
            return conn.execute(select(runs.c.id).where(runs.c.id == run_id)).first() is not None

    def _flush_pending(self) -> None:
        # A journal reads its own writes: results still queued are written first. Failures
        # are left for wait_durable/flush to report, where the writing code handles them.
        self._writer.settle()


def _status(run: Row[Any]) -> str:
    pid_seen_at = run.heartbeat_at or run.started_at
    if is_interrupted(run.status, run.pid, run.machine, pid_seen_at):
        return "interrupted"
    return run.status


def _describe(item: tuple[str, StepOutcome]) -> str:
    run_id, outcome = item
    kind = "rollback of step" if outcome.rollback else "step"
    return f"the result of {kind} {outcome.step_index} on {outcome.host} for run {run_id}"


def _cause(exc: SQLAlchemyError) -> object:
    return getattr(exc, "orig", None) or exc


@contextmanager
def _failing_as(what: str) -> Iterator[None]:
    """Database errors become a StoreError that says what was being done."""
    try:
        yield
    except SQLAlchemyError as exc:
        raise StoreError(f"could not {what}: {_cause(exc)}") from exc
