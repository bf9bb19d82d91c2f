"""`ispflow stock ...`: the ONUs the ISP received, from the shelf to the customer and back.

Exit codes: 0 done; 1 an import skipped bad rows (--skip-bad); 2 a refused change, bad input
or an unusable store (nothing written).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ispflow.cli.common import err, fail, make_console, open_store, print_json
from ispflow.cli.options import (
    CONTEXT_SETTINGS,
    DbOption,
    JsonAlias,
    OutputOption,
    dry_run_option,
    max_option,
)
from ispflow.core.private_files import open_private

# The store's modules load inside the commands: every `ispflow` command builds this app.
if TYPE_CHECKING:
    from ispflow.store.db import Database

EXIT_SKIPPED, EXIT_USAGE = 1, 2
STATE_STYLES = {
    "in_stock": "green",
    "reserved": "cyan",
    "installed": "bold",
    "returned": "yellow",
    "defective": "bold red",
}

stock_app = typer.Typer(
    help=(
        "The ONU stock (estoque): devices received, before and after they are installed.\n\n"
        "An ONU is named by its GPON serial (HWTC1A2B3C4D, or the all-hex form an OLT shows) "
        "or its MAC, in any usual spelling. Its life: in_stock → reserved (for a contract and "
        "its installation order) → installed → returned → in_stock; reserved → in_stock "
        "(released); any state → defective.\n\n"
        "Examples:\n\n"
        "* `ispflow stock import entrega-2026-11.csv --dry-run`\n"
        "* `ispflow stock list --state in_stock --model HG8245H`\n"
        "* `ispflow stock reserve HWTC1A2B3C4D C-1042`\n"
        "* `ispflow stock installed HWTC1A2B3C4D`\n"
        "* `ispflow stock defective 00:11:22:33:44:55 --note 'no PON light'`\n"
        "* `ispflow stock export estoque.csv`"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    context_settings=CONTEXT_SETTINGS,
)

RefArgument = Annotated[
    str, typer.Argument(help="GPON serial or MAC of the ONU.", show_default=False)
]
NoteOption = Annotated[
    str | None, typer.Option("--note", help="Why (kept on the item, replacing its note).")
]


class State(StrEnum):
    in_stock = "in_stock"
    reserved = "reserved"
    installed = "installed"
    returned = "returned"
    defective = "defective"


def _out() -> Console:
    # Notes are data: "[box 3]" is not Rich markup.
    return make_console(markup=False)


def _state(state: str) -> Text:
    return Text(state, style=STATE_STYLES.get(state, ""))


# -- import / export ------------------------------------------------------------------------
@stock_app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="CSV file, one ONU per row.", show_default=False)],
    skip_bad: Annotated[
        bool, typer.Option("--skip-bad", help="Add the good rows, list the bad ones (exit 1).")
    ] = False,
    dry_run: Annotated[bool, dry_run_option("Check the file and count; write nothing.")] = False,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
) -> None:
    """Add received ONUs from a CSV file (a delivery note, a spreadsheet); they go in_stock.

    Columns (header required, any order): serial, mac, model, vendor, technology (GPON or
    EPON, default GPON), received_on (YYYY-MM-DD or DD/MM/YYYY, default today), note. Each
    row needs a serial or a MAC, and a model. A serial or MAC twice in the file, or already
    in the stock, is an error on its line.

    Every row is checked first and every problem listed as FILE:LINE: column: message; a
    file with problems writes nothing (exit 2) unless --skip-bad. Comma, semicolon or tab
    separated, UTF-8 with or without Excel's byte-order mark.

    Examples:

    * `ispflow stock import entrega.csv --dry-run`
    * `ispflow stock import entrega.csv`
    * `ispflow stock import entrega.csv --skip-bad -o json > import.json`
    """
    from ispflow.store.stock_csv import CsvImportError, import_items

    with open_store(db) as database:
        try:
            summary = import_items(database, file, skip_bad=skip_bad, dry_run=dry_run)
        except CsvImportError as exc:
            if output == "json":
                print_json({"imported": False, "errors": exc.errors})
            else:
                for line in exc.errors:
                    err.print(line, soft_wrap=True, markup=False)
            raise fail(f"{len(exc.errors)} problem(s) in {file}; nothing was imported") from None
    if output == "json":
        print_json({"imported": not dry_run} | summary.to_dict())
    else:
        for line in summary.errors:
            err.print(line, soft_wrap=True, markup=False)
        verb = "would be added (dry run)" if dry_run else "added"
        skipped = f", {summary.rows_skipped} bad row(s) skipped" if summary.rows_skipped else ""
        _out().print(f"{summary.added} ONU(s) {verb} from {summary.rows} row(s){skipped}")
    if summary.rows_skipped:
        raise typer.Exit(EXIT_SKIPPED)


@stock_app.command("export")
def export_command(
    file: Annotated[str, typer.Argument(help="CSV file to write, or - for standard output.")] = "-",
    state: Annotated[
        State | None, typer.Option("--state", help="Only ONUs in this state.", show_default=False)
    ] = None,
    db: DbOption = None,
) -> None:
    """Write the stock as CSV, in the columns `import` reads.

    A file gets a UTF-8 byte-order mark so that Excel shows accents right; standard output
    does not. A cell starting with = + - @ (a formula to a spreadsheet) gets a ' before it,
    which import drops. Importing the file into an empty store and exporting again gives the
    same file.

    Examples:

    * `ispflow stock export estoque.csv`
    * `ispflow stock export - --state in_stock | wc -l`
    """
    from ispflow.store.stock_csv import export_items

    with open_store(db) as database:
        try:
            if file == "-":
                rows = export_items(database, sys.stdout, state=state.value if state else None)
            else:
                with open_private(file, "w", encoding="utf-8-sig", newline="") as out:
                    rows = export_items(database, out, state=state.value if state else None)
        except OSError as exc:
            raise fail(f"cannot write {file}: {exc.strerror or exc}") from None
    if file != "-":
        err.print(f"{rows} ONU(s) written to {file}")


# -- reading --------------------------------------------------------------------------------
@stock_app.command("list")
def list_command(
    state: Annotated[
        State | None, typer.Option("--state", help="Only this state.", show_default=False)
    ] = None,
    model: Annotated[str | None, typer.Option("--model", help="Only this model.")] = None,
    vendor: Annotated[str | None, typer.Option("--vendor", help="Only this vendor.")] = None,
    contract: Annotated[
        str | None, typer.Option("--contract", help="Only ONUs linked to this contract.")
    ] = None,
    since: Annotated[
        str | None, typer.Option("--since", help="Received on or after (YYYY-MM-DD, DD/MM/YYYY).")
    ] = None,
    until: Annotated[str | None, typer.Option("--until", help="Received on or before.")] = None,
    count: Annotated[int | None, max_option()] = None,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
) -> None:
    """ONUs in the stock, oldest received first, with a count per model and state.

    Examples:

    * `ispflow stock list --state in_stock`
    * `ispflow stock list --model HG8245H --since 01/11/2026`
    * `ispflow stock list --contract C-1042 -o json`
    """
    from ispflow.store.stock import list_items

    with open_store(db) as database:
        found = list_items(
            database,
            state=state.value if state else None,
            model=model,
            vendor=vendor,
            contract=contract,
            received_since=since,
            received_until=until,
            limit=count,
        )
    if output == "json":
        print_json(found)
        return
    if not found:
        err.print("no ONU matches")
        return
    table = Table(show_edge=False)
    for column in ("serial", "MAC", "model", "vendor", "received", "state", "contract", "order"):
        table.add_column(column, no_wrap=True)
    for item in found:
        table.add_row(
            item["serial"] or "",
            item["mac"] or "",
            item["model"],
            item["vendor"] or "",
            item["received_on"].isoformat(),
            _state(item["state"]),
            item["contract"] or "",
            item["service_order"] or "",
        )
    counts: dict[tuple[str, str], int] = {}
    for item in found:
        key = (item["model"], item["state"])
        counts[key] = counts.get(key, 0) + 1
    table.caption = "; ".join(f"{m} {s}: {n}" for (m, s), n in sorted(counts.items()))
    _out().print(table)


@stock_app.command("show")
def show_command(
    ref: RefArgument,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
) -> None:
    """One ONU of the stock: what it is, its state, and the contract and order it is for.

    Examples:

    * `ispflow stock show HWTC1A2B3C4D`
    * `ispflow stock show 48575443-1A2B3C4D -o json`
    """
    from ispflow.store.stock import get_item

    with open_store(db) as database:
        item = get_item(database, ref)
    if output == "json":
        print_json(item)
        return
    _print_item(item)


def _print_item(item: dict[str, Any]) -> None:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", justify="right")
    grid.add_column(overflow="fold")
    rows: list[tuple[str, str | Text]] = [
        ("serial", item["serial"] or ""),
        ("MAC", item["mac"] or ""),
        ("model", item["model"]),
        ("vendor", item["vendor"] or ""),
        ("technology", item["technology"]),
        ("received", item["received_on"].isoformat()),
        ("state", _state(item["state"])),
        ("contract", item["contract"] or ""),
        ("service order", item["service_order"] or ""),
        ("note", item["note"] or ""),
    ]
    for label, value in rows:
        grid.add_row(label, value)
    _out().print(grid)


# -- state changes --------------------------------------------------------------------------
def _changed(output: str, db: str | None, change: Callable[[Database], dict[str, Any]]) -> None:
    with open_store(db) as database:
        item = change(database)
    if output == "json":
        print_json(item)
        return
    held = f" for contract {item['contract']}" if item["contract"] else ""
    order = f" (service order {item['service_order']})" if item["service_order"] else ""
    _out().print(f"ONU {item['serial'] or item['mac']} is {item['state']}{held}{order}")


@stock_app.command("reserve")
def reserve_command(
    ref: RefArgument,
    contract: Annotated[str, typer.Argument(help="Contract code.", show_default=False)],
    order: Annotated[
        str | None,
        typer.Option(
            "--order",
            help="Service order protocol (default: the contract's open installation order).",
        ),
    ] = None,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
) -> None:
    """Set an ONU in stock aside for a contract.

    The reservation links the contract's open order in the `installation` queue, if there is
    one, unless --order names another. An ONU that is not in_stock is refused, naming its
    state and contract; of two people reserving one ONU at once, one wins.

    Examples:

    * `ispflow stock reserve HWTC1A2B3C4D C-1042`
    * `ispflow stock reserve aa:bb:cc:dd:ee:ff C-1042 --order 20261124000017`
    """
    from ispflow.store.stock import reserve

    _changed(output, db, lambda database: reserve(database, ref, contract, order))


@stock_app.command("release")
def release_command(
    ref: RefArgument,
    note: NoteOption = None,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
) -> None:
    """Put a reserved ONU (not installed after all) or a returned one (checked, working) back
    in_stock, unlinked from its contract.

    Example: `ispflow stock release HWTC1A2B3C4D --note 'customer gave up'`
    """
    from ispflow.store.stock import release

    _changed(output, db, lambda database: release(database, ref, note=note))


@stock_app.command("installed")
def installed_command(
    ref: RefArgument,
    note: NoteOption = None,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
) -> None:
    """A reserved ONU is installed at its contract's premises.

    Example: `ispflow stock installed HWTC1A2B3C4D`
    """
    from ispflow.store.stock import mark_installed

    _changed(output, db, lambda database: mark_installed(database, ref, note=note))


@stock_app.command("returned")
def returned_command(
    ref: RefArgument,
    note: NoteOption = None,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
) -> None:
    """An installed ONU came back (cancellation, replacement); `release` it once checked.

    Example: `ispflow stock returned HWTC1A2B3C4D --note 'contract cancelled'`
    """
    from ispflow.store.stock import mark_returned

    _changed(output, db, lambda database: mark_returned(database, ref, note=note))


@stock_app.command("defective")
def defective_command(
    ref: RefArgument,
    note: NoteOption = None,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
) -> None:
    """The ONU does not work (from any state); it keeps its links, to tell where it failed.

    Example: `ispflow stock defective HWTC1A2B3C4D --note 'no PON light'`
    """
    from ispflow.store.stock import mark_defective

    _changed(output, db, lambda database: mark_defective(database, ref, note=note))
