"""A worker's side of a shard: check its message against the store, claim it, keep the
lease, and run the step for its hosts as the store has the run (runbook, vars, options)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from ispflow.plugins.runners.celery_settings import load_settings
from ispflow.plugins.runners.shard_message import (
    quoted,
    run_refusal,
    runbook_sha256,
    shard_refusal,
)

log = logging.getLogger("ispflow.worker")


class LeaseKeeper(threading.Thread):
    """Renews a shard's lease until stopped; a worker that dies stops renewing it."""

    def __init__(self, db: Any, shard_id: int, worker: str, lease: float) -> None:
        super().__init__(name=f"ispflow-lease-{shard_id}", daemon=True)
        self.db, self.shard_id, self.worker, self.lease = db, shard_id, worker, lease
        self.lost = False
        self._stop = threading.Event()

    def run(self) -> None:
        from ispflow.store import shards

        while not self._stop.wait(self.lease / 3):
            try:
                if not shards.renew(self.db, self.shard_id, self.worker, self.lease):
                    self.lost = True
                    return
            except Exception:  # noqa: BLE001 - a store hiccup: try again next time
                continue

    def stop(self) -> None:
        self._stop.set()


def run_shard(
    db: Any,
    *,
    message: Mapping[str, Any],
    inventory: str | None,
    source: str | None,
    worker: str,
) -> dict[str, Any]:
    """Run the shard `message` says is ready, as the store has it, unless the message
    disagrees with the store (refused: the shard stays queued), another worker has it or
    it is done."""
    from ispflow.core.errors import UsageError
    from ispflow.store import shards, worker_runs
    from ispflow.store.errors import StoreError

    shard_id = message.get("shard_id")
    shard = None
    if isinstance(shard_id, int) and not isinstance(shard_id, bool):
        shard = shards.get(db, shard_id)
    why = shard_refusal(message, shard)
    if why is None:
        assert shard is not None
        try:
            run: Any = worker_runs.load(db, shard.run_id)
        except (StoreError, UsageError) as exc:
            # Not recorded for workers, or its secrets do not open here (another key): the
            # genuine message would fail the same way, so the shard's hosts fail with it.
            return _fail(db, shard.id, worker, str(exc))
        why = run_refusal(message, run)
    if why is not None:
        log.warning(
            "refused the message for shard %s of run %s: %s; nothing run",
            quoted(shard_id),
            quoted(message.get("run_id")),
            why,
        )
        return {"shard": shard_id, "refused": why}
    return _run_claimed(db, shard, run, inventory, source, worker)


def _fail(db: Any, shard_id: int, worker: str, error: str) -> dict[str, Any]:
    """Claim the shard only to fail it with `error`, when it is still to be run."""
    from ispflow.store import shards

    if not shards.claim(db, shard_id, worker, load_settings().lease):
        return {"shard": shard_id, "skipped": "taken by another worker, or done"}
    shards.finish(db, shard_id, worker, error=error[:2000])
    return {"shard": shard_id, "error": error}


def _run_claimed(
    db: Any, shard: Any, run: Any, inventory: str | None, source: str | None, worker: str
) -> dict[str, Any]:
    from ispflow.core.paths import find_runbook
    from ispflow.engine.executor import Executor
    from ispflow.engine.loader import load_runbook
    from ispflow.engine.model import RunOptions
    from ispflow.plugins.inventory.files import open_nornir
    from ispflow.store import shards
    from ispflow.store.journal import Journal

    settings = load_settings()
    if not shards.claim(db, shard.id, worker, settings.lease):
        return {"shard": shard.id, "skipped": "taken by another worker, or done"}
    keeper = LeaseKeeper(db, shard.id, worker, settings.lease)
    keeper.start()
    try:
        # Its hosts as of the claim: a resumed run plans its shards again.
        shard = shards.get(db, shard.id)
        path = find_runbook(run.runbook)
        here = runbook_sha256(path)
        if here != run.runbook_sha256:
            error = (
                f"the runbook on this worker differs from the one run {run.run_id} started "
                f"with: {path} has SHA-256 {here} here, the run's has {run.runbook_sha256}"
            )
            shards.finish(db, shard.id, worker, error=error)
            return {"shard": shard.id, "error": error}
        book = load_runbook(path)
        nornir = open_nornir(inventory, source=source)
        journal = Journal(db)
        options = run.options
        try:
            ran = Executor(nornir, journal).run_shard(
                book,
                run.vars,
                RunOptions(
                    dry_run=bool(options.get("dry_run")),
                    workers=options.get("workers"),
                    max_connecting=int(options.get("max_connecting") or 10),
                    connect_rate=options.get("connect_rate"),
                ),
                run_id=run.run_id,
                step_index=shard.step_index,
                rollback=shard.rollback,
                hosts=list(shard.hosts),
            )
        finally:
            journal.close()
            nornir.close_connections(on_good=True, on_failed=True)
        shards.finish(db, shard.id, worker, attempt=ran)
        return {"shard": shard.id, **ran}
    except Exception as exc:  # the whole shard failed (inventory, runbook): its hosts fail
        message = f"{type(exc).__name__}: {exc}"
        shards.finish(db, shard.id, worker, error=message[:2000])
        return {"shard": shard.id, "error": message}
    finally:
        keeper.stop()
