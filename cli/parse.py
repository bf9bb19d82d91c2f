"""`ispflow parse`: what ispflow reads in an OLT's answer, as JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

EXIT_REFUSED, EXIT_USAGE, EXIT_UNREADABLE = 1, 2, 3


def parse(
    file: Annotated[
        str, typer.Argument(help="The captured answer (a file, or - for standard input).")
    ],
    vendor: Annotated[
        str,
        typer.Option("--vendor", help="The OLT vendor, as the inventory's data.vendor names it."),
    ],
    command: Annotated[
        str,
        typer.Option(
            "--command",
            help='The device command that gave this answer, e.g. "display ont autofind all".',
        ),
    ],
) -> None:
    """Parse a captured OLT answer into records and print them as a JSON list.

    Prompts, the echoed command, pager stops, VT100 sequences and alarm lines in the middle of
    the output are ignored, as they are when ispflow reads a device. Commands may be typed
    as on the device, abbreviated (`dis ont autofind all`, `sh gpon onu st gpon-olt_1/1/1`).
    An answer that only says there is nothing to list ("The automatically found ONTs do not
    exist", "%Code 62310-GPONSRV : No related information to show.") is an empty list.

    ispflow parse --vendor huawei --command "display ont optical-info 0 all" optical.txt

    ispflow parse --vendor zte --command "show pon power onu-rx gpon-olt_1/1/1" - < rx.txt

    Exit codes: 0 parsed, 1 the answer is the device refusing the command (its message on
    stderr), 2 unknown vendor or command, unreadable file, 3 the answer is in a layout
    ispflow does not know (the first line it could not read on stderr: please send the file
    with a bug report).
    """
    # The parsers (and the vendor registry behind them) load only for this command.
    from ispflow.plugins.olt import parsers_for
    from ispflow.plugins.olt.parsing import DeviceError, ParseError, UnreadableOutput

    try:
        parsers = parsers_for(vendor)
    except ValueError as exc:
        _fail(str(exc), EXIT_USAGE)
    try:
        text = sys.stdin.read() if file == "-" else Path(file).read_text(errors="replace")
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror or exc}", EXIT_USAGE)
    try:
        records = parsers.parse(command, text)
    except DeviceError as exc:
        _fail(f"the device refused {command!r}: {exc.message}", EXIT_REFUSED)
    except UnreadableOutput as exc:
        _fail(str(exc), EXIT_UNREADABLE)
    except ParseError as exc:
        _fail(str(exc), EXIT_USAGE)
    typer.echo(json.dumps(records, indent=2, ensure_ascii=False))


def _fail(message: str, code: int) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
