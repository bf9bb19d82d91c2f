"""`ispflow inventory list | check | sync | trust`: see, test and store the inventory, whatever
its source, and record the OLTs' SSH host keys.

Tables for people, `-o json` for scripts. Exit codes: 0 done, 1 some device failed its check
(or some OLT could not be synced, or its host key not read, or found changed and kept), 2 bad
input or an unusable source (nothing done).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ispflow.cli.common import err, fail, make_console
from ispflow.cli.options import (
    CONTEXT_SETTINGS,
    DbOption,
    JsonAlias,
    LimitOption,
    OutputOption,
    dry_run_option,
)
from ispflow.core.errors import UsageError

# Nornir, pynetbox and the store load inside the commands: every `ispflow` command builds
# this app.
if TYPE_CHECKING:
    from nornir.core import Nornir

    from ispflow.plugins.inventory.sync import SyncReport

EXIT_FAILED, EXIT_USAGE = 1, 2

inventory_app = typer.Typer(
    help=(
        "The inventory, from YAML files, NetBox or the store: list it, test every device's "
        "connection, copy NetBox's OLTs into the store, and record the OLTs' SSH host keys.\n\n"
        "Examples:\n\n"
        "* `ispflow inventory list --source netbox --limit site=poa`\n"
        "* `ispflow inventory check --limit role=olt`\n"
        "* `ispflow inventory sync --dry-run`\n"
        "* `ispflow inventory trust olt-poa-01`"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    context_settings=CONTEXT_SETTINGS,
)

SourceOption = Annotated[
    str | None,
    typer.Option(
        "--source",
        "-s",
        help="files, netbox or store (default: inventory.source in ispflow.yaml, else files).",
    ),
]
InventoryOption = Annotated[
    Path | None,
    typer.Option("--inventory", "-i", help="Inventory folder, for the files source."),
]
RefreshOption = Annotated[
    bool, typer.Option("--refresh", help="Read NetBox now, not its cached device list.")
]


def _out() -> Console:
    return make_console(markup=False)


def _json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


def _open(
    inventory: Path | None, source: str | None, refresh: bool, db: str | None
) -> tuple[Nornir, str]:
    from ispflow.plugins.inventory.files import inventory_source, open_nornir

    chosen = inventory_source(source, inventory)
    return open_nornir(inventory, chosen, refresh=refresh, db=db), chosen


def _limit_filter(limit: str | None) -> Any:
    from ispflow.engine.filters import FilterError, parse_filter

    try:
        return parse_filter(limit)
    except FilterError as exc:
        raise UsageError(f"--limit '{limit}': {exc}") from None


def _selected(nornir: Nornir, limit: str | None) -> list[str]:
    return sorted(_limit_filter(limit).select(nornir.inventory.hosts))


# -- list -----------------------------------------------------------------------------------
@inventory_app.command("list")
def list_hosts(
    source: SourceOption = None,
    limit: LimitOption = None,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    inventory: InventoryOption = None,
    refresh: RefreshOption = False,
    db: DbOption = None,
) -> None:
    """The hosts: name, role, vendor, platform, site, address and model."""
    from ispflow.store.db import StoreError

    try:
        nornir, chosen = _open(inventory, source, refresh, db)
        names = _selected(nornir, limit)
    except (UsageError, StoreError) as exc:
        raise fail(str(exc)) from None
    hosts = [_host_row(nornir.inventory.hosts[name]) for name in names]
    if output == "json":
        _json(hosts)
        return
    table = Table(title=f"{len(hosts)} hosts ({chosen})", title_justify="left")
    for column in ("name", "role", "vendor", "platform", "site", "address", "model"):
        table.add_column(column)
    for row in hosts:
        table.add_row(
            row["name"],
            row["role"] or "",
            row["vendor"] or "",
            row["platform"] or "",
            row["site"] or "",
            row["address"],
            row["model"] or "",
        )
    _out().print(table)


def _host_row(host: Any) -> dict[str, Any]:
    return {
        "name": host.name,
        "role": host.get("role"),
        "vendor": host.get("vendor"),
        "platform": host.platform,
        "site": host.get("site"),
        "hostname": host.hostname,
        "port": host.port,
        "address": f"{host.hostname or '-'}:{host.port or 'default'}",
        "model": host.get("model"),
        "groups": [group.name for group in host.groups],
    }


# -- check ----------------------------------------------------------------------------------
@inventory_app.command("check")
def check(
    source: SourceOption = None,
    limit: LimitOption = None,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    workers: Annotated[
        int | None, typer.Option("--workers", "-w", min=1, help="Devices checked at once.")
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds to wait for a TCP connection.")
    ] = 5.0,
    inventory: InventoryOption = None,
    refresh: RefreshOption = False,
    db: DbOption = None,
) -> None:
    """Connect to every device, like an ERP's "test connection" button.

    One line per device: ok, or what failed (unreachable, login refused, vendor or model
    mismatch: expected X, device says Y). The checks run in parallel as the
    `inventory-probe` runbook, so they are recorded with the other runs (`ispflow runs`).
    Exit 1 if any device failed.
    """
    from ispflow.engine.api import run_runbook
    from ispflow.engine.errors import RunbookError
    from ispflow.engine.model import RunOptions
    from ispflow.engine.vartypes import VarErrors
    from ispflow.store.db import StoreError

    try:
        outcome = run_runbook(
            "inventory-probe",
            {"timeout": timeout},
            RunOptions(workers=workers, limit=_limit_filter(limit) if limit else None),
            inventory=inventory,
            source=source,
            refresh=refresh,
            db=db,
        )
    except (UsageError, StoreError, RunbookError, VarErrors) as exc:
        raise fail(str(exc)) from None
    rows = [_check_row(o) for o in outcome.outcomes if not o.rollback]
    failed = [row for row in rows if not row["ok"]]
    if output == "json":
        _json(rows)
    else:
        _print_checks(rows)
    raise typer.Exit(EXIT_FAILED if failed else 0)


def _check_row(outcome: Any) -> dict[str, Any]:
    result = outcome.result if isinstance(outcome.result, dict) else {}
    ok = outcome.status in ("ok", "changed")
    return {
        "host": outcome.host,
        "ok": ok,
        "status": result.get("status") or ("ok" if ok else "error"),
        "message": None if ok else (result.get("message") or outcome.error),
        "address": result.get("address"),
        "vendor": result.get("vendor"),
        "model": result.get("model"),
        "software": result.get("software"),
        "expected": result.get("expected"),
        "serial": result.get("serial"),
        "notes": _notes(result) if ok else [],
        "facts": {key: result[key] for key in FACT_KEYS if key in result},
    }


FACT_KEYS = ("hostname", "serial", "os_version", "patch", "boards", "boards_in_trouble",
             "interfaces_down", "interfaces_disabled", "pppoe_sessions", "users")  # fmt: skip


def _notes(result: dict[str, Any]) -> list[str]:
    """What the device's facts say is worth a look (it logged in and is what it should be)."""
    notes = []
    if result.get("boards_in_trouble"):
        notes.append("boards: " + "; ".join(result["boards_in_trouble"]))
    if result.get("interfaces_down"):
        notes.append("down: " + ", ".join(result["interfaces_down"]))
    if result.get("interfaces_disabled"):
        notes.append("disabled: " + ", ".join(result["interfaces_disabled"]))
    return notes


def _print_checks(rows: list[dict[str, Any]]) -> None:
    out = _out()
    width = max((len(row["host"]) for row in rows), default=4)
    for row in rows:
        if row["ok"]:
            what = " ".join(str(row[k]) for k in ("vendor", "model") if row[k])
            if row["software"]:
                what += f" ({row['software']})"
            if row["serial"]:
                what += f" serial {row['serial']}"
            line = Text(f"{'ok':<6}", style="green") + Text(
                f"{row['host']:<{width}}  {what}  {row['address']}"
            )
            for note in row["notes"]:
                line += Text(f"\n{'':<6}{'':<{width}}  {note}", style="yellow")
        else:
            line = Text(f"{'FAIL':<6}", style="bold red") + Text(
                f"{row['host']:<{width}}  {row['message']}"
            )
        out.print(line, soft_wrap=True)
    failed = sum(1 for row in rows if not row["ok"])
    err.print(f"{len(rows) - failed} ok, {failed} failed")


# -- sync -----------------------------------------------------------------------------------
@inventory_app.command("sync")
def sync(
    source: Annotated[
        str, typer.Option("--source", "-s", help="Where the OLTs come from (netbox or files).")
    ] = "netbox",
    dry_run: Annotated[bool, dry_run_option("Report what would change; change nothing.")] = False,
    prune: Annotated[
        bool,
        typer.Option(
            "--prune", help="Delete OLTs the source no longer has, with their PON ports and ONUs."
        ),
    ] = False,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    inventory: InventoryOption = None,
    refresh: RefreshOption = False,
    db: DbOption = None,
) -> None:
    """Copy the source's OLTs into the store: name, vendor, model, site, address, port and
    PON ports.

    Reports what was created, updated and unchanged, and the store's OLTs the source no
    longer has (kept unless --prune). Concentrators are not stored. One transaction.
    """
    from ispflow.plugins.inventory.sync import onus_on, sync_olts
    from ispflow.store.db import StoreError, open_database

    if source == "store":
        raise fail("sync copies an inventory into the store; --source is netbox or files")
    try:
        nornir, chosen = _open(inventory, source, refresh, None)
        sites: tuple[str, ...] = ()
        if chosen == "netbox":
            from ispflow.plugins.inventory.netbox_settings import netbox_settings

            sites = netbox_settings().filters.get("site", ())
        database = open_database(db)
        try:
            report = sync_olts(
                database,
                nornir.inventory.hosts.values(),
                dry_run=dry_run,
                prune=prune,
                sites=sites,
            )
            kept_onus = 0 if prune else onus_on(database, report.gone)
        finally:
            database.close()
    except (UsageError, StoreError) as exc:
        raise fail(str(exc)) from None
    if output == "json":
        _json({"source": chosen, **report.to_dict()})
    else:
        _print_sync(report, chosen, kept_onus)
    raise typer.Exit(EXIT_FAILED if report.problems else 0)


def _print_sync(report: SyncReport, source: str, gone_onus: int) -> None:
    out = _out()

    def line(label: str, names: list[str], note: str = "", shown: int = 20) -> None:
        listed = ", ".join(names[:shown])
        if len(names) > shown:
            listed += f" and {len(names) - shown} more" if shown else ""
        out.print(f"{label:<10} {len(names):>5}  {listed}{note}", soft_wrap=True)

    dry = " (dry run: nothing written)" if report.dry_run else ""
    out.print(f"OLTs from {source} into the store{dry}")
    line("created", report.created)
    updated = [
        f"{name} ({'; '.join(_change_text(k, v) for k, v in changes.items())})"
        for name, changes in report.updated.items()
    ]
    line("updated", updated)
    line("unchanged", report.unchanged, shown=5)
    if report.pruned:
        line("pruned", report.pruned, " (deleted with their PON ports and ONUs)")
    elif report.gone:
        line("gone", report.gone, f" (kept; --prune deletes them and their {gone_onus} ONUs)")
    out.print(f"{'pon ports':<10} {report.pon_ports_added:>5}  added")
    for name, problem in report.problems.items():
        err.print(Text(f"not synced: {name}: {problem}", style="yellow"), soft_wrap=True)


def _change_text(key: str, change: dict[str, Any]) -> str:
    if "added" in change:
        return f"{key} +{change['added']}"
    return f"{key} {change['from']} -> {change['to']}"


# -- trust ----------------------------------------------------------------------------------
@inventory_app.command("trust")
def trust(
    hosts: Annotated[
        list[str] | None,
        typer.Argument(
            help="OLTs by name, or by address (host or host:port, as a host-key error names "
            "them); default: every OLT.",
            show_default=False,
        ),
    ] = None,
    limit: LimitOption = None,
    replace: Annotated[
        bool,
        typer.Option(
            "--replace",
            help="Replace a recorded key that differs (the OLT's key really changed); without "
            "it a changed key is reported and the recorded one kept.",
        ),
    ] = False,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    workers: Annotated[int, typer.Option("--workers", "-w", min=1, help="OLTs at once.")] = 10,
    timeout: Annotated[
        float, typer.Option("--timeout", min=0.1, help="Seconds to wait for each OLT.")
    ] = 10.0,
    source: SourceOption = None,
    inventory: InventoryOption = None,
    refresh: RefreshOption = False,
    db: DbOption = None,
) -> None:
    """Record each OLT's SSH host key in ispflow's known_hosts file, so that runs check it.

    Connects to each OLT (role olt; HOSTS and --limit narrow them), reads the host key it
    shows in the SSH key exchange without logging in, prints its fingerprint and records it.
    Compare the fingerprints with the OLTs' own (on the console) before trusting a network
    you do not control. Exit 1 if an OLT could not be read or its key changed and was kept.
    """
    from ispflow.plugins.connections.enrol import olts
    from ispflow.plugins.connections.enrol import trust as enrol
    from ispflow.store.db import StoreError

    try:
        nornir, _chosen = _open(inventory, source, refresh, db)
        selected = set(_selected(nornir, limit))
        chosen = olts(
            {n: h for n, h in nornir.inventory.hosts.items() if n in selected}, hosts or []
        )
        if not chosen:
            raise UsageError("no OLT selected (hosts with role olt)")
        path, done = enrol(chosen, replace=replace, timeout=timeout, workers=workers)
    except (UsageError, StoreError) as exc:
        raise fail(str(exc)) from None
    if output == "json":
        _json({"known_hosts": path, "hosts": [entry.to_dict() for entry in done]})
    else:
        _print_trust(path, done)
    raise typer.Exit(0 if all(entry.ok for entry in done) else EXIT_FAILED)


def _print_trust(path: str, done: list[Any]) -> None:
    out = _out()
    width = max(len(entry.host) for entry in done)
    for entry in done:
        where = f"{entry.host:<{width}}  {entry.address}"
        if entry.status == "failed":
            line = Text(f"{'FAIL':<10}", style="bold red") + Text(f"{where}  {entry.message}")
        elif entry.status == "changed":
            line = Text(f"{'CHANGED':<10}", style="bold red") + Text(
                f"{where}  offers {entry.key}, recorded {', '.join(entry.previous)}: kept. This "
                "may be an attack; if the OLT's key really changed, check the new fingerprint "
                "on the OLT and run again with --replace"
            )
        else:
            was = f" (was {', '.join(entry.previous)})" if entry.previous else ""
            style = "yellow" if entry.status == "replaced" else "green"
            line = Text(f"{entry.status:<10}", style=style) + Text(f"{where}  {entry.key}{was}")
        out.print(line, soft_wrap=True)
    counts: dict[str, int] = {}
    for entry in done:
        counts[entry.status] = counts.get(entry.status, 0) + 1
    order = ("new", "replaced", "unchanged", "changed", "failed")
    summary = ", ".join(f"{counts[s]} {s}" for s in order if s in counts)
    err.print(f"known hosts {path}: {summary}", soft_wrap=True, markup=False)
