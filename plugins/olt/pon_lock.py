"""One authorization at a time per PON, across threads and processes on this machine.

Two runs authorizing on the same PON must not pick the same ONU id: the id is chosen from
the ONUs the OLT reports and used in the same locked section. The lock is an flock on a file
per OLT and PON (each open() is its own lock owner, so threads of one process exclude each
other too).
"""

from __future__ import annotations

import fcntl
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def lock_dir() -> Path:
    folder = Path(
        os.environ.get("ISPFLOW_LOCK_DIR") or Path.home() / ".cache" / "ispflow" / "locks"
    )
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def pon_lock(olt: str, port: str) -> Iterator[None]:
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{olt}-{port}") + ".lock"
    with open(lock_dir() / name, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
