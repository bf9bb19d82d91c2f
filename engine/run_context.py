"""The run a task is part of, for tasks that write to the store (readings, tickets).

One process runs one runbook at a time, from many worker threads; a module-level value set
by the executor is what every thread sees (context variables do not cross into Nornir's
threads).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from store.db import Database


@dataclass(frozen=True)
class RunContext:
    run_id: str
    database: Database
    dry_run: bool


_current: RunContext | None = None


def set_current(context: RunContext | None) -> None:
    global _current
    _current = context


def current() -> RunContext | None:
    """The running run, or None when a task is called outside the engine."""
    return _current
