"""Each step's results as rows a person reads: the task's view (or the step's `show:`) over
every host's result, the rows worth a look first, bounded unless verbose.

Works on a `RunOutcome` alone (the run keeps each step's task name and `show:` in its
options), so a live run and `ispflow runs show` print the same rows.
"""

from __future__ import annotations

import contextlib
import heapq
from dataclasses import dataclass, field
from typing import Any

from ispflow.core.outcome import RunOutcome, StepOutcome
from ispflow.core.views import Row, TaskView
from ispflow.engine.reports._common import (
    first_line,
    host_names,
    is_loop_entry,
    shorten,
    step_name,
    step_numbers,
)

# Rows (and per-host headlines) printed per step before "… and N more" (verbose: all).
ROWS_SHOWN = 15
HEADLINES_SHOWN = 8
CELL = 48
# An item names a row of the input; a failed item's status carries its reason.
WIDTHS = {"item": 40, "status": 120}
SHOWN_STATUSES = frozenset({"ok", "changed", "failed"})
LOCAL = "local"


@dataclass
class StepView:
    index: int
    number: int
    name: str
    columns: list[str]
    rows: list[dict[str, str]]
    more: int = 0
    headlines: list[str] = field(default_factory=list)


def step_views(run: RunOutcome, *, verbose: bool = False) -> list[StepView]:
    """The views of the run's forward steps that have something to show, in step order."""
    wanted = (run.options or {}).get("views") or {}
    numbers = step_numbers(run)
    order = {name: i for i, name in enumerate(host_names(run))}
    found = []
    for index_text, spec in sorted(wanted.items(), key=lambda item: int(item[0])):
        index = int(index_text)
        view = _view_for(spec)
        if view is None:
            continue
        outcomes = sorted(
            (
                o
                for o in run.outcomes
                if o.step_index == index and not o.rollback and o.status in SHOWN_STATUSES
            ),
            key=lambda o: order.get(o.host, len(order)),
        )
        built = _build(view, outcomes, chosen=bool(spec.get("show")), verbose=verbose)
        if built is None:
            continue
        columns, rows, more, headlines = built
        found.append(
            StepView(
                index=index,
                number=numbers.get(index, index + 1),
                name=step_name(run, index),
                columns=columns,
                rows=rows,
                more=more,
                headlines=headlines,
            )
        )
    return found


def _view_for(spec: Any) -> TaskView | None:
    if not isinstance(spec, dict):
        return None
    from ispflow.tasks.registry import registry

    shown = spec.get("show")
    registered = registry.registered(str(spec.get("task") or ""))
    view = registered.view if registered is not None else None
    if shown:
        columns = tuple(str(c) for c in shown)
        if view is None:
            return TaskView(columns=columns)
        return TaskView(
            columns=columns,
            records=view.records,
            rows=view.rows,
            headline=view.headline,
            order=view.order,
        )
    return view


def _build(
    view: TaskView, outcomes: list[StepOutcome], *, chosen: bool, verbose: bool
) -> tuple[list[str], list[dict[str, str]], int, list[str]] | None:
    # A fleet audit has tens of thousands of rows and shows fifteen: rows stay in their
    # host's list, and only the shown ones get their host column and cells.
    groups: list[tuple[str, list[Row]]] = []
    headlines: list[str] = []
    looped = False
    for outcome in outcomes:
        if outcome.result is None:
            continue
        try:
            if _is_loop(outcome.result):
                looped = True
                groups.append((outcome.host, _item_rows(view, outcome)))
                continue
            found = view.rows_of(outcome.result)
            headline = view.headline_of(outcome.result)
        except Exception as exc:  # a result of another shape (an older run): say so, go on
            headlines.append(_on_host(outcome.host, f"result not shown: {exc}"))
            continue
        groups.append((outcome.host, found))
        if headline:
            headlines.append(_on_host(outcome.host, headline))
    columns = list(view.columns) or list(
        dict.fromkeys(k for _, rows in groups for row in rows for k in row)
    )
    columns = [c for c in columns if c != "host"]
    if not chosen:
        filled = _filled_columns(columns, groups)
        columns = [c for c in columns if c in filled]
    if looped:
        columns = ["item", "status", *(c for c in columns if c not in ("item", "status"))]
    if not columns:
        groups = []
    total = sum(len(rows) for _, rows in groups)
    if any(row.get("host", host) != LOCAL for host, rows in groups for row in rows):
        columns = ["host", *(c for c in columns if c != "host")]
    if not total and not headlines:
        return None
    if not verbose and len(headlines) > HEADLINES_SHOWN:
        more_hosts = len(headlines) - HEADLINES_SHOWN
        headlines = [*headlines[:HEADLINES_SHOWN], f"… and {more_hosts:,} more hosts"]
    shown = _first_rows(view, groups, None if verbose else ROWS_SHOWN)
    cells = [
        {
            c: _cell(row.get(c, host) if c == "host" else row.get(c), WIDTHS.get(c, CELL))
            for c in columns
        }
        for host, row in shown
    ]
    return columns, cells, total - len(shown), headlines


def _filled_columns(columns: list[str], groups: list[tuple[str, list[Row]]]) -> set[str]:
    """The columns some row has a value in; each row is asked only about those not yet seen
    filled, so a column empty everywhere costs a set operation per row."""
    unseen = set(columns)
    filled: set[str] = set()
    for _, rows in groups:
        for row in rows:
            for column in unseen.intersection(row):
                if _filled(row[column]):
                    filled.add(column)
            unseen -= filled
            if not unseen:
                return filled
    return filled


def _first_rows(
    view: TaskView, groups: list[tuple[str, list[Row]]], count: int | None
) -> list[tuple[str, Row]]:
    """(host, row) in the view's order (all, or the first `count`: the same ones, in the
    same order, as a stable sort of every row would put first); rows of another shape (an
    older run's) keep their order. The first `count` are taken from each host's rows, then
    from those: the order is asked of each row once, without a pair made for each."""
    order = view.order
    if order is not None:
        with contextlib.suppress(TypeError, ValueError, KeyError):
            if count is None:
                pairs = [(host, row) for host, rows in groups for row in rows]
                return sorted(pairs, key=lambda pair: order(pair[1]))
            firsts = [
                (host, row) for host, rows in groups for row in heapq.nsmallest(count, rows, order)
            ]
            return heapq.nsmallest(count, firsts, key=lambda pair: order(pair[1]))
    pairs = []
    for host, rows in groups:
        for row in rows:
            if count is not None and len(pairs) >= count:
                return pairs
            pairs.append((host, row))
    return pairs


def _is_loop(result: Any) -> bool:
    return isinstance(result, list) and bool(result) and all(is_loop_entry(e) for e in result)


def _item_rows(view: TaskView, outcome: StepOutcome) -> list[Row]:
    """A looped step: one row per item (more when an item's result has several), with the
    item's status and, for a failure, its reason."""
    rows: list[Row] = []
    for entry in outcome.result:
        status = str(entry.get("status"))
        if status == "failed":
            status = f"failed: {first_line(entry.get('error')) or 'no reason given'}"
        elif entry.get("restored"):
            status = f"{status} (earlier run)"
        inner = entry.get("result")
        found = view.rows_of(inner) if inner is not None else []
        base = {"host": outcome.host, "item": _item_label(entry.get("item")), "status": status}
        rows.extend({**row, **base} for row in found or [{}])
    return rows


def _item_label(item: Any) -> str:
    if isinstance(item, dict):
        return " ".join(str(v) for v in item.values() if _filled(v))
    return str(item)


def _on_host(host: str, text: str) -> str:
    return text if host == LOCAL else f"{host}: {text}"


def _filled(value: Any) -> bool:
    return value not in (None, "", [], {})


def _cell(value: Any, width: int) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(value)
    if isinstance(value, list | tuple):
        return shorten(", ".join(_cell(v, width) for v in value) or "—", width)
    if isinstance(value, dict):
        return shorten(" ".join(f"{k}={_cell(v, width)}" for k, v in value.items()), width)
    return shorten(first_line(str(value)) or "—", width)
