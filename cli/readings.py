"""`ispflow readings ...`: the optical readings history, kept to size.

Exit codes: 0 done; 2 bad input or an unusable store (nothing changed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from ispflow.cli.common import fail, make_console, open_store, print_json
from ispflow.cli.options import (
    CONTEXT_SETTINGS,
    DbOption,
    OutputOption,
    dry_run_option,
)

if TYPE_CHECKING:
    from ispflow.store.signal_retention import PruneResult

readings_app = typer.Typer(
    help=(
        "The optical readings history: raw readings for a few weeks, then per ONU per hour "
        "and per day.\n\n"
        "Examples:\n\n"
        "* `ispflow readings prune --dry-run`\n"
        "* `ispflow readings prune`\n"
        "* `ispflow readings prune --raw-days 7 --rollup-days 365`"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    context_settings=CONTEXT_SETTINGS,
)


@readings_app.command("prune")
def prune_command(
    raw_days: Annotated[
        int | None,
        typer.Option(
            "--raw-days",
            metavar="N",
            help="Keep every raw reading of the last N whole days (and today). "
            "Default: history.raw_days (14).",
            show_default=False,
        ),
    ] = None,
    rollup_days: Annotated[
        int | None,
        typer.Option(
            "--rollup-days",
            metavar="M",
            help="Keep the daily roll-ups of the last M days; at least --raw-days. "
            "Default: history.rollup_days (400).",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, dry_run_option("Count what would be rolled up and dropped; change nothing.")
    ] = False,
    output: OutputOption = "text",
    db: DbOption = None,
) -> None:
    """Roll readings up per ONU per hour and per day, then drop what is past its time.

    Every closed hour and day not rolled up yet is summed first (min, average and max rx,
    samples, offline samples, the serial and contract of the newest reading); only then are
    raw readings older than --raw-days dropped (on PostgreSQL whole day partitions), hourly
    roll-ups older than history.hourly_days, and daily ones older than --rollup-days.
    The run journal's copy of dropped raw readings goes with them: the results of the run
    steps that read them (each run keeps its hosts' statuses and errors).

    An audit that stores readings prunes after itself (history.prune_after_audit), so this
    is for a first clean-up, a change of retention, or stores whose audits do not prune.
    Safe to interrupt and to run again, and beside another prune.

    Examples:

    * `ispflow readings prune --dry-run`
    * `ispflow readings prune --raw-days 7`
    * `ispflow readings prune -o json`
    """
    from ispflow.core.errors import UsageError
    from ispflow.store.history_settings import history_settings
    from ispflow.store.signal_retention import prune

    try:
        # Checked before the store is opened: bad days change nothing.
        history_settings().with_days(raw_days, rollup_days)
    except UsageError as exc:
        raise fail(str(exc)) from None
    with open_store(db) as database:
        try:
            result = prune(database, raw_days=raw_days, rollup_days=rollup_days, dry_run=dry_run)
        except UsageError as exc:
            raise fail(str(exc)) from None
    if output == "json":
        print_json(_as_json(result))
        return
    _show(result)


def _as_json(result: PruneResult) -> dict[str, Any]:
    from dataclasses import asdict

    return asdict(result) | {"rollups_dropped": result.rollups_dropped}


def _show(result: PruneResult) -> None:
    console = make_console()
    rolled, dropped = (
        ("Would roll up", "Would drop") if result.dry_run else ("Rolled up", "Dropped")
    )
    console.print(
        f"{rolled}: {result.hourly_rolled_up:,} ONU-hours, {result.daily_rolled_up:,} ONU-days",
        markup=False,
    )
    raw_what = f"{result.raw_rows_dropped:,} rows"
    if result.partitions_dropped:
        raw_what = (
            f"{len(result.partitions_dropped)} day partitions "
            f"({', '.join(result.partitions_dropped)}) and {raw_what}"
        )
    for what, before, amount in (
        ("raw readings", result.raw_kept_from, raw_what),
        ("hourly roll-ups", result.hourly_kept_from, f"{result.hourly_dropped:,}"),
        ("daily roll-ups", result.daily_kept_from, f"{result.daily_dropped:,}"),
    ):
        day = f"{before:%Y-%m-%d}" if before else "-"
        console.print(f"{dropped} {what} from before {day}: {amount}", markup=False)
    console.print(
        f"{dropped} from the run journal, with their raw readings: the results of "
        f"{result.results_dropped:,} host steps that read them",
        markup=False,
    )
