"""The run as one self-contained HTML page: summary, host × step matrix, sortable details.

The page must open from a mail attachment or a CI artifact with no network, so styles and
script are inline and nothing is loaded from elsewhere (the CSP below enforces it). Data is
rendered only through Jinja2 autoescaping; the script reads the DOM and never embeds data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from jinja2 import Environment, StrictUndefined, Template

from ispflow.core.outcome import RunOutcome, StepOutcome
from ispflow.engine.reports._common import (
    STATUSES,
    StepKey,
    count,
    dropped_note,
    dumps,
    first_line,
    host_names,
    human_duration,
    run_duration,
    shorten,
    step_key,
    step_keys,
    when,
)
from ispflow.engine.reports.csp import pin_scripts

# A browser handles a few MB of text fine, but one chatty device should not make it 100 MB.
RESULT_LIMIT = 64 * 1024

# Order used when sorting the detail table by status: what needs attention first.
_STATUS_RANK = {"failed": 0, "aborted": 1, "pending": 2, "changed": 3, "ok": 4, "skipped": 5}


@dataclass
class _Cell:
    status: str
    title: str
    anchor: str | None


@dataclass
class _Row:
    anchor: str
    host: str
    step: str
    step_sort: int
    rollback: bool
    status: str
    changed: bool
    attempts: int
    duration: float | None
    duration_text: str
    error: str
    result_preview: str
    result_json: str | None


def render_html(run: RunOutcome) -> str:
    """A standalone HTML page for the run."""
    return pin_scripts(_template().render(**_context(run)))


def _context(run: RunOutcome) -> dict[str, Any]:
    hosts = host_names(run)
    keys = step_keys(run)
    order = {name: i for i, name in enumerate(hosts)}
    outcomes = sorted(run.outcomes, key=lambda o: (order.get(o.host, 0), o.rollback, o.step_index))
    anchors = {id(o): f"o{n}" for n, o in enumerate(outcomes, 1)}

    grid: dict[tuple[str, StepKey], StepOutcome] = {}
    for outcome in outcomes:
        grid[(outcome.host, step_key(outcome))] = outcome
    matrix = [(host, [_cell(grid.get((host, key)), anchors) for key in keys]) for host in hosts]

    forward = [o for o in run.outcomes if not o.rollback]
    counts = count(forward)
    tiles = [(s, counts[s]) for s in STATUSES if s != "pending" or counts[s]]
    rolled_back = list(dict.fromkeys(o.host for o in run.outcomes if o.rollback))

    return {
        "run": run,
        "dropped": dropped_note(run),
        "title": f"{run.runbook} · {run.status} · {run.run_id}",
        "started": when(run.started_at),
        "finished": when(run.finished_at),
        "duration": human_duration(run_duration(run)),
        "vars": [(str(k), _var_text(v)) for k, v in (run.vars or {}).items()],
        "tiles": tiles,
        "host_count": len(hosts),
        "failed_hosts": run.failed_hosts(),
        "rolled_back": rolled_back,
        "keys": keys,
        "matrix": matrix,
        "rows": [_row(o, anchors[id(o)]) for o in outcomes],
        "statuses": [s for s in STATUSES if any(o.status == s for o in run.outcomes)],
        "status_rank": _STATUS_RANK,
        "listed": _listed,
    }


def _cell(outcome: StepOutcome | None, anchors: dict[int, str]) -> _Cell:
    if outcome is None:
        return _Cell("none", "not run on this host", None)
    title = outcome.status
    if outcome.error:
        title += f": {outcome.error}"
    return _Cell(outcome.status, title, anchors[id(outcome)])


def _row(outcome: StepOutcome, anchor: str) -> _Row:
    result_json: str | None = None
    preview = ""
    if outcome.result is not None:
        result_json = dumps(outcome.result)
        preview = shorten(first_line(dumps(outcome.result, indent=None)), 60)
        if len(result_json) > RESULT_LIMIT:
            cut = len(result_json) - RESULT_LIMIT
            result_json = result_json[:RESULT_LIMIT] + f"\n… truncated ({cut} more characters)"
    step = f"rollback: {outcome.step_name}" if outcome.rollback else outcome.step_name
    return _Row(
        anchor=anchor,
        host=outcome.host,
        step=step,
        step_sort=(1_000_000 if outcome.rollback else 0) + outcome.step_index,
        rollback=outcome.rollback,
        status=outcome.status,
        changed=outcome.changed,
        attempts=outcome.attempts,
        duration=outcome.duration,
        duration_text=human_duration(outcome.duration),
        error=outcome.error or "",
        result_preview=preview,
        result_json=result_json,
    )


def _listed(names: list[str], limit: int = 20) -> str:
    # With a thousand-host rollout the header must stay a header; the matrix has them all.
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} … and {len(names) - limit} more"


def _var_text(value: Any) -> str:
    return value if isinstance(value, str) else dumps(value, indent=None)


@cache
def _template() -> Template:
    env = Environment(
        autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    return env.from_string(TEMPLATE)


TEMPLATE = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="ispflow">
<title>{{ title }}</title>
<style>
:root {
  --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --panel: #f6f8fa;
  --ok-bg: #dafbe1; --ok-fg: #116329;
  --changed-bg: #fff1c2; --changed-fg: #7d4e00;
  --failed-bg: #ffd8d3; --failed-fg: #a40e26;
  --skipped-bg: #eaeef2; --skipped-fg: #57606a;
  --aborted-bg: #f0e1ff; --aborted-fg: #6e33b8;
  --pending-bg: #dbeeff; --pending-fg: #0550ae;
  --none-bg: #ffffff; --none-fg: #9aa4ae;
}
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0; padding: 24px 32px 48px; color: var(--fg); background: var(--bg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; display: flex; flex-wrap: wrap; align-items: center; gap: 10px; }
h2 { font-size: 16px; margin: 28px 0 10px; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12.5px; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-size: 13px; font-weight: 600;
  text-transform: uppercase; letter-spacing: .04em; border: 1px solid transparent; }
.run-ok { background: var(--ok-bg); color: var(--ok-fg); border-color: var(--ok-fg); }
.run-failed { background: var(--failed-bg); color: var(--failed-fg); border-color: var(--failed-fg); }
.run-aborted, .run-interrupted { background: var(--changed-bg); color: var(--changed-fg); border-color: var(--changed-fg); }
.run-running { background: var(--pending-bg); color: var(--pending-fg); border-color: var(--pending-fg); }
.dry { background: #fff8c5; color: #6f4e00; border: 1px dashed #bf8700; }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0 0; }
.meta dt { color: var(--muted); }
.meta dd { margin: 0; word-break: break-word; }
.message { margin: 12px 0 0; padding: 8px 12px; background: var(--panel); border-left: 4px solid var(--line); }
.tiles { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 20px; }
.tile { min-width: 104px; padding: 10px 14px; border-radius: 8px; border: 1px solid var(--line); background: var(--panel); }
.tile .n { font-size: 26px; font-weight: 700; line-height: 1.1; }
.tile .l { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; }
.tile.zero { opacity: .55; }
.s-ok { background: var(--ok-bg); color: var(--ok-fg); }
.s-changed { background: var(--changed-bg); color: var(--changed-fg); }
.s-failed { background: var(--failed-bg); color: var(--failed-fg); }
.s-skipped { background: var(--skipped-bg); color: var(--skipped-fg); }
.s-aborted { background: var(--aborted-bg); color: var(--aborted-fg); }
.s-pending { background: var(--pending-bg); color: var(--pending-fg); }
.s-none { background: var(--none-bg); color: var(--none-fg); }
table { border-collapse: collapse; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid var(--line); }
th { background: var(--panel); font-weight: 600; }
.vars td:first-child { font-weight: 600; white-space: nowrap; }
.vars td { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; word-break: break-all; }
.scroll { overflow-x: auto; max-width: 100%; width: fit-content; border: 1px solid var(--line); border-radius: 6px; }
.scroll.wide { width: auto; }
.matrix th, .matrix td { border: 1px solid var(--line); }
.matrix thead th { font-size: 12px; font-weight: 600; min-width: 5.5em; max-width: 11em; vertical-align: bottom; }
.matrix thead th .idx { display: block; color: var(--muted); font-weight: 400; }
.matrix th.host { position: sticky; left: 0; z-index: 1; white-space: nowrap; }
.matrix tbody th.host { background: var(--bg); }
.matrix tbody th.host.bad { color: var(--failed-fg); }
.matrix td { text-align: center; padding: 0; font-size: 12px; font-weight: 600; }
.matrix td a, .matrix td span { display: block; padding: 5px 8px; color: inherit; text-decoration: none; }
.matrix td a:hover { outline: 2px solid currentColor; outline-offset: -2px; }
.matrix .rb { font-style: italic; }
.legend { display: flex; flex-wrap: wrap; gap: 6px; margin: 8px 0 0; font-size: 12px; }
.legend span { padding: 1px 8px; border-radius: 4px; }
.controls { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; margin-bottom: 10px; }
.controls input, .controls select { font: inherit; padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; }
.controls input { width: min(360px, 100%); }
table.details { width: 100%; }
.details thead th { cursor: pointer; user-select: none; white-space: nowrap; }
.details thead th::after { content: " \2195"; color: var(--none-fg); font-weight: 400; }
.details thead th[aria-sort="ascending"]::after { content: " \2191"; color: var(--fg); }
.details thead th[aria-sort="descending"]::after { content: " \2193"; color: var(--fg); }
.details td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.details td.host { white-space: nowrap; font-weight: 600; }
.details td.step { min-width: 9em; }
.details td.no { color: var(--muted); }
.details td.status span { padding: 1px 8px; border-radius: 4px; font-weight: 600; font-size: 12px; }
.details td.error { color: var(--failed-fg); min-width: 16em; max-width: 40em; }
.details td.error div { white-space: pre-wrap; word-break: break-word; max-height: 10.5em; overflow: auto; }
.details tr:target td { box-shadow: inset 0 0 0 9999px rgba(255, 214, 10, .18); }
.details td.result { max-width: 24em; }
details summary { cursor: pointer; color: var(--muted); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; max-width: 22em; }
details pre { margin: 6px 0 0; padding: 8px; background: var(--panel); border: 1px solid var(--line); border-radius: 4px;
  max-height: 28em; overflow: auto; white-space: pre-wrap; word-break: break-word; }
footer { margin-top: 32px; font-size: 12px; color: var(--muted); }
@media (max-width: 720px) { body { padding: 12px; } }
@media print {
  body { padding: 0; font-size: 11px; }
  .controls, .details thead th::after { display: none; }
  .scroll { overflow: visible; border: none; }
  .details td.error div { max-height: none; overflow: visible; }
  tr { break-inside: avoid; }
  details pre { max-height: none; }
  a { color: inherit; text-decoration: none; }
}
</style>
</head>
<body>
<header>
  <h1>
    <span>{{ run.runbook }}</span>
    <span class="badge run-{{ run.status }}">{{ run.status }}</span>
    {% if run.dry_run %}<span class="badge dry">dry run</span>{% endif %}
  </h1>
  <div class="muted mono">run {{ run.run_id }}</div>
  {% if run.message %}<p class="message">{{ run.message }}</p>{% endif %}
  {% if dropped %}<p class="message">{{ dropped }}</p>{% endif %}
  <dl class="meta">
    <dt>Started</dt><dd>{{ started }}</dd>
    <dt>Finished</dt><dd>{{ finished }}</dd>
    <dt>Duration</dt><dd>{{ duration }}</dd>
    <dt>Hosts</dt><dd>{{ host_count }}{% if failed_hosts %} · <span class="muted">failed:</span> {{ listed(failed_hosts) }}{% endif %}</dd>
    {% if rolled_back %}<dt>Rolled back on</dt><dd>{{ listed(rolled_back) }}</dd>{% endif %}
    {% if run.runbook_path %}<dt>Runbook file</dt><dd class="mono">{{ run.runbook_path }}</dd>{% endif %}
    {% if run.parent_run_id %}<dt>Re-run of</dt><dd class="mono">{{ run.parent_run_id }}</dd>{% endif %}
  </dl>
</header>

<section class="tiles" aria-label="Summary">
  {% for status, n in tiles %}
  <div class="tile s-{{ status }}{% if not n %} zero{% endif %}"><div class="n">{{ n }}</div><div class="l">{{ status }}</div></div>
  {% endfor %}
  <div class="tile"><div class="n">{{ host_count }}</div><div class="l">hosts</div></div>
</section>

{% if vars %}
<h2>Vars</h2>
<table class="vars">
  <tbody>
  {% for name, value in vars %}
    <tr><td>{{ name }}</td><td>{{ value }}</td></tr>
  {% endfor %}
  </tbody>
</table>
{% endif %}

{% if keys %}
<h2>Hosts × steps</h2>
<div class="scroll">
<table class="matrix">
  <thead>
    <tr>
      <th class="host">host</th>
      {% for key in keys %}
      <th title="{{ key.label }}"{% if key.rollback %} class="rb"{% endif %}><span class="idx">#{{ key.index }}</span>{{ key.label }}</th>
      {% endfor %}
    </tr>
  </thead>
  <tbody>
  {% for host, cells in matrix %}
    <tr>
      <th class="host{% if host in failed_hosts %} bad{% endif %}">{{ host }}</th>
      {% for cell in cells %}
      <td class="s-{{ cell.status }}" title="{{ cell.title }}">{% if cell.anchor %}<a href="#{{ cell.anchor }}">{{ cell.status }}</a>{% else %}<span>·</span>{% endif %}</td>
      {% endfor %}
    </tr>
  {% endfor %}
  </tbody>
</table>
</div>
<div class="legend">{% for status in statuses %}<span class="s-{{ status }}">{{ status }}</span>{% endfor %}<span class="s-none">· not run</span></div>
{% endif %}

<h2>Details</h2>
<div class="controls">
  <input id="filter-text" type="search" placeholder="Filter: host, step, error, result…" aria-label="Filter rows">
  <select id="filter-status" aria-label="Status">
    <option value="">all statuses</option>
    {% for status in statuses %}<option value="{{ status }}">{{ status }}</option>{% endfor %}
  </select>
  <span class="muted"><span id="shown">{{ rows | length }}</span> of {{ rows | length }} rows</span>
</div>
<div class="scroll wide">
<table class="details" id="details">
  <thead>
    <tr>
      <th data-type="text">host</th>
      <th data-type="number">step</th>
      <th data-type="number">status</th>
      <th data-type="text">changed</th>
      <th data-type="number">attempts</th>
      <th data-type="number">duration</th>
      <th data-type="text">error</th>
      <th data-type="text">result</th>
    </tr>
  </thead>
  <tbody>
  {% for row in rows %}
    <tr id="{{ row.anchor }}" data-status="{{ row.status }}">
      <td class="host">{{ row.host }}</td>
      <td class="step" data-sort="{{ row.step_sort }}">{% if row.rollback %}<em>{{ row.step }}</em>{% else %}{{ row.step }}{% endif %}</td>
      <td class="status" data-sort="{{ status_rank.get(row.status, 9) }}"><span class="s-{{ row.status }}">{{ row.status }}</span></td>
      <td{% if not row.changed %} class="no"{% endif %}>{{ "yes" if row.changed else "no" }}</td>
      <td class="num">{{ row.attempts }}</td>
      <td class="num" data-sort="{{ row.duration if row.duration is not none else -1 }}">{{ row.duration_text }}</td>
      <td class="error">{% if row.error %}<div>{{ row.error }}</div>{% endif %}</td>
      <td class="result">{% if row.result_json is not none %}<details><summary class="mono">{{ row.result_preview }}</summary><pre>{{ row.result_json }}</pre></details>{% else %}<span class="muted">—</span>{% endif %}</td>
    </tr>
  {% endfor %}
  </tbody>
</table>
</div>

<footer>ispflow run report · {{ run.runbook }} · run {{ run.run_id }}</footer>

<script>
(function () {
  "use strict";
  var table = document.getElementById("details");
  var body = table.tBodies[0];
  var text = document.getElementById("filter-text");
  var status = document.getElementById("filter-status");
  var shown = document.getElementById("shown");

  function applyFilter() {
    var needle = text.value.trim().toLowerCase();
    var wanted = status.value;
    var count = 0;
    Array.prototype.forEach.call(body.rows, function (row) {
      var match = (!wanted || row.getAttribute("data-status") === wanted) &&
        (!needle || row.textContent.toLowerCase().indexOf(needle) !== -1);
      row.hidden = !match;
      if (match) { count += 1; }
    });
    shown.textContent = String(count);
  }

  function sortBy(th, column) {
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var numeric = th.getAttribute("data-type") === "number";
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) {
      other.removeAttribute("aria-sort");
    });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    function key(row) {
      var cell = row.cells[column];
      var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
      return numeric ? parseFloat(raw) || 0 : raw;
    }
    var rows = Array.prototype.map.call(body.rows, function (row, i) { return [key(row), i, row]; });
    rows.sort(function (a, b) {
      var d = numeric ? a[0] - b[0] : String(a[0]).localeCompare(String(b[0]), undefined, { numeric: true });
      return (ascending ? d : -d) || a[1] - b[1];
    });
    rows.forEach(function (entry) { body.appendChild(entry[2]); });
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, column) {
    th.tabIndex = 0;
    th.addEventListener("click", function () { sortBy(th, column); });
    th.addEventListener("keydown", function (event) {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortBy(th, column); }
    });
  });
  text.addEventListener("input", applyFilter);
  status.addEventListener("change", applyFilter);
  // A matrix cell links to its detail row; make sure a filter does not hide it.
  window.addEventListener("hashchange", function () {
    var target = document.getElementById(location.hash.slice(1));
    if (target && target.hidden) { text.value = ""; status.value = ""; applyFilter(); target.scrollIntoView(); }
  });
})();
</script>
</body>
</html>
"""
