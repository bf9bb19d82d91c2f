"""The command line's conventions hold for every command: one `--db`, `-n` is `--dry-run`,
`--limit` is a host filter, `-o json` for scripts, `-h` for help, whole lines when piped."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer
import typer.main
from typer.testing import CliRunner

from ispflow.cli.app import app
from ispflow.cli.common import PIPED_WIDTH, make_console

ROOT = Path(__file__).resolve().parents[2]

# Commands that print JSON for scripts; a new one belongs here too.
JSON_COMMANDS = {
    "run",
    "runs",
    "runs show",
    "reconcile",
    "compliance",
    "report",
    "config list",
    "contract show",
    "customer find",
    "customer import",
    "cto add",
    "cto link",
    "cto list",
    "seal register",
    "inventory check",
    "inventory list",
    "inventory sync",
    "inventory trust",
    "schedule list",
    "lab fault",
    "readings prune",
    *(f"stock {name}" for name in ("import", "list", "show", "reserve", "release")),
    *(f"stock {name}" for name in ("installed", "returned", "defective")),
    *(f"ticket {name}" for name in ("list", "show", "open", "claim", "release", "comment")),
    *(f"ticket {name}" for name in ("move", "wait", "set", "close")),
}
# The groups whose commands took `--json` before `-o` was the convention: it still works
# there, unlisted in the help.
JSON_ALIAS_GROUPS = {
    "config",
    "contract",
    "customer",
    "cto",
    "seal",
    "inventory",
    "schedule",
    "stock",
    "ticket",
}


# Typer builds its commands on its own copy of Click: they are told apart by what they have.
def is_group(command: Any) -> bool:
    return hasattr(command, "commands")


def walk(path: str, command: Any) -> Iterator[tuple[str, Any]]:
    yield path, command
    if is_group(command):
        # Through the group's own lookup: the top-level app builds a command when asked.
        context = typer.Context(command)
        for name in sorted(command.list_commands(context)):
            yield from walk(f"{path} {name}".strip(), command.get_command(context, name))


ROOT_COMMAND = typer.main.get_command(app)
COMMANDS = dict(walk("", ROOT_COMMAND))


def options(command: Any) -> list[Any]:
    return [p for p in command.params if p.param_type_name == "option"]


def option(command: Any, name: str) -> Any:
    return next((o for o in options(command) if name in o.opts), None)


def annotation(param: Any) -> Any:
    return param.type_descriptor.annotation


def invoke(*args: str) -> Any:
    return CliRunner().invoke(app, list(args))


def test_every_db_option_is_the_same_declaration() -> None:
    found = {path: option(cmd, "--db") for path, cmd in COMMANDS.items()}
    found = {path: o for path, o in found.items() if o is not None}
    # Every command that reads or writes the store takes it.
    assert {"run", "runs", "runs show", "reconcile", "report", "worker", "lab up"} <= set(found)
    assert len(found) >= 40
    shapes = {
        (tuple(o.opts), tuple(o.secondary_opts), o.help, o.envvar, o.metavar, o.default)
        for o in found.values()
    }
    assert len(shapes) == 1, shapes
    [(opts, _, help_text, envvar, _, default)] = shapes
    assert opts == ("--db",) and default is None and envvar is None
    assert "ISPFLOW_DB" in help_text


def test_short_n_means_dry_run_and_nothing_else() -> None:
    for path, command in COMMANDS.items():
        for o in options(command):
            if "-n" in o.opts or "--dry-run" in o.opts:
                assert sorted(o.opts) == ["--dry-run", "-n"], (path, o.opts)
                assert o.is_flag and not o.secondary_opts, path
    assert option(COMMANDS["run"], "-n") is not None


def test_limit_is_the_host_filter_everywhere() -> None:
    limits = {}
    for path, command in COMMANDS.items():
        for o in options(command):
            if "--limit" in o.opts or "-l" in o.opts:
                assert sorted(o.opts) == ["--limit", "-l"], (path, o.opts)
                assert annotation(o) is str, (path, annotation(o))
                assert not o.is_flag and o.default is None, path
                limits[path] = o.help
    assert {"run", "reconcile", "compliance", "schedule add", "inventory check"} <= set(limits)
    assert len(set(limits.values())) == 1


def test_row_counts_are_max() -> None:
    counted = {}
    for path, command in COMMANDS.items():
        for o in options(command):
            if "--max" in o.opts:
                assert sorted(o.opts) == ["--max", "-m"], (path, o.opts)
                assert annotation(o) is int and o.min == 1, path
                counted[path] = o
    assert set(counted) == {"runs", "ticket list", "customer find", "stock list"}


def test_conventional_short_flags_mean_one_thing() -> None:
    meaning = {"-n": "--dry-run", "-l": "--limit", "-m": "--max", "-o": "--output"}
    meaning |= {"-q": "--quiet", "-v": "--verbose"}
    for path, command in COMMANDS.items():
        for o in options(command):
            for short, long in meaning.items():
                if short in o.opts:
                    assert long in o.opts, (path, o.opts)


def test_no_command_has_the_same_flag_twice() -> None:
    for path, command in COMMANDS.items():
        flags = [flag for p in command.params for flag in (*p.opts, *p.secondary_opts)]
        assert len(flags) == len(set(flags)), path


def test_every_json_capable_command_takes_output_json() -> None:
    with_json = set()
    for path, command in COMMANDS.items():
        output = option(command, "--output")
        alias = option(command, "--json")
        if alias is not None:
            assert alias.hidden and alias.is_flag, path
            assert output is not None, f"{path}: --json without -o"
        if output is None:
            continue
        assert sorted(output.opts) == ["--output", "-o"], path
        assert output.default == "text", path
        ctx = typer.Context(command, info_name=path.rsplit(" ", 1)[-1])
        assert output.process_value(ctx, "text") == "text"
        if output.process_value(ctx, "json") == "json":
            with_json.add(path)
    assert with_json == JSON_COMMANDS


def test_json_alias_only_where_it_was() -> None:
    aliased = {path for path, cmd in COMMANDS.items() if option(cmd, "--json") is not None}
    assert aliased == {p for p in JSON_COMMANDS if p.split(" ")[0] in JSON_ALIAS_GROUPS}


def test_a_bad_output_names_the_choices(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ispflow.db'}"
    bad = invoke("ticket", "list", "-o", "xml", "--db", db)
    assert bad.exit_code == 2
    assert "error: --output 'xml' is not one of text, json" in bad.stderr
    report = invoke("runs", "show", "x", "--output", "yaml", "--db", db)
    assert report.exit_code == 2
    assert "--output 'yaml' is not one of text, json, junit, html" in report.stderr


def test_json_alias_is_hidden_and_still_works(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ispflow.db'}"
    helped = invoke("stock", "list", "-h")
    assert helped.exit_code == 0 and "-o" in helped.stdout and "--json" not in helped.stdout
    for args in (["-o", "json"], ["--json"], ["--json", "-o", "text"], ["-o", "text", "--json"]):
        listed = invoke("stock", "list", "--db", db, *args)
        assert listed.exit_code == 0, (args, listed.output)
        assert listed.stdout.strip() == "[]", args
    assert invoke("stock", "list", "--db", db, "-o", "text").stdout.strip() == ""


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_short_h_is_help(path: str) -> None:
    shown = invoke(*path.split(), "-h")
    assert shown.exit_code == 0, shown.output
    assert "Usage" in shown.stdout and "--help" in shown.stdout
    # A flag takes no value: its help shows none where an option's value goes.
    assert "<bool>" not in shown.stdout


def test_every_sub_app_takes_short_h_on_its_own() -> None:
    # Sub-apps are also run without the top-level app (tests, embedding): -h must not depend
    # on being nested under `ispflow`.
    for path, command in COMMANDS.items():
        if is_group(command):
            assert "-h" in command.context_settings.get("help_option_names", []), path


def test_a_console_does_not_wrap_when_not_a_terminal() -> None:
    console = make_console()
    assert not console.is_terminal
    assert console.soft_wrap and console.width == PIPED_WIDTH
    buffer = io.StringIO()
    console.file = buffer
    line = "x" * 300
    console.print(line)
    assert buffer.getvalue() == line + "\n"


def long_ticket(db: str) -> tuple[str, str]:
    subject = "Sem sinal desde a troca do poste" + " e a caixa [CTO 7] foi reaberta" * 5
    assert len(subject) > 120
    opened = invoke("ticket", "open", "-s", subject, "--as", "ana", "--db", db, "-o", "json")
    assert opened.exit_code == 0, opened.output
    return json.loads(opened.stdout)["protocol"], subject


def test_piped_ticket_output_keeps_long_lines_whole(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ispflow.db'}"
    protocol, subject = long_ticket(db)
    note = "trocado o conector do drop na CTO, sinal voltou a -19 dBm; " * 4
    assert invoke("ticket", "comment", protocol, note, "--as", "ana", "--db", db).exit_code == 0

    shown = invoke("ticket", "show", protocol, "--db", db)
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert f"  {subject}" in lines
    assert any(line.endswith(note) for line in lines)

    listed = invoke("ticket", "list", "--db", db)
    assert listed.exit_code == 0, listed.output
    assert any(subject in line and protocol in line for line in listed.stdout.splitlines())


def test_piped_output_of_the_real_command_is_not_wrapped(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'ispflow.db'}"
    protocol, subject = long_ticket(db)
    # COLUMNS as an interactive shell may export it: a pipe still gets whole lines.
    env = dict(os.environ, ISPFLOW_DB=db, COLUMNS="80")
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env.pop("FORCE_COLOR", None)
    for args in (["ticket", "show", protocol], ["ticket", "list"]):
        proc = subprocess.run(
            [sys.executable, "-m", "ispflow", *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stderr
        assert any(subject in line for line in proc.stdout.splitlines()), proc.stdout
