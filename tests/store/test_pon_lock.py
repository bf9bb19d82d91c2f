"""The per-PON lock holds across processes: an flock with a SQLite store, a PostgreSQL
advisory lock (which holds across machines) with a PostgreSQL store."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from ispflow.store.db import Database

HOLD = textwrap.dedent(
    """
    import sys, time
    from ispflow.store import run_context
    from ispflow.plugins.olt.pon_lock import pon_lock
    from ispflow.store.db import open_database

    db = open_database(sys.argv[1])
    run_context.set_current(run_context.RunContext("r", db, False))
    with pon_lock("olt-1", "0/1/0"):
        start = time.time()
        time.sleep(0.6)
        print(start, time.time(), flush=True)
    db.close()
    """
)


def test_two_processes_never_hold_one_pon_at_once(
    db: Database, store_url: str, tmp_path: Path
) -> None:
    env = {"ISPFLOW_LOCK_DIR": str(tmp_path), "PYTHONPATH": str(Path.cwd())}
    import os

    procs = [
        subprocess.Popen(
            [sys.executable, "-c", HOLD, store_url],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, **env},
        )
        for _ in range(3)
    ]
    spans = []
    for proc in procs:
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        start, end = map(float, out.split())
        spans.append((start, end))
    spans.sort()
    for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
        assert start >= end - 0.01, spans
