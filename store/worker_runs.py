"""What a worker of a distributed run takes from the store, not from the broker's message.

The coordinator records here, in the run's `runs` row, everything its workers need: the
runbook as they find it (a shipped runbook's name, else its path) and the SHA-256 of the
file, the vars (secret ones sealed, see `sealed_vars`) and the options a shard runs with.
A task message then only says "shard N of run R is ready": whoever can write to the broker
can at most ask for work the store already holds.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from sqlalchemy import select, update

from ispflow.store.db import Database
from ispflow.store.errors import StoreError
from ispflow.store.journal_rows import json_safe
from ispflow.store.schema import runs
from ispflow.store.sealed_vars import seal, unseal

# The options a shard runs with, kept among the run's options.
SHARD_OPTIONS = ("dry_run", "workers", "max_connecting", "connect_rate")
# The runbook as a worker finds it, kept among the run's options.
RUNBOOK_REF = "runbook_ref"


@dataclasses.dataclass(frozen=True)
class WorkerRun:
    """A run as its workers run it: `vars` with the secret ones unsealed."""

    run_id: str
    status: str
    runbook: str
    runbook_sha256: str
    vars: dict[str, Any]
    secret_names: frozenset[str]
    options: dict[str, Any]


def record(
    db: Database,
    run_id: str,
    *,
    runbook: str,
    runbook_sha256: str,
    vars: dict[str, Any],
    secrets: dict[str, Any],
    options: dict[str, Any],
) -> None:
    """Keep with run `run_id` what its workers run: `vars` as shown (secrets masked),
    `secrets` the secret ones' values (sealed), `options` those of `SHARD_OPTIONS`. A
    resumed run records again what it resumes with."""
    unknown = sorted(set(options) - set(SHARD_OPTIONS))
    if unknown:
        raise ValueError(f"not an option a shard runs with: {', '.join(unknown)}")
    with db.writing() as conn:
        row = conn.execute(select(runs.c.options).where(runs.c.id == run_id)).first()
        if row is None:
            raise StoreError(f"no run with id {run_id!r}")
        kept = dict(row.options or {}) | json_safe(options) | {RUNBOOK_REF: runbook}
        conn.execute(
            update(runs)
            .where(runs.c.id == run_id)
            .values(
                vars=json_safe(vars),
                options=kept,
                runbook_sha256=runbook_sha256,
                sealed_vars=seal(run_id, json_safe(secrets)) if secrets else None,
            )
        )


def load(db: Database, run_id: str) -> WorkerRun:
    """Run `run_id` as recorded for its workers; StoreError when it is not in the store,
    was not recorded for workers, or its secret vars do not open on this machine."""
    with db.engine.connect() as conn:
        row = conn.execute(
            select(
                runs.c.status,
                runs.c.dry_run,
                runs.c.vars,
                runs.c.options,
                runs.c.runbook_sha256,
                runs.c.sealed_vars,
            ).where(runs.c.id == run_id)
        ).first()
    if row is None:
        raise StoreError(f"no run with id {run_id!r}")
    options = dict(row.options or {})
    if not row.runbook_sha256 or not options.get(RUNBOOK_REF):
        raise StoreError(
            f"run {run_id} has no runbook recorded for workers (started by an older "
            "ispflow?): start it again"
        )
    values = dict(row.vars or {})
    secrets = unseal(run_id, row.sealed_vars) if row.sealed_vars else {}
    return WorkerRun(
        run_id=run_id,
        status=row.status,
        runbook=str(options[RUNBOOK_REF]),
        runbook_sha256=row.runbook_sha256,
        vars=values | secrets,
        secret_names=frozenset(secrets),
        # The column is the run's word on a dry run; the options only repeat it.
        options={key: options.get(key) for key in SHARD_OPTIONS} | {"dry_run": row.dry_run},
    )
