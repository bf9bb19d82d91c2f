"""Remediation of compliance findings: each rule's runbook, shown as a dry run or carried out.

Findings that would call the same runbook with the same values (a pool found twice, say)
make one call. Each call is a run of its own, journaled like any other, so what a
remediation changed is in `ispflow runs` with its run id.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from typing import Any

from ispflow.engine.reports.findings import RunFinding, rank

# Runs one runbook: (name, vars, --limit text or None, dry_run) -> RunOutcome.
Runner = Callable[[str, dict[str, str], str | None, bool], Any]


@dataclasses.dataclass
class Remedy:
    runbook: str
    vars: dict[str, str]
    limit: str | None
    findings: list[RunFinding]
    run_id: str | None = None
    status: str = "planned"  # planned, previewed, done, failed
    error: str | None = None
    commands: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    @property
    def command_line(self) -> str:
        """The same call by hand."""
        parts = ["ispflow run", self.runbook]
        parts += [f"-e {k}={_quoted(v)}" for k, v in self.vars.items()]
        if self.limit:
            parts.append(f"-l {_quoted(self.limit)}")
        return " ".join(parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "runbook": self.runbook,
            "vars": self.vars,
            "limit": self.limit,
            "command": self.command_line,
            "findings": [f"{f.rule}: {f.subject}" for f in self.findings],
            "run_id": self.run_id,
            "status": self.status,
            "error": self.error,
            "commands": self.commands,
        }


def _quoted(value: str) -> str:
    return value if value and all(c.isalnum() or c in "._-/:=,@" for c in value) else repr(value)


def plan(findings: Iterable[RunFinding]) -> tuple[list[Remedy], list[RunFinding]]:
    """One call per distinct (runbook, vars, limit), worst findings first; and the findings
    whose remediation could not be filled in (they carry an `error`)."""
    remedies: dict[tuple[Any, ...], Remedy] = {}
    broken = []
    for found in sorted(findings, key=lambda f: rank(f.severity)):
        fix = found.fields.get("remediation")
        if not isinstance(fix, dict):
            continue
        if fix.get("error"):
            broken.append(found)
            continue
        variables = {str(k): str(v) for k, v in (fix.get("vars") or {}).items()}
        key = (fix["runbook"], tuple(sorted(variables.items())), fix.get("limit"))
        remedy = remedies.get(key)
        if remedy is None:
            remedy = remedies[key] = Remedy(fix["runbook"], variables, fix.get("limit"), [])
        remedy.findings.append(found)
    return list(remedies.values()), broken


def carry_out(remedies: list[Remedy], runner: Runner, *, apply: bool) -> None:
    """Run every remedy (dry runs unless `apply`); one failing does not stop the others."""
    for remedy in remedies:
        try:
            outcome = runner(remedy.runbook, remedy.vars, remedy.limit, not apply)
        except Exception as exc:  # a bad var or runbook: reported on this remedy only
            remedy.status, remedy.error = "failed", str(exc)
            continue
        remedy.run_id = outcome.run_id
        ran = [o for o in outcome.outcomes if not o.rollback and o.status != "skipped"]
        for step in ran:
            result = step.result if isinstance(step.result, dict) else {}
            if result.get("commands"):
                remedy.commands.setdefault(step.host, []).extend(map(str, result["commands"]))
        failed = [o for o in ran if o.status == "failed"]
        if failed:
            remedy.status = "failed"
            remedy.error = "; ".join(f"{o.host}: {o.error}" for o in failed)
        elif not ran:
            remedy.status = "failed"
            remedy.error = "no host of the inventory took it (check --limit / the inventory)"
        else:
            remedy.status = "done" if apply else "previewed"
