"""Host/step results written with plain DB-API statements (see store/bulk_sql.py for why).

A fleet run writes one row per host per step, tens of thousands per run. These statements are
the same upsert on SQLite and PostgreSQL (both speak ``ON CONFLICT``), JSON as text.
"""

from __future__ import annotations

import json
from typing import Any

from ispflow.core.outcome import StepOutcome
from ispflow.store.bulk_sql import marks, timestamp_param
from ispflow.store.journal_rows import clean_text, json_safe

COLUMNS = (
    "run_id", "host", "step_index", "rollback", "step_name", "status", "changed",
    "result", "error", "attempts", "started_at", "finished_at",
)  # fmt: skip
KEY = ("run_id", "host", "step_index", "rollback")
PLAN_COLUMNS = (
    "run_id",
    "host",
    "step_index",
    "rollback",
    "step_name",
    "status",
    "changed",
    "attempts",
)


def _marks(dialect: str, columns: tuple[str, ...]) -> str:
    return marks(dialect, columns, frozenset({"result"}))


def upsert_sql(dialect: str, rows: int) -> str:
    updates = ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c not in KEY)
    values = ", ".join([f"({_marks(dialect, COLUMNS)})"] * rows)
    return (
        f"INSERT INTO step_results ({', '.join(COLUMNS)}) VALUES {values} "
        f"ON CONFLICT ({', '.join(KEY)}) DO UPDATE SET {updates}"
    )


def plan_sql(dialect: str, rows: int) -> str:
    values = ", ".join([f"({_marks(dialect, PLAN_COLUMNS)})"] * rows)
    return (
        f"INSERT INTO step_results ({', '.join(PLAN_COLUMNS)}) "
        f"VALUES {values} ON CONFLICT ({', '.join(KEY)}) DO NOTHING"
    )


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    try:
        # A cycle ends in RecursionError, and json_safe below breaks it.
        return json.dumps(value, ensure_ascii=False, allow_nan=False, check_circular=False)
    except (TypeError, ValueError, RecursionError):
        return json.dumps(json_safe(value), ensure_ascii=False)


def result_params(run_id: str, outcome: StepOutcome, dialect: str) -> tuple[Any, ...]:
    return (
        run_id,
        outcome.host,
        outcome.step_index,
        bool(outcome.rollback),
        outcome.step_name,
        outcome.status,
        bool(outcome.changed),
        _json_text(outcome.result),
        clean_text(outcome.error),
        int(outcome.attempts),
        timestamp_param(outcome.started_at, dialect),
        timestamp_param(outcome.finished_at, dialect),
    )


def plan_params(
    run_id: str, host: str, step_index: int, step_name: str, rollback: bool
) -> tuple[Any, ...]:
    return (run_id, host, step_index, rollback, step_name, "pending", False, 0)
