"""The audit report of a signal run: what the fleet's optical signal looked like, as one page.

Built from the store (the run, its step results and its `optical_readings`), not from a live
run, so it can be produced any time later. The page follows the rules of `html.py`: no network
(inline CSS, JS and SVG; the CSP forbids anything else) and data rendered only through Jinja2
autoescaping. Plots are computed here as plain shapes and drawn by the template, so a label
never reaches the page without being escaped.

Everything plotted is aggregated first, so a run of 10,000 readings gives a page of the same
size as one of 100; only the readings table grows, and it is capped.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from functools import cache
from typing import Any

from jinja2 import Environment, StrictUndefined, Template
from sqlalchemy import select

from ispflow.core.outcome import RunOutcome
from ispflow.engine.reports._common import (
    dropped_note,
    dumps,
    human_duration,
    run_duration,
    when,
)
from ispflow.engine.reports.csp import pin_scripts
from ispflow.engine.reports.findings import rank, run_findings
from ispflow.store import reading_batches
from ispflow.store.db import Database
from ispflow.store.journal import Journal
from ispflow.store.schema import contracts, cto_ports, ctos, optical_readings, runs
from ispflow.store.signal_trend import fleet_days, raw_window_start

# Worst first: the order of the summary tiles, the stacked bars and the table's class sort.
SIGNAL_CLASSES: tuple[str, ...] = ("offline", "critical", "overload", "warning", "good", "unknown")
CLASS_COLOURS = {
    "good": "#2da44e",
    "warning": "#d4a72c",
    "critical": "#cf222e",
    "overload": "#8250df",
    "offline": "#6e7781",
    "unknown": "#afb8c1",
}
SEVERITY_COLOURS = {
    "critical": "#a40e26", "high": "#cf222e", "error": "#cf222e", "major": "#e16f24",
    "warning": "#d4a72c", "medium": "#d4a72c", "minor": "#54aeff", "low": "#54aeff",
    "info": "#8c959f", "unrated": "#afb8c1",
}  # fmt: skip

# Enough rows to find any ONU of a big OLT by filtering; beyond that the DOM gets sluggish.
TABLE_LIMIT = 5000
FINDINGS_LIMIT = 2000
WORST_LIMIT = 12
# Per-PON boxes only while they fit on a laptop screen without scrolling for ages.
PON_PLOT_LIMIT = 48


# -- aggregates ---------------------------------------------------------------------------
@dataclass
class Reading:
    olt: str
    pon: str
    onu: int
    serial: str | None
    contract: str | None
    cto: str | None
    rx_dbm: float | None
    signal_class: str


@dataclass
class Spread:
    """Five-number summary of rx power (dBm) of one group, online ONUs only."""

    name: str
    count: int
    online: int
    mean: float | None
    minimum: float | None
    q1: float | None
    median: float | None
    q3: float | None
    maximum: float | None


@dataclass
class Group:
    """A CTO, or the PON of ONUs whose contract has no CTO, with its class counts."""

    kind: str  # "cto" or "pon"
    name: str
    pon: str
    count: int
    mean_rx: float | None
    bad: int
    classes: dict[str, int]


@dataclass
class TrendPoint:
    run_id: str
    started_at: str
    readings: int
    mean_rx: float | None
    good_share: float | None


@dataclass
class Finding:
    severity: str
    kind: str
    host: str
    step: str
    detail: str


@dataclass
class Audit:
    run: dict[str, Any]
    devices: int
    olts_read: int
    onus_read: int
    classes: dict[str, int]
    mean_rx: float | None
    rx_by_olt: list[Spread]
    rx_by_pon: list[Spread]
    worst: list[Group]
    trend: list[TrendPoint]
    findings_by_severity: dict[str, int]
    findings_by_kind: dict[str, int]
    findings_total: int
    findings: list[Finding] = field(default_factory=list)
    readings: list[Reading] = field(default_factory=list)
    outcome: RunOutcome | None = field(default=None, repr=False)  # the run as journaled

    def as_dict(self) -> dict[str, Any]:
        """The aggregates for machines: everything but the per-ONU readings."""
        data = asdict(replace(self, readings=[], outcome=None))
        data.pop("readings")
        data.pop("outcome")
        return data


def build_audit(db: Database, run_id: str, *, trend_runs: int = 10) -> Audit:
    """The audit of run `run_id` (a unique prefix is enough) from the store."""
    journal = Journal(db)
    try:
        run = journal.load_run(run_id)
    finally:
        journal.close()
    readings = load_readings(db, run.run_id)
    trend = load_trend(db, run, trend_runs)
    return aggregate(run, readings, trend)


def load_readings(db: Database, run_id: str) -> list[Reading]:
    """The run's readings with each contract's CTO, if the contract still has one."""
    query = (
        select(
            optical_readings.c.olt,
            optical_readings.c.frame,
            optical_readings.c.slot,
            optical_readings.c.port,
            optical_readings.c.onu_index,
            optical_readings.c.serial,
            optical_readings.c.contract,
            optical_readings.c.rx_dbm,
            optical_readings.c.signal_class,
            ctos.c.code.label("cto"),
        )
        .select_from(optical_readings)
        .outerjoin(contracts, contracts.c.code == optical_readings.c.contract)
        .outerjoin(cto_ports, cto_ports.c.id == contracts.c.cto_port_id)
        .outerjoin(ctos, ctos.c.id == cto_ports.c.cto_id)
        .order_by(optical_readings.c.id)
    )
    with db.engine.connect() as conn:
        query = query.where(reading_batches.of_runs(conn, [run_id]))
        return [
            Reading(
                olt=r.olt,
                pon=f"{r.frame}/{r.slot}/{r.port}",
                onu=r.onu_index,
                serial=r.serial,
                contract=r.contract,
                cto=r.cto,
                rx_dbm=r.rx_dbm,
                signal_class=r.signal_class,
            )
            for r in conn.execute(query)
        ]


def load_trend(db: Database, run: RunOutcome, limit: int) -> list[TrendPoint]:
    """The last `limit` runs of the same runbook up to this one, oldest first. A run older
    than the raw window (its readings pruned) is shown by the daily roll-ups of its day: the
    mean rx of every ONU read that day, no share of good (roll-ups keep no class)."""
    recent = (
        select(runs.c.id, runs.c.started_at)
        .where(runs.c.runbook == run.runbook, runs.c.started_at <= run.started_at)
        .order_by(runs.c.started_at.desc(), runs.c.id.desc())
        .limit(max(limit, 1))
    )
    with db.engine.connect() as conn:
        chosen = conn.execute(recent).all()
        ids = [r.id for r in chosen]
        rows = conn.execute(
            select(
                optical_readings.c.run_id,
                optical_readings.c.rx_dbm,
                optical_readings.c.signal_class,
            ).where(reading_batches.of_runs(conn, ids))
        ).all()
    # Summed here rather than in SQL: AVG and CASE behave alike on both databases, but
    # reading two small columns keeps one code path and is fast enough for a few runs.
    sums: dict[str, list[float]] = defaultdict(lambda: [0, 0.0, 0, 0])
    for run_id, rx, signal_class in rows:
        entry = sums[run_id]
        entry[0] += 1
        if rx is not None:
            entry[1] += rx
            entry[2] += 1
        if signal_class == "good":
            entry[3] += 1
    raw_edge = raw_window_start()
    pruned = [r for r in chosen if r.id not in sums and r.started_at < raw_edge]
    days = fleet_days(db, [r.started_at.date() for r in pruned]) if pruned else {}
    points = []
    for r in reversed(chosen):
        total, rx_sum, online, good = sums.get(r.id, [0, 0.0, 0, 0])
        if not total:
            day = days.get(r.started_at.date()) if r in pruned else None
            if day is not None:
                mean = day["rx_avg"]
                points.append(
                    TrendPoint(
                        run_id=r.id,
                        started_at=when(r.started_at),
                        readings=day["onus"],
                        mean_rx=None if mean is None else round(mean, 2),
                        good_share=None,
                    )
                )
            continue  # a run of the runbook that read nothing (a dry run, a failed login)
        points.append(
            TrendPoint(
                run_id=r.id,
                started_at=when(r.started_at),
                readings=int(total),
                mean_rx=round(rx_sum / online, 2) if online else None,
                good_share=round(good / total, 4),
            )
        )
    return points


def aggregate(run: RunOutcome, readings: Sequence[Reading], trend: list[TrendPoint]) -> Audit:
    """Every number of the report, from the run, its readings and the trend points."""
    classes = Counter(r.signal_class for r in readings)
    ordered_classes = {c: classes.get(c, 0) for c in SIGNAL_CLASSES}
    for name, number in sorted(classes.items()):
        ordered_classes.setdefault(name, number)
    by_olt: dict[str, list[Reading]] = defaultdict(list)
    by_pon: dict[str, list[Reading]] = defaultdict(list)
    for r in readings:
        by_olt[r.olt].append(r)
        by_pon[f"{r.olt} {r.pon}"].append(r)
    findings = list(collect_findings(run))
    severities = Counter(f.severity for f in findings)
    online = [r.rx_dbm for r in readings if r.rx_dbm is not None]
    return Audit(
        run={
            "run_id": run.run_id,
            "runbook": run.runbook,
            "status": run.status,
            "dry_run": run.dry_run,
            "started_at": when(run.started_at),
            "finished_at": when(run.finished_at),
            "duration": human_duration(run_duration(run)),
            "message": run.message,
        },
        devices=len(run.hosts),
        olts_read=len(by_olt),
        onus_read=len(readings),
        classes=ordered_classes,
        mean_rx=_mean(online),
        rx_by_olt=[spread(name, by_olt[name]) for name in sorted(by_olt)],
        rx_by_pon=[spread(name, by_pon[name]) for name in sorted(by_pon)],
        worst=worst_groups(readings),
        trend=trend,
        findings_by_severity=dict(sorted(severities.items(), key=lambda i: rank(i[0]))),
        findings_by_kind=dict(Counter(f.kind for f in findings).most_common()),
        findings_total=len(findings),
        findings=sorted(findings, key=lambda f: (rank(f.severity), f.kind))[:FINDINGS_LIMIT],
        readings=list(readings),
        outcome=run,
    )


def spread(name: str, readings: Iterable[Reading]) -> Spread:
    group = list(readings)
    values = sorted(r.rx_dbm for r in group if r.rx_dbm is not None)
    return Spread(
        name=name,
        count=len(group),
        online=len(values),
        mean=_mean(values),
        minimum=values[0] if values else None,
        q1=_quantile(values, 0.25),
        median=_quantile(values, 0.5),
        q3=_quantile(values, 0.75),
        maximum=values[-1] if values else None,
    )


def worst_groups(readings: Iterable[Reading], limit: int = WORST_LIMIT) -> list[Group]:
    """CTOs (PONs for ONUs without one) with most offline/critical ONUs, then lowest mean rx."""
    grouped: dict[tuple[str, str], list[Reading]] = defaultdict(list)
    for r in readings:
        key = ("cto", r.cto) if r.cto else ("pon", f"{r.olt} {r.pon}")
        grouped[key].append(r)
    groups = []
    for (kind, name), members in grouped.items():
        counts = Counter(m.signal_class for m in members)
        groups.append(
            Group(
                kind=kind,
                name=name,
                pon=f"{members[0].olt} {members[0].pon}",
                count=len(members),
                mean_rx=_mean([m.rx_dbm for m in members if m.rx_dbm is not None]),
                bad=counts.get("critical", 0) + counts.get("offline", 0),
                classes={c: counts[c] for c in SIGNAL_CLASSES if counts.get(c)},
            )
        )
    # A group with no online ONU has no mean; it sorts as the weakest signal there is.
    groups.sort(key=lambda g: (-g.bad, g.mean_rx if g.mean_rx is not None else -99.0, g.name))
    return groups[:limit]


def collect_findings(run: RunOutcome) -> Iterable[Finding]:
    """The run's findings (engine/reports/findings.py) as the page's table rows."""
    for found in run_findings(run):
        rest = {k: v for k, v in found.fields.items() if k not in ("kind", "severity")}
        yield Finding(
            severity=found.severity,
            kind=found.kind,
            host=found.host,
            step=found.step,
            detail=" · ".join(f"{k}={_short(v)}" for k, v in rest.items() if v not in (None, "")),
        )


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else dumps(value, indent=None)
    return text if len(text) <= 120 else text[:119] + "…"


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 2) if values else None


def _quantile(ordered: Sequence[float], q: float) -> float | None:
    if not ordered:
        return None
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return round(ordered[low] + (ordered[high] - ordered[low]) * (position - low), 2)


# -- plots as shapes ----------------------------------------------------------------------
@dataclass
class Shape:
    """One SVG element; `kind` picks the element, the template writes the attributes."""

    kind: str  # rect, line, text, polyline, circle
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = 0
    x2: float = 0
    y2: float = 0
    r: float = 0
    points: str = ""
    colour: str = "#1f2328"
    text: str = ""
    anchor: str = "start"
    css: str = ""
    tip: str = ""


@dataclass
class Plot:
    key: str
    title: str
    width: int
    height: int
    shapes: list[Shape]
    note: str = ""
    legend: list[tuple[str, str]] = field(default_factory=list)


_LABEL_W = 170
_PLOT_W = 760


def _fmt(value: float | None, unit: str = " dBm") -> str:
    return "—" if value is None else f"{value:.2f}{unit}"


def _axis_range(values: Iterable[float | None]) -> tuple[float, float]:
    present = [v for v in values if v is not None]
    low = min([*present, -32.0])
    high = max([*present, -8.0])
    return float(int(low) - 1), float(int(high) + 1)


def box_plot(key: str, title: str, spreads: Sequence[Spread]) -> Plot:
    """Horizontal boxes, one row per group: whiskers at min/max, box q1-q3, median tick."""
    row = 26
    top = 24
    height = top + row * max(len(spreads), 1) + 30
    low, high = _axis_range(v for s in spreads for v in (s.minimum, s.maximum))
    span = _PLOT_W - _LABEL_W - 20

    def x(value: float) -> float:
        return round(_LABEL_W + (value - low) / (high - low) * span, 1)

    shapes = _x_axis(low, high, x, top, height - 30)
    for i, s in enumerate(spreads):
        mid = top + i * row + row / 2
        label = f"{s.name} ({s.online}/{s.count})"
        shapes.append(Shape("text", x=_LABEL_W - 8, y=mid + 4, text=label, anchor="end"))
        if s.minimum is None or s.maximum is None or s.q1 is None or s.q3 is None:
            shapes.append(
                Shape("text", x=_LABEL_W + 4, y=mid + 4, text="no ONU online", css="muted")
            )
            continue
        tip = (
            f"{s.name}: {s.online} online of {s.count}; min {_fmt(s.minimum)}, "
            f"q1 {_fmt(s.q1)}, median {_fmt(s.median)}, q3 {_fmt(s.q3)}, "
            f"max {_fmt(s.maximum)}, mean {_fmt(s.mean)}"
        )
        shapes.append(
            Shape("line", x=x(s.minimum), y=mid, x2=x(s.maximum), y2=mid, colour="#57606a")
        )
        for end in (s.minimum, s.maximum):
            shapes.append(
                Shape("line", x=x(end), y=mid - 5, x2=x(end), y2=mid + 5, colour="#57606a")
            )
        shapes.append(
            Shape(
                "rect",
                x=x(s.q1),
                y=mid - 8,
                w=max(x(s.q3) - x(s.q1), 1.5),
                h=16,
                colour="#54aeff",
                css="box",
                tip=tip,
            )
        )
        if s.median is not None:
            shapes.append(
                Shape(
                    "line", x=x(s.median), y=mid - 8, x2=x(s.median), y2=mid + 8, colour="#0a3069"
                )
            )
    return Plot(key, title, _PLOT_W, height, shapes, note="rx power at the ONU, dBm")


def _x_axis(low: float, high: float, x: Any, top: float, bottom: float) -> list[Shape]:
    shapes = []
    step = 5 if high - low > 12 else 2
    tick = int(low) - int(low) % step
    while tick <= high:
        if tick >= low:
            shapes.append(Shape("line", x=x(tick), y=top, x2=x(tick), y2=bottom, colour="#d1d9e0"))
            shapes.append(
                Shape("text", x=x(tick), y=bottom + 16, text=str(tick), anchor="middle", css="tick")
            )
        tick += step
    return shapes


def worst_plot(groups: Sequence[Group]) -> Plot:
    """Stacked bars of ONUs by class per CTO/PON, worst on top, mean rx at the end."""
    row = 24
    top = 10
    height = top + row * max(len(groups), 1) + 10
    biggest = max((g.count for g in groups), default=1)
    span = _PLOT_W - _LABEL_W - 190
    shapes = []
    for i, g in enumerate(groups):
        y = top + i * row
        name = g.name if g.kind == "cto" else f"PON {g.name}"
        shapes.append(Shape("text", x=_LABEL_W - 8, y=y + 15, text=name, anchor="end"))
        left = float(_LABEL_W)
        for signal_class, number in g.classes.items():
            width = number / biggest * span
            shapes.append(
                Shape(
                    "rect",
                    x=round(left, 1),
                    y=y + 3,
                    w=round(width, 1),
                    h=row - 6,
                    colour=CLASS_COLOURS.get(signal_class, "#afb8c1"),
                    tip=f"{name}: {number} {signal_class}",
                )
            )
            left += width
        summary = f"{g.bad} bad of {g.count} · mean {_fmt(g.mean_rx)}"
        shapes.append(Shape("text", x=round(left + 6, 1), y=y + 15, text=summary, css="muted"))
    legend = [(c, CLASS_COLOURS[c]) for c in SIGNAL_CLASSES]
    return Plot("worst", "Worst CTOs and PONs", _PLOT_W, height, shapes, legend=legend)


def trend_plot(
    key: str, title: str, points: Sequence[TrendPoint], attr: str, unit: str, scale: float = 1.0
) -> Plot:
    """One line over the runs, oldest left; each point's tooltip names its run."""
    width, height = 370, 190
    left, right, top, bottom = 52, 14, 14, 150
    values = [getattr(p, attr) for p in points]
    present = [v * scale for v in values if v is not None]
    low = min(present, default=0.0)
    high = max(present, default=1.0)
    if high - low < 1:
        low, high = low - 0.5, high + 0.5
    shapes: list[Shape] = []
    for fraction in (0.0, 0.5, 1.0):
        y = round(bottom - fraction * (bottom - top), 1)
        value = low + fraction * (high - low)
        shapes.append(Shape("line", x=left, y=y, x2=width - right, y2=y, colour="#d1d9e0"))
        shapes.append(
            Shape("text", x=left - 6, y=y + 4, text=f"{value:.1f}", anchor="end", css="tick")
        )
    count = len(points)

    def px(i: int) -> float:
        return round(left + (i + 0.5) / max(count, 1) * (width - left - right), 1)

    coords = []
    for i, (point, value) in enumerate(zip(points, values, strict=True)):
        if value is None:
            continue
        y = round(bottom - (value * scale - low) / (high - low) * (bottom - top), 1)
        coords.append(f"{px(i)},{y}")
        tip = (
            f"{point.run_id} ({point.started_at}): {value * scale:.2f}{unit}, {point.readings} ONUs"
        )
        shapes.append(Shape("circle", x=px(i), y=y, r=4, colour="#0969da", tip=tip))
    if len(coords) > 1:
        shapes.insert(0, Shape("polyline", points=" ".join(coords), colour="#0969da"))
    if points:
        shapes.append(
            Shape(
                "text",
                x=px(0),
                y=bottom + 18,
                text=points[0].started_at[:10],
                anchor="start",
                css="tick",
            )
        )
        if count > 1:
            shapes.append(
                Shape(
                    "text",
                    x=px(count - 1),
                    y=bottom + 18,
                    text=points[-1].started_at[:10],
                    anchor="end",
                    css="tick",
                )
            )
    return Plot(key, title, width, height, shapes, note=unit.strip())


def bar_plot(key: str, title: str, counts: dict[str, int], colours: dict[str, str]) -> Plot:
    row = 24
    height = 10 + row * max(len(counts), 1) + 10
    biggest = max(counts.values(), default=1)
    span = _PLOT_W - _LABEL_W - 80
    shapes = []
    for i, (name, number) in enumerate(counts.items()):
        y = 10 + i * row
        width = round(number / biggest * span, 1)
        shapes.append(Shape("text", x=_LABEL_W - 8, y=y + 15, text=name, anchor="end"))
        shapes.append(
            Shape(
                "rect",
                x=_LABEL_W,
                y=y + 3,
                w=width,
                h=row - 6,
                colour=colours.get(name, "#8c959f"),
                tip=f"{number} {name}",
            )
        )
        shapes.append(
            Shape("text", x=_LABEL_W + width + 6, y=y + 15, text=f"{number:,}", css="muted")
        )
    return Plot(key, title, _PLOT_W, height, shapes)


def plots(audit: Audit) -> list[Plot]:
    found = [box_plot("rx-olt", "Rx power per OLT", audit.rx_by_olt)]
    if len(audit.rx_by_pon) <= PON_PLOT_LIMIT:
        found.append(box_plot("rx-pon", "Rx power per PON", audit.rx_by_pon))
    found.append(worst_plot(audit.worst))
    found.append(trend_plot("trend-rx", "Mean rx per run", audit.trend, "mean_rx", " dBm"))
    found.append(
        trend_plot("trend-good", "Share of good per run", audit.trend, "good_share", " %", 100.0)
    )
    found.append(
        bar_plot("findings", "Findings by severity", audit.findings_by_severity, SEVERITY_COLOURS)
    )
    return found


# -- page ---------------------------------------------------------------------------------
def render_audit_html(audit: Audit) -> str:
    """The audit as one standalone HTML page."""
    shown = sorted(audit.readings, key=_worst_first)[:TABLE_LIMIT]
    by_key = {p.key: p for p in plots(audit)}
    return pin_scripts(
        _template().render(
            audit=audit,
            title=f"Signal audit · {audit.run['runbook']} · {audit.run['run_id']}",
            plots=by_key,
            rows=shown,
            class_rank={c: i for i, c in enumerate(SIGNAL_CLASSES)},
            colours=CLASS_COLOURS,
            table_limit=TABLE_LIMIT,
            findings_limit=FINDINGS_LIMIT,
            pon_plot_limit=PON_PLOT_LIMIT,
            fmt=_fmt,
            dropped=readings_dropped_note(audit),
        )
    )


def readings_dropped_note(audit: Audit) -> str | None:
    """Why an audit shows no readings, when a prune dropped them with their raw window."""
    if audit.onus_read or audit.outcome is None:
        return None
    return dropped_note(audit.outcome)


def render_audit_json(audit: Audit) -> str:
    return dumps(audit.as_dict()) + "\n"


def _worst_first(r: Reading) -> tuple[int, float, str, str, int]:
    rank = SIGNAL_CLASSES.index(r.signal_class) if r.signal_class in SIGNAL_CLASSES else 99
    return (rank, r.rx_dbm if r.rx_dbm is not None else 0.0, r.olt, r.pon, r.onu)


@cache
def _template() -> Template:
    env = Environment(
        autoescape=True, undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True
    )
    return env.from_string(TEMPLATE)


TEMPLATE = r"""{% macro svg(p) %}
<figure class="plot" id="plot-{{ p.key }}">
<figcaption>{{ p.title }}{% if p.note %} <span class="muted">({{ p.note }})</span>{% endif %}</figcaption>
<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{{ p.title }}" viewBox="0 0 {{ p.width }} {{ p.height }}" width="{{ p.width }}" height="{{ p.height }}">
{% for s in p.shapes %}
{% if s.kind == "rect" %}<rect x="{{ s.x }}" y="{{ s.y }}" width="{{ s.w }}" height="{{ s.h }}" fill="{{ s.colour }}"{% if s.css %} class="{{ s.css }}"{% endif %}>{% if s.tip %}<title>{{ s.tip }}</title>{% endif %}</rect>
{% elif s.kind == "line" %}<line x1="{{ s.x }}" y1="{{ s.y }}" x2="{{ s.x2 }}" y2="{{ s.y2 }}" stroke="{{ s.colour }}"/>
{% elif s.kind == "polyline" %}<polyline points="{{ s.points }}" fill="none" stroke="{{ s.colour }}" stroke-width="2"/>
{% elif s.kind == "circle" %}<circle cx="{{ s.x }}" cy="{{ s.y }}" r="{{ s.r }}" fill="{{ s.colour }}">{% if s.tip %}<title>{{ s.tip }}</title>{% endif %}</circle>
{% else %}<text x="{{ s.x }}" y="{{ s.y }}" text-anchor="{{ s.anchor }}"{% if s.css %} class="{{ s.css }}"{% endif %}>{{ s.text }}</text>
{% endif %}
{% endfor %}
</svg>
{% if p.legend %}<div class="legend">{% for name, colour in p.legend %}<span><i style="background: {{ colour }}"></i>{{ name }}</span>{% endfor %}</div>{% endif %}
</figure>
{% endmacro %}
<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="generator" content="ispflow">
<title>{{ title }}</title>
<style>
:root { --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --panel: #f6f8fa; }
* { box-sizing: border-box; }
html { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
body { margin: 0 auto; max-width: 1600px; padding: 24px 32px 48px; color: var(--fg); background: var(--bg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
h1 { font-size: 22px; margin: 0 0 4px; }
h2 { font-size: 16px; margin: 28px 0 10px; }
.mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.muted { color: var(--muted); fill: var(--muted); }
.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0 0; }
.meta dt { color: var(--muted); } .meta dd { margin: 0; }
.tiles { display: flex; flex-wrap: wrap; gap: 10px; margin-top: 18px; }
.tile { min-width: 104px; padding: 10px 14px; border-radius: 8px; border: 1px solid var(--line); background: var(--panel); }
.tile .n { font-size: 26px; font-weight: 700; line-height: 1.1; }
.tile .l { font-size: 12px; text-transform: uppercase; letter-spacing: .05em; color: var(--muted); }
.tile i, .legend i { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; }
.tile.zero { opacity: .5; }
.plots { display: flex; flex-wrap: wrap; gap: 16px 32px; align-items: flex-start; }
figure.plot { margin: 0; max-width: 100%; }
figure.plot svg { max-width: 100%; height: auto; display: block; }
figcaption { font-weight: 600; margin-bottom: 6px; }
svg text { font-size: 12px; fill: var(--fg); }
svg text.tick { font-size: 11px; fill: var(--muted); }
svg rect.box { stroke: #0969da; fill-opacity: .55; }
.legend { display: flex; flex-wrap: wrap; gap: 12px; font-size: 12px; margin-top: 4px; }
.controls { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; margin-bottom: 10px; }
.controls input { font: inherit; padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; width: min(360px, 100%); }
.scroll { overflow: auto; max-height: 70vh; border: 1px solid var(--line); border-radius: 6px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); }
thead th { position: sticky; top: 0; background: var(--panel); cursor: pointer; user-select: none; white-space: nowrap; }
thead th::after { content: " \2195"; color: #9aa4ae; font-weight: 400; }
thead th[aria-sort="ascending"]::after { content: " \2191"; color: var(--fg); }
thead th[aria-sort="descending"]::after { content: " \2193"; color: var(--fg); }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.cls span { padding: 1px 8px; border-radius: 4px; color: #fff; font-weight: 600; font-size: 12px; }
.empty { color: var(--muted); font-style: italic; }
footer { margin-top: 32px; font-size: 12px; color: var(--muted); }
@media print { .controls, thead th::after { display: none; } .scroll { max-height: none; overflow: visible; } }
</style>
</head>
<body>
<header>
  <h1>Signal audit: {{ audit.run.runbook }}</h1>
  <div class="muted mono">run {{ audit.run.run_id }}{% if audit.run.dry_run %} · dry run{% endif %}</div>
  <dl class="meta">
    <dt>Status</dt><dd>{{ audit.run.status }}{% if audit.run.message %} · {{ audit.run.message }}{% endif %}</dd>
    <dt>Started</dt><dd>{{ audit.run.started_at }}</dd>
    <dt>Finished</dt><dd>{{ audit.run.finished_at }} ({{ audit.run.duration }})</dd>
    <dt>Devices</dt><dd>{{ audit.devices }} targeted, {{ audit.olts_read }} OLTs with readings</dd>
    <dt>Mean rx</dt><dd>{{ fmt(audit.mean_rx) }}</dd>
  </dl>
  {% if dropped %}<p class="empty">{{ dropped }}</p>{% endif %}
</header>

<section class="tiles" aria-label="Summary">
  <div class="tile"><div class="n">{{ "{:,}".format(audit.onus_read) }}</div><div class="l">ONUs read</div></div>
  {% for name, n in audit.classes.items() %}
  {% if n or name != "unknown" %}
  <div class="tile{% if not n %} zero{% endif %}" data-class="{{ name }}"><div class="n">{{ "{:,}".format(n) }}</div><div class="l"><i style="background: {{ colours.get(name, '#afb8c1') }}"></i>{{ name }}</div></div>
  {% endif %}
  {% endfor %}
  <div class="tile"><div class="n">{{ audit.findings_total }}</div><div class="l">findings</div></div>
</section>

<h2>Signal</h2>
{% if audit.onus_read %}
<div class="plots">
  {{ svg(plots["rx-olt"]) }}
  {% if "rx-pon" in plots %}{{ svg(plots["rx-pon"]) }}{% else %}<p class="muted">{{ audit.rx_by_pon|length }} PONs: too many to plot one by one (limit {{ pon_plot_limit }}); the JSON output has them all.</p>{% endif %}
  {{ svg(plots["worst"]) }}
</div>
{% else %}
<p class="empty">This run stored no optical readings.</p>
{% endif %}

<h2>Trend: {{ audit.trend|length }} run{{ "s" if audit.trend|length != 1 else "" }} of {{ audit.run.runbook }} up to this one</h2>
{% if audit.trend %}
<div class="plots">
  {{ svg(plots["trend-rx"]) }}
  {{ svg(plots["trend-good"]) }}
</div>
{% else %}
<p class="empty">No run of this runbook stored readings.</p>
{% endif %}

<h2>Findings</h2>
{% if audit.findings %}
<div class="plots">{{ svg(plots["findings"]) }}</div>
<div class="controls">
  <input type="search" data-filter-for="findings-table" placeholder="Filter findings…" aria-label="Filter findings">
  <span class="muted"><span data-shown-for="findings-table">{{ audit.findings|length }}</span> shown{% if audit.findings_total > audit.findings|length %} (first {{ findings_limit }} of {{ audit.findings_total }}){% endif %}</span>
</div>
<div class="scroll">
<table id="findings-table" class="sortable">
  <thead><tr><th data-type="rank">severity</th><th>kind</th><th>host</th><th>step</th><th>detail</th></tr></thead>
  <tbody>
  {% for f in audit.findings %}
    <tr><td data-sort="{{ loop.index0 }}">{{ f.severity }}</td><td>{{ f.kind }}</td><td>{{ f.host }}</td><td>{{ f.step }}</td><td class="mono">{{ f.detail }}</td></tr>
  {% endfor %}
  </tbody>
</table>
</div>
{% else %}
<p class="empty">No findings in this run.</p>
{% endif %}

<h2>ONU readings</h2>
{% if rows %}
<div class="controls">
  <input type="search" data-filter-for="readings-table" placeholder="Filter: OLT, PON, serial, contract, class…" aria-label="Filter readings">
  <span class="muted"><span data-shown-for="readings-table">{{ rows|length }}</span> shown{% if audit.onus_read > rows|length %} · the table holds the worst {{ "{:,}".format(table_limit) }} of {{ "{:,}".format(audit.onus_read) }} readings{% endif %}</span>
</div>
<div class="scroll">
<table id="readings-table" class="sortable">
  <thead><tr><th>olt</th><th>pon</th><th data-type="number">onu</th><th>serial</th><th>contract</th><th>cto</th><th data-type="number">rx dBm</th><th data-type="number">class</th></tr></thead>
  <tbody>
  {% for r in rows %}
    <tr><td>{{ r.olt }}</td><td>{{ r.pon }}</td><td class="num">{{ r.onu }}</td><td class="mono">{{ r.serial or "" }}</td><td>{{ r.contract or "" }}</td><td>{{ r.cto or "" }}</td><td class="num" data-sort="{{ r.rx_dbm if r.rx_dbm is not none else -999 }}">{{ "%.2f"|format(r.rx_dbm) if r.rx_dbm is not none else "—" }}</td><td class="cls" data-sort="{{ class_rank.get(r.signal_class, 99) }}"><span style="background: {{ colours.get(r.signal_class, '#afb8c1') }}">{{ r.signal_class }}</span></td></tr>
  {% endfor %}
  </tbody>
</table>
</div>
{% else %}
<p class="empty">No readings.</p>
{% endif %}

<footer>ispflow signal audit · run {{ audit.run.run_id }}</footer>
<script>
(function () {
  "use strict";
  // Sorting and filtering read the cells already on the page; no data lives in the script.
  function sortKey(row, column, numeric) {
    var cell = row.cells[column];
    var raw = cell.hasAttribute("data-sort") ? cell.getAttribute("data-sort") : cell.textContent.trim();
    if (!numeric) { return raw; }
    var value = parseFloat(raw);
    return isNaN(value) ? -Infinity : value;
  }
  function sortTable(table, th, column) {
    var ascending = th.getAttribute("aria-sort") !== "ascending";
    var numeric = th.hasAttribute("data-type");
    Array.prototype.forEach.call(th.parentNode.cells, function (other) { other.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", ascending ? "ascending" : "descending");
    var body = table.tBodies[0];
    var rows = Array.prototype.map.call(body.rows, function (row, i) { return [sortKey(row, column, numeric), i, row]; });
    rows.sort(function (a, b) {
      var d = numeric ? a[0] - b[0] : String(a[0]).localeCompare(String(b[0]), undefined, { numeric: true });
      return (ascending ? d : -d) || a[1] - b[1];
    });
    var fragment = document.createDocumentFragment();
    rows.forEach(function (entry) { fragment.appendChild(entry[2]); });
    body.appendChild(fragment);
  }
  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), function (table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th, column) {
      th.tabIndex = 0;
      th.addEventListener("click", function () { sortTable(table, th, column); });
      th.addEventListener("keydown", function (event) {
        if (event.key === "Enter" || event.key === " ") { event.preventDefault(); sortTable(table, th, column); }
      });
    });
    table.setAttribute("data-sortable-ready", "true");
  });
  Array.prototype.forEach.call(document.querySelectorAll("input[data-filter-for]"), function (input) {
    var table = document.getElementById(input.getAttribute("data-filter-for"));
    var shown = document.querySelector("[data-shown-for='" + table.id + "']");
    var texts = null;
    input.addEventListener("input", function () {
      // Lowercased once: re-reading 5,000 rows' text on every key press makes typing lag.
      if (texts === null) {
        texts = Array.prototype.map.call(table.tBodies[0].rows, function (row) { return [row, row.textContent.toLowerCase()]; });
      }
      var needle = input.value.trim().toLowerCase();
      var count = 0;
      texts.forEach(function (entry) {
        var match = !needle || entry[1].indexOf(needle) !== -1;
        entry[0].hidden = !match;
        if (match) { count += 1; }
      });
      shown.textContent = String(count);
    });
    table.setAttribute("data-filter-ready", "true");
  });
})();
</script>
</body>
</html>
"""
