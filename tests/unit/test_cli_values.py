"""A command's values come out as Typer's own conversion makes them, and its errors read the
same, whether a value takes the plain path or Typer's Pydantic adapter (cli/lazy_commands.py)."""

from __future__ import annotations

import contextlib
import io
from pathlib import Path
from typing import Annotated, Any

import pytest
import typer
from typer.main import get_command

from ispflow.cli.lazy_commands import _take_plain_values

app = typer.Typer()


@app.command()
def values(
    s: Annotated[str | None, typer.Option("--s")] = None,
    i: Annotated[int, typer.Option("--i", min=1)] = 10,
    j: Annotated[int | None, typer.Option("--j")] = None,
    x: Annotated[float | None, typer.Option("--x", min=0.01)] = None,
    p: Annotated[Path | None, typer.Option("--p")] = None,
    pe: Annotated[Path | None, typer.Option("--pe", exists=True)] = None,
    many: Annotated[list[str] | None, typer.Option("--many")] = None,
    ints: Annotated[list[int] | None, typer.Option("--ints")] = None,
    flag: Annotated[bool, typer.Option("--flag")] = False,
    names: Annotated[list[str] | None, typer.Argument()] = None,
) -> None:
    print(repr((s, i, j, x, p, pe, many, ints, flag, names)))


CASES = [
    [],
    ["--s", "a b"],
    ["--s", ""],
    ["--i", "5"],
    ["--i", "0"],
    ["--i", "05"],
    ["--i", " 5"],
    ["--i", "1_000"],
    ["--i", "abc"],
    ["--i", "-3"],
    ["--j", "-3"],
    ["--j", "99999999999999999999999"],
    ["--x", "0.5"],
    ["--x", "0"],
    ["--x", "1e3"],
    ["--x", "inf"],
    ["--x", "nan"],
    ["--x", "2"],
    ["--x", "-0.0"],
    ["--p", "a/b"],
    ["--p", ""],
    ["--pe", "/nonexistent-folder"],
    ["--pe", "/"],
    ["--many", "a", "--many", "b"],
    ["--ints", "1", "--ints", "x"],
    ["--ints", "1", "--ints", "2"],
    ["--flag"],
    ["one", "two"],
]


def outcome(args: list[str], *, plain: bool) -> tuple[Any, str, str]:
    command = get_command(app)
    if plain:
        _take_plain_values(command)
    out, err = io.StringIO(), io.StringIO()
    code: Any = 0
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            command.main(args, prog_name="values", standalone_mode=True)
        except SystemExit as exc:
            code = exc.code
    return code, out.getvalue(), err.getvalue()


@pytest.mark.parametrize("args", CASES, ids=" ".join)
def test_plain_values_convert_and_fail_as_typer_does(args: list[str]) -> None:
    assert outcome(args, plain=True) == outcome(args, plain=False)
