"""`ispflow worker`: a Celery worker for distributed runs (`ispflow run --runner celery`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from ispflow.cli.common import err
from ispflow.cli.options import DbOption


def worker(
    queues: Annotated[
        str | None,
        typer.Option(
            "--queues",
            "-Q",
            help="Queues to take, comma-separated: `site-poa,site-cwb` (a POP's worker takes "
            "its sites). Default: every site of this worker's inventory, and `ispflow`.",
        ),
    ] = None,
    concurrency: Annotated[
        int, typer.Option("--concurrency", "-c", min=1, help="Shards run at once (processes).")
    ] = 2,
    beat: Annotated[
        bool,
        typer.Option("--beat", help="Also run Celery beat: the store's schedules, when due."),
    ] = False,
    inventory: Annotated[
        Path | None, typer.Option("--inventory", "-i", help="This worker's inventory folder.")
    ] = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Inventory source: files, netbox or store.")
    ] = None,
    db: DbOption = None,
    loglevel: Annotated[str, typer.Option("--loglevel", help="Celery's log level.")] = "warning",
) -> None:
    """Run shards of distributed runs: the hosts of a step, sent by `ispflow run --runner
    celery` to the queue of their site.

    A worker reaches only the devices of its own inventory (its POP's), writes results to the
    store the coordinator uses (a PostgreSQL URL, by --db or ISPFLOW_DB) and takes the broker
    from `celery:` in ispflow.yaml (or ISPFLOW_BROKER_URL; default Redis on 127.0.0.1:6379).
    Stop it with Ctrl-C: the shard it is running finishes first; a worker that dies mid-shard
    has it sent again to another.

    Examples: `ispflow worker --queues site-poa --concurrency 4`, `ispflow worker --beat`.
    """
    from ispflow.core.errors import UsageError
    from ispflow.plugins.runners.celery_app import WORKER_INVENTORY, WORKER_SOURCE
    from ispflow.plugins.runners.celery_settings import DEFAULT_QUEUE, load_settings, queue_for
    from ispflow.store.db import StoreError, open_database

    if db:
        os.environ["ISPFLOW_DB"] = db
    if inventory is not None:
        os.environ[WORKER_INVENTORY] = str(inventory.resolve())
    if source:
        os.environ[WORKER_SOURCE] = source
    try:
        settings = load_settings()
        with open_database(None) as database:
            if database.dialect_name == "sqlite":
                raise UsageError(
                    "a worker needs the store the coordinator uses, shared: a PostgreSQL URL "
                    "(--db or ISPFLOW_DB)"
                )
            store = str(database)
        if queues:
            chosen = [q.strip() for q in queues.split(",") if q.strip()]
        else:
            from ispflow.plugins.inventory.files import open_nornir

            hosts = open_nornir(inventory, source).inventory.hosts.values()
            chosen = sorted({DEFAULT_QUEUE} | {queue_for(h) for h in hosts})
        from ispflow.plugins.runners.celery_app import app
        from ispflow.plugins.runners.celery_broker import check_reachable

        # Celery itself would retry for minutes, logging each try, before it gave up.
        check_reachable(app, settings)
    except (UsageError, StoreError) as exc:
        err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(2) from None
    err.print(
        f"worker: queues {', '.join(chosen)}; {concurrency} at once; broker "
        f"{settings.shown()}; store {store}" + ("; with beat" if beat else "")
    )
    from ispflow.plugins.runners import celery_beat  # noqa: F401 - registers the schedule tasks

    _warm_up()

    argv = [
        "worker",
        f"--loglevel={loglevel}",
        "--queues",
        ",".join(chosen),
        "--concurrency",
        str(concurrency),
        "--hostname",
        f"ispflow-{os.getpid()}@%h",
        "--without-gossip",
        "--without-mingle",
    ]
    if beat:
        schedule = Path.home() / ".cache" / "ispflow" / "celerybeat-schedule"
        schedule.parent.mkdir(parents=True, exist_ok=True)
        argv += ["--beat", "--schedule", str(schedule)]
    app.worker_main(argv)


def _warm_up() -> None:
    """Import what a shard needs before the pool forks: each pool process starts warm
    instead of paying the imports on its first shard."""
    import ispflow.engine.executor  # noqa: F401
    import ispflow.plugins.inventory.files  # noqa: F401
    import ispflow.plugins.runners.shard_worker  # noqa: F401
    from ispflow.tasks.registry import registry

    registry.names()  # the tasks' modules, loaded once
