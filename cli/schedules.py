"""`ispflow schedule ...` keeps schedules in the store; `ispflow scheduler` runs them."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from ispflow.cli.common import err, make_console
from ispflow.cli.options import CONTEXT_SETTINGS, DbOption, JsonAlias, LimitOption, OutputOption
from ispflow.core.errors import UsageError
from ispflow.engine.errors import RunbookError, VarErrors

schedule_app = typer.Typer(
    help=(
        "Runbooks run every so often by `ispflow scheduler`, kept in the store.\n\n"
        "Examples:\n\n"
        "`ispflow schedule add ticket-auto-close --every 1d -e days=5`\n\n"
        "`ispflow schedule add onu-signal --every 30m --limit site=poa --name signal-poa`\n\n"
        "`ispflow schedule list`\n\n"
        "`ispflow scheduler` (or `ispflow scheduler --once` from cron)"
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
    context_settings=CONTEXT_SETTINGS,
)

EXIT_REFUSED, EXIT_USAGE = 1, 2
# A lease outlives a few missed renewals (a slow store, a paused VM) but not a dead scheduler
# by long.
LEASE_SECONDS = 60.0

NameArgument = Annotated[str, typer.Argument(help="The schedule's name.")]


@contextlib.contextmanager
def _store(db: str | None) -> Iterator[Any]:
    """The open store, with store and usage errors turned into a message and exit code."""
    from ispflow.store.db import StoreError, open_database
    from ispflow.store.schedules import ScheduleNotFound

    database = None
    try:
        database = open_database(db)
        yield database
    except ScheduleNotFound as exc:
        err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(EXIT_REFUSED) from None
    except (UsageError, StoreError, ValueError) as exc:
        err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None
    finally:
        if database is not None:
            database.close()


def _refuse(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(EXIT_USAGE)


@schedule_app.command("add")
def add_schedule(
    runbook: Annotated[
        str, typer.Argument(help="Runbook file, or the name of a shipped one.", show_default=False)
    ],
    every: Annotated[str, typer.Option("--every", help="How often: 90s, 30m, 2h, 1d (or 1h30m).")],
    name: Annotated[
        str | None, typer.Option("--name", help="Schedule name (default: the runbook's name).")
    ] = None,
    extra_vars: Annotated[
        list[str] | None,
        typer.Option(
            "--extra-vars",
            "-e",
            metavar="NAME=VALUE",
            help="Set a var: `-e days=5`, or `-e @vars.yaml`.",
        ),
    ] = None,
    limit: LimitOption = None,
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", min=1, help="Hosts in parallel.")
    ] = None,
    disabled: Annotated[
        bool, typer.Option("--disabled", help="Store it without running it yet.")
    ] = False,
    db: DbOption = None,
) -> None:
    """Add a schedule. The runbook and vars are checked now: a schedule that cannot run is
    not stored. It is first due at once (the next `ispflow scheduler` tick)."""
    from ispflow.engine.api import parse_extra_vars
    from ispflow.store.schedules import add, format_every, parse_every

    try:
        every_seconds = parse_every(every)
    except ValueError as exc:
        raise _refuse(f"--every {exc}") from None
    try:
        given = parse_extra_vars(extra_vars or [])
        book = _check_runbook(runbook, given, limit)
    except RunbookError as exc:
        for problem in exc.problems:
            err.print(str(problem), soft_wrap=True, markup=False)
        raise _refuse(f"{len(exc.problems)} problem(s) in the runbook; nothing stored") from None
    except VarErrors as exc:
        for item in exc.errors:
            err.print(str(item), soft_wrap=True, markup=False)
        raise _refuse("bad vars; nothing stored") from None
    except UsageError as exc:
        raise _refuse(f"{exc}; nothing stored") from None
    options: dict[str, Any] = {}
    if limit:
        options["limit"] = limit
    if workers:
        options["workers"] = workers
    with _store(db) as database:
        schedule = add(
            database,
            name=name or book.name,
            runbook=_runbook_reference(runbook),
            every_seconds=every_seconds,
            vars=given,
            options=options,
            enabled=not disabled,
        )
    state = "disabled" if disabled else "first due now"
    make_console().print(
        f"schedule '{schedule.name}': {schedule.runbook} every "
        f"{format_every(schedule.every_seconds)} ({state})"
    )


def _check_runbook(runbook: str, given: dict[str, Any], limit: str | None) -> Any:
    from ispflow.engine.api import parse_limit
    from ispflow.engine.loader import load_runbook
    from ispflow.engine.vartypes import resolve_vars

    book = load_runbook(runbook)
    resolve_vars(book.var_specs, given)
    # Anyone who can read the store can read a schedule: a secret has no place there.
    secret = sorted(n for n, spec in book.var_specs.items() if spec.secret and n in given)
    if secret:
        raise UsageError(f"secret vars are not kept in schedules: {', '.join(secret)}")
    parse_limit(limit)
    return book


def _runbook_reference(runbook: str) -> str:
    """A file by its absolute path (the scheduler may start elsewhere); a shipped one by name."""
    path = Path(runbook)
    return str(path.resolve()) if path.is_file() else runbook


@schedule_app.command("list")
def list_schedules(
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
) -> None:
    """Every schedule, soonest due first."""
    from ispflow.store.schedules import format_every
    from ispflow.store.schedules import list_schedules as stored

    with _store(db) as database:
        found = stored(database)
    if output == "json":
        sys.stdout.write(json.dumps([s.as_dict() for s in found], indent=2) + "\n")
        return
    if not found:
        make_console().print("no schedules (add one with `ispflow schedule add`)")
        return
    table = Table(box=None, pad_edge=False)
    for column in ("name", "runbook", "every", "next run", "last run", "status", "running on"):
        table.add_column(column)
    now = time.time()
    for s in found:
        running = s.locked_by if s.locked_until and s.locked_until.timestamp() > now else ""
        table.add_row(
            s.name + ("" if s.enabled else " (disabled)"),
            s.runbook,
            format_every(s.every_seconds),
            _when(s.next_run_at) if s.enabled else "-",
            _when(s.last_run_at),
            " ".join(p for p in (s.last_status, s.last_run_id) if p),
            running,
        )
    make_console().print(table)


@schedule_app.command("remove")
def remove_schedule(name: NameArgument, db: DbOption = None) -> None:
    """Delete a schedule (its runs stay in the journal)."""
    from ispflow.store.schedules import remove

    with _store(db) as database:
        remove(database, name)
    make_console().print(f"schedule '{name}' removed")


@schedule_app.command("enable")
def enable_schedule(name: NameArgument, db: DbOption = None) -> None:
    """Run a schedule again; if its time has passed it is due at once."""
    from ispflow.store.schedules import set_enabled

    with _store(db) as database:
        schedule = set_enabled(database, name, True)
    make_console().print(f"schedule '{name}' enabled, next run {_when(schedule.next_run_at)}")


@schedule_app.command("disable")
def disable_schedule(name: NameArgument, db: DbOption = None) -> None:
    """Stop running a schedule (a run in progress finishes)."""
    from ispflow.store.schedules import set_enabled

    with _store(db) as database:
        set_enabled(database, name, False)
    make_console().print(f"schedule '{name}' disabled")


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S") if moment else ""


# -- the scheduler ----------------------------------------------------------------------------
@dataclass
class _Active:
    """A schedule this scheduler holds the lease of, running in a worker thread."""

    schedule: Any
    started_at: datetime
    started: float
    thread: threading.Thread | None = None
    run_id: str | None = None
    status: str = "error"
    message: str = ""
    done: threading.Event = field(default_factory=threading.Event)


def scheduler(
    once: Annotated[
        bool, typer.Option("--once", help="Run what is due now, wait for it, and exit (cron).")
    ] = False,
    tick: Annotated[
        str, typer.Option("--tick", help="How often to look for due schedules.")
    ] = "5s",
    db: DbOption = None,
) -> None:
    """Run due schedules, each in its own thread, until Ctrl-C.

    Several schedulers may share a store (on this machine or on others with PostgreSQL): each
    schedule runs in one of them at a time. Exit codes: 0 ok (with --once: every run ok),
    1 some run failed (--once), 2 usage or store error.
    """
    from ispflow.store.schedules import owner_id, parse_every

    try:
        tick_seconds = parse_every(tick)
    except ValueError as exc:
        raise _refuse(f"--tick {exc}") from None
    owner = owner_id()
    with _store(db) as database:
        url = database.url.render_as_string(hide_password=False)
        loop = _Scheduler(database, url, owner)
        failed = loop.run(once=once, tick=float(tick_seconds))
    if once and failed:
        raise typer.Exit(EXIT_REFUSED)


class _Scheduler:
    def __init__(self, database: Any, url: str, owner: str) -> None:
        self.database = database
        self.url = url
        self.owner = owner
        self.active: dict[int, _Active] = {}
        self.failed = 0
        self.once = False

    def run(self, *, once: bool, tick: float) -> int:
        _log(f"scheduler {self.owner} started" + (" (once)" if once else ""))
        restore = _sigterm_as_interrupt()
        try:
            self._loop(once=once, tick=tick)
        except KeyboardInterrupt:
            self._stop()
        finally:
            restore()
        return self.failed

    def _loop(self, *, once: bool, tick: float) -> None:
        from ispflow.store.db import StoreError

        self.once = once
        self._start_due()
        if once and not self.active:
            _log("nothing due")
        next_look = time.monotonic() + tick
        next_renewal = time.monotonic() + LEASE_SECONDS / 4
        while True:
            self._reap()
            now = time.monotonic()
            if once:
                if not self.active:
                    return
            elif now >= next_look:
                try:
                    self._start_due()
                except StoreError as exc:
                    # A store that is briefly away (a PostgreSQL restart) is tried again.
                    _log(f"could not look for due schedules: {exc}")
                next_look = now + tick
            if now >= next_renewal:
                self._renew()
                next_renewal = now + LEASE_SECONDS / 4
            # Polling the worker threads often keeps the end of a run prompt to record.
            time.sleep(0.2 if self.active else max(0.0, next_look - time.monotonic()))

    def _start_due(self) -> None:
        from ispflow.store.columns import utcnow
        from ispflow.store.schedules import due, take

        for schedule in due(self.database):
            if schedule.id in self.active or not take(
                self.database, schedule, self.owner, LEASE_SECONDS
            ):
                continue
            active = _Active(schedule, utcnow(), time.monotonic())
            # A new thread starts with an empty context (no copy of this one on purpose): its
            # run sets its own run context and never sees another schedule's.
            active.thread = threading.Thread(
                target=self._execute, args=(active,), name=f"schedule-{schedule.name}", daemon=True
            )
            self.active[schedule.id] = active
            _log(f"start {schedule.name}: {schedule.runbook}")
            active.thread.start()

    def _execute(self, active: _Active) -> None:
        from ispflow.engine.api import parse_limit, run_runbook
        from ispflow.engine.executor import StoreLost
        from ispflow.engine.model import RunOptions

        schedule = active.schedule
        try:
            options = RunOptions(
                workers=schedule.options.get("workers"),
                limit=parse_limit(schedule.options.get("limit")),
            )
            result = run_runbook(schedule.runbook, dict(schedule.vars), options, db=self.url)
            active.run_id, active.status = result.run_id, result.status
            active.message = result.message or ""
        except StoreLost as exc:
            # The run is known even though the store failed under it: name it in the log.
            active.run_id, active.status = exc.outcome.run_id, "interrupted"
            active.message = str(exc.cause)
        except RunbookError as exc:
            active.message = "; ".join(str(p) for p in exc.problems)
        except VarErrors as exc:
            active.message = "; ".join(str(e) for e in exc.errors)
        except Exception as exc:  # the scheduler outlives any one run going wrong
            active.message = f"{type(exc).__name__}: {exc}"
        finally:
            active.done.set()

    def _reap(self) -> None:
        from ispflow.store.db import StoreError
        from ispflow.store.schedules import finish

        for schedule_id, active in list(self.active.items()):
            if not active.done.is_set():
                continue
            try:
                kept = finish(
                    self.database,
                    schedule_id,
                    active.run_id,
                    active.status,
                    owner=self.owner,
                    started_at=active.started_at,
                )
            except StoreError as exc:
                if self.once:
                    raise
                # Kept in hand (the lease renewed) until the outcome can be written.
                _log(f"could not record the run of {active.schedule.name}: {exc}")
                continue
            del self.active[schedule_id]
            if active.status != "ok":
                self.failed += 1
            took = time.monotonic() - active.started
            detail = f" run {active.run_id}" if active.run_id else ""
            note = f": {active.message}" if active.message and active.status != "ok" else ""
            lost = "" if kept else " (lease lost: not recorded)"
            _log(
                f"end   {active.schedule.name}:{detail} {active.status} in {took:.1f}s{note}{lost}"
            )

    def _renew(self) -> None:
        from ispflow.store.db import StoreError
        from ispflow.store.schedules import renew

        for schedule_id, active in self.active.items():
            if active.done.is_set():
                continue
            try:
                if not renew(self.database, schedule_id, self.owner, LEASE_SECONDS):
                    _log(f"lease of {active.schedule.name} lost to another scheduler")
            except StoreError as exc:
                # The next renewal may get through before the lease runs out.
                _log(f"could not renew the lease of {active.schedule.name}: {exc}")

    def _stop(self) -> None:
        """First Ctrl-C: take nothing new, let the runs in progress finish. Second: quit now,
        giving the leases back so the schedules stay due."""
        from ispflow.store.schedules import release

        if self.active:
            names = ", ".join(a.schedule.name for a in self.active.values())
            _log(f"stopping: waiting for {names} (Ctrl-C again to quit now)")
            try:
                while self.active:
                    self._reap()
                    self._renew()
                    time.sleep(0.2)
            except KeyboardInterrupt:
                for schedule_id, active in list(self.active.items()):
                    release(self.database, schedule_id, self.owner)
                    _log(f"end   {active.schedule.name}: interrupted")
                    self.failed += 1
                self.active.clear()
        _log("scheduler stopped")


def _sigterm_as_interrupt() -> Any:
    """A service manager stops the scheduler with SIGTERM: treat it as Ctrl-C."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    return lambda: signal.signal(signal.SIGTERM, previous)


def _log(message: str) -> None:
    stamp = datetime.now().astimezone().strftime("%Y-%m-%d %H:%M:%S")
    err.print(f"{stamp} [{os.getpid()}] {message}", soft_wrap=True, markup=False)
