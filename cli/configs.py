"""`ispflow config list | show | diff`: the device configurations config-backup keeps.

Exit codes: 0 done (diff: the versions are the same), 1 diff: the versions differ, 2 bad input,
nothing stored for the host, or an unusable store.
"""

from __future__ import annotations

import json
import sys
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.table import Table

from ispflow.cli.common import err, fail, make_console, open_store
from ispflow.cli.options import CONTEXT_SETTINGS, DbOption, JsonAlias, OutputOption

EXIT_DIFFERENT = 1

config_app = typer.Typer(
    help=(
        "Device configurations kept by the config-backup runbook: one version per change on "
        "each OLT and concentrator, secrets masked unless the backup was told to keep them.\n\n"
        "A version is named by its number (3 or v3), a SHA-256 prefix (6+ hex digits) or a "
        "time (2026-11-30, 2026-11-30 14:05; UTC unless an offset is given): the version the "
        "device had then.\n\n"
        "Examples:\n\n"
        "* `ispflow run config-backup` (then every day: `ispflow schedule add config-backup "
        "--every 1d`)\n"
        "* `ispflow config list`\n"
        "* `ispflow config diff olt-poa-01` (the last change)\n"
        "* `ispflow config diff olt-poa-01 --from 2026-11-01 --to v7`\n"
        "* `ispflow config show bras-poa-01 --at '2026-11-29 23:00'`"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    context_settings=CONTEXT_SETTINGS,
)

HostArgument = Annotated[
    str, typer.Argument(help="Inventory name of the device.", show_default=False)
]


def _when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S}"


def _shown(version: dict[str, Any]) -> dict[str, Any]:
    return {
        key: (_when(value) + "Z" if isinstance(value, datetime) else value)
        for key, value in version.items()
    }


@config_app.command("list")
def list_command(
    host: Annotated[
        str | None, typer.Argument(help="Only this device: every version it had.")
    ] = None,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
) -> None:
    """Every device's latest configuration, or one device's versions (oldest first)."""
    from ispflow.store.config_versions import latest_by_host, versions

    with open_store(db) as database:
        rows = versions(database, host) if host else latest_by_host(database)
    if host and not rows:
        raise fail(f"no configuration of {host} is stored (run the config-backup runbook)")
    if output == "json":
        sys.stdout.write(json.dumps([_shown(r) for r in rows], indent=1) + "\n")
        return
    table = Table(title=f"configurations of {host}" if host else "latest configuration per device")
    for column in ("device", "version", "sha256", "lines", "first seen (UTC)", "last seen (UTC)"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row["host"],
            f"v{row['number']}",
            row["sha256"][:12],
            str(row["lines"]) + ("" if row["masked"] else " (secrets kept)"),
            _when(row["first_seen"]),
            _when(row["last_seen"]),
        )
    make_console().print(table)


@config_app.command("show")
def show_command(
    host: HostArgument,
    at: Annotated[
        str | None,
        typer.Option("--at", help="The configuration the device had at this time."),
    ] = None,
    version: Annotated[
        # No -v: it means --verbose on every command that has a short form for it.
        str | None, typer.Option("--version", help="This version (number or SHA prefix).")
    ] = None,
    db: DbOption = None,
) -> None:
    """Print one stored configuration (the latest by default) as the device gave it."""
    from ispflow.store.config_versions import find_version, parse_time

    if at and version:
        raise fail("give --at or --version, not both")
    with open_store(db) as database:
        found = find_version(database, host, version, at=parse_time(at) if at else None)
    err.print(
        f"{host} v{found['number']} {found['sha256'][:12]}, seen {_when(found['first_seen'])} "
        f"to {_when(found['last_seen'])} UTC" + ("" if found["masked"] else " (secrets kept)")
    )
    sys.stdout.write(found["content"])


@config_app.command("diff")
def diff_command(
    host: HostArgument,
    from_ref: Annotated[
        str | None,
        typer.Option(
            "--from",
            help="Older side: version, SHA prefix or time (default: the version before --to).",
        ),
    ] = None,
    to_ref: Annotated[
        str | None,
        typer.Option("--to", help="Newer side: version, SHA prefix or time (default: latest)."),
    ] = None,
    context: Annotated[int, typer.Option("--context", "-U", min=0, help="Context lines.")] = 3,
    db: DbOption = None,
) -> None:
    """A unified diff between two versions of a device's configuration (the last change by
    default). Exit 1 when they differ, 0 when they are the same."""
    from ispflow.store.config_versions import find_version, unified_diff, versions

    with open_store(db) as database:
        new = find_version(database, host, to_ref)
        if from_ref is None:
            if new["number"] == 1:
                raise fail(f"{host} has one version only: nothing to compare v1 with")
            older = [v for v in versions(database, host) if v["number"] < new["number"]]
            from_ref = str(older[-1]["number"])
        old = find_version(database, host, from_ref)
    diff = unified_diff(old, new, context)
    if not diff:
        err.print(f"{host}: v{old['number']} and v{new['number']} are the same configuration")
        return
    sys.stdout.write(diff)
    raise typer.Exit(EXIT_DIFFERENT)
