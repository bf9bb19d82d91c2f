"""The tests run `ispflow` in a fork of the test process (tests/support/forked_cli.py): it must
answer exactly as a new interpreter does, and keep what a command does to itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import Cli
from tests.support import forked_cli

BAD_RUNBOOK = "name: x\nsteps:\n  - name: a\n    task: no_such_task\n"


@pytest.mark.parametrize(
    "args",
    [
        ("--version",),
        ("runbooks",),
        ("validate", "bad.yaml"),
        ("run", "onu-signal", "-e", "nope=1", "-o", "json"),
        ("run", "onu-signal", "--limit", "nothing-matches"),
        ("no-such-command",),
        ("customer", "find", "ana", "-o", "json"),
    ],
    ids=[
        "version",
        "runbooks",
        "bad-runbook",
        "unknown-var",
        "dry-run",
        "unknown-command",
        "store",
    ],
)
def test_a_fork_answers_as_a_new_interpreter_does(sqlite_cli: Cli, args: tuple[str, ...]) -> None:
    (sqlite_cli.cwd / "bad.yaml").write_text(BAD_RUNBOOK)
    forked = forked_cli.run(args, cwd=sqlite_cli.cwd, env=sqlite_cli.env(), timeout=120)
    script = Path(sys.executable).with_name("ispflow")  # the console script a user runs
    started = subprocess.run(
        [str(script), *args],
        cwd=sqlite_cli.cwd,
        env=sqlite_cli.env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (forked.returncode, forked.stdout, forked.stderr) == (
        started.returncode,
        started.stdout,
        started.stderr,
    )


def test_what_a_command_does_to_its_process_stays_in_it(sqlite_cli: Cli, tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(BAD_RUNBOOK)
    before = (os.getcwd(), dict(os.environ))
    done = forked_cli.run(
        ("validate", "bad.yaml"),
        cwd=tmp_path,
        env=sqlite_cli.env() | {"ISPFLOW_SOMETHING": "x"},
        timeout=120,
    )
    assert done.returncode == 2 and "bad.yaml:4" in done.stdout + done.stderr
    assert (os.getcwd(), dict(os.environ)) == before


def test_a_command_past_its_timeout_is_killed(sqlite_cli: Cli) -> None:
    with pytest.raises(subprocess.TimeoutExpired):
        forked_cli.run(("scheduler",), cwd=sqlite_cli.cwd, env=sqlite_cli.env(), timeout=2)
