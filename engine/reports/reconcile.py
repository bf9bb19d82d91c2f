"""The reconciliation report as text (a table per kind), JSON, or one self-contained HTML page."""

from __future__ import annotations

import io
from typing import Any

from jinja2 import Environment, StrictUndefined
from rich.console import Console
from rich.table import Table

from ispflow.engine.reconcile import KIND_TITLES, ReconcileReport
from ispflow.engine.reports._common import dumps

# Columns shown per kind, in order; a finding's other keys stay in the JSON.
_COLUMNS = (
    "device",
    "olt",
    "concentrator",
    "port",
    "onu_id",
    "serial",
    "login",
    "contract",
    "contracts",
    "recorded",
    "inventory",
    "netbox",
    "error",
)


def _cell(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if isinstance(value, dict) and {"olt", "port"} <= set(value):
        return f"{value['olt']} {value['port']} id {value.get('onu_id')}"
    return "" if value is None else str(value)


def _groups(report: ReconcileReport) -> list[tuple[str, str, list[str], list[list[str]]]]:
    groups = []
    for kind, title in KIND_TITLES.items():
        found = [f for f in report.findings if f["kind"] == kind]
        if not found:
            continue
        columns = [c for c in _COLUMNS if any(f.get(c) not in (None, "") for f in found)]
        rows = [[_cell(f.get(c)) for c in columns] for f in found]
        groups.append((kind, title, columns, rows))
    return groups


def render_text(report: ReconcileReport, width: int = 120) -> str:
    buffer = io.StringIO()
    out = Console(file=buffer, width=width, highlight=False, color_system=None)
    counts = report.counts()
    compared = "devices, store" + (" and NetBox" if report.netbox_compared else "")
    out.print(f"Reconciliation of {compared}: {report.devices} devices read (run {report.run_id})")
    if not report.findings:
        out.print("everything agrees")
    for kind, title, columns, rows in _groups(report):
        out.print(f"\n{title} ({kind}): {counts[kind]}")
        table = Table(show_edge=False)
        for column in columns:
            table.add_column(column, overflow="fold")
        for row in rows:
            table.add_row(*row)
        out.print(table)
    if report.fixes:
        out.print("applied:" if report.applied else "would fix (nothing changed; add --apply):")
        for fix in report.fixes:
            state = ""
            if report.applied:
                state = "done  " if fix.get("done") else f"FAILED {fix.get('error')}: "
            out.print(f"  {state}{fix['text']}", soft_wrap=True)
    return buffer.getvalue()


def render_json(report: ReconcileReport) -> str:
    return dumps(report.as_dict()) + "\n"


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>ispflow reconciliation {{ report.run_id }}</title>
<style>
body{font:14px system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 2em}
th,td{border:1px solid #ccc;padding:.25em .6em;text-align:left}
th{background:#f3f3f3} h2{font-size:1.1em} .ok{color:#1a7f37}
</style></head><body>
<h1>Reconciliation</h1>
<p>Run {{ report.run_id }}: {{ report.devices }} devices read;
compared devices, store{{ " and NetBox" if report.netbox_compared else "" }}.</p>
{% if not groups %}<p class="ok">Everything agrees.</p>{% endif %}
{% for kind, title, columns, rows in groups %}
<h2>{{ title }} ({{ kind }}): {{ rows|length }}</h2>
<table><tr>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr>
{% for row in rows %}<tr>{% for v in row %}<td>{{ v }}</td>{% endfor %}</tr>{% endfor %}
</table>
{% endfor %}
{% if report.fixes %}<h2>{{ "Applied" if report.applied else "Would fix" }}</h2><ul>
{% for fix in report.fixes %}<li>{{ fix.text }}{% if report.applied and not fix.done %}
: failed, {{ fix.error }}{% endif %}</li>{% endfor %}</ul>{% endif %}
</body></html>
"""


def render_html(report: ReconcileReport) -> str:
    env = Environment(autoescape=True, undefined=StrictUndefined)
    return env.from_string(_PAGE).render(report=report, groups=_groups(report))


def render(report: ReconcileReport, fmt: str) -> str:
    if fmt == "json":
        return render_json(report)
    if fmt == "html":
        return render_html(report)
    return render_text(report)
