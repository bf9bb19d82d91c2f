"""The end-of-run summary an engineer reads in the terminal, and the same as plain text."""

from __future__ import annotations

from io import StringIO
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ispflow.core.outcome import RunOutcome, StepOutcome
from ispflow.core.views import plural
from ispflow.engine.reports._common import (
    Tally,
    count,
    dropped_note,
    first_line,
    host_names,
    human_duration,
    run_duration,
    shorten,
    step_keys,
    step_numbers,
    tallies,
    tally_text,
)
from ispflow.engine.reports.views import StepView, step_views

# How many rendered command lines a dry run shows per host and step before eliding.
COMMAND_LINES = 20
# Up to this many hosts the table lists every host; above, only hosts that changed, failed or
# were aborted (at most NOTABLE_HOSTS_SHOWN of them), unless verbose.
ALL_HOSTS_UP_TO = 25
NOTABLE_HOSTS_SHOWN = 50
FAILURES_SHOWN = 20
# The table cell keeps one line per host; the full error is printed below the table.
ERROR_CELL = 60

RUN_STYLES = {
    "ok": "bold green",
    "failed": "bold red",
    "aborted": "bold yellow",
    "interrupted": "bold yellow",
    "running": "bold blue",
}
STEP_STYLES = {
    "ok": "green",
    "changed": "yellow",
    "failed": "bold red",
    "skipped": "cyan",
    "aborted": "magenta",
    "pending": "blue",
}


def print_summary(run: RunOutcome, console: Console, *, verbose: bool = False) -> None:
    """Print the run summary; every value from the run goes in as Text, never as markup."""
    forward = [o for o in run.outcomes if not o.rollback]
    rollback = [o for o in run.outcomes if o.rollback]

    console.print(_header(run))
    if run.message:
        console.print(Text(run.message, style="dim"))
    dropped = dropped_note(run)
    if dropped:
        console.print(Text(dropped, style="dim"))
    if run.hosts or run.outcomes:
        console.print(_host_table(run, forward, verbose=verbose))
    failed = [o for o in forward if o.status == "failed"]
    if failed:
        console.print(_failures(run, failed))
    if verbose and run.outcomes:
        console.print(_step_table(run))
    for view in step_views(run, verbose=verbose):
        console.print(_step_view(view))
    if run.dry_run:
        commands = _commands(run, forward)
        if commands is not None:
            console.print(commands)
    if rollback:
        console.print(_rollbacks(rollback))
    for counted in tallies(run):
        if dropped and not counted.total:
            continue  # its records were dropped (said above), not found empty
        console.print(_tally(counted, verbose=verbose))
    console.print(_totals(run, forward))


def _tally(counted: Tally, *, verbose: bool) -> Group:
    """`tally: signal` in the runbook: the records counted by that key, then per host."""
    if not counted.total:
        return Group(
            Text.assemble(
                (f"{counted.key}", "bold"),
                f" ({counted.step_name}): no records on ",
                plural(counted.hosts_done, "host"),
            )
        )
    lines = [
        Text.assemble(
            (f"{counted.key}", "bold"),
            f" ({counted.step_name}): ",
            tally_text(counted.total),
        )
    ]
    if verbose or len(counted.per_host) <= ALL_HOSTS_UP_TO:
        width = max(len(host) for host in counted.per_host)
        for host, counts in sorted(counted.per_host.items()):
            lines.append(Text(f"  {host:<{width}}  {tally_text(counts)}"))
    return Group(*lines)


def render_text(run: RunOutcome, verbose: bool = False) -> str:
    """The summary as plain text (no ANSI codes), 100 columns wide."""
    buffer = StringIO()
    # force_terminal=False so FORCE_COLOR / TTY detection cannot sneak escape codes in.
    console = Console(
        file=buffer,
        width=100,
        color_system=None,
        force_terminal=False,
        force_jupyter=False,
        no_color=True,
        highlight=False,
        emoji=False,
        legacy_windows=False,
    )
    print_summary(run, console, verbose=verbose)
    # Rich pads table cells to the full width; trailing blanks are noise in files and mails.
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


# -- parts ---------------------------------------------------------------------------------
def _header(run: RunOutcome) -> Text:
    header = Text()
    header.append("Run ", style="bold")
    header.append(run.run_id, style="bold")
    header.append(" · ")
    header.append(run.runbook, style="bold cyan")
    header.append(" · ")
    header.append(run.status.upper(), style=RUN_STYLES.get(run.status, "bold"))
    if run.dry_run:
        header.append(" · ")
        header.append("DRY RUN", style="bold reverse yellow")
    header.append(" · ")
    header.append(human_duration(run_duration(run)))
    if run.parent_run_id:
        header.append(f" · re-run of {run.parent_run_id}", style="dim")
    return header


def _extra_statuses(outcomes: list[StepOutcome]) -> list[str]:
    """aborted / pending columns only when they occur, so the usual table stays narrow."""
    present = {o.status for o in outcomes}
    return [s for s in ("aborted", "pending") if s in present]


def _count_cell(value: int, status: str) -> Text:
    if not value:
        return Text("0", style="dim")
    return Text(str(value), style=STEP_STYLES.get(status, ""))


def _host_table(run: RunOutcome, forward: list[StepOutcome], *, verbose: bool) -> Table:
    statuses = ["ok", "changed", "failed", "skipped", *_extra_statuses(forward)]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
    # Only host and error may shrink (error first, being the widest); counts never wrap.
    table.add_column("host", overflow="fold")
    for status in statuses:
        table.add_column(status, justify="right", no_wrap=True)
    table.add_column("first error", min_width=12)

    by_host: dict[str, list[StepOutcome]] = {name: [] for name in host_names(run)}
    for outcome in forward:
        by_host.setdefault(outcome.host, []).append(outcome)
    # A fleet run lists only the hosts worth a look; every host with -v.
    brief = not verbose and len(by_host) > ALL_HOSTS_UP_TO
    hidden = 0
    for host, outcomes in by_host.items():
        counts = count(outcomes)
        if brief and not any(counts[s] for s in statuses if s not in ("ok", "skipped")):
            hidden += 1
            continue
        if brief and len(table.rows) >= NOTABLE_HOSTS_SHOWN:
            hidden += 1
            continue
        error = next((o.error for o in outcomes if o.status == "failed"), None)
        host_style = "bold red" if counts["failed"] else ""
        table.add_row(
            Text(host, style=host_style),
            *(_count_cell(counts[s], s) for s in statuses),
            _error_cell(error),
        )
    if hidden:
        table.caption = f"… and {hidden} more hosts with nothing to report (-v lists every host)"
        table.caption_justify = "left"
    return table


def _error_cell(error: str | None) -> Text:
    if not error:
        return Text("")
    # One line per host however narrow the terminal; the full text follows the table.
    return Text(
        shorten(first_line(error), ERROR_CELL), style="red", no_wrap=True, overflow="ellipsis"
    )


def _step_view(view: StepView) -> Group:
    """A step's rows under its number and name: what the hosts answered, not just counts."""
    title = Text("\n")
    title.append(f"{view.number}. ", style="dim")
    title.append(view.name, style="bold")
    parts: list[Any] = [title]
    for line in view.headlines:
        parts.append(Padding(Text(line), (0, 0, 0, 2), expand=False))
    if view.rows:
        table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
        for column in view.columns:
            table.add_column(column, overflow="fold")
        for row in view.rows:
            table.add_row(*(Text(row[c]) for c in view.columns))
        if view.more:
            table.caption = f"… and {view.more:,} more (-v shows all)"
            table.caption_justify = "left"
        parts.append(Padding(table, (0, 0, 0, 2), expand=False))
    return Group(*parts)


def _failures(run: RunOutcome, failed: list[StepOutcome]) -> Group:
    numbers = step_numbers(run)
    parts: list[Any] = [Text("Failures", style="bold red")]
    for outcome in failed[:FAILURES_SHOWN]:
        title = Text("  ")
        title.append(outcome.host, style="bold")
        title.append(f" · step {numbers.get(outcome.step_index, outcome.step_index + 1)}: ")
        title.append(outcome.step_name, style="bold")
        if outcome.attempts > 1:
            title.append(f" · {outcome.attempts} attempts", style="dim")
        parts.append(title)
        parts.append(
            Padding(
                Text(outcome.error or "(no error message)", style="red"), (0, 0, 0, 4), expand=False
            )
        )
    if len(failed) > FAILURES_SHOWN:
        more = len(failed) - FAILURES_SHOWN
        parts.append(
            Text(f"  … {more} more failures (see `ispflow runs show RUN_ID -o html`)", style="dim")
        )
    return Group(Text(""), *parts)


def _step_table(run: RunOutcome) -> Table:
    statuses = ["ok", "changed", "failed", "skipped", "aborted"]
    if any(o.status == "pending" for o in run.outcomes):
        statuses.append("pending")
    table = Table(
        title="Per step",
        title_justify="left",
        title_style="bold",
        box=box.SIMPLE_HEAD,
        show_edge=False,
        pad_edge=False,
        header_style="bold",
    )
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("step", overflow="fold", ratio=1)
    for status in statuses:
        table.add_column(status, justify="right", no_wrap=True)
    numbers = step_numbers(run)
    for key in step_keys(run):
        outcomes = [
            o
            for o in run.outcomes
            if (o.rollback, o.step_index, o.step_name) == (key.rollback, key.index, key.name)
        ]
        counts = count(outcomes)
        # A rollback step is numbered after the step it undoes.
        number = numbers.get(key.index) if not key.rollback else None
        table.add_row(
            Text(str(number) if number is not None else "↩", style="dim"),
            Text(key.label, style="italic" if key.rollback else ""),
            *(_count_cell(counts[s], s) for s in statuses),
        )
    return table


def _command_lines(result: Any) -> list[str] | None:
    """The rendered commands of a dry-run result (plain or per loop item), if it has any."""
    found: list[str] = []
    seen = False
    if isinstance(result, dict) and isinstance(result.get("commands"), list):
        seen = True
        for command in result["commands"]:
            found.extend(str(command).splitlines() or [""])
    elif isinstance(result, list):
        for item in result:
            inner = item.get("result") if isinstance(item, dict) else None
            lines = _command_lines(inner)
            if lines is not None:
                seen = True
                found.extend(lines)
    return found if seen else None


def _commands(run: RunOutcome, forward: list[StepOutcome]) -> Group | None:
    parts: list[Any] = []
    order = {name: i for i, name in enumerate(host_names(run))}
    for outcome in sorted(forward, key=lambda o: (order.get(o.host, 0), o.step_index)):
        lines = _command_lines(outcome.result)
        if lines is None:
            continue
        title = Text("  ")
        title.append(outcome.host, style="bold")
        title.append(" · ")
        title.append(outcome.step_name)
        parts.append(title)
        body = Text("\n".join(lines[:COMMAND_LINES]) if lines else "(no commands)")
        if len(lines) > COMMAND_LINES:
            body.append(f"\n… {len(lines) - COMMAND_LINES} more", style="dim italic")
        parts.append(Padding(body, (0, 0, 0, 4), expand=False))
    if not parts:
        return None
    return Group(
        Text(""), Text("Commands that would be sent (dry run)", style="bold yellow"), *parts
    )


def _rollbacks(rollback: list[StepOutcome]) -> Group:
    hosts = list(dict.fromkeys(o.host for o in rollback))
    line = Text("\nrolled back on: ", style="bold yellow")
    line.append(", ".join(hosts))
    parts: list[Any] = [line]
    for outcome in rollback:
        entry = Text("  ")
        entry.append(outcome.host, style="bold")
        entry.append(" · rollback: ")
        entry.append(outcome.step_name)
        entry.append(" · ")
        entry.append(outcome.status, style=STEP_STYLES.get(outcome.status, ""))
        if outcome.status == "failed" and outcome.error:
            entry.append(" — ")
            entry.append(first_line(outcome.error), style="red")
        parts.append(entry)
    return Group(*parts)


def _totals(run: RunOutcome, forward: list[StepOutcome]) -> Text:
    counts = count(forward)
    line = Text("\n")
    for status in ("ok", "changed", "failed", "skipped", "aborted"):
        line.append(f"{status}=")
        line.append(str(counts[status]), style=STEP_STYLES[status] if counts[status] else "")
        line.append(" ")
    if counts["pending"]:
        line.append("pending=")
        line.append(str(counts["pending"]), style=STEP_STYLES["pending"])
        line.append(" ")
    line.append(f"hosts={len(host_names(run))}")
    return line
