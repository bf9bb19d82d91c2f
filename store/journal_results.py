"""A run's read results leave the journal when its raw readings leave the history.

The step that reads an OLT's signal keeps every reading in two places: the signal history
(`optical_readings`) and the step's result in the run journal (`step_results.result`, for
the run's report and `runs show`). A fleet audit every 15 minutes puts megabytes of results
in the journal per run; kept forever, the journal would outgrow the history it duplicates.
So when a prune drops raw readings, the results of the steps that stored them (found through
their batches, which name run, OLT and step) go too, in the same transaction. The run and
each host's status, error and times stay, and the run's options record when
(`RESULTS_DROPPED`), so its report says why it shows no readings. Results of steps that
stored nothing in the history (changes, a read with `store: false`) stay.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, func, null, select

from ispflow.core.outcome import RESULTS_DROPPED
from ispflow.store.schema import reading_batches, runs, step_results

_CHUNK = 500

b = reading_batches.c
s = step_results.c


def _stored_before(bound: datetime, run_ids: list[str]) -> Any:
    """Step results of these runs whose readings were all stored before `bound` (none at or
    after it: a resumed run may have read the OLT again later)."""

    def batch_of_step(*when: Any) -> Any:
        return exists().where(
            b.run_id == s.run_id, b.olt == s.host, b.step_index == s.step_index, *when
        )

    return and_(
        s.run_id.in_(run_ids),
        s.result.is_not(None),
        batch_of_step(b.read_at < bound),
        ~batch_of_step(b.read_at >= bound),
    )


def _runs_before(conn: Connection, bound: datetime) -> Iterator[list[str]]:
    """The runs with batches stored before `bound`, a chunk at a time. Batches leave with
    their readings, so these are the few days the prune is about to drop, not the journal's
    whole past (the step results are looked at through these runs only)."""
    run_ids = sorted(conn.execute(select(b.run_id).where(b.read_at < bound).distinct()).scalars())
    for start in range(0, len(run_ids), _CHUNK):
        yield run_ids[start : start + _CHUNK]


def count_before(conn: Connection, bound: datetime) -> int:
    """How many step results `drop_before(bound)` would drop."""
    return sum(
        conn.execute(select(func.count()).where(_stored_before(bound, chunk))).scalar() or 0
        for chunk in _runs_before(conn, bound)
    )


def drop_before(conn: Connection, bound: datetime, *, now: datetime | None = None) -> int:
    """In the caller's transaction: drop the results of the steps whose readings were all
    stored before `bound`, and mark their runs. Returns how many step results it dropped."""
    when = (now or datetime.now(UTC)).astimezone(UTC)
    mark = {"at": when.isoformat(), "before": bound.astimezone(UTC).isoformat()}
    dropped = 0
    for chunk in _runs_before(conn, bound):
        doomed = _stored_before(bound, chunk)
        hit = sorted(set(conn.execute(select(s.run_id).where(doomed)).scalars()))
        if not hit:
            continue
        dropped += conn.execute(step_results.update().where(doomed).values(result=null())).rowcount
        for run_id, options in conn.execute(
            select(runs.c.id, runs.c.options).where(runs.c.id.in_(hit))
        ).all():
            recorded = dict(options) if isinstance(options, dict) else {}
            recorded[RESULTS_DROPPED] = mark
            conn.execute(runs.update().where(runs.c.id == run_id).values(options=recorded))
    return dropped
