"""Runs `ispflow …` in a forked copy of the test process instead of a new interpreter.

A command still runs in a process of its own: its exit code, `sys.exit`, its globals, its
working folder and its environment are its own, and nothing it does reaches the tests' process.
What a fork skips is the interpreter start and the imports (about a second of CPU per command,
most of the suite's time on two cores). What it cannot prove is how the real entry point
starts: `python -m ispflow`, its lazy imports and its plugin registration are checked by the
tests that start real interpreters (tests/unit/test_layers.py, tests/packaging, and every test
that uses `Cli.subprocess` or `Cli.popen`). ISPFLOW_TEST_CLI=subprocess runs every command in a
new interpreter, as before.
"""

from __future__ import annotations

import importlib
import io
import logging
import os
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import types
import warnings
from collections.abc import Sequence
from pathlib import Path

MODE_ENV = "ISPFLOW_TEST_CLI"
# What most commands load on their first line of work: imported once here so that no fork
# imports them again (a fork's own imports die with it).
WARM_MODULES = (
    "ispflow.cli.app",
    "ispflow.engine.api",
    "ispflow.engine.loader",
    "ispflow.engine.executor",
    "ispflow.store.db",
    "ispflow.store.migrate",
    "ispflow.plugins.vendors",
    "ispflow.plugins.connections.olt_cli",
    "ispflow.lab.control",
    "nornir",
    "netmiko",
    "sqlalchemy",
    "alembic",
    "jinja2",
    "librouteros",
)
_POLL_S = 0.005
_warmed = False


def forking() -> bool:
    return os.environ.get(MODE_ENV, "fork") != "subprocess"


def warm() -> None:
    global _warmed
    if _warmed:
        return
    _warmed = True
    # Third-party import-time deprecation notices (asyncssh's DSA) are not the test's.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in WARM_MODULES:
            importlib.import_module(name)
        from ispflow.plugins.vendors import all_vendors

        all_vendors()  # entry points read, vendor packages imported


def run(
    args: Sequence[str], *, cwd: Path, env: dict[str, str], timeout: float
) -> subprocess.CompletedProcess[str]:
    """`ispflow *args` in a fork, like `subprocess.run(..., capture_output=True, text=True)`."""
    warm()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child never returns
            _child(list(args), cwd, env, out.fileno(), err.fileno())
        code = _wait(pid, timeout, args)
        out.seek(0)
        err.seek(0)
        return subprocess.CompletedProcess(
            ["ispflow", *args],
            code,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )


def _wait(pid: int, timeout: float, args: Sequence[str]) -> int:
    deadline = time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise subprocess.TimeoutExpired(["ispflow", *args], timeout)
        time.sleep(_POLL_S)


def _child(args: list[str], cwd: Path, env: dict[str, str], out: int, err: int) -> None:
    code = 1
    try:
        # The test process's handlers (pytest's alarm, SIGINT) are not the command's.
        for signum in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT):
            signal.signal(
                signum, signal.SIG_DFL if signum != signal.SIGINT else signal.default_int_handler
            )
        signal.setitimer(signal.ITIMER_REAL, 0)
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        os.dup2(out, 1)
        os.dup2(err, 2)
        sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False), encoding="utf-8")
        sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), encoding="utf-8")
        sys.stderr = io.TextIOWrapper(
            io.FileIO(2, "w", closefd=False), encoding="utf-8", errors="backslashreplace"
        )
        # pytest's log capture is not the command's: start from a bare root logger.
        root = logging.getLogger()
        for handler in list(root.handlers):
            root.removeHandler(handler)
        root.setLevel(logging.WARNING)
        os.chdir(cwd)
        os.environ.clear()
        os.environ.update(env)
        # Click names the program after __main__ and argv[0]: as the `ispflow` script does.
        sys.modules["__main__"] = types.ModuleType("__main__")
        sys.argv = ["ispflow", *args]
        from ispflow.cli import main

        try:
            main()
            code = 0
        except SystemExit as exc:
            code = _exit_code(exc.code)
    except BaseException:  # noqa: BLE001 - a crash is the command's outcome, shown on stderr
        traceback.print_exc()
        code = 1
    finally:
        try:
            logging.shutdown()
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code)


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return 1
