"""Helpers shared by the report formats: JSON-safe values, durations, step keys."""

from __future__ import annotations

import json
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from ispflow.core.outcome import RunOutcome, StepOutcome

STATUSES: tuple[str, ...] = ("ok", "changed", "failed", "skipped", "aborted", "pending")

# Deep enough for any real device output; stops pathological nesting before RecursionError.
_MAX_DEPTH = 100


def plain(value: Any) -> Any:
    """`value` as nested dict/list/str/int/float/bool/None that json.dumps always accepts.

    Results come from task plugins and journals we do not control, so anything odd (non-str
    keys, NaN, cycles, objects whose __str__ raises) degrades to text instead of failing the
    whole report.
    """
    return _plain(value, set(), 0)


def _plain(value: Any, active: set[int], depth: int) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if depth >= _MAX_DEPTH:
        return "…"
    if isinstance(value, dict | list | tuple | set | frozenset):
        marker = id(value)
        if marker in active:
            return "<cycle>"
        active.add(marker)
        try:
            if isinstance(value, dict):
                return {_text(k): _plain(v, active, depth + 1) for k, v in value.items()}
            items = value if isinstance(value, list | tuple) else _sorted(value)
            return [_plain(v, active, depth + 1) for v in items]
        finally:
            active.discard(marker)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return _text(value)


def _sorted(values: Iterable[Any]) -> list[Any]:
    try:
        return sorted(values)
    except TypeError:
        return list(values)


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return str(value)
    except Exception:
        try:
            return repr(value)
        except Exception:
            return f"<unprintable {type(value).__name__}>"


def dumps(value: Any, *, indent: int | None = 2) -> str:
    """JSON text of any value; never raises."""
    return json.dumps(plain(value), indent=indent, ensure_ascii=False, allow_nan=False)


def first_line(text: str | None) -> str:
    if not text:
        return ""
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def human_duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 0:
        seconds = 0.0
    if seconds < 10:
        return f"{seconds:.2f}s"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def dropped_note(run: RunOutcome) -> str | None:
    """Why a run shows no readings, if a prune dropped them from its record."""
    dropped = run.results_dropped()
    if not dropped:
        return None
    at, before = dropped
    return (
        f"Readings stored before {before} have left the history's raw window: the results of "
        f"the steps that read them were dropped from this run's record on {at}. Their signal "
        "is kept in the hourly and daily roll-ups (ispflow contract show, ispflow report)."
    )


def run_duration(run: RunOutcome) -> float | None:
    if run.finished_at is None:
        return None
    try:
        return (run.finished_at - run.started_at).total_seconds()
    except TypeError:
        # One naive and one aware datetime (e.g. a journal read back without tz).
        return None


def when(value: datetime | None) -> str:
    if value is None:
        return "—"
    text = value.strftime("%Y-%m-%d %H:%M:%S")
    if value.tzinfo is not None:
        text += " UTC" if value.utcoffset() == timedelta(0) else value.strftime(" %z")
    return text


@dataclass(frozen=True, order=True)
class StepKey:
    """One column of the host × step grid; rollback steps sort after the forward steps."""

    rollback: bool
    index: int
    name: str

    @property
    def label(self) -> str:
        return f"rollback: {self.name}" if self.rollback else self.name


def step_key(outcome: StepOutcome) -> StepKey:
    return StepKey(outcome.rollback, outcome.step_index, outcome.step_name)


def step_keys(run: RunOutcome) -> list[StepKey]:
    return sorted({step_key(o) for o in run.outcomes})


def step_numbers(run: RunOutcome) -> dict[int, int]:
    """Each forward step's number as a person counts them (1, 2, 3 … in the runbook's
    order); step indexes skip the numbers their rollback steps took."""
    indexes = (run.options or {}).get("step_indexes")
    if not isinstance(indexes, list):  # a run recorded before the indexes were kept
        indexes = sorted({o.step_index for o in run.outcomes if not o.rollback})
    return {int(index): number for number, index in enumerate(indexes, start=1)}


def step_name(run: RunOutcome, index: int) -> str:
    for outcome in run.outcomes:
        if outcome.step_index == index and not outcome.rollback:
            return outcome.step_name
    number = step_numbers(run).get(index)
    if number is not None and number <= len(run.steps):
        return run.steps[number - 1]
    return f"step {index}"


def host_names(run: RunOutcome) -> list[str]:
    """The run's hosts in inventory order, plus any that only appear in outcomes."""
    names = dict.fromkeys(run.hosts)
    for outcome in run.outcomes:
        names.setdefault(outcome.host, None)
    return list(names)


def count(outcomes: Iterable[StepOutcome]) -> dict[str, int]:
    counts = dict.fromkeys(STATUSES, 0)
    for outcome in outcomes:
        counts[outcome.status] = counts.get(outcome.status, 0) + 1
    return counts


@dataclass
class Tally:
    """A step's result records counted by one key's value, over all hosts and per host."""

    step_index: int
    step_name: str
    key: str
    total: dict[str, int]
    per_host: dict[str, dict[str, int]]
    # Hosts the step ended ok or changed on: with an empty `total`, each of them returned
    # nothing to count (an empty PON, say), which the report says rather than nothing.
    hosts_done: int = 0


def tallies(run: RunOutcome) -> list[Tally]:
    """The counts the runbook asked for with `tally:` (see engine/model.Step.tally)."""
    wanted = (run.options or {}).get("tally") or {}
    found = []
    for index_text, key in sorted(wanted.items(), key=lambda item: int(item[0])):
        index = int(index_text)
        total: dict[str, int] = {}
        per_host: dict[str, dict[str, int]] = {}
        done = 0
        name = step_name(run, index)
        for outcome in run.outcomes:
            if outcome.step_index != index or outcome.rollback:
                continue
            done += outcome.status in ("ok", "changed")
            records = _tallied_records(outcome.result)
            counts = per_host.setdefault(outcome.host, {})
            # Counted at C speed: an audit's step has a record per ONU of the fleet.
            values = Counter(str(r[key]) for r in records if isinstance(r, dict) and key in r)
            for value, number in values.items():
                counts[value] = counts.get(value, 0) + number
                total[value] = total.get(value, 0) + number
        found.append(Tally(index, name, key, total, {h: c for h, c in per_host.items() if c}, done))
    return [t for t in found if t.total or t.hosts_done]


def _tallied_records(result: Any) -> list[Any]:
    """The records a `tally:` counts: a list of records, an audit's findings (any other
    single record counts as one), and in a looped step the records of every item."""
    if isinstance(result, dict):
        return list(result.get("findings", [result]))
    if not isinstance(result, list):
        return []
    if result and all(is_loop_entry(entry) for entry in result):
        found: list[Any] = []
        for entry in result:
            found.extend(_tallied_records(entry.get("result")))
        return found
    return result


def is_loop_entry(value: Any) -> bool:
    """One item's entry in a looped step's result: {"item", "status", "result", …}."""
    return isinstance(value, dict) and "item" in value and "status" in value and "result" in value


def tally_text(counts: dict[str, int]) -> str:
    """'52 good · 6 warning · 4 critical', most frequent first."""
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return " · ".join(f"{number:,} {value}" for value, number in ordered)
