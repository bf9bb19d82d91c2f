"""Is the process that owns a `running` run still there? Only answerable on its own machine."""

from __future__ import annotations

import os
import socket
from datetime import datetime
from functools import cache
from pathlib import Path

_PROC = Path("/proc")


@cache
def this_machine() -> str:
    return socket.gethostname()


def is_interrupted(
    status: str, pid: int | None, machine: str | None, pid_recorded_at: datetime | None
) -> bool:
    """A run still marked `running` whose process is gone from this machine.

    `pid_recorded_at` is a time at which the owning process already existed (the run's start,
    its reopening or a later heartbeat): a live process with that pid that started afterwards
    is a newer process that reused the number.
    """
    if status != "running" or pid is None or machine != this_machine():
        return False
    return not process_alive(pid, pid_recorded_at)


def process_alive(pid: int, existed_at: datetime | None = None) -> bool:
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if os.name == "nt":
        return True  # signal 0 would terminate the process there; assume alive
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # exists, owned by someone else
    fields = _linux_stat(pid)
    if fields is None:
        return True
    if fields[0] in ("Z", "X"):
        return False  # exited, not yet reaped by its parent
    if existed_at is None:
        return True
    try:
        started = _boot_time() + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError):
        return True
    # One second of slack for the granularity of the two clocks.
    return started <= existed_at.timestamp() + 1.0


def _linux_stat(pid: int) -> list[str] | None:
    """Fields of /proc/PID/stat from the state on (None where there is no /proc)."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The command name may hold spaces and parentheses; the fields resume after the last ')'.
    return stat[stat.rindex(")") + 2 :].split()


@cache
def _boot_time() -> float:
    for line in (_PROC / "stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    raise ValueError("no btime in /proc/stat")
