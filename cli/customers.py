"""`ispflow customer find | import | export` and `ispflow contract show`.

Tables for people, `-o json` for scripts. Exit codes: 0 done, 1 nothing found (or, on import
with --skip-bad, some rows skipped), 2 bad input or an unusable store (nothing written).
"""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ispflow.cli.common import err, fail, make_console, print_json
from ispflow.cli.options import (
    CONTEXT_SETTINGS,
    DbOption,
    JsonAlias,
    OutputOption,
    dry_run_option,
    max_option,
)
from ispflow.core.private_files import open_private

# The store's modules load inside the commands: every `ispflow` command builds these apps.
if TYPE_CHECKING:
    from ispflow.store.customer_csv import ImportSummary

EXIT_NOT_FOUND, EXIT_USAGE = 1, 2
SIGNAL_STYLES = {
    "good": "green",
    "warning": "yellow",
    "critical": "bold red",
    "overload": "bold red",
    "offline": "dim",
}
STATUS_STYLES = {"active": "green", "suspended": "yellow", "cancelled": "dim", "pending": "cyan"}

customer_app = typer.Typer(
    help=(
        "Customers in the store: find one by name, CPF/CNPJ, phone or code, with its contracts, "
        "ONU and latest signal; bring customers in from an ERP as CSV, or export them.\n\n"
        "Examples:\n\n"
        "* `ispflow customer find 'joao silva'`\n"
        "* `ispflow customer import clientes.csv --dry-run`\n"
        "* `ispflow customer export clientes.csv`"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    context_settings=CONTEXT_SETTINGS,
)
contract_app = typer.Typer(
    help=(
        "Contracts in the store: everything about one, from the customer to the ONU's signal.\n\n"
        "Example: `ispflow contract show C-1042`."
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode="markdown",
    context_settings=CONTEXT_SETTINGS,
)


class SearchKey(StrEnum):
    id = "id"
    name = "name"
    doc = "doc"
    phone = "phone"


def _out() -> Console:
    # Names and addresses are data: "[ME]" in a company name is not Rich markup.
    return make_console(markup=False)


def _open(db: str | None) -> Any:
    from ispflow.store.db import StoreError, open_database

    try:
        return open_database(db)
    except StoreError as exc:
        raise fail(str(exc)) from None


# -- find -----------------------------------------------------------------------------------
@customer_app.command("find")
def find_command(
    query: Annotated[
        str,
        typer.Argument(
            help="Store id, customer code, name, CPF/CNPJ or phone.", show_default=False
        ),
    ],
    by: Annotated[
        SearchKey | None,
        typer.Option(
            "--by",
            help="Search only this key (default: guessed from the query).",
            show_default=False,
        ),
    ] = None,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    count: Annotated[int, max_option()] = 50,
    db: DbOption = None,
) -> None:
    """Find customers, with their contracts, ONU and the ONU's latest signal.

    The query is guessed: `123.456.789-09` or `12.345.678/0001-95` is a CPF/CNPJ (a wrong
    check digit is an error); a short number is a store id or customer code; 8 digits or
    more, or digits with phone punctuation, a phone (its end is enough: without DDD or
    country code); 11 or 14 bare digits a CPF/CNPJ too when their check digits agree; words
    are names (every word must appear, in any order, accents and case ignored).

    Examples:

    * `ispflow customer find "joão silva"`
    * `ispflow customer find 123.456.789-09`
    * `ispflow customer find "(51) 99123-4567"`, or just `99123-4567`
    * `ispflow customer find 1042 --by id`
    * `ispflow customer find conceição -o json | jq '.[].contracts[].code'`
    """
    from sqlalchemy.exc import SQLAlchemyError

    from ispflow.store.customers import find_customers

    database = _open(db)
    try:
        found = find_customers(database, query, by=by.value if by else None, limit=count + 1)
    except ValueError as exc:
        raise fail(str(exc)) from None
    except SQLAlchemyError as exc:
        raise fail(f"cannot read the store: {getattr(exc, 'orig', None) or exc}") from None
    finally:
        database.close()
    more = len(found) > count
    found = found[:count]
    if output == "json":
        print_json(found)
    elif found:
        _out().print(_customers_table(found))
    if more:
        err.print(f"only the first {count} shown; narrow the search or raise --max")
    if not found:
        raise fail(f"no customer matches {query!r}", EXIT_NOT_FOUND)


def _customers_table(found: list[dict[str, Any]]) -> Table:
    table = Table(show_edge=False, show_lines=True)
    table.add_column("customer", no_wrap=True)
    table.add_column("name", overflow="fold")
    table.add_column("contract", no_wrap=True)
    table.add_column("status", overflow="fold")
    table.add_column("ONU / CTO", no_wrap=True)
    table.add_column("signal", no_wrap=True)
    for customer in found:
        who: list[Text | str] = [
            Text(customer["code"] or f"#{customer['id']}")
            + Text(f"\n{customer['doc_formatted'] or ''}", style="dim"),
            Text(customer["name"])
            + Text("".join(f"\n{p}" for p in customer["phones"]), style="dim"),
        ]
        for contract in customer["contracts"] or [None]:
            if contract is None:
                table.add_row(*who, Text("no contract", style="dim"))
                continue
            table.add_row(
                *who,
                Text(contract["code"]) + Text(f"\n{contract['plan'] or ''}", style="dim"),
                _status(contract),
                _onu(contract["onu"], contract["cto"]),
                _signal(contract["signal"]),
            )
            who = ["", ""]
    return table


def _status(contract: dict[str, Any]) -> Text:
    text = Text(contract["status"], style=STATUS_STYLES.get(contract["status"], ""))
    if contract["blocked"]:
        text += Text("\nblocked", style="bold red")
        if contract["block_reason"]:
            text += Text(f": {contract['block_reason']}")
    return text


def _onu(onu: dict[str, Any] | None, cto: dict[str, Any] | None = None) -> Text:
    if onu is None:
        return Text("no ONU", style="dim")
    where = f"{onu['olt']} {onu['port']}" + (
        f":{onu['onu_id']}" if onu["onu_id"] is not None else ""
    )
    text = Text(where) + Text(f"\n{onu['serial'] or ''} {onu['state']}", style="dim")
    if cto:
        text += Text(f"\nCTO {cto['code']} port {cto['port']}")
    return text


def _signal(signal: dict[str, Any] | None) -> Text:
    if signal is None:
        return Text("never read", style="dim")
    rx = "no light" if signal["rx_dbm"] is None else f"{signal['rx_dbm']:.2f} dBm"
    text = Text(
        f"{rx} {signal['signal_class']}", style=SIGNAL_STYLES.get(signal["signal_class"], "")
    )
    return text + Text(f"\n{_when(signal['read_at'])}", style="dim")


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


# -- import / export -------------------------------------------------------------------------
@customer_app.command("import")
def import_command(
    file: Annotated[
        Path, typer.Argument(help="CSV file, one row per contract.", show_default=False)
    ],
    skip_bad: Annotated[
        bool,
        typer.Option("--skip-bad", help="Import the good rows, list the bad ones (exit 1)."),
    ] = False,
    dry_run: Annotated[bool, dry_run_option("Check the file and count; write nothing.")] = False,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
) -> None:
    """Create or update customers and contracts from a CSV file (from an ERP, a spreadsheet).

    One row per contract; a customer without contracts is one row with the contract columns
    empty. Columns (header required, any order): customer_code, name, doc, phones (several
    separated by `;`), email, street, number, district, city, state, zip, contract, plan,
    status, pppoe_login, concentrator. Customers are matched by customer_code, else by doc;
    contracts by their code. Nothing is deleted.

    Every row is checked first and every problem listed as FILE:LINE: column: message; a file
    with problems writes nothing (exit 2) unless --skip-bad. Comma, semicolon or tab
    separated, UTF-8 with or without Excel's byte-order mark.

    Examples:

    * `ispflow customer import clientes.csv --dry-run`
    * `ispflow customer import clientes.csv`
    * `ispflow customer import clientes.csv --skip-bad -o json > import.json`
    """
    from sqlalchemy.exc import SQLAlchemyError

    from ispflow.store.customer_csv import CsvImportError, import_customers

    database = _open(db)
    try:
        summary = import_customers(database, file, skip_bad=skip_bad, dry_run=dry_run)
    except CsvImportError as exc:
        if output == "json":
            print_json({"imported": False, "errors": exc.errors})
        else:
            for line in exc.errors:
                err.print(line, soft_wrap=True, markup=False)
        raise fail(f"{len(exc.errors)} problem(s) in {file}; nothing was imported") from None
    except SQLAlchemyError as exc:
        raise fail(f"cannot write the store: {getattr(exc, 'orig', None) or exc}") from None
    finally:
        database.close()
    if output == "json":
        print_json({"imported": not dry_run} | summary.to_dict())
    else:
        for line in summary.errors:
            err.print(line, soft_wrap=True, markup=False)
        _out().print(_summary_table(summary))
    if summary.rows_skipped:
        raise typer.Exit(EXIT_NOT_FOUND)


def _summary_table(summary: ImportSummary) -> Table:
    verb = "would be " if summary.dry_run else ""
    table = Table(show_edge=False, title=f"{summary.rows} rows" + (" (dry run)" if verb else ""))
    for column in ("", f"{verb}created", f"{verb}updated", "unchanged"):
        table.add_column(column, justify="right")
    table.add_row(
        "customers",
        str(summary.customers_created),
        str(summary.customers_updated),
        str(summary.customers_unchanged),
    )
    table.add_row(
        "contracts",
        str(summary.contracts_created),
        str(summary.contracts_updated),
        str(summary.contracts_unchanged),
    )
    if summary.rows_skipped:
        table.caption = f"{summary.rows_skipped} bad row(s) skipped"
    return table


@customer_app.command("export")
def export_command(
    file: Annotated[str, typer.Argument(help="CSV file to write, or - for standard output.")] = "-",
    db: DbOption = None,
) -> None:
    """Write every customer and contract as CSV, in the columns `import` reads.

    A file gets a UTF-8 byte-order mark so that Excel shows accents right; standard output
    does not. A cell starting with = + - @ (a formula to a spreadsheet) gets a ' before it,
    which import drops. Importing the file into an empty store and exporting again gives the
    same file.

    Examples:

    * `ispflow customer export clientes.csv`
    * `ispflow customer export - | gzip > clientes-$(date +%F).csv.gz`
    """
    from sqlalchemy.exc import SQLAlchemyError

    from ispflow.store.customer_csv import export_customers

    database = _open(db)
    try:
        if file == "-":
            rows = export_customers(database, sys.stdout)
        else:
            with open_private(file, "w", encoding="utf-8-sig", newline="") as out:
                rows = export_customers(database, out)
    except OSError as exc:
        raise fail(f"cannot write {file}: {exc.strerror or exc}") from None
    except SQLAlchemyError as exc:
        raise fail(f"cannot read the store: {getattr(exc, 'orig', None) or exc}") from None
    finally:
        database.close()
    if file != "-":
        err.print(f"{rows} row(s) written to {file}")


# -- contract show --------------------------------------------------------------------------
@contract_app.command("show")
def show_command(
    ref: Annotated[str, typer.Argument(help="Contract code, or its store id.", show_default=False)],
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
) -> None:
    """Everything about one contract: customer, plan and status, PPPoE, ONU, CTO, seal, signal.

    Examples:

    * `ispflow contract show C-1042`
    * `ispflow contract show 17 -o json`
    """
    from sqlalchemy.exc import SQLAlchemyError

    from ispflow.store.contracts import ContractError
    from ispflow.store.customers import contract_details

    database = _open(db)
    try:
        contract = contract_details(database, ref)
    except ContractError as exc:
        raise fail(str(exc), EXIT_NOT_FOUND) from None
    except SQLAlchemyError as exc:
        raise fail(f"cannot read the store: {getattr(exc, 'orig', None) or exc}") from None
    finally:
        database.close()
    if output == "json":
        print_json(contract)
        return
    _out().print(_contract_view(contract))


def _contract_view(contract: dict[str, Any]) -> Table:
    customer = contract["customer"]
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", justify="right")
    grid.add_column(overflow="fold")
    onu, cto = contract["onu"], contract["cto"]
    rows: list[tuple[str, str | Text]] = [
        ("contract", Text(contract["code"], style="bold")),
        ("plan", contract["plan"] or ""),
        ("status", _status(contract)),
        ("customer", f"{customer['name']} ({customer['code'] or '#' + str(customer['id'])})"),
        ("CPF/CNPJ", customer["doc_formatted"] or ""),
        ("phones", ", ".join(customer["phones"])),
        ("e-mail", customer["email"] or ""),
        ("address", _address(customer["address"])),
        ("PPPoE", contract["pppoe_login"] or ""),
        ("concentrator", contract["concentrator"] or ""),
        ("IP", contract["ip_address"] or ""),
        ("ONU", _onu(onu)),
        ("CTO", f"{cto['code']} port {cto['port']}" if cto else ""),
        ("seal", contract["seal"] or ""),
        ("signal", _signal(contract["signal"])),
        ("signal trend", _trend(contract.get("signal_trend"))),
    ]
    for label, value in rows:
        grid.add_row(label, value)
    return grid


def _trend(trend: dict[str, Any] | None) -> Text:
    if trend is None:
        return Text("no readings", style="dim")

    def dbm(value: float | None) -> str:
        return "-" if value is None else f"{value:.2f}"

    text = Text(
        f"{dbm(trend['rx_min'])} / {dbm(trend['rx_avg'])} / {dbm(trend['rx_max'])} dBm "
        f"(min / avg / max), {trend['offline_samples']} of {trend['samples']} readings offline"
    )
    return text + Text(f"\nlast {trend['days']} days", style="dim")


def _address(address: dict[str, Any]) -> str:
    street = ", ".join(p for p in (address["street"], address["number"]) if p)
    zip_code = address["zip"] or ""
    if len(zip_code) == 8:
        zip_code = f"CEP {zip_code[:5]}-{zip_code[5:]}"
    city = " / ".join(p for p in (address["city"], address["state"]) if p)
    return " - ".join(p for p in (street, address["district"], city, zip_code) if p)
