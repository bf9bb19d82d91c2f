"""`ispflow cto ...` and `ispflow seal ...`: splitter boxes and seals on contracts."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from ispflow.cli.common import err, make_console
from ispflow.cli.options import CONTEXT_SETTINGS, DbOption, JsonAlias, OutputOption

if TYPE_CHECKING:
    from ispflow.store.db import Database

cto_app = typer.Typer(
    help=(
        "CTOs (splitter boxes): register them on their PON, list them, put a contract's drop "
        "on a port.\n\n"
        "`ispflow cto add CTO-POA-07 --olt olt-poa-01 --port 0/1/3 --ports 16`\n\n"
        "`ispflow cto link C-1001 CTO-POA-07 5`"
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
    context_settings=CONTEXT_SETTINGS,
)
seal_app = typer.Typer(
    help="Seals (lacres): `ispflow seal register C-1001 L-000123 --by ana`.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    context_settings=CONTEXT_SETTINGS,
)


@contextlib.contextmanager
def _store(db: str | None) -> Iterator[Database]:
    from ispflow.store.cto import FieldError
    from ispflow.store.db import StoreError, open_database

    database = None
    try:
        database = open_database(db)
        yield database
    except (FieldError, StoreError, ValueError) as exc:
        err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(2) from None
    finally:
        if database is not None:
            database.close()


def _done(result: dict, output: str, text: str) -> None:
    if output == "json":
        sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
    else:
        make_console().print(text if result.get("changed", True) else text + " (already so)")


@cto_app.command("add")
def add(
    code: Annotated[str, typer.Argument(help="CTO code, e.g. CTO-POA-07.")],
    olt: Annotated[str, typer.Option("--olt", help="OLT (inventory host name).")],
    port: Annotated[str, typer.Option("--port", help="PON port, e.g. 0/1/3.")],
    ports: Annotated[int, typer.Option("--ports", help="Splitter ports (8, 16, ...).")] = 16,
    location: Annotated[str | None, typer.Option("--location", help="Where it is.")] = None,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
) -> None:
    """Register a CTO on an OLT's PON port."""
    from ispflow.store.cto import add_cto

    with _store(db) as database:
        added = add_cto(database, code, olt=olt, port=port, ports_total=ports, location=location)
    _done(added, output, f"CTO {added['cto']} on {added['olt']} {added['port']}, {ports} ports")


@cto_app.command("list")
def list_ctos(
    olt: Annotated[str | None, typer.Option("--olt")] = None,
    port: Annotated[str | None, typer.Option("--port", help="PON port, e.g. 0/1/3.")] = None,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
) -> None:
    """CTOs with their PON and used ports."""
    from ispflow.store.cto import list_ctos as listed

    with _store(db) as database:
        found = listed(database, olt=olt, port=port)
    if output == "json":
        sys.stdout.write(json.dumps(found, ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(show_edge=False)
    for column in ("cto", "olt", "pon", "used", "location"):
        table.add_column(column)
    for c in found:
        table.add_row(
            c["cto"],
            c["olt"] or "",
            c["port"] or "",
            f"{c['used']}/{c['ports']}",
            c["location"] or "",
        )
    make_console().print(table if found else "no CTO matches")


@cto_app.command("link")
def link(
    contract: Annotated[str, typer.Argument(help="Contract code.")],
    cto: Annotated[str, typer.Argument(help="CTO code.")],
    port: Annotated[int, typer.Argument(help="CTO port number.")],
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
) -> None:
    """Put a contract's drop on a CTO port (the CTO must be on the PON of its ONU)."""
    from ispflow.store.cto import link_cto

    with _store(db) as database:
        linked = link_cto(database, contract, cto, port)
    _done(linked, output, f"contract {contract} on CTO {cto} port {port}")


@seal_app.command("register")
def register(
    contract: Annotated[str, typer.Argument(help="Contract code.")],
    code: Annotated[str, typer.Argument(help="Seal code, e.g. L-000123.")],
    by: Annotated[str | None, typer.Option("--by", help="Who put the seal on.")] = None,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
) -> None:
    """Register the seal put on a contract's connection (a seal code is used once)."""
    from ispflow.store.cto import register_seal

    with _store(db) as database:
        registered = register_seal(database, contract, code, by=by)
    _done(registered, output, f"seal {code} on contract {contract}")
