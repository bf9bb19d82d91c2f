"""Host/step results written with plain DB-API statements.

A fleet run writes one row per host per step, tens of thousands per run; going through
SQLAlchemy's per-value type processing cost more than the engine's whole per-host budget.
These statements are the same upsert on SQLite and PostgreSQL (both speak ``ON CONFLICT``),
with parameters already in the form each driver stores: text timestamps in UTC for SQLite
(SQLAlchemy's own storage format, so reads through the schema see the same values), aware
datetimes for PostgreSQL, JSON as text.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from engine.outcome import StepOutcome
from store.journal_rows import clean_text, json_safe

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
    mark = "?" if dialect == "sqlite" else "%s"
    return ", ".join(
        f"{mark}::json" if c == "result" and dialect != "sqlite" else mark for c in columns
    )


# Rows per statement: one multi-row VALUES statement is one round into the database
# library, where an executemany is one per row (and, for SQLite, one GIL hand-over per row,
# which under 20 busy worker threads is what costs most). 400 x 12 parameters stays under
# every driver's limit.
ROWS_PER_STATEMENT = 400


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


def chunks(rows: list[tuple[Any, ...]]) -> list[list[tuple[Any, ...]]]:
    return [rows[i : i + ROWS_PER_STATEMENT] for i in range(0, len(rows), ROWS_PER_STATEMENT)]


def flat(rows: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    return tuple(value for row in rows for value in row)


def _timestamp(value: datetime | None, dialect: str) -> Any:
    if value is None:
        return None
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if dialect == "sqlite":
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return value


def _json_text(value: Any) -> str | None:
    if value is None:
        return None
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
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
        _timestamp(outcome.started_at, dialect),
        _timestamp(outcome.finished_at, dialect),
    )


def plan_params(
    run_id: str, host: str, step_index: int, step_name: str, rollback: bool
) -> tuple[Any, ...]:
    return (run_id, host, step_index, rollback, step_name, "pending", False, 0)
