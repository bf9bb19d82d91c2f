"""Converting between run records (`engine.outcome`) and rows of `runs` / `step_results`."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from ispflow.core.jsonsafe import jsonable
from ispflow.core.outcome import RunOutcome, StepOutcome


def json_safe(value: Any) -> Any:
    """`value` if it can be stored as JSON as it is, else a copy with the offending parts
    replaced by their repr() (NaN, cycles, unknown objects, unencodable text)."""
    try:
        json.dumps(value, ensure_ascii=False, allow_nan=False).encode("utf-8")
    except (TypeError, ValueError, RecursionError):
        return _safe(value, set())
    return value


def clean_text(value: str | None) -> str | None:
    """Text a database column accepts: no NUL characters, no lone surrogates."""
    if value is None:
        return None
    return _encodable(value.replace("\x00", "\\x00"))


def _encodable(text: str) -> str:
    # JSON strings may hold NUL (as \u0000); lone surrogates cannot reach any database.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def _safe(value: Any, active: set[int]) -> Any:
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else repr(value)
    if isinstance(value, str):
        return _encodable(value)
    if isinstance(value, Mapping | list | tuple | set | frozenset):
        if id(value) in active:
            return "<cycle>"
        active.add(id(value))
        try:
            if isinstance(value, Mapping):
                return {_encodable(str(k)): _safe(v, active) for k, v in value.items()}
            return [_safe(v, active) for v in value]
        finally:
            active.discard(id(value))
    try:
        converted = jsonable(value)  # dates, decimals, enums, addresses, to_dict(); else repr()
    except RecursionError:
        return f"<{type(value).__name__}>"
    return _encodable(converted) if isinstance(converted, str) else _safe(converted, active)


def outcome_from_row(row: Any) -> StepOutcome:
    return StepOutcome(
        host=row.host,
        step_index=row.step_index,
        step_name=row.step_name,
        status=row.status,
        changed=row.changed,
        result=row.result,
        error=row.error,
        started_at=row.started_at,
        finished_at=row.finished_at,
        attempts=row.attempts,
        rollback=row.rollback,
    )


def run_from_row(row: Any, status: str, outcomes: list[StepOutcome] | None = None) -> RunOutcome:
    return RunOutcome(
        run_id=row.id,
        runbook=row.runbook,
        runbook_path=row.runbook_path,
        vars=row.vars,
        status=status,  # type: ignore[arg-type]
        started_at=row.started_at,
        finished_at=row.finished_at,
        hosts=list(row.hosts),
        steps=list(row.steps),
        outcomes=outcomes or [],
        dry_run=row.dry_run,
        parent_run_id=row.parent_run_id,
        message=row.message,
        options=row.options,
    )
