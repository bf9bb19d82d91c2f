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

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, exists, func, null, select

from ispflow.core.outcome import RESULTS_DROPPED
from ispflow.store.schema import reading_batches, runs, step_results

_CHUNK = 500

b = reading_batches.c
s = step_results.c


def _stored_before(bound: datetime) -> Any:
    """Step results whose readings were all stored before `bound` (none at or after it: a
    resumed run may have read the OLT again later)."""

    def batch_of_step(*when: Any) -> Any:
        return exists().where(
            b.run_id == s.run_id, b.olt == s.host, b.step_index == s.step_index, *when
        )

    return and_(
        s.result.is_not(None), batch_of_step(b.read_at < bound), ~batch_of_step(b.read_at >= bound)
    )


def count_before(conn: Connection, bound: datetime) -> int:
    """How many step results `drop_before(bound)` would drop."""
    return conn.execute(select(func.count()).where(_stored_before(bound))).scalar() or 0


def drop_before(conn: Connection, bound: datetime, *, now: datetime | None = None) -> int:
    """In the caller's transaction: drop the results of the steps whose readings were all
    stored before `bound`, and mark their runs. Returns how many step results it dropped."""
    doomed = _stored_before(bound)
    run_ids = sorted(set(conn.execute(select(s.run_id).where(doomed)).scalars()))
    if not run_ids:
        return 0
    dropped = conn.execute(step_results.update().where(doomed).values(result=null())).rowcount
    when = (now or datetime.now(UTC)).astimezone(UTC)
    mark = {"at": when.isoformat(), "before": bound.astimezone(UTC).isoformat()}
    for start in range(0, len(run_ids), _CHUNK):
        chunk = run_ids[start : start + _CHUNK]
        for run_id, options in conn.execute(
            select(runs.c.id, runs.c.options).where(runs.c.id.in_(chunk))
        ).all():
            recorded = dict(options) if isinstance(options, dict) else {}
            recorded[RESULTS_DROPPED] = mark
            conn.execute(runs.update().where(runs.c.id == run_id).values(options=recorded))
    return dropped
