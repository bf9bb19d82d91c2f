"""The Celery application of `--runner celery` and its tasks.

`ispflow.shard` runs one step of a run for the hosts of one shard (a site, or one host) in a
worker; `ispflow.schedule` runs a store schedule that Celery beat found due. Messages carry
ids, never what to run nor connections: a worker takes the run's runbook, vars and options
from the shared store, and opens its own inventory (its POP's devices and credentials).

Delivery is at least once (late acknowledgement, requeue when a worker dies); the shard's
lease in the store and the journal make the work itself run once: a second copy of a message
finds its shard taken or done, and a shard run again skips the host/steps already journaled.
"""

from __future__ import annotations

import logging
import os
import threading
from typing import Any

from celery import Celery

from ispflow.plugins.runners.celery_broker import CONNECT_TIMEOUT_S, transport_options
from ispflow.plugins.runners.celery_settings import DEFAULT_QUEUE, load_settings

log = logging.getLogger("ispflow.worker")
# Set by `ispflow worker` for its processes: where this worker's inventory and store are.
WORKER_INVENTORY = "ISPFLOW_WORKER_INVENTORY"
WORKER_SOURCE = "ISPFLOW_WORKER_SOURCE"


def make_app() -> Celery:
    settings = load_settings()
    app = Celery("ispflow", broker=settings.broker, backend=settings.backend)
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        task_default_queue=DEFAULT_QUEUE,
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        result_expires=3600,
        broker_connection_retry_on_startup=True,
        # A broker that is not there fails a command in seconds (`ispflow worker` and the
        # coordinator check it first); a worker that lost a running broker keeps retrying.
        broker_connection_timeout=CONNECT_TIMEOUT_S,
        redis_socket_connect_timeout=CONNECT_TIMEOUT_S,
        # A dead worker's messages come back after this; the coordinator does not wait for it
        # (it sends a shard whose lease lapsed again), so it only has to outlast long shards.
        broker_transport_options={"visibility_timeout": 3600, **transport_options()},
        # A worker that loses the broker (a Redis restart) finishes the shards it is running:
        # their leases and results are in the store, which the broker's outage leaves alone.
        worker_cancel_long_running_tasks_on_connection_loss=False,
        worker_hijack_root_logger=False,
    )
    return app


app = make_app()
_database: Any = None
_database_lock = threading.Lock()


def worker_database() -> Any:
    """This worker process's store (opened once: each shard reuses its pool)."""
    global _database
    with _database_lock:
        if _database is None:
            from ispflow.store.db import open_database

            _database = open_database(None)
        return _database


@app.task(name="ispflow.shard", bind=True)
def shard(self: Any, **message: Any) -> dict[str, Any]:
    """Run one shard of one step; its hosts' results go to the journal. The message only
    says which shard is ready: what to run comes from the store (see `shard_worker`)."""
    from ispflow.plugins.runners.shard_worker import run_shard

    return run_shard(
        worker_database(),
        message=message,
        inventory=os.environ.get(WORKER_INVENTORY) or None,
        source=os.environ.get(WORKER_SOURCE) or None,
        worker=f"{self.request.hostname}:{os.getpid()}",
    )


@app.task(name="ispflow.schedule")
def run_schedule(schedule_id: int) -> dict[str, Any]:
    """A due schedule of the store, run once even if beat (or a redelivery) sends it twice."""
    from ispflow.plugins.runners.celery_beat import run_due_schedule

    return run_due_schedule(worker_database(), schedule_id)
