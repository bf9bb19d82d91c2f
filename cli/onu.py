"""`ispflow onu ...`: one-ONU operations as commands (each runs its shipped runbook)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ispflow.cli.common import err, make_console
from ispflow.cli.options import CONTEXT_SETTINGS, DbOption, dry_run_option

onu_app = typer.Typer(
    help="One ONU at a time: `ispflow onu replace C-1001 --serial HWTC1A2B3C4D`.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    context_settings=CONTEXT_SETTINGS,
)


@onu_app.command("replace")
def replace(
    contract: Annotated[str, typer.Argument(help="Contract code.", show_default=False)],
    serial: Annotated[str, typer.Option("--serial", help="The new ONU's serial.")],
    old_state: Annotated[
        str, typer.Option("--old-state", help="The old ONU in the stock: defective or returned.")
    ] = "defective",
    dry_run: Annotated[bool, dry_run_option("Show what would be sent; change nothing.")] = False,
    inventory: Annotated[
        Path | None, typer.Option("--inventory", "-i", help="Inventory folder.")
    ] = None,
    db: DbOption = None,
) -> None:
    """Swap a contract's ONU for a new one on the same PON (runbook onu-replace): the old one
    removed, the new one installed with the same VLAN and description and its signal checked,
    the stock updated; if the new one fails, the old one is put back.

    Exit 0 done, 1 failed (and put back), 2 bad input, 3 aborted.
    """
    from ispflow.core.errors import UsageError
    from ispflow.engine.api import EXIT_USAGE, exit_code, run_runbook
    from ispflow.engine.errors import RunbookError
    from ispflow.engine.model import RunOptions
    from ispflow.engine.reports.text import print_summary
    from ispflow.engine.vartypes import VarErrors

    given = {"contract": contract, "serial": serial, "old_state": old_state}
    try:
        result = run_runbook(
            "onu-replace", given, RunOptions(dry_run=dry_run), inventory=inventory, db=db,
            progress=err,
        )  # fmt: skip
    except RunbookError as exc:
        err.print("\n".join(str(p) for p in exc.problems), markup=False)
        raise typer.Exit(EXIT_USAGE) from None
    except VarErrors as exc:
        err.print("\n".join(str(e) for e in exc.errors), markup=False)
        raise typer.Exit(EXIT_USAGE) from None
    except UsageError as exc:
        err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None
    print_summary(result, make_console())
    raise typer.Exit(exit_code(result.status))
