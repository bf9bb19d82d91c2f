"""The command line's conventions, declared once: the options every command spells alike.

* `--db URL`: the store.
* `-l/--limit FILTER`: a host filter, as for `ispflow run` (never a count).
* `-n/--dry-run`: change nothing (never a count).
* `-m/--max N`: at most this many rows.
* `-o/--output FORMAT`: text for people (the default), json for scripts, and junit or html
  where a command has them; `--json` is a hidden alias of `-o json` for older scripts.
* `-q/--quiet`, `-v/--verbose`.
* `-h/--help` on every command (`CONTEXT_SETTINGS`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import typer

from ispflow.cli.common import fail

CONTEXT_SETTINGS: dict[str, Any] = {"help_option_names": ["-h", "--help"]}

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        metavar="URL",
        help="Store URL: sqlite:///FILE or postgresql://USER@HOST/DB "
        "(default: $ISPFLOW_DB, else sqlite:///ispflow.db).",
        show_default=False,
    ),
]

LimitOption = Annotated[
    str | None,
    typer.Option(
        "--limit",
        "-l",
        metavar="FILTER",
        help="Only these hosts: `olt-poa-01`, `olt-poa-*`, `site=poa&role=olt`, `!olt-07`.",
        show_default=False,
    ),
]

QuietOption = Annotated[bool, typer.Option("--quiet", "-q", help="No progress output.")]
VerboseOption = Annotated[
    bool, typer.Option("--verbose", "-v", help="More detail: per-step counts for every host.")
]


def dry_run_option(help: str = "Show what would be done; change nothing.") -> Any:
    """`-n/--dry-run`, with what a dry run of this command does as its help."""
    return typer.Option("--dry-run", "-n", help=help)


DryRunOption = Annotated[bool, dry_run_option()]


def max_option(help: str = "At most this many.") -> Any:
    """`-m/--max N`: how many rows a listing shows."""
    return typer.Option("--max", "-m", min=1, metavar="N", help=help)


# -- output format -------------------------------------------------------------------------
# The context whose command line had `--json`: `ctx.meta` is shared by every nested command,
# so the flag is tied to the one context it was given to.
_JSON_ALIAS = "ispflow.cli.json_alias"


def output_choices(*formats: str) -> tuple[str, ...]:
    """The formats of an `--output` option: text first (the default), then `formats`."""
    return ("text", *formats)


def _listed(choices: tuple[str, ...]) -> str:
    return ", ".join(choices[:-1]) + " or " + choices[-1] if len(choices) > 1 else choices[0]


def _output_check(choices: tuple[str, ...]) -> Callable[[typer.Context, str], str]:
    def check(ctx: typer.Context, value: str) -> str:
        if ctx.resilient_parsing:
            return value
        if ctx.meta.get(_JSON_ALIAS) is ctx and "json" in choices:
            return "json"
        if value not in choices:
            # One plain line, as every other ispflow error: Typer's framed message is cut
            # at 80 columns in a CI log.
            raise fail(f"--output {value!r} is not one of {', '.join(choices)}")
        return value

    return check


def output_option(*formats: str) -> Any:
    """`-o/--output FORMAT`: text (the default) or one of `formats`; any other value is an
    error naming the choices (exit 2)."""
    choices = output_choices(*formats)
    return typer.Option(
        "--output",
        "-o",
        metavar="FORMAT",
        callback=_output_check(choices),
        help=f"Output format: {_listed(choices)}.",
    )


def _json_alias(ctx: typer.Context, value: bool) -> None:
    if value:
        ctx.meta[_JSON_ALIAS] = ctx


OutputOption = Annotated[str, output_option("json")]
# Eager, so that it is known when `--output` is checked, whatever their order on the line.
JsonAlias = Annotated[
    bool,
    typer.Option(
        "--json",
        hidden=True,
        is_eager=True,
        expose_value=False,
        callback=_json_alias,
        help="Same as `-o json` (for scripts written before `-o`).",
    ),
]
