"""Compliance rules as data: which checks run, how severe a finding is, and how to fix it.

A rules file is YAML:

    rules:
      - id: pool-nearly-full          # unique; names the finding
        check: pool_usage             # one of CHECKS
        severity: major               # critical, major, minor or info
        title: IP pool over 90% used  # optional; the check's title otherwise
        params: {full_at: 0.9}        # the check's parameters (CHECKS lists them)
        enabled: true                 # optional
        remediation:                  # optional: a runbook that fixes one finding
          runbook: ppp-block
          vars: {contract: "{{ contract }}", method: both}
          limit: "{{ concentrator }}" # optional: the host to run it on

Remediation values are Jinja2 templates over the finding's fields. Every problem in a file
is reported at once, with its file:line.
"""

from __future__ import annotations

import dataclasses
import re
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from ispflow.core.documents import Problem, RunbookError
from ispflow.core.paths import RUNBOOKS_DIR
from ispflow.core.suggest import did_you_mean
from ispflow.core.yaml_source import plain, read_yaml, value_where, where

DEFAULT_RULES = RUNBOOKS_DIR / "compliance" / "rules.yaml"
SEVERITIES = ("critical", "major", "minor", "info")
RULE_KEYS = ("id", "check", "severity", "title", "params", "enabled", "remediation")
REMEDIATION_KEYS = ("runbook", "vars", "limit")
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")


@dataclasses.dataclass(frozen=True)
class Param:
    kind: type
    default: Any
    low: float | None = None
    high: float | None = None
    help: str = ""
    regex: bool = False  # a regular expression: refused when it does not compile


@dataclasses.dataclass(frozen=True)
class Check:
    title: str
    device: str  # "olt", "concentrator" or "any": which devices it reads
    params: dict[str, Param] = dataclasses.field(default_factory=dict)


CHECKS: dict[str, Check] = {
    "onu_without_contract": Check("ONU authorized on the OLT without a contract", "olt"),
    "contract_onu_missing": Check("active contract whose ONU is not on the OLT", "olt"),
    "onu_moved": Check("ONU on another PON/id than the store records", "olt"),
    "onu_description": Check(
        "ONU description not the contract's",
        "olt",
        {
            "expect": Param(
                str,
                "{{ recorded or standard }}",
                help="template of the expected description: contract, customer, cto, "
                "cto_port, recorded (what the store recorded), standard (code_Customer_Name)",
            )
        },
    ),
    "service_port_vlan": Check("service-port VLAN not the contract's", "olt"),
    "blocked_not_enforced": Check(
        "blocked contract online with an unblocked session or off the blocking list",
        "concentrator",
    ),
    "unblocked_still_listed": Check(
        "unblocked contract still on the blocking list or profile", "concentrator"
    ),
    "pool_overlap": Check("IP pools overlapping", "concentrator"),
    "pool_usage": Check(
        "IP pool nearly full",
        "concentrator",
        {"full_at": Param(float, 0.9, 0.0, 1.0, help="share of the pool in use that counts")},
    ),
    "user_not_allowed": Check(
        "router user account that should not exist",
        "concentrator",
        {
            "allowed": Param(
                str,
                "admin",
                help="regular expression (whole name) of the user accounts allowed",
                regex=True,
            )
        },
    ),
    "pppoe_interface_down": Check(
        "interface a PPPoE server listens on is down or disabled", "concentrator"
    ),
    "config_drift": Check(
        "running configuration differs from the intended one",
        "any",
        {
            "template": Param(
                str,
                "intended/{{ vendor }}.j2",
                help="intended-configuration template per platform, relative to the rules "
                "file; a template over the host (name, platform, vendor, model, site)",
            ),
            "key_words": Param(
                int,
                2,
                1,
                10,
                help="lines with the same first words as an intended line are of its kind: "
                "such a line the intended configuration lacks is extra (a template may set "
                "its own: {% set key_words = 3 %})",
            ),
        },
    ),
}


@dataclasses.dataclass(frozen=True)
class Remediation:
    runbook: str
    vars: dict[str, str]
    limit: str | None = None


@dataclasses.dataclass(frozen=True)
class Rule:
    id: str
    check: str
    severity: str
    title: str
    params: dict[str, Any]
    remediation: Remediation | None = None

    @property
    def device(self) -> str:
        return CHECKS[self.check].device


@dataclasses.dataclass(frozen=True)
class RuleSet:
    source: str
    rules: tuple[Rule, ...]

    def for_device(self, device: str) -> list[Rule]:
        return [r for r in self.rules if r.device in (device, "any")]

    @property
    def folder(self) -> Path:
        """Where the rules file is: the base of the paths its rules name."""
        return Path(self.source).parent

    def wants(self, check: str) -> list[Rule]:
        return [r for r in self.rules if r.check == check]


_templates = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def render_value(template: str, fields: dict[str, Any]) -> str:
    """A rule's template over a finding's fields; a missing field is an error naming it."""
    return _templates.from_string(template).render(**fields)


def remediation_for(rule: Rule, fields: dict[str, Any]) -> dict[str, Any] | None:
    """The runbook call that fixes one finding, its values filled in from the finding."""
    if rule.remediation is None:
        return None
    try:
        return {
            "runbook": rule.remediation.runbook,
            "vars": {k: render_value(v, fields) for k, v in rule.remediation.vars.items()},
            "limit": render_value(rule.remediation.limit, fields)
            if rule.remediation.limit
            else None,
        }
    except TemplateError as exc:
        return {"runbook": rule.remediation.runbook, "error": f"rule {rule.id}: {exc}"}


def load_rules(path: str | Path | None = None) -> RuleSet:
    """The rules of a file (the shipped ones by default); RunbookError lists every problem."""
    file = Path(path) if path else DEFAULT_RULES
    stat = file.stat() if file.is_file() else None
    return _load(str(file), stat.st_mtime_ns if stat else 0)


@cache
def _load(name: str, _mtime_ns: int) -> RuleSet:
    data, problems = read_yaml(Path(name))
    if problems:
        raise RunbookError(problems)
    rules_node = data.get("rules") if isinstance(data, dict) else None
    if not isinstance(rules_node, list):
        raise RunbookError(
            [Problem(where(name, data) if data is not None else None, "expected `rules:` list")]
        )
    problems = []
    rules: list[Rule] = []
    seen: dict[str, int] = {}
    for index, node in enumerate(rules_node):
        rule = _rule(name, rules_node, index, node, problems)
        if rule is None:
            continue
        if rule.id in seen:
            problems.append(
                Problem(
                    value_where(name, node, "id"),
                    f"rule id '{rule.id}' is used twice (first at rule {seen[rule.id] + 1})",
                )
            )
            continue
        seen[rule.id] = index
        rules.append(rule)
    if problems:
        raise RunbookError(problems)
    return RuleSet(name, tuple(rules))


def _rule(name: str, parent: Any, index: int, node: Any, problems: list[Problem]) -> Rule | None:
    if not isinstance(node, dict):
        problems.append(Problem(where(name, parent, index=index), "a rule is a mapping"))
        return None
    count = len(problems)
    for key in node:
        if key not in RULE_KEYS:
            hint = did_you_mean(str(key), RULE_KEYS)
            problems.append(Problem(where(name, node, key), f"unknown rule key '{key}'{hint}"))
    rule_id = str(node.get("id", ""))
    if not _ID.match(rule_id):
        problems.append(
            Problem(
                value_where(name, node, "id") if "id" in node else where(name, node),
                "each rule needs an `id` of lower-case letters, digits, - and _",
            )
        )
    check = node.get("check")
    if check not in CHECKS:
        hint = did_you_mean(str(check), CHECKS) if check else ""
        known = ", ".join(CHECKS)
        problems.append(
            Problem(
                value_where(name, node, "check") if "check" in node else where(name, node),
                f"unknown check '{check}'{hint} (known: {known})",
            )
        )
    severity = str(node.get("severity", "")).lower()
    if severity not in SEVERITIES:
        problems.append(
            Problem(
                value_where(name, node, "severity") if "severity" in node else where(name, node),
                f"severity must be one of {', '.join(SEVERITIES)}",
            )
        )
    params = _params(name, node, check, problems)
    remediation = _remediation(name, node, problems)
    if len(problems) > count or node.get("enabled", True) is False:
        return None
    return Rule(
        id=rule_id,
        check=str(check),
        severity=severity,
        title=str(node.get("title") or CHECKS[str(check)].title),
        params=params,
        remediation=remediation,
    )


def _params(name: str, node: Any, check: Any, problems: list[Problem]) -> dict[str, Any]:
    spec = CHECKS[check].params if check in CHECKS else {}
    given = node.get("params") or {}
    if not isinstance(given, dict):
        problems.append(Problem(value_where(name, node, "params"), "`params` is a mapping"))
        return {}
    values = {key: p.default for key, p in spec.items()}
    for key, value in given.items():
        param = spec.get(key)
        at = value_where(name, given, key)
        if param is None:
            allowed = ", ".join(spec) or "none"
            problems.append(
                Problem(at, f"check '{check}' has no parameter '{key}' (it has: {allowed})")
            )
            continue
        try:
            value = param.kind(plain(value))
        except (TypeError, ValueError):
            problems.append(Problem(at, f"'{key}' must be a {param.kind.__name__}"))
            continue
        if param.low is not None and not param.low <= value <= (param.high or value):
            problems.append(Problem(at, f"'{key}' must be between {param.low} and {param.high}"))
            continue
        if param.regex:
            try:
                re.compile(str(value))
            except re.error as exc:
                problems.append(Problem(at, f"'{key}' is not a regular expression: {exc}"))
                continue
        elif isinstance(value, str):
            try:
                _templates.parse(value)
            except TemplateError as exc:
                problems.append(Problem(at, f"'{key}' is not a valid template: {exc}"))
                continue
        values[key] = value
    return values


def _remediation(name: str, node: Any, problems: list[Problem]) -> Remediation | None:
    fix = node.get("remediation")
    if fix is None:
        return None
    at = value_where(name, node, "remediation")
    if not isinstance(fix, dict) or not isinstance(fix.get("runbook"), str):
        problems.append(Problem(at, "`remediation` needs `runbook:` (a runbook name)"))
        return None
    for key in fix:
        if key not in REMEDIATION_KEYS:
            hint = did_you_mean(str(key), REMEDIATION_KEYS)
            problems.append(Problem(where(name, fix, key), f"unknown key '{key}'{hint}"))
    from ispflow.core.paths import shipped_runbooks

    if fix["runbook"] not in shipped_runbooks():
        problems.append(
            Problem(value_where(name, fix, "runbook"), f"no runbook named '{fix['runbook']}'")
        )
    variables = fix.get("vars") or {}
    if not isinstance(variables, dict):
        problems.append(Problem(value_where(name, fix, "vars"), "`vars` is a mapping"))
        return None
    texts = {str(k): str(plain(v)) for k, v in variables.items()}
    limit = fix.get("limit")
    for key, text in [*texts.items(), *([("limit", str(limit))] if limit else [])]:
        try:
            _templates.parse(text)
        except TemplateError as exc:
            spot = value_where(name, variables if key in texts else fix, key)
            problems.append(Problem(spot, f"'{key}' is not a valid template: {exc}"))
    return Remediation(fix["runbook"], texts, str(limit) if limit else None)
