"""Store schedules through Celery beat: beat asks every few seconds which schedules are due;
each due one is sent to a worker, which takes the schedule's lease (so never two runs of one
schedule at once, whichever of beat, `ispflow scheduler` or a redelivery starts it), runs
it, renews the lease while it runs, and records the outcome."""

from __future__ import annotations

import os
import threading
from typing import Any

from ispflow.plugins.runners.celery_app import WORKER_INVENTORY, WORKER_SOURCE, app

TICK_S = 5.0
LEASE_S = 60.0

app.conf.beat_schedule = {
    "ispflow-store-schedules": {"task": "ispflow.schedules_due", "schedule": TICK_S},
}


def owner() -> str:
    from ispflow.store.schedules import owner_id

    return f"celery:{owner_id()}"


@app.task(name="ispflow.schedules_due")
def schedules_due() -> list[int]:
    """Send each due schedule to a worker (the default queue); they take their own leases."""
    from ispflow.plugins.runners.celery_app import worker_database
    from ispflow.store.schedules import due

    found = [s.id for s in due(worker_database())]
    for schedule_id in found:
        app.send_task("ispflow.schedule", args=[schedule_id])
    return found


def run_due_schedule(db: Any, schedule_id: int) -> dict[str, Any]:
    """Run one due schedule here, if this worker gets its lease."""
    from ispflow.engine.api import parse_limit, run_runbook
    from ispflow.engine.executor import StoreLost
    from ispflow.engine.model import RunOptions
    from ispflow.store.columns import utcnow
    from ispflow.store.schedules import finish, get_by_id, renew, take

    me = owner()
    if not take(db, schedule_id, me, LEASE_S):
        return {"schedule": schedule_id, "skipped": "not due, or another runner has it"}
    schedule = get_by_id(db, schedule_id)
    stop = threading.Event()

    def keep() -> None:
        while not stop.wait(LEASE_S / 4):
            renew(db, schedule_id, me, LEASE_S)

    keeper = threading.Thread(target=keep, name=f"schedule-lease-{schedule_id}", daemon=True)
    keeper.start()
    started, run_id, status, message = utcnow(), None, "failed", ""
    try:
        options = RunOptions(
            workers=schedule.options.get("workers"),
            limit=parse_limit(schedule.options.get("limit")),
        )
        url = db.url.render_as_string(hide_password=False)
        result = run_runbook(
            schedule.runbook,
            dict(schedule.vars),
            options,
            inventory=os.environ.get(WORKER_INVENTORY) or None,
            source=os.environ.get(WORKER_SOURCE) or None,
            db=url,
        )
        run_id, status, message = result.run_id, result.status, result.message or ""
    except StoreLost as exc:  # the run started: keep its id for `ispflow runs show`
        run_id, status, message = exc.outcome.run_id, "interrupted", str(exc.cause)
    except Exception as exc:  # recorded on the schedule; the worker goes on
        message = f"{type(exc).__name__}: {exc}"
    finally:
        stop.set()
        keeper.join()
        finish(db, schedule_id, run_id, status, owner=me, started_at=started)
    return {"schedule": schedule.name, "run_id": run_id, "status": status, "message": message}
