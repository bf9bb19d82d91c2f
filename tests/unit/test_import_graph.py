"""What each common command loads: only what it uses (bench/cli_start.py times it).

Every command runs in a new process, as a user runs it, and reports the modules it ended with.
SSH, SQL, NetBox, Celery and the like are loaded by the commands that use them, not by
`--help`, `runbooks` or `validate`; a run loads Celery, NAPALM or NetBox only when asked, and
netmiko and paramiko only to log in to a device."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ispflow.store.db import open_database

ROOT = Path(__file__).resolve().parents[2]

# Runs `python -m ispflow ARGS` and writes the names of the loaded modules to $MODULES_OUT.
PROBE = """
import json, os, runpy, sys
sys.argv = ["ispflow", *sys.argv[1:]]
try:
    runpy.run_module("ispflow", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code
else:
    code = 0
# A stand-in for a deferred import (plugins/connections/deferred_imports.py) is not the
# library: none of its code has run.
STAND_INS = ("_LoadedOnFirstUse", "_InitOnFirstUse")
loaded = sorted(n for n, m in sys.modules.items() if type(m).__name__ not in STAND_INS)
with open(os.environ["MODULES_OUT"], "w") as out:
    json.dump({"code": code, "modules": loaded}, out)
"""

DEVICE_AND_SERVICE_LIBRARIES = (
    "netmiko",
    "napalm",
    "paramiko",
    "asyncssh",
    "librouteros",
    "celery",
    "kombu",
    "redis",
    "pynetbox",
    "requests",
    "holidays",
    "alembic",
    "psycopg",
)
NOT_FOR_CHECKS = (*DEVICE_AND_SERVICE_LIBRARIES, "sqlalchemy", "nornir", "cryptography")
NOT_FOR_HELP = (*NOT_FOR_CHECKS, "jinja2", "ruamel", "regex", "ispflow.tasks")
NOT_FOR_A_RUN = ("celery", "kombu", "redis", "napalm", "pynetbox", "alembic", "asyncssh")
# A store on SQLite: PostgreSQL's driver and SQLAlchemy's dialect for it stay unloaded.
NOT_ON_SQLITE = ("psycopg", "sqlalchemy.dialects.postgresql")
TASK_CHECKING = {
    "ispflow.tasks",
    "ispflow.tasks.registry",
    "ispflow.tasks.task_listing",
    "ispflow.tasks.task_policy",
    "ispflow.tasks.task_source",
}


def loaded(tmp_path: Path, *args: str, codes: tuple[object, ...] = (0, None)) -> set[str]:
    out = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        cwd=tmp_path,
        env={**os.environ, "MODULES_OUT": str(out)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.is_file(), done.stderr
    report = json.loads(out.read_text())
    assert report["code"] in codes, done.stdout + done.stderr
    modules = set(report["modules"])
    assert "ispflow.cli.app" in modules  # the probe ran the command line
    return modules


def found(modules: set[str], names: tuple[str, ...]) -> list[str]:
    return sorted(n for n in names if n in modules or any(m.startswith(n + ".") for m in modules))


def test_help_loads_no_library_it_does_not_show(tmp_path: Path) -> None:
    assert found(loaded(tmp_path, "--help"), NOT_FOR_HELP) == []


def test_listing_the_runbooks_loads_no_task_and_no_device_library(tmp_path: Path) -> None:
    modules = loaded(tmp_path, "runbooks")
    assert found(modules, (*NOT_FOR_CHECKS, "jinja2", "ispflow.tasks.onu")) == []
    # A command without parameters leaves Typer no value to convert (cli/lazy_commands.py).
    assert found(modules, ("pydantic",)) == []


def test_checking_a_runbook_imports_no_task_module(tmp_path: Path) -> None:
    modules = loaded(tmp_path, "validate", str(ROOT / "runbooks" / "signal-audit.yaml"))
    assert found(modules, NOT_FOR_CHECKS) == []
    # Its arguments are plain strings: Typer's Pydantic adapters are not needed for them.
    assert found(modules, ("pydantic",)) == []
    # The tasks are read from their modules' source: none of those modules runs.
    assert {m for m in modules if m.startswith("ispflow.tasks")} <= TASK_CHECKING


def test_a_run_over_concentrators_loads_no_ssh(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'store.db'}"
    open_database(store).close()
    modules = loaded(
        tmp_path,
        "run",
        "ppp-lookup",
        "-e",
        "contract=C-1",
        "--dry-run",
        "-q",
        "--inventory",
        str(ROOT / "inventory"),
        "--db",
        store,
        codes=(1,),  # the example inventory does not say how to block: the task fails
    )
    assert "ispflow.tasks.ppp" in modules
    assert found(modules, (*NOT_FOR_A_RUN, *NOT_ON_SQLITE, "paramiko", "netmiko", "pydantic")) == []


def test_a_run_loads_what_its_tasks_and_store_use_and_nothing_it_was_not_asked_for(
    tmp_path: Path,
) -> None:
    store = f"sqlite:///{tmp_path / 'store.db'}"
    open_database(store).close()  # a current store: no migration to run
    modules = loaded(
        tmp_path,
        "run",
        "onu-signal",
        "--dry-run",
        "-q",
        "--inventory",
        str(ROOT / "inventory"),
        "--db",
        store,
    )
    assert found(modules, (*NOT_FOR_A_RUN, *NOT_ON_SQLITE)) == []
    # It used the store and its task's module, and only that one of the OLT task modules.
    assert {"sqlalchemy", "ispflow.tasks.onu"} <= modules
    # A dry run logs in to nothing: the SSH libraries load only for a login.
    assert found(modules, ("netmiko", "paramiko", "pydantic")) == []
    assert found(modules, ("ispflow.tasks.compliance", "ispflow.tasks.tickets")) == []
