"""Group commit: many threads hand over rows, one thread writes them, one transaction per batch.

Each submitted item gets a ticket (1, 2, 3, …); batches are taken in ticket order, so "every
ticket up to N is done" is one number, and a waiter only compares its ticket with it.

How long the writer lets a batch grow decides how many commits a run costs. It waits until
as many threads are blocked on queued items as were blocked on the previous batch (the
callers that will not submit anything more until they hear back), or `flush_interval` at
most. With 20 workers recording one result each and waiting for it, that is one commit per
~20 results and no added delay; when fewer come back, the next batch adapts to them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from ispflow.store.errors import StoreError

T = TypeVar("T")
log = logging.getLogger(__name__)


class GroupCommitWriter(Generic[T]):
    def __init__(
        self,
        write: Callable[[Sequence[T]], None],
        describe: Callable[[T], str],
        *,
        flush_interval: float,
        max_batch: int,
        name: str = "ispflow-store-writer",
    ) -> None:
        """`write` stores a batch in one transaction (raising if it did not commit);
        `describe` names an item in error messages."""
        if max_batch < 1:
            raise ValueError("max_batch must be at least 1")
        self._write = write
        self._describe = describe
        self._flush_interval = flush_interval
        self._max_batch = max_batch
        self._name = name

        lock = threading.Lock()
        self._has_work = threading.Condition(lock)  # the writer waits on this
        self._has_progress = threading.Condition(lock)  # submitters wait on this
        self._queue: deque[tuple[int, float, T]] = deque()  # ticket, submitted at, item
        self._last_ticket = 0
        self._taken_upto = 0  # highest ticket handed to the writer
        self._done_upto = 0  # highest ticket written or failed
        self._waited: set[int] = set()  # queued tickets that a thread is blocked on
        self._expected_waiters = 0
        self._flushers = 0
        self._failures: dict[int, tuple[T, BaseException]] = {}
        self._crash: BaseException | None = None
        self._closing = False
        self._thread: threading.Thread | None = None

        self.batches = 0  # committed transactions, for benchmarks and tests
        self.items = 0

    # -- submitters -----------------------------------------------------------------------
    def submit(self, item: T) -> int:
        return self.submit_many((item,))

    def submit_many(self, items: Sequence[T]) -> int:
        """Queue items in order; returns the ticket of the last one (0 for none)."""
        with self._has_work:
            if self._closing:
                raise StoreError("the store writer is closed")
            if not items:
                return self._last_ticket
            self._start()
            now = time.monotonic()
            was_empty = not self._queue
            for item in items:
                self._last_ticket += 1
                self._queue.append((self._last_ticket, now, item))
            # Wake the writer only when it has something new to decide: the first item starts
            # its batch clock, a full batch is due now. Waking it per item hands it the GIL
            # thousands of times a second for nothing.
            if was_empty or len(self._queue) >= self._max_batch:
                self._has_work.notify()
            return self._last_ticket

    def wait(self, ticket: int) -> None:
        """Block until item `ticket` is committed; StoreError if it could not be."""
        with self._has_work:
            if ticket > self._last_ticket:
                raise ValueError(f"no item was submitted with ticket {ticket}")
            if ticket > self._taken_upto:
                self._waited.add(ticket)
                self._has_work.notify()
            while self._done_upto < ticket and self._crash is None:
                self._has_progress.wait()
            failed = self._failures.pop(ticket, None)
            self._check_crash(ticket)
        if failed is not None:
            raise self._error(*failed)

    def flush(self) -> None:
        """Block until everything submitted so far is written; raise the first failure among
        them not yet raised by `wait`."""
        with self._has_work:
            target = self._settle()
            failed = [t for t in sorted(self._failures) if t <= target]
            first = self._failures[failed[0]] if failed else None
            for ticket in failed:
                del self._failures[ticket]
        if first is not None:
            extra = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
            raise self._error(*first, extra=extra)

    def settle(self) -> None:
        """Block until everything submitted so far is written or has failed; raise nothing
        but a stopped writer (failures stay for `wait` and `flush`)."""
        with self._has_work:
            self._settle()

    def _settle(self) -> int:
        target = self._last_ticket
        if self._done_upto >= target:
            return target
        self._flushers += 1
        self._has_work.notify()
        try:
            while self._done_upto < target and self._crash is None:
                self._has_progress.wait()
        finally:
            self._flushers -= 1
        self._check_crash(target)
        return target

    def close(self) -> None:
        """Write what is queued, stop the thread; raise failures nobody has seen yet."""
        with self._has_work:
            self._closing = True
            self._has_work.notify()
            thread = self._thread
        if thread is not None:
            thread.join()
        self.flush()

    # -- the writer thread ----------------------------------------------------------------
    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def _run(self) -> None:
        try:
            while (batch := self._next_batch()) is not None:
                failures = self._write_batch(batch)
                with self._has_work:
                    self._failures.update(failures)
                    self._done_upto = batch[-1][0]
                    self._has_progress.notify_all()
        except BaseException as exc:  # reported to every waiter rather than lost with the thread
            log.exception("store writer stopped")
            with self._has_work:
                self._crash = exc
                self._has_progress.notify_all()

    def _next_batch(self) -> list[tuple[int, T]] | None:
        with self._has_work:
            while True:
                if not self._queue:
                    if self._closing:
                        return None
                    self._has_work.wait()
                    continue
                now = time.monotonic()
                deadline = self._queue[0][1] + self._flush_interval
                if (
                    self._closing
                    or self._flushers
                    or len(self._queue) >= self._max_batch
                    or (self._waited and len(self._waited) >= self._expected_waiters)
                    or now >= deadline
                ):
                    return self._take()
                self._has_work.wait(deadline - now)

    def _take(self) -> list[tuple[int, T]]:
        count = min(len(self._queue), self._max_batch)
        taken = [self._queue.popleft() for _ in range(count)]
        batch = [(ticket, item) for ticket, _submitted, item in taken]
        self._taken_upto = batch[-1][0]
        waited = {t for t in self._waited if t <= self._taken_upto}
        self._waited -= waited
        self._expected_waiters = len(waited)
        return batch

    def _write_batch(self, batch: list[tuple[int, T]]) -> dict[int, tuple[T, BaseException]]:
        try:
            self._commit([item for _, item in batch])
            return {}
        except Exception as exc:
            if isinstance(exc, DBAPIError) and exc.connection_invalidated:
                return self._write_batch_again(batch)
            if len(batch) == 1 or isinstance(exc, OperationalError | InterfaceError):
                return {ticket: (item, exc) for ticket, item in batch}
        # A row the database refuses (an unknown run, say) must not sink the rows beside it.
        failures = {}
        for ticket, item in batch:
            try:
                self._commit([item])
            except Exception as exc:
                failures[ticket] = (item, exc)
        return failures

    def _write_batch_again(self, batch: list[tuple[int, T]]) -> dict[int, tuple[T, BaseException]]:
        # The connection was dropped (server restart, idle timeout): one more try on a new one.
        try:
            self._commit([item for _, item in batch])
            return {}
        except Exception as exc:
            return {ticket: (item, exc) for ticket, item in batch}

    def _commit(self, items: list[T]) -> None:
        self._write(items)
        self.batches += 1
        self.items += len(items)

    # -- errors ---------------------------------------------------------------------------
    def _check_crash(self, ticket: int) -> None:
        if self._crash is not None and self._done_upto < ticket:
            raise StoreError(f"the store writer stopped: {self._crash!r}") from self._crash

    def _error(self, item: T, cause: BaseException, extra: str = "") -> StoreError:
        detail = getattr(cause, "orig", None) or cause
        error = StoreError(f"could not store {self._describe(item)}{extra}: {detail}")
        error.__cause__ = cause
        return error
