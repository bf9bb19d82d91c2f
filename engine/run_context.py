"""The run a task is part of, for tasks that write to the store (readings, tickets).

One process runs one runbook at a time, from many worker threads; a module-level value set
by the executor is what every thread sees (context variables do not cross into Nornir's
threads).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from store.db import Database


@dataclass(frozen=True)
class RunContext:
    run_id: str
    database: Database
    dry_run: bool
    # Lookups that every host of a run would repeat (a contract's OLT, say), done once.
    memo: dict = field(default_factory=dict, compare=False)
    memo_lock: threading.Lock = field(default_factory=threading.Lock, compare=False)


_current: RunContext | None = None


def set_current(context: RunContext | None) -> None:
    global _current
    _current = context


def current() -> RunContext | None:
    """The running run, or None when a task is called outside the engine."""
    return _current
