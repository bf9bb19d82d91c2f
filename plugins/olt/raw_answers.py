"""Where the raw answers of failed reads are kept, so a user can attach them to a bug report.

A parser that meets a layout it does not know fails loudly; what the device actually said is
the one thing needed to teach ispflow that layout. The newest answers are kept (a bounded
number of files), in ISPFLOW_RAW_DIR or the user's state folder.
"""

from __future__ import annotations

import contextlib
import os
import re
import time
from pathlib import Path

KEEP = 50


def raw_dir() -> Path:
    configured = os.environ.get("ISPFLOW_RAW_DIR")
    if configured:
        return Path(configured)
    state = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "ispflow" / "raw-answers"


def keep(vendor: str, model: str, command: str, output: str, host: str = "") -> str:
    """Write one answer with a header naming where it came from; the file's path, or "" when
    it could not be written (a read-only home must not hide the parse error itself)."""
    folder = raw_dir()
    stamp = time.strftime("%Y%m%dT%H%M%S") + f"-{time.time_ns() % 1_000_000:06d}"
    slug = re.sub(r"[^A-Za-z0-9]+", "-", command).strip("-")[:60]
    path = folder / f"{stamp}-{host or vendor}-{slug}.txt"
    header = (
        f"# vendor: {vendor}\n# model: {model or '?'}\n# host: {host or '?'}\n"
        f"# command: {command}\n# ---\n"
    )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as file:
            file.write(header + output)
        _prune(folder)
    except OSError:
        return ""
    return str(path)


def _prune(folder: Path) -> None:
    answers = sorted(folder.glob("*.txt"))
    for old in answers[:-KEEP]:
        with contextlib.suppress(OSError):  # another process pruned it first
            old.unlink()
