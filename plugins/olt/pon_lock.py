"""One authorization at a time per PON: across threads, processes and, with a PostgreSQL
store, machines.

Two runs authorizing on the same PON must not pick the same ONU id: the id is chosen from
the ONUs the OLT reports and used in the same locked section. With a PostgreSQL store (the
one every worker of a distributed run shares) the lock is a PostgreSQL advisory lock, held by
a connection of its own and released with it if the process dies; otherwise it is an flock
on a file per OLT and PON (each open() is its own lock owner, so threads of one process
exclude each other too).
"""

from __future__ import annotations

import fcntl
import hashlib
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


def advisory_key(olt: str, port: str) -> int:
    """A stable signed 64-bit key for PostgreSQL's advisory locks."""
    digest = hashlib.blake2b(f"ispflow-pon:{olt}:{port}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


@contextmanager
def pon_lock(olt: str, port: str) -> Iterator[None]:
    from ispflow.store import run_context

    context = run_context.current()
    database = context.database if context is not None else None
    if database is not None and database.dialect_name == "postgresql":
        with _advisory(database, advisory_key(olt, port)):
            yield
        return
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{olt}-{port}") + ".lock"
    with open(lock_dir() / name, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@contextmanager
def _advisory(database: object, key: int) -> Iterator[None]:
    from sqlalchemy import text  # a PostgreSQL store's: SQLAlchemy is loaded with it

    with database.engine.connect() as conn:  # type: ignore[attr-defined]
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": key})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            conn.commit()
