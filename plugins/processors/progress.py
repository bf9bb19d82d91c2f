"""Live progress of a run as a Nornir processor: a bar per step on a terminal, lines otherwise."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from nornir.core.inventory import Host
from nornir.core.task import AggregatedResult, MultiResult, Task
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

STATUSES = ("ok", "changed", "failed", "skipped", "aborted")
STYLE = {
    "ok": "green",
    "changed": "yellow",
    "failed": "bold red",
    "skipped": "cyan",
    "aborted": "magenta",
}


EVERY_S = 5.0  # between "still running" lines when the output is not a terminal
RUNNING_NAMED = 5  # hosts named in such a line, the longest running first


class RunProgress:
    """Counts per step by status; shows them live (TTY), or as one line per finished step
    and, while a step runs, a line every `every` seconds (cron logs, CI) naming the hosts
    still at work."""

    def __init__(
        self,
        console: Console,
        *,
        live: bool | None = None,
        header: str | Callable[[], str] | None = None,
        every: float = EVERY_S,
    ) -> None:
        self.console = console
        # Printed before the first step, once; a function is asked then (what it names, the
        # store say, may not be open before).
        self._header = header
        self.every = every
        self._running: dict[str, float] = {}  # host -> when its part of the step started
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self.live = console.is_terminal if live is None else live
        self._lock = threading.Lock()
        self._counts: dict[str, int] = {}
        self._started = 0.0
        self._step = ""
        self._total = 0
        self._progress: Progress | None = None
        self._task_id: Any = None

    # -- Nornir processor hooks ----------------------------------------------------------
    def task_started(self, task: Task) -> None:
        self.begin(task.name, len(task.nornir.inventory.hosts))

    def task_instance_started(self, task: Task, host: Host) -> None:
        with self._lock:
            self._running[host.name] = time.monotonic()

    def task_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        with self._lock:
            self._running.pop(host.name, None)
        self.advance(getattr(result[0].result, "status", "failed"))

    def task_completed(self, task: Task, result: AggregatedResult) -> None:
        self.end()

    def subtask_instance_started(self, task: Task, host: Host) -> None:
        return None

    def subtask_instance_completed(self, task: Task, host: Host, result: MultiResult) -> None:
        return None

    # -- the same from anywhere (a distributed run reads progress from the journal) ------
    def begin(self, step: str, total: int) -> None:
        if self._header is not None:
            header = self._header() if callable(self._header) else self._header
            self.console.print(header, soft_wrap=True, markup=False, highlight=False)
            self._header = None
        self._step = step
        self._total = total
        self._counts = dict.fromkeys(STATUSES, 0)
        self._started = time.monotonic()
        if self.live:
            self._progress = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[counts]}"),
                TimeElapsedColumn(),
                console=self.console,
                transient=False,
            )
            self._task_id = self._progress.add_task(self._step, total=self._total, counts="")
            self._progress.start()
        elif self.every > 0:
            self._stop.clear()
            self._ticker = threading.Thread(target=self._tick_while_running, daemon=True)
            self._ticker.start()

    def advance(self, status: str) -> None:
        with self._lock:
            self._counts[status] = self._counts.get(status, 0) + 1
            if self._progress is not None:
                self._progress.update(self._task_id, advance=1, counts=self._format())

    def tick(self) -> None:
        """One "still running" line: hosts done of all, counts, the hosts at work."""
        now = time.monotonic()
        with self._lock:
            done = sum(self._counts.values())
            running = sorted(self._running.items(), key=lambda item: item[1])
            line = (
                f"step '{self._step}': {done}/{self._total} hosts done, {self._format()} "
                f"({now - self._started:.0f} s)"
            )
        if running:
            named = ", ".join(
                f"{host} {now - since:.0f} s" for host, since in running[:RUNNING_NAMED]
            )
            more = len(running) - RUNNING_NAMED
            line += f"; running: {named}" + (f" and {more} more" if more > 0 else "")
        self.console.print(line, highlight=False, markup=False, soft_wrap=True)

    def _tick_while_running(self) -> None:
        while not self._stop.wait(self.every):
            self.tick()

    def stop(self) -> None:
        """No more "still running" lines: at the end of a step, and of the run however it
        ended (a step cut short by Ctrl-C or a lost store never reaches its end)."""
        if self._ticker is not None:
            self._stop.set()
            self._ticker.join()
            self._ticker = None
        with self._lock:
            self._running.clear()

    def end(self) -> None:
        self.stop()
        if self._progress is not None:
            self._progress.stop()
            self._progress = None
        elif not self.live:
            seconds = time.monotonic() - self._started
            self.console.print(
                f"step '{self._step}': {self._total} hosts, {self._format()} ({seconds:.1f} s)",
                highlight=False,
            )

    def _format(self) -> str:
        parts = []
        for status in STATUSES:
            count = self._counts.get(status, 0)
            if count:
                text = f"{status}={count}"
                parts.append(f"[{STYLE[status]}]{text}[/]" if self.live else text)
        return " ".join(parts) or "-"
