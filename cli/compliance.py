"""`ispflow compliance`: the compliance audit, its report, and its remediation."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ispflow.cli.common import err
from ispflow.cli.options import DbOption, LimitOption, output_option
from ispflow.core.private_files import write_private


def compliance(
    rules: Annotated[
        Path | None,
        typer.Option("--rules", "-r", help="Rules file (default: runbooks/compliance/rules.yaml)."),
    ] = None,
    limit: LimitOption = None,
    output: Annotated[str, output_option("json", "junit")] = "text",
    out: Annotated[Path | None, typer.Option("--out", help="Write the report to a file.")] = None,
    fail_on: Annotated[
        str,
        typer.Option(
            "--fail-on",
            metavar="SEVERITY",
            help="Exit 1 for findings this severe or worse: critical, major, minor or info.",
        ),
    ] = "info",
    remediate: Annotated[
        bool,
        typer.Option("--remediate", help="Show each finding's remediation runbook as a dry run."),
    ] = False,
    apply: Annotated[
        bool, typer.Option("--apply", help="With --remediate: carry the remediations out.")
    ] = False,
    workers: Annotated[int | None, typer.Option("--workers", "-w", min=1)] = None,
    inventory: Annotated[
        Path | None, typer.Option("--inventory", "-i", help="Inventory folder.")
    ] = None,
    db: DbOption = None,
) -> None:
    """The network against what it should be, by rules kept as data.

    Runs the `compliance-audit` runbook (every OLT's ONUs, descriptions and service-port
    VLANs; every concentrator's secrets, sessions, blocking list and pools) and reports the
    findings of each rule with its severity.

    `--remediate` shows what each finding's remediation runbook would do (a dry run, nothing
    changes); `--remediate --apply` carries them out, each a journaled run of its own.
    Exit 0 when nothing at `--fail-on` or worse is left (fixed findings do not count), 1
    otherwise or when a device could not be read, 2 for a bad rules file or option.

    Examples: `ispflow compliance -o junit --out compliance.xml --fail-on major`,
    `ispflow compliance --rules my-rules.yaml --remediate`.
    """
    from ispflow.core.errors import UsageError
    from ispflow.engine.api import parse_limit, run_runbook
    from ispflow.engine.compliance_remediation import carry_out, plan
    from ispflow.engine.errors import RunbookError
    from ispflow.engine.model import RunOptions
    from ispflow.engine.reports.compliance import ComplianceReport, render_json, render_text
    from ispflow.engine.reports.findings import at_least, check_threshold, run_findings
    from ispflow.engine.reports.junit import render_junit
    from ispflow.tasks.compliance_rules import load_rules

    problems = ["--apply goes with --remediate"] if apply and not remediate else []
    try:
        check_threshold(fail_on)
    except ValueError as exc:
        problems.append(str(exc))
    if problems:
        for problem in problems:
            err.print(f"[bold red]error:[/] {problem}", soft_wrap=True)
        raise typer.Exit(2)
    try:
        ruleset = load_rules(rules)
        given = {"rules": str(rules.resolve())} if rules else {}
        options = RunOptions(limit=parse_limit(limit), workers=workers)
        outcome = run_runbook(
            "compliance-audit", given, options, inventory=inventory, db=db, progress=err
        )
    except RunbookError as exc:
        for problem in exc.problems:
            err.print(str(problem), soft_wrap=True, markup=False)
        err.print(f"[bold red]error:[/] {len(exc.problems)} problem(s); nothing was run")
        raise typer.Exit(2) from None
    except UsageError as exc:
        err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(2) from None
    findings = list(run_findings(outcome))
    report = ComplianceReport(
        run_id=outcome.run_id,
        rules_file=ruleset.source,
        devices=len({o.host for o in outcome.outcomes if o.status != "skipped"}),
        findings=findings,
        unread=_unread(outcome),
        fail_on=fail_on,
    )
    if remediate:
        report.remedies, report.unfixable = plan(findings)

        def runner(runbook: str, variables: dict[str, str], where: str | None, dry: bool) -> Any:
            return run_runbook(
                runbook,
                variables,
                RunOptions(dry_run=dry, limit=parse_limit(where) if where else None),
                inventory=inventory,
                db=db,
            )

        carry_out(report.remedies, runner, apply=apply)
        report.applied = apply
    _write(report, output, out, render_text, render_json, render_junit, outcome)
    fixed = {id(f) for r in report.remedies if r.status == "done" for f in r.findings}
    left = [f for f in findings if id(f) not in fixed and at_least(f.severity, fail_on)]
    broken = [r for r in report.remedies if r.status == "failed"]
    raise typer.Exit(1 if left or report.unread or broken else 0)


def _unread(outcome: Any) -> list[dict[str, Any]]:
    """Devices (or PONs) the audit could not read: their rules were not checked."""
    unread = []
    for step in outcome.outcomes:
        if step.status != "failed":
            continue
        result = step.result if isinstance(step.result, dict) else {}
        ports = result.get("unread_ports") or []
        if ports:
            unread += [{"host": step.host, "error": f"{p['port']}: {p['error']}"} for p in ports]
        else:
            unread.append({"host": step.host, "error": step.error or "failed"})
    return unread


def _write(
    report: Any, output: str, out: Path | None, text: Any, json: Any, junit: Any, run: Any
) -> None:
    if output == "junit":
        rendered = junit(run, report.fail_on)
    elif output == "json":
        rendered = json(report)
    else:
        rendered = text(report)
    if out is not None:
        out.parent.mkdir(parents=True, exist_ok=True)
        write_private(out, rendered)
        err.print(f"report written to {out}")
        if output != "text":
            err.print(text(report), end="")
    else:
        sys.stdout.write(rendered)
