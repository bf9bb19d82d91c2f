"""A run's reading batches name the step that read them.

With the step known, a prune that drops a run's raw readings also drops that step's results
from the run journal (they are the same readings; the roll-ups keep the signal). A batch
already stored gets the step of its run that read signal (`onu.optical`, as the run's
recorded views name tasks) on its OLT: the one such step that ran there. A batch where that
is not one step stays without a step, and its run keeps those results.

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | Sequence[str] | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READING_TASK = "onu.optical"
CHUNK = 500

runs = sa.table("runs", sa.column("id", sa.String), sa.column("options", sa.JSON))
batches = sa.table(
    "reading_batches",
    sa.column("run_id", sa.String),
    sa.column("olt", sa.String),
    sa.column("step_index", sa.Integer),
)
results = sa.table(
    "step_results",
    sa.column("run_id", sa.String),
    sa.column("host", sa.String),
    sa.column("step_index", sa.Integer),
    sa.column("status", sa.String),
)


def upgrade() -> None:
    op.add_column("reading_batches", sa.Column("step_index", sa.Integer(), nullable=True))
    bind = op.get_bind()
    run_ids = sorted(bind.execute(sa.select(batches.c.run_id).distinct()).scalars())
    for start in range(0, len(run_ids), CHUNK):
        chunk = run_ids[start : start + CHUNK]
        steps = {
            run_id: reading_steps(options)
            for run_id, options in bind.execute(
                sa.select(runs.c.id, runs.c.options).where(runs.c.id.in_(chunk))
            )
        }
        ran: dict[tuple[str, str], set[int]] = defaultdict(set)
        for run_id, host, index in bind.execute(
            sa.select(results.c.run_id, results.c.host, results.c.step_index).where(
                results.c.run_id.in_(chunk), results.c.status != "skipped"
            )
        ):
            if index in steps.get(run_id, ()):
                ran[(run_id, host)].add(index)
        hosts: dict[tuple[str, int], list[str]] = defaultdict(list)
        for (run_id, host), indexes in ran.items():
            if len(indexes) == 1:
                hosts[(run_id, indexes.pop())].append(host)
        for (run_id, index), olts in hosts.items():
            bind.execute(
                batches.update()
                .where(batches.c.run_id == run_id, batches.c.olt.in_(olts))
                .values(step_index=index)
            )


def reading_steps(options: Any) -> set[int]:
    """The indexes of a run's steps whose task read signal, from its recorded views."""
    views = options.get("views") if isinstance(options, dict) else None
    if not isinstance(views, dict):
        return set()
    return {
        int(index)
        for index, view in views.items()
        if str(index).isdigit() and isinstance(view, dict) and view.get("task") == READING_TASK
    }


def downgrade() -> None:
    with op.batch_alter_table("reading_batches") as batch:
        batch.drop_column("step_index")
