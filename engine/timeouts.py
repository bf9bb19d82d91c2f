"""Per-step, per-host timeouts that really stop the work.

Python cannot kill a thread, so a timed-out task is interrupted by raising
:class:`StepTimeout` inside its worker thread (``PyThreadState_SetAsyncExc``). That takes effect
at the thread's next Python bytecode, which for network tasks (netmiko polls in short sleeps)
is within milliseconds; ``on_expire`` also closes the host's connections so a thread blocked in
a socket read wakes up. One watchdog thread serves every deadline of the run.
"""

from __future__ import annotations

import contextlib
import ctypes
import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class StepTimeout(Exception):
    """Raised inside a worker thread whose step ran past its timeout."""


class _Deadline:
    __slots__ = ("at", "thread_id", "on_expire", "state")

    def __init__(self, at: float, thread_id: int, on_expire: Callable[[], None] | None) -> None:
        self.at = at
        self.thread_id = thread_id
        self.on_expire = on_expire
        self.state = "armed"  # armed -> fired | cancelled


def _set_async_exc(thread_id: int, exc: type[BaseException] | None) -> None:
    ctypes.pythonapi.PyThreadState_SetAsyncExc(
        ctypes.c_ulong(thread_id), ctypes.py_object(exc) if exc else ctypes.c_void_p(0)
    )


class Watchdog:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._wakeup = threading.Condition(self._lock)
        self._heap: list[tuple[float, int, _Deadline]] = []
        self._counter = itertools.count()
        self._thread: threading.Thread | None = None

    @contextmanager
    def deadline(
        self, seconds: float | None, on_expire: Callable[[], None] | None = None
    ) -> Iterator[None]:
        """Run the block with a deadline; past it the block gets :class:`StepTimeout`."""
        if seconds is None:
            yield
            return
        entry = _Deadline(time.monotonic() + seconds, threading.get_ident(), on_expire)
        with self._lock:
            heapq.heappush(self._heap, (entry.at, next(self._counter), entry))
            self._ensure_thread()
            self._wakeup.notify()
        try:
            yield
        finally:
            with self._lock:
                fired = entry.state == "fired"
                entry.state = "cancelled"
            if fired:
                # The exception may still be pending (not yet delivered): clear it so it cannot
                # surface later in unrelated code of this worker thread.
                _set_async_exc(entry.thread_id, None)

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._loop, name="ispflow-watchdog", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            expired: list[_Deadline] = []
            with self._lock:
                while not self._heap:
                    if not self._wakeup.wait(timeout=30):
                        self._thread = None
                        return
                now = time.monotonic()
                while self._heap and self._heap[0][0] <= now:
                    _, _, entry = heapq.heappop(self._heap)
                    if entry.state == "armed":
                        entry.state = "fired"
                        _set_async_exc(entry.thread_id, StepTimeout)
                        expired.append(entry)
                if self._heap and not expired:
                    self._wakeup.wait(timeout=max(0.0, self._heap[0][0] - now))
            for entry in expired:
                if entry.on_expire is not None:
                    # Best effort: closing the connection only helps a blocked read wake up.
                    with contextlib.suppress(Exception):
                        entry.on_expire()


watchdog = Watchdog()
