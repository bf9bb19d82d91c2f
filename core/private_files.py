"""Files that hold customer data or secrets are made readable by their owner only.

The store (CPF/CNPJ, phones, addresses), its WAL, exports, reports and configuration backups
are personal data under the LGPD, so ispflow creates them 0600 whatever the umask. A team that
shares them through a group says so: `files: {mode: "0640"}` in ispflow.yaml, or
ISPFLOW_FILE_MODE=0640. A mode that lets others (not the group) read is refused.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

from ispflow.core.errors import UsageError

DEFAULT_MODE = 0o600
MODE_ENV = "ISPFLOW_FILE_MODE"


def file_mode() -> int:
    """The mode for files with personal data or secrets: ISPFLOW_FILE_MODE, else
    `files.mode` of the configuration, else 0600."""
    from ispflow.core.settings import load_section

    raw: Any = os.environ.get(MODE_ENV)
    where = MODE_ENV
    if not raw:
        section, config = load_section("files", ("mode",))
        raw, where = section.get("mode"), f"{config}: files.mode"
    if raw is None or raw == "":
        return DEFAULT_MODE
    try:
        mode = int(str(raw), 8)
    except ValueError:
        raise UsageError(f"{where}: '{raw}' is not an octal file mode such as 0600") from None
    if mode & ~0o660 or (mode & 0o600) != 0o600:
        raise UsageError(
            f"{where}: {raw} is not a mode for personal data: the owner reads and writes, "
            "the group at most reads and writes, others nothing (0600, 0640 or 0660)"
        )
    return mode


def create_private(path: str | Path) -> bool:
    """Make an empty file at `path` with the private mode unless one is there; whether it
    was made."""
    mode = file_mode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        return False
    try:
        os.fchmod(fd, mode)  # the umask may have taken bits the mode asks for
    finally:
        os.close(fd)
    return True


def open_private(path: str | Path, mode: str = "w", **kwargs: Any) -> IO[Any]:
    """`open(path, mode)` for writing, the file (new or replaced) in the private mode."""
    if not mode.startswith(("w", "a")):
        raise ValueError(f"open_private writes; mode {mode!r} does not")
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode.startswith("a") else os.O_TRUNC)
    private = file_mode()
    fd = os.open(path, flags, private)
    try:
        os.fchmod(fd, private)  # also a file that was there, readable by others
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, mode, **kwargs)


def write_private(path: str | Path, text: str, encoding: str = "utf-8") -> None:
    with open_private(path, "w", encoding=encoding) as handle:
        handle.write(text)
