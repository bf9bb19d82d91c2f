"""The run a task is part of, for tasks that write to the store (readings, tickets).

One process runs one runbook at a time, from many worker threads; a module-level value set
by the executor is what every thread sees (context variables do not cross into Nornir's
threads).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

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
    # Objects the run's tasks share (a store writer, say), closed when the run ends.
    shared: dict[str, Any] = field(default_factory=dict, compare=False)
    # Checks a host's step result waits on, settled when the step ends (see `defer`).
    deferred: list[tuple[str, Callable[[], None]]] = field(default_factory=list, compare=False)

    def share(self, name: str, make: Callable[[], T]) -> T:
        """The run's one `name` object, made on first use."""
        with self.memo_lock:
            if name not in self.shared:
                self.shared[name] = make()
            return self.shared[name]

    def defer(self, host: str, check: Callable[[], None]) -> None:
        """Let `host` go on to its next host-free work now and run `check` when the step ends:
        if it raises, the host's result for this step becomes a failure with its message.
        For work a task hands to a background thread (a store write) without waiting."""
        self.deferred.append((host, check))  # list.append is atomic: no lock

    def settle(self) -> dict[str, BaseException]:
        """Run the deferred checks of the step that just ended; the hosts they failed."""
        failed: dict[str, BaseException] = {}
        while self.deferred:
            host, check = self.deferred.pop(0)
            try:
                check()
            except Exception as exc:
                failed.setdefault(host, exc)
        return failed

    def close(self) -> None:
        """Close what the run's tasks shared (each `close()` may raise what it still holds)."""
        errors = []
        for resource in self.shared.values():
            closer = getattr(resource, "close", None)
            if not callable(closer):
                continue  # plain shared data
            try:
                closer()
            except Exception as exc:
                errors.append(exc)
        self.shared.clear()
        if errors:
            raise errors[0]


T = TypeVar("T")


_current: RunContext | None = None


def set_current(context: RunContext | None) -> None:
    global _current
    _current = context


def current() -> RunContext | None:
    """The running run, or None when a task is called outside the engine."""
    return _current
