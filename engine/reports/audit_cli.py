"""`ispflow report RUN_ID`: the signal audit of a stored run, as HTML, JSON or a short summary."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

err = Console(stderr=True, highlight=False)


def report(
    run_id: Annotated[str, typer.Argument(help="Run id (a unique prefix is enough).")],
    html: Annotated[
        Path | None, typer.Option("--html", help="Write the audit as one HTML page to this file.")
    ] = None,
    output: Annotated[
        str, typer.Option("--output", "-o", help="text (a summary) or json (the aggregates).")
    ] = "text",
    trend: Annotated[
        int, typer.Option("--trend", min=1, max=500, help="Runs of the same runbook in the trend.")
    ] = 10,
    db: Annotated[str | None, typer.Option("--db", help="Store URL.")] = None,
) -> None:
    """Audit report of a signal run: rx per OLT/PON, worst CTOs, trend, findings, readings."""
    from engine.reports.audit import build_audit, render_audit_html, render_audit_json
    from store.db import StoreError, open_database

    if output not in ("text", "json"):
        err.print(f"[bold red]error:[/] --output '{output}' is not one of text, json")
        raise typer.Exit(2)
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
        html.write_text(render_audit_html(audit), encoding="utf-8")
    if output == "json":
        sys.stdout.write(render_audit_json(audit))
        if html is not None:
            err.print(f"report written to {html}")
        return
    classes = " · ".join(f"{n:,} {name}" for name, n in audit.classes.items() if n)
    out = Console(highlight=False)
    out.print(f"run {audit.run['run_id']} ({audit.run['runbook']}, {audit.run['status']})")
    out.print(f"{audit.onus_read:,} ONUs read on {audit.olts_read} OLTs: {classes or 'nothing'}")
    if audit.worst:
        worst = audit.worst[0]
        out.print(f"worst {worst.kind.upper()}: {worst.name} ({worst.bad} bad of {worst.count})")
    out.print(f"findings: {audit.findings_total}")
    if html is not None:
        out.print(f"report written to {html}")
