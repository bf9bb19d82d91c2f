"""`ispflow report RUN_ID`: the signal audit of a stored run, as HTML, JSON or a short summary."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from ispflow.cli.common import err, make_console
from ispflow.cli.options import DbOption, output_option
from ispflow.core.private_files import write_private


def report(
    run_id: Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")],
    html: Annotated[
        Path | None, typer.Option("--html", help="Write the audit as one HTML page to this file.")
    ] = None,
    output: Annotated[str, output_option("json", "junit")] = "text",
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            metavar="SEVERITY",
            help="Exit 1 (and JUnit failures) for findings this severe or worse: critical, "
            "major, minor or info.",
        ),
    ] = None,
    trend: Annotated[
        int, typer.Option("--trend", min=1, max=500, help="Runs of the same runbook in the trend.")
    ] = 10,
    db: DbOption = None,
) -> None:
    """Audit report of a stored run: rx per OLT/PON, worst CTOs, trend, findings, readings.

    `-o text` prints a summary, `-o json` the aggregates, `-o junit` the run with its findings.

    `ispflow report RUN_ID -o junit --fail-on major > audit.xml` fails a CI job (exit 1) when
    the audit found something at least that severe.
    """
    from ispflow.engine.reports.audit import (
        build_audit,
        readings_dropped_note,
        render_audit_html,
        render_audit_json,
    )
    from ispflow.engine.reports.findings import check_threshold, failing
    from ispflow.engine.reports.junit import render_junit
    from ispflow.store.db import StoreError, open_database

    try:
        check_threshold(fail_on)
    except ValueError as exc:
        err.print(f"[bold red]error:[/] {exc}")
        raise typer.Exit(2) from None
    database = open_database(db)
    try:
        audit = build_audit(database, run_id, trend_runs=trend)
    except StoreError as exc:
        err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(2) from None
    finally:
        database.close()
    if html is not None:
        html.parent.mkdir(parents=True, exist_ok=True)
        write_private(html, render_audit_html(audit))
    over = failing(audit.outcome, fail_on) if audit.outcome else []
    if output in ("json", "junit"):
        if output == "json":
            sys.stdout.write(render_audit_json(audit))
        else:
            sys.stdout.write(render_junit(audit.outcome, fail_on) if audit.outcome else "")
        if html is not None:
            err.print(f"report written to {html}")
        _fail_on(over, fail_on)
        return
    classes = " · ".join(f"{n:,} {name}" for name, n in audit.classes.items() if n)
    out = make_console()
    out.print(f"run {audit.run['run_id']} ({audit.run['runbook']}, {audit.run['status']})")
    out.print(f"{audit.onus_read:,} ONUs read on {audit.olts_read} OLTs: {classes or 'nothing'}")
    dropped = readings_dropped_note(audit)
    if dropped:
        out.print(dropped, markup=False)
    if audit.worst:
        worst = audit.worst[0]
        out.print(f"worst {worst.kind.upper()}: {worst.name} ({worst.bad} bad of {worst.count})")
    out.print(f"findings: {audit.findings_total}")
    if html is not None:
        out.print(f"report written to {html}")
    _fail_on(over, fail_on)


def _fail_on(over: list, fail_on: str | None) -> None:
    if over:
        err.print(f"{len(over)} finding(s) at or above {fail_on}: failing (--fail-on {fail_on})")
        raise typer.Exit(1)
