"""The run a task is part of, for tasks that write to the store (readings, tickets).

Several runs may share a process (the scheduler's threads, a Celery worker, callers of the
Python API), so the run is a context variable: each run sets its own, and the threads that
work for it (the engine's runner) start from a copy of the submitting thread's context. A
new thread does not inherit context variables by itself: whoever starts threads for a run's
tasks hands them a copy (`contextvars.copy_context()`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar, Token
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ispflow.store.db import Database


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
    # The run's whole inventory by name: a step narrowed to `local` still reads the data of
    # the devices whose results it works on (an audit's per-group thresholds).
    hosts: Mapping[str, Any] = field(default_factory=dict, compare=False)
    # Checks a host's step result waits on, settled when the step ends (see `defer`).
    deferred: list[tuple[str, Callable[[], None]]] = field(default_factory=list, compare=False)
    # Whether the run's readings writer prunes the history when it closes: not in a
    # distributed run's worker (its coordinator prunes once for all the shards).
    prunes_history: bool = True

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


_current: ContextVar[RunContext | None] = ContextVar("ispflow_run", default=None)


def set_current(context: RunContext | None) -> Token[RunContext | None]:
    """Make `context` this thread's (and its copies') run; `reset` undoes it."""
    return _current.set(context)


def reset(token: Token[RunContext | None]) -> None:
    _current.reset(token)


@contextmanager
def running(context: RunContext) -> Iterator[RunContext]:
    """`context` is the current run inside the block, and the earlier one again after."""
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


def current() -> RunContext | None:
    """The running run, or None when a task is called outside the engine."""
    return _current.get()


# The step a task is called for, so what it stores names the step (a run's readings, whose
# journal results go when the readings do).
_step: ContextVar[int | None] = ContextVar("ispflow_step", default=None)


@contextmanager
def in_step(index: int) -> Iterator[None]:
    """Tasks called inside the block run for step `index` of the current run."""
    token = _step.set(index)
    try:
        yield
    finally:
        _step.reset(token)


def current_step() -> int | None:
    """The index of the step a task is called for, or None outside the engine."""
    return _step.get()
