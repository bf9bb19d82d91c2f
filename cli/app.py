"""`ispflow`: the command line's top-level app and its `run`, `validate`, `runs`, `reconcile`,
`tasks` and `runbooks` commands; the other commands come from this package's modules."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ispflow.cli.common import err, log_to_console, make_console
from ispflow.cli.lazy_commands import LazyGroup, defer_building
from ispflow.cli.options import (
    CONTEXT_SETTINGS,
    DbOption,
    LimitOption,
    OutputOption,
    QuietOption,
    VerboseOption,
    dry_run_option,
    max_option,
    output_option,
)
from ispflow.core.errors import UsageError
from ispflow.core.private_files import write_private
from ispflow.engine.api import (
    EXIT_ABORTED,
    EXIT_FAILED,
    EXIT_OK,
    EXIT_STORE_LOST,
    EXIT_USAGE,
    exit_code,
    parse_extra_vars,
    parse_limit,
    run_runbook,
)
from ispflow.engine.errors import RunbookError, VarErrors
from ispflow.store.errors import StoreError

EXIT_CODES_HELP = (
    "Exit codes: 0 every host ok, 1 some host failed, 2 runbook/vars/usage/store error "
    "(nothing was run), 3 the run was aborted, 4 the store failed after work was done "
    "(what ran is printed; resume the run once the store is back)."
)

app = typer.Typer(
    name="ispflow",
    epilog=EXIT_CODES_HELP,
    help=(
        "Runbooks for fibre ISPs: authorize ONUs, read signal, block customers and close "
        "service orders across all OLTs and concentrators at once.\n\n"
        "Start with `ispflow runbooks` (what is shipped), `ispflow validate RUNBOOK`, then "
        "`ispflow run RUNBOOK --dry-run` to see what would be sent."
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings=CONTEXT_SETTINGS,
    # Only the command that runs is built (see lazy_commands; defer_building at the end).
    cls=LazyGroup,
)


def _print_version(value: bool) -> None:
    if value:
        from ispflow import __version__

        typer.echo(f"ispflow {__version__}")
        raise typer.Exit()


@app.callback()
def _top(
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", is_eager=True, callback=_print_version, help="Print the version."
        ),
    ] = False,
) -> None:
    pass


runs_app = typer.Typer(
    help="Runs recorded in the store: list them, show one.",
    no_args_is_help=False,
    context_settings=CONTEXT_SETTINGS,
)
app.add_typer(runs_app, name="runs")
# The commands and sub-apps of this package's other modules: each module is imported when
# one of its commands runs (and for `ispflow --help`), not on every start.
ELSEWHERE_COMMANDS = {
    "scheduler": "ispflow.cli.schedules:scheduler",
    "parse": "ispflow.cli.parse:parse",
    "report": "ispflow.cli.report:report",
    "compliance": "ispflow.cli.compliance:compliance",
    "worker": "ispflow.cli.worker:worker",
}
ELSEWHERE_GROUPS = {
    "lab": "ispflow.cli.lab:lab_app",
    "customer": "ispflow.cli.customers:customer_app",
    "contract": "ispflow.cli.customers:contract_app",
    "ticket": "ispflow.cli.tickets:ticket_app",
    "cto": "ispflow.cli.field:cto_app",
    "seal": "ispflow.cli.field:seal_app",
    "inventory": "ispflow.cli.inventory:inventory_app",
    "schedule": "ispflow.cli.schedules:schedule_app",
    "stock": "ispflow.cli.stock:stock_app",
    "readings": "ispflow.cli.readings:readings_app",
    "config": "ispflow.cli.configs:config_app",
    "onu": "ispflow.cli.onu:onu_app",
}

ReportOutput = Annotated[str, output_option("json", "junit", "html")]


def _fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(code)


# -- run -----------------------------------------------------------------------------------
@app.command(epilog=EXIT_CODES_HELP)
def run(
    runbook: Annotated[
        str | None,
        typer.Argument(help="Runbook file, or the name of a shipped one (see `ispflow runbooks`)."),
    ] = None,
    extra_vars: Annotated[
        list[str] | None,
        typer.Option(
            "--extra-vars",
            "-e",
            metavar="NAME=VALUE",
            help="Set a var: `-e vlan=100`, or `-e @vars.yaml`. Repeatable.",
        ),
    ] = None,
    limit: LimitOption = None,
    dry_run: Annotated[
        bool, dry_run_option("Show what would be sent per host; connect to nothing.")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            min=1,
            help="Hosts in parallel (default 20; a step's own `workers`/`serial` wins).",
        ),
    ] = None,
    tags: Annotated[
        str | None,
        typer.Option("--tags", help="Run only steps with one of these tags (comma-separated)."),
    ] = None,
    skip_tags: Annotated[
        str | None, typer.Option("--skip-tags", help="Skip steps with one of these tags.")
    ] = None,
    output: ReportOutput = "text",
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the report to this file instead of stdout.")
    ] = None,
    resume: Annotated[
        str | None,
        typer.Option(
            "--resume",
            metavar="RUN_ID",
            help="Continue an interrupted run; done host/steps are not repeated.",
        ),
    ] = None,
    rerun_failed: Annotated[
        str | None,
        typer.Option(
            "--rerun-failed",
            metavar="RUN_ID",
            help="Re-run only the hosts that failed in RUN_ID, from their failed step.",
        ),
    ] = None,
    max_connecting: Annotated[
        int, typer.Option("--max-connecting", min=1, help="Connection set-ups in progress at once.")
    ] = 10,
    connect_rate: Annotated[
        float | None,
        typer.Option("--connect-rate", min=0.01, help="New connections per second at most."),
    ] = None,
    inventory: Annotated[
        Path | None,
        typer.Option(
            "--inventory",
            "-i",
            help="Inventory folder (default: ISPFLOW_INVENTORY, a lab started here with `ispflow lab up`, else the bundled one).",
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="Inventory source: files, netbox or store (default: inventory.source in ispflow.yaml, else files).",
        ),
    ] = None,
    db: DbOption = None,
    quiet: QuietOption = False,
    verbose: VerboseOption = False,
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            metavar="SEVERITY",
            help="Audits: exit 1 (and JUnit failures) for findings this severe or worse: "
            "critical, major, minor or info.",
        ),
    ] = None,
    runner: Annotated[
        str,
        typer.Option(
            "--runner",
            help="local (this machine), or celery: each step's hosts go as shards to workers "
            "(`ispflow worker`) on their site's queue; needs a PostgreSQL store.",
        ),
    ] = "local",
    shard_by: Annotated[
        str, typer.Option("--shard-by", help="With --runner celery: a shard per site or per host.")
    ] = "site",
    registered_tasks_only: Annotated[
        bool,
        typer.Option(
            "--registered-tasks-only",
            help="Refuse a runbook that names a Python-path task (package.module:function): "
            "a Python path runs its code. For runbooks you did not write (CI, shared repos).",
        ),
    ] = False,
) -> None:
    """Run a runbook across the inventory, in parallel, journaled in the store.

    Examples:

    * `ispflow run inventory-check`
    * `ispflow run onu-authorize -e contract=1042 -e serial=HWTC1A2B3C4D --dry-run`
    * `ispflow run signal-audit --limit site=poa --output junit --out audit.xml --fail-on major`
    * `ispflow run --resume 20261124T110355-7f3a`
    * `ispflow run signal-audit --runner celery --db postgresql://ispflow@db/ispflow`
    """
    from ispflow.engine.executor import StoreLost
    from ispflow.engine.model import RunOptions
    from ispflow.engine.reports.findings import check_threshold, failing

    if resume and rerun_failed:
        raise _fail("use either --resume or --rerun-failed, not both")
    try:
        check_threshold(fail_on)
    except ValueError as exc:
        raise _fail(str(exc)) from None
    try:
        given = parse_extra_vars(extra_vars or [])
        options = RunOptions(
            dry_run=dry_run,
            workers=workers,
            limit=parse_limit(limit),
            tags=_tag_set(tags),
            skip_tags=_tag_set(skip_tags),
            max_connecting=max_connecting,
            connect_rate=connect_rate,
        )
        result = run_runbook(
            runbook,
            given,
            options,
            inventory=inventory,
            source=source,
            db=db,
            resume=resume,
            rerun_failed=rerun_failed,
            progress=None if quiet else make_console(stderr=True),
            runner=runner,
            shard_by=shard_by,
            registered_tasks_only=registered_tasks_only,
        )
    except RunbookError as exc:
        for problem in exc.problems:
            err.print(str(problem), soft_wrap=True, markup=False, emoji=False)
        raise _fail(f"{len(exc.problems)} problem(s); nothing was run") from None
    except VarErrors as exc:
        for item in exc.errors:
            err.print(str(item), soft_wrap=True, markup=False, emoji=False)
        raise _fail("bad vars; nothing was run") from None
    except StoreLost as exc:
        raise _store_lost(exc, output, out, verbose) from None
    except (UsageError, StoreError) as exc:
        raise _fail(str(exc)) from None
    except KeyboardInterrupt as exc:
        run_id = getattr(exc, "run_id", None)  # None: stopped before its first step
        hint = (
            f"resume with `ispflow run --resume {run_id}`"
            if run_id
            else "stopped before the first step (`ispflow runs` lists what was recorded)"
        )
        raise _fail(f"interrupted; {hint}", EXIT_ABORTED) from None

    _emit(result, output, out, verbose, fail_on, audit_db=db or True)
    code = exit_code(result.status)
    over = failing(result, fail_on)
    if over and code == EXIT_OK:
        err.print(f"{len(over)} finding(s) at or above {fail_on}: failing (--fail-on {fail_on})")
        code = EXIT_FAILED
    raise typer.Exit(code)


# Result keys that name what a host/step acted on, in the order they are shown.
_NAMING_KEYS = ("contract", "serial", "mac", "login", "address", "port", "onu_id")


def _store_lost(exc: Any, output: str, out: Path | None, verbose: bool) -> typer.Exit:
    """The store failed mid-run (`StoreLost`): the summary of what ran, from this process's
    memory, and how to find out the rest once the store is back."""
    from rich.text import Text

    run_id = exc.outcome.run_id
    if not exc.ran:
        return _fail_text(f"the store failed before any host ran; nothing was run: {exc.cause}")
    # The report must not reach for the store again (an audit's HTML page would).
    _emit(exc.outcome, output, out, verbose, audit_db=False)
    touched = [o for o in exc.ran if o.status in ("changed", "failed")]
    if touched:
        err.print(
            Text("Done before the store failed (from memory; the store may lack it):", "bold")
        )
        for outcome in touched:
            err.print(Text("  " + _work_line(outcome)), soft_wrap=True)
    err.print(
        Text.assemble(
            ("error:", "bold red"), f" the store failed after work was done: {exc.cause}"
        ),
        soft_wrap=True,
    )
    err.print(
        Text(
            f"To find out what was changed, once the store is back: `ispflow runs show {run_id}` "
            f"lists what it recorded, and `ispflow run --resume {run_id}` runs again only what "
            "it has no result for."
        ),
        soft_wrap=True,
    )
    return typer.Exit(EXIT_STORE_LOST)


def _fail_text(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """`_fail` for messages that may hold brackets (a database's error text)."""
    from rich.text import Text

    err.print(Text.assemble(("error:", "bold red"), f" {message}"), soft_wrap=True)
    return typer.Exit(code)


def _work_line(outcome: Any) -> str:
    """host · step · status · what it acted on (a failed one may be half-done)."""
    parts = [outcome.host, outcome.step_name, outcome.status]
    named = _named(outcome.result)
    if named:
        parts.append(named)
    if outcome.status == "failed" and outcome.error:
        # One line per host/step; the summary above has the whole error.
        parts.append(outcome.error.strip().splitlines()[0][:160])
    return " · ".join(parts)


def _named(result: Any) -> str:
    """The identifying values of a result, or of the items of a loop that changed or failed."""
    if isinstance(result, dict):
        return ", ".join(f"{k} {result[k]}" for k in _NAMING_KEYS if result.get(k) is not None)
    if isinstance(result, list):
        items = [
            _named(entry.get("result")) or _named(entry.get("item"))
            for entry in result
            if isinstance(entry, dict) and entry.get("status") in ("changed", "failed")
        ]
        return "; ".join(item for item in items if item)
    return ""


def _emit(
    result: Any,
    output: str,
    out: Path | None,
    verbose: bool,
    fail_on: str | None = None,
    *,
    audit_db: str | None | bool = False,
) -> None:
    """Print or write the report; with `audit_db` (the run's store), an audit run's HTML is
    the audit page."""
    from ispflow.engine.reports.text import print_summary

    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_private(out, _rendered(result, output, verbose, fail_on, audit_db))
        print_summary(result, err, verbose=verbose)
        err.print(f"report written to {out}")
    elif output == "text":
        print_summary(result, make_console(), verbose=verbose)
    else:
        sys.stdout.write(_rendered(result, output, verbose, fail_on, audit_db))
        sys.stdout.write("\n")


def _rendered(
    result: Any, output: str, verbose: bool, fail_on: str | None, audit_db: str | None | bool
) -> str:
    """The report; an audit run's HTML is the audit page (plots, worst CTOs, trend)."""
    from ispflow.engine.reports import render_report

    if output == "html" and audit_db is not False and not result.dry_run:
        from ispflow.engine.reports.audit import build_audit, render_audit_html
        from ispflow.store.db import open_database

        db = audit_db if isinstance(audit_db, str) else None
        with open_database(db) as database:
            audit = build_audit(database, result.run_id)
        if audit.onus_read or audit.findings_total:
            return render_audit_html(audit)
    return render_report(result, output, verbose=verbose, fail_on=fail_on)


# -- helpers for run -----------------------------------------------------------------------
def _tag_set(text: str | None) -> frozenset[str]:
    return frozenset(t.strip() for t in (text or "").split(",") if t.strip())


# -- validate ------------------------------------------------------------------------------
@app.command()
def validate(
    runbooks: Annotated[list[str], typer.Argument(help="Runbook files or shipped names.")],
    import_tasks: Annotated[
        bool,
        typer.Option(
            "--import-tasks",
            help="Import the modules of Python-path tasks to check them fully. Importing "
            "runs the module's code: use it only for runbooks you trust.",
        ),
    ] = False,
    registered_tasks_only: Annotated[
        bool,
        typer.Option(
            "--registered-tasks-only",
            help="A Python-path task is a problem: only tasks `ispflow tasks` lists.",
        ),
    ] = False,
) -> None:
    """Check runbooks without running them: every problem, as file:line:col, exit 2 if any.

    A Python-path task (`package.module:function`) is found in its module's source without
    running the module; what only an import can settle is printed as a note. The
    configuration's `runbooks.python_tasks` applies as it does to runs.
    """
    from ispflow.engine.loader import load_runbook
    from ispflow.tasks.task_policy import configured_policy

    try:
        policy = configured_policy()
    except UsageError as exc:
        raise _fail(str(exc)) from None
    if registered_tasks_only:
        policy = policy.registered_only("--registered-tasks-only")
    if not import_tasks:
        policy = policy.inspecting()
    problems = 0
    for source in runbooks:
        try:
            book = load_runbook(source, policy)
        except RunbookError as exc:
            for problem in exc.problems:
                err.print(str(problem), soft_wrap=True, markup=False, emoji=False)
            problems += len(exc.problems)
            continue
        except UsageError as exc:
            err.print(f"{source}: {exc}", soft_wrap=True, markup=False, emoji=False)
            problems += 1
            continue
        for note in book.notes:
            err.print(
                f"note: {note} (--import-tasks imports it)",
                soft_wrap=True,
                markup=False,
                emoji=False,
            )
        rollback = f", {len(book.rollback_steps)} rollback" if book.rollback_steps else ""
        make_console().print(
            f"ok  {book.path}: '{book.name}', {len(book.steps)} steps{rollback}, "
            f"{len(book.var_specs)} vars, targets '{book.targets}'",
            markup=False,
            emoji=False,
        )
    if problems:
        raise _fail(f"{problems} problem(s) found")


# -- runs ----------------------------------------------------------------------------------
@runs_app.callback(invoke_without_command=True)
def runs_list(
    ctx: typer.Context,
    count: Annotated[int, max_option("How many runs, newest first.")] = 20,
    status: Annotated[
        str | None,
        typer.Option(
            "--status",
            help="Only runs with this status (ok, failed, aborted, interrupted, running).",
        ),
    ] = None,
    output: OutputOption = "text",
    db: DbOption = None,
) -> None:
    """List recent runs, newest first."""
    if ctx.invoked_subcommand is not None:
        return
    import json

    from ispflow.store.db import open_database
    from ispflow.store.journal import Journal

    database = open_database(db)
    journal = Journal(database)
    try:
        found = journal.list_runs(limit=count, status=status)
        counts = journal.run_counts([r.run_id for r in found])
    finally:
        journal.close()
        database.close()
    if output == "json":
        rows = []
        for r in found:
            row = r.to_dict()
            row.pop("results", None)
            row["counts"] = counts.get(r.run_id, {})
            rows.append(row)
        sys.stdout.write(json.dumps(rows, indent=2, default=str) + "\n")
        return
    from rich.table import Table

    table = Table(title=None, show_edge=False)
    for column in (
        "run id",
        "runbook",
        "status",
        "started",
        "hosts",
        "ok",
        "changed",
        "failed",
        "message",
    ):
        table.add_column(column, overflow="fold")
    for r in found:
        c = counts.get(r.run_id, {})
        table.add_row(
            r.run_id,
            r.runbook + (" (dry run)" if r.dry_run else ""),
            r.status,
            r.started_at.strftime("%Y-%m-%d %H:%M:%S") if r.started_at else "",
            str(len(r.hosts)),
            str(c.get("ok", 0)),
            str(c.get("changed", 0)),
            str(c.get("failed", 0)),
            r.message or "",
        )
    make_console().print(table if found else "no runs recorded yet")


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")],
    output: ReportOutput = "text",
    out: Annotated[Path | None, typer.Option("--out", help="Write to this file.")] = None,
    verbose: VerboseOption = False,
    db: DbOption = None,
) -> None:
    """Show one run: per host, per step, what happened."""
    from ispflow.store.db import StoreError, open_database
    from ispflow.store.journal import Journal

    database = open_database(db)
    journal = Journal(database)
    try:
        found = journal.load_run(run_id)
    except StoreError as exc:
        raise _fail(str(exc)) from None
    finally:
        journal.close()
        database.close()
    _emit(found, output, out, verbose)


# -- discovery -----------------------------------------------------------------------------
@app.command(epilog="Exit codes: 0 everything agrees, 1 findings (or a device unread), 2 usage.")
def reconcile(
    limit: LimitOption = None,
    netbox: Annotated[
        bool,
        typer.Option("--netbox", help="Also compare the inventory with NetBox (configured)."),
    ] = False,
    fix: Annotated[
        bool,
        typer.Option("--fix", help="Show the store fixes for the safe cases (moved, missing)."),
    ] = False,
    apply: Annotated[
        bool, typer.Option("--apply", help="With --fix: make those changes in the store.")
    ] = False,
    output: Annotated[str, output_option("json", "html")] = "text",
    out: Annotated[Path | None, typer.Option("--out", help="Write the report to a file.")] = None,
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1)] = None,
    inventory: Annotated[
        Path | None, typer.Option("--inventory", "-i", help="Inventory folder.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Where the devices, the store and NetBox disagree.

    Reads every OLT's ONUs and every concentrator's PPP secrets (the `reconcile` runbook) and
    reports: ONUs on an OLT with no contract (ghost), contracts whose ONU is not on the OLT
    (missing), ONUs on another PON/id than recorded (moved), one ONU linked to two or more
    contracts in the store (onu_shared), PPP logins with no contract, and
    with --netbox devices in NetBox but not in the inventory and the other way round.

    `ispflow reconcile --fix` shows the store changes for the safe cases;
    `ispflow reconcile --fix --apply` makes them. Devices are never changed.
    """
    from ispflow.engine.model import RunOptions
    from ispflow.engine.reconcile import (
        ReconcileReport,
        apply_fixes,
        device_findings,
        inventory_findings,
        plan_fixes,
        store_findings,
    )
    from ispflow.engine.reports.reconcile import render
    from ispflow.store.db import StoreError

    if apply and not fix:
        raise _fail("--apply goes with --fix")
    try:
        options = RunOptions(limit=parse_limit(limit), workers=workers)
        outcome = run_runbook("reconcile", {}, options, inventory=inventory, db=db, progress=err)
        findings, devices = device_findings(outcome.to_dict()["results"])
        from ispflow.store.db import open_database

        with open_database(db) as database:
            findings += store_findings(database)
        if netbox:
            from ispflow.plugins.inventory.files import open_nornir

            # The YAML inventory (or the lab's) against NetBox, read afresh: no cached list.
            network = open_nornir(inventory, source="files").inventory.hosts
            listed = open_nornir(source="netbox", refresh=True).inventory.hosts
            findings += inventory_findings(network, listed)
        report = ReconcileReport(outcome.run_id, findings, devices, netbox_compared=netbox)
        if fix:
            report.fixes = plan_fixes(findings)
            if apply and report.fixes:
                with open_database(db) as database:
                    report.fixes = apply_fixes(database, report.fixes)
                report.applied = True
    except (UsageError, RunbookError, StoreError) as exc:
        raise _fail(str(exc)) from None
    text = render(report, output)
    if out is not None:
        write_private(out, text)
        err.print(f"report written to {out}")
    else:
        sys.stdout.write(text)
    fixed = {(f["serial"], f["olt"]) for f in report.fixes if f.get("done")}
    left = [f for f in report.findings if (f.get("serial"), f.get("olt")) not in fixed]
    raise typer.Exit(EXIT_FAILED if left else EXIT_OK)


@app.command("tasks")
def list_tasks() -> None:
    """Tasks a runbook step can use (`task:`), with their arguments."""
    from rich.table import Table

    from ispflow.tasks.registry import registry

    table = Table(show_edge=False)
    for column in ("task", "arguments", "dry run", "what it does"):
        table.add_column(column, overflow="fold")
    for spec in registry.all():
        args = ", ".join(p if p not in spec.required else f"{p}*" for p in spec.params)
        if spec.accepts_any:
            args = (args + ", " if args else "") + "any"
        what = spec.summary
        if spec.view is not None:
            what += f"\nshows: {', '.join(spec.view.columns) or 'every key'}"
        table.add_row(spec.name, args, "yes" if spec.supports_dry_run else "engine", what)
    out = make_console()
    out.print(table)
    out.print("* required.  'engine' = the task is not called on --dry-run.")
    out.print("shows: the result columns the text report prints (a step's `show:` chooses others).")


@app.command("runbooks")
def list_runbooks() -> None:
    """Shipped runbooks (and those in ISPFLOW_RUNBOOKS folders)."""
    from rich.table import Table

    from ispflow.core.paths import runbook_summary, shipped_runbooks

    table = Table(show_edge=False)
    table.add_column("runbook")
    table.add_column("description", overflow="fold")
    for name, path in shipped_runbooks().items():
        table.add_row(name, runbook_summary(path))
    make_console().print(table)


defer_building(app, commands=ELSEWHERE_COMMANDS, groups=ELSEWHERE_GROUPS)


def main() -> None:
    """Console-script entry point."""
    # Nornir logs a traceback for every task exception; ispflow reports failures itself, per
    # host, in the summary and the journal.
    nornir_log = logging.getLogger("nornir")
    nornir_log.addHandler(logging.NullHandler())
    nornir_log.propagate = False
    log_to_console()
    try:
        app()
    except (UsageError, StoreError) as exc:
        # A store that cannot be reached is said in one line by every command, never as a
        # traceback (which would also show the connection URL's parts).
        from rich.text import Text

        err.print(Text.assemble(("error:", "bold red"), f" {exc}"), soft_wrap=True)
        sys.exit(EXIT_USAGE)
