"""A worker's side of a shard: claim it, keep the lease, run the step for its hosts."""

from __future__ import annotations

import threading
from typing import Any

from ispflow.plugins.runners.celery_settings import load_settings


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
    shard_id: int,
    run_id: str,
    runbook: str,
    given_vars: dict[str, Any],
    options: dict[str, Any],
    inventory: str | None,
    source: str | None,
    worker: str,
) -> dict[str, Any]:
    """Run shard `shard_id` here unless another worker has it or it is done."""
    from ispflow.core.paths import find_runbook
    from ispflow.engine.executor import Executor
    from ispflow.engine.loader import load_runbook
    from ispflow.engine.model import RunOptions
    from ispflow.plugins.inventory.files import open_nornir
    from ispflow.store import shards
    from ispflow.store.journal import Journal

    settings = load_settings()
    if not shards.claim(db, shard_id, worker, settings.lease):
        return {"shard": shard_id, "skipped": "taken by another worker, or done"}
    keeper = LeaseKeeper(db, shard_id, worker, settings.lease)
    keeper.start()
    try:
        row = shards.get(db, shard_id)
        assert row is not None  # it was just claimed
        book = load_runbook(find_runbook(runbook))
        nornir = open_nornir(inventory, source=source)
        journal = Journal(db)
        try:
            ran = Executor(nornir, journal).run_shard(
                book,
                given_vars,
                RunOptions(
                    dry_run=bool(options.get("dry_run")),
                    workers=options.get("workers"),
                    max_connecting=int(options.get("max_connecting") or 10),
                    connect_rate=options.get("connect_rate"),
                ),
                run_id=run_id,
                step_index=row.step_index,
                rollback=row.rollback,
                hosts=list(row.hosts),
            )
        finally:
            journal.close()
            nornir.close_connections(on_good=True, on_failed=True)
        shards.finish(db, shard_id, worker, attempt=ran)
        return {"shard": shard_id, **ran}
    except Exception as exc:  # the whole shard failed (inventory, runbook): its hosts fail
        message = f"{type(exc).__name__}: {exc}"
        shards.finish(db, shard_id, worker, error=message[:2000])
        return {"shard": shard_id, "error": message}
    finally:
        keeper.stop()
