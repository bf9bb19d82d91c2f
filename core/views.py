"""What a person should see of a task's result: rows of named columns.

A task declares its view next to its code (``@task(..., view=TaskView(...))``); the text report
prints those rows per step, the worst first where the view says what worst is. The result
itself stays whole for JSON, `register` and the store: a view only chooses what to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Row = dict[str, Any]


def records(value: Any) -> list[Row]:
    """The rows a result holds as it is: a list of records, or one record."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list):
        return [row for row in value if isinstance(row, dict)]
    return []


@dataclass(frozen=True)
class TaskView:
    """`columns` shown by default, in order (none: every key of the rows, as they come).
    The rows come from `rows(result)`, else from the result's `records` key, else from the
    result itself. `headline(result)` is one line above the rows (what the rows do not say:
    counts, orders opened); `order` sorts rows so the first ones shown are the ones to look
    at."""

    columns: tuple[str, ...]
    records: str | None = None
    rows: Callable[[Any], list[Row]] | None = None
    headline: Callable[[Any], str | None] | None = None
    order: Callable[[Row], Any] | None = None

    def rows_of(self, result: Any) -> list[Row]:
        if self.rows is not None:
            return self.rows(result)
        if self.records is not None:
            return records(result.get(self.records)) if isinstance(result, dict) else []
        return records(result)

    def headline_of(self, result: Any) -> str | None:
        if self.headline is None:
            return None
        return self.headline(result)


def rank(order: tuple[str, ...]) -> Callable[[Any], int]:
    """A sort key putting the values of `order` first, in that order, and the rest after."""
    place = {value: index for index, value in enumerate(order)}
    return lambda value: place.get(value, len(order))


def plural(count: int, one: str, many: str | None = None) -> str:
    return f"{count:,} {one if count == 1 else (many or one + 's')}"


def grouped(*keys: str, column: str = "status") -> Callable[[Any], list[Row]]:
    """Rows of a result that sorts its records into lists by outcome (`{"installed": [...],
    "failed": [...]}`), each row saying in `column` which list it came from; a list of
    plain values gives one row per value."""

    def rows(result: Any) -> list[Row]:
        if not isinstance(result, dict):
            return []
        found: list[Row] = []
        for key in keys:
            value = result.get(key)
            if not isinstance(value, list):
                continue
            for entry in value:
                row = entry if isinstance(entry, dict) else {"value": entry}
                found.append({**row, column: key})
        return found

    return rows


def counted(*keys: str) -> Callable[[Any], str | None]:
    """A headline counting the lists of a result: '2 installed · 1 failed · 6 unmatched'."""

    def headline(result: Any) -> str | None:
        if not isinstance(result, dict):
            return None
        parts = [
            f"{len(result[key]):,} {key.replace('_', ' ')}"
            for key in keys
            if isinstance(result.get(key), list) and result[key]
        ]
        return " · ".join(parts) or None

    return headline


def unwrapped(*keys: str) -> Callable[[Any], list[Row]]:
    """Rows of a result that a dry run wraps (`{"would_link": {...}}`): the wrapped record,
    else the result itself."""

    def rows(result: Any) -> list[Row]:
        if isinstance(result, dict):
            for key in keys:
                if key in result:
                    return records(result[key])
        return records(result)

    return rows


def sizes(*labels: tuple[str, str, str]) -> Callable[[Any], str | None]:
    """A headline of the result's numbers and list sizes, by (key, one, many): e.g.
    '64 ONUs on the device · 4 PONs read · 1 finding'. Keys the result lacks are left out."""

    def headline(result: Any) -> str | None:
        if not isinstance(result, dict):
            return None
        parts = []
        for key, one, many in labels:
            value = result.get(key)
            if isinstance(value, list | dict):
                value = len(value)
            if isinstance(value, int) and not isinstance(value, bool):
                parts.append(plural(value, one, many))
        return " · ".join(parts) or None

    return headline
