"""Shards of a distributed run: the part of a step one worker runs, leased like a schedule.

The process that runs the runbook (the coordinator) plans a step's shards here and sends one
Celery task per shard; a worker claims its shard with a lease it keeps renewing, runs the
step for the shard's hosts and marks it done. A shard whose lease lapses (its worker died)
is sent again by the coordinator; a second copy of a message (the broker redelivering it)
finds the shard claimed or done and does nothing. Which host/steps are already done is the
journal's business: a shard run again skips them.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.exc import IntegrityError

from ispflow.store.columns import utcnow
from ispflow.store.db import Database
from ispflow.store.schema import run_shards


@dataclasses.dataclass(frozen=True)
class Shard:
    id: int
    run_id: str
    step_index: int
    rollback: bool
    name: str
    queue: str
    hosts: tuple[str, ...]
    status: str
    attempts: int
    worker: str | None
    lease_until: datetime | None
    error: str | None
    history: tuple[dict[str, Any], ...] = ()


def _shard(row: Any) -> Shard:
    return Shard(
        id=row.id,
        run_id=row.run_id,
        step_index=row.step_index,
        rollback=bool(row.rollback),
        name=row.shard,
        queue=row.queue,
        hosts=tuple(row.hosts),
        status=row.status,
        attempts=row.attempts,
        worker=row.worker,
        lease_until=row.lease_until,
        error=row.error,
        history=tuple(row.history or ()),
    )


def _of_step(run_id: str, step_index: int, rollback: bool) -> Any:
    return and_(
        run_shards.c.run_id == run_id,
        run_shards.c.step_index == step_index,
        run_shards.c.rollback.is_(rollback),
    )


def plan(
    db: Database,
    run_id: str,
    step_index: int,
    rollback: bool,
    parts: list[tuple[str, str, list[str]]],
) -> list[Shard]:
    """The step's shards, (name, queue, hosts) each: new ones inserted, those of an earlier
    attempt at the same run (a resume) kept, with their hosts brought up to date."""
    where = _of_step(run_id, step_index, rollback)
    with db.writing() as conn:
        known = {r.shard: r for r in conn.execute(select(run_shards).where(where))}
        for name, queue, hosts in parts:
            if name in known:
                row = known[name]
                values: dict[str, Any] = {"hosts": list(hosts), "queue": queue}
                if row.status != "done" or set(hosts) - set(row.hosts):
                    values |= {"status": "queued", "worker": None, "lease_until": None}
                conn.execute(update(run_shards).where(run_shards.c.id == row.id).values(**values))
                continue
            try:
                with conn.begin_nested():
                    conn.execute(
                        run_shards.insert().values(
                            run_id=run_id,
                            step_index=step_index,
                            rollback=rollback,
                            shard=name,
                            queue=queue,
                            hosts=list(hosts),
                            history=[],
                        )
                    )
            except IntegrityError:
                pass  # planned at the same moment by a resumed coordinator: theirs stands
    return of_step(db, run_id, step_index, rollback)


def of_step(db: Database, run_id: str, step_index: int, rollback: bool) -> list[Shard]:
    query = (
        select(run_shards).where(_of_step(run_id, step_index, rollback)).order_by(run_shards.c.id)
    )
    with db.engine.connect() as conn:
        return [_shard(r) for r in conn.execute(query)]


def get(db: Database, shard_id: int) -> Shard | None:
    with db.engine.connect() as conn:
        row = conn.execute(select(run_shards).where(run_shards.c.id == shard_id)).first()
    return _shard(row) if row else None


def claim(db: Database, shard_id: int, worker: str, lease: float) -> bool:
    """Take a shard to run it: queued, or running under a lease that lapsed. One taker wins."""
    now = utcnow()
    with db.writing() as conn:
        done = conn.execute(
            update(run_shards)
            .where(
                run_shards.c.id == shard_id,
                or_(
                    run_shards.c.status == "queued",
                    and_(run_shards.c.status == "running", run_shards.c.lease_until < now),
                ),
            )
            .values(
                status="running",
                worker=worker,
                lease_until=now + timedelta(seconds=lease),
                attempts=run_shards.c.attempts + 1,
                updated_at=now,
            )
        )
    return done.rowcount == 1


def renew(db: Database, shard_id: int, worker: str, lease: float) -> bool:
    """Keep the lease; False when the shard is no longer this worker's."""
    now = utcnow()
    with db.writing() as conn:
        done = conn.execute(
            update(run_shards)
            .where(
                run_shards.c.id == shard_id,
                run_shards.c.worker == worker,
                run_shards.c.status == "running",
            )
            .values(lease_until=now + timedelta(seconds=lease), updated_at=now)
        )
    return done.rowcount == 1


def finish(
    db: Database,
    shard_id: int,
    worker: str,
    error: str | None = None,
    attempt: dict[str, Any] | None = None,
) -> bool:
    """Mark the shard done (its hosts' results are in the journal) or failed as a whole,
    keeping what this attempt did (`attempt`: hosts run, hosts already done) in its history."""
    with db.writing() as conn:
        row = conn.execute(
            select(run_shards.c.history).where(
                run_shards.c.id == shard_id, run_shards.c.worker == worker
            )
        ).first()
        if row is None:
            return False
        history = [*(row.history or []), {"worker": worker, **(attempt or {})}]
        done = conn.execute(
            update(run_shards)
            .where(run_shards.c.id == shard_id, run_shards.c.worker == worker)
            .values(
                status="failed" if error else "done",
                error=error,
                lease_until=None,
                history=history,
                updated_at=utcnow(),
            )
        )
    return done.rowcount == 1


def requeue_lapsed(db: Database, shard_id: int) -> bool:
    """A running shard whose worker stopped renewing: queued again, to be sent again. Its
    history keeps the lost attempt, so who was there is not forgotten with the claim."""
    now = utcnow()
    lapsed = and_(
        run_shards.c.id == shard_id,
        run_shards.c.status == "running",
        run_shards.c.lease_until < now,
    )
    with db.writing() as conn:
        row = conn.execute(select(run_shards.c.worker, run_shards.c.history).where(lapsed)).first()
        if row is None:
            return False
        history = [*(row.history or []), {"worker": row.worker, "lapsed": True}]
        done = conn.execute(
            update(run_shards)
            # The same claim still: a worker that took it over meanwhile keeps it.
            .where(lapsed, run_shards.c.worker == row.worker)
            .values(status="queued", worker=None, lease_until=None, history=history, updated_at=now)
        )
    return done.rowcount == 1


def cancel(db: Database, run_id: str, step_index: int, rollback: bool, reason: str) -> int:
    """Shards not yet taken are given up (a coordinator that stopped waiting): a worker that
    gets their message later finds nothing to do."""
    with db.writing() as conn:
        done = conn.execute(
            update(run_shards)
            .where(_of_step(run_id, step_index, rollback), run_shards.c.status == "queued")
            .values(status="failed", error=reason[:2000], updated_at=utcnow())
        )
    return done.rowcount


def workers_by_queue(db: Database, run_id: str) -> dict[str, list[str]]:
    """Every worker that claimed a shard in this run, by the shard's queue (holding it now,
    or named in its history, lapsed attempts too): who was there, whatever became of the
    messages."""
    query = select(run_shards.c.queue, run_shards.c.worker, run_shards.c.history).where(
        run_shards.c.run_id == run_id
    )
    seen: dict[str, set[str]] = {}
    with db.engine.connect() as conn:
        for row in conn.execute(query):
            workers = seen.setdefault(row.queue, set())
            workers.update(a["worker"] for a in row.history or () if a.get("worker"))
            if row.worker:
                workers.add(row.worker)
    return {queue: sorted(workers) for queue, workers in seen.items() if workers}
