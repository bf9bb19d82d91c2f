"""The package's layers import downward only, and the runtime never imports the lab.

CLI on top; below it the engine (library API), tasks, plugins and drivers, the store, and
`ispflow.core` at the bottom. Read from the source (every import, also those inside
functions), so a lazy import cannot hide an upward edge."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SUBPACKAGES = ("cli", "core", "engine", "store", "tasks", "plugins", "lab")

# What each part may not import: CLI → engine → tasks → plugins → store → core. The lab is
# optional (`ispflow[lab]`): only its own command loads it.
FORBIDDEN = {
    "core": {"cli", "engine", "tasks", "plugins", "store", "lab"},
    "store": {"cli", "engine", "tasks", "plugins", "lab"},
    "plugins": {"cli", "engine", "tasks", "lab"},
    "tasks": {"cli", "engine", "lab"},
    "engine": {"cli", "lab"},
    "lab": {"cli"},
}
# A runner other than this process carries the engine's steps to workers and runs them there,
# so it stands beside the engine: it may import the engine, and the engine finds it by name
# (the `ispflow.runners` entry point) and never imports it.
BESIDE_THE_ENGINE = {("plugins", "runners"): {"engine"}}


def imported_parts(path: Path) -> set[tuple[str, int]]:
    """(subpackage, line) for every `ispflow.<part>` this module imports."""
    found: set[tuple[str, int]] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
            if node.module == "ispflow":
                names += [f"ispflow.{alias.name}" for alias in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "ispflow" and len(parts) > 1 and parts[1] in SUBPACKAGES:
                found.add((parts[1], node.lineno))
    return found


def allowed(path: Path, part: str) -> set[str]:
    for (owner, folder), parts in BESIDE_THE_ENGINE.items():
        if part == owner and folder in path.relative_to(ROOT / part).parts[:1]:
            return parts
    return set()


def upward_imports(part: str) -> list[str]:
    return sorted(
        f"{path.relative_to(ROOT)}:{line} imports ispflow.{target}"
        for path in (ROOT / part).rglob("*.py")
        if "migrations" not in path.parts
        for target, line in imported_parts(path)
        if target in FORBIDDEN[part] - allowed(path, part)
    )


def test_the_engine_never_imports_a_runner_beside_it() -> None:
    runners = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path in (ROOT / "engine").rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom | ast.Import)
        and any(
            name.startswith("ispflow.plugins.runners")
            for name in (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [alias.name for alias in node.names]
            )
        )
    ]
    assert runners == []


@pytest.mark.parametrize("part", sorted(FORBIDDEN))
def test_imports_go_downward(part: str) -> None:
    assert upward_imports(part) == []


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "def f():\n    from ispflow.cli.app import app\n    import ispflow.lab.fleet\n"
    )
    assert imported_parts(module) == {("cli", 2), ("lab", 3)}


def test_the_library_and_the_worker_load_no_command_line_and_no_lab() -> None:
    probe = (
        "import sys, ispflow, ispflow.engine.api, ispflow.plugins.runners.celery_app\n"
        "ispflow.run_runbook, ispflow.load_runbook, ispflow.RunOptions\n"
        "print(sorted({m for m in sys.modules if m.startswith(('ispflow.cli', 'ispflow.lab'))}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.strip() == "[]"


def test_the_command_line_starts_without_the_heavy_libraries() -> None:
    """Every `ispflow …` call builds the whole command tree: what a command needs loads
    inside it, so `ispflow --help` or `ispflow ticket list` does not pay for templates,
    SQL, SSH and YAML it never uses."""
    heavy = (
        "jinja2",
        "sqlalchemy",
        "nornir",
        "netmiko",
        "paramiko",
        "ruamel",
        "librouteros",
        "celery",
        "asyncssh",
        "ispflow.engine.loader",
        "ispflow.plugins.vendors",
    )
    probe = (
        "import sys, ispflow.cli.app\n"
        f"print(sorted({{m.split('.')[0] if not m.startswith('ispflow') else m for m in sys.modules "
        f"if m.startswith({heavy!r})}}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.strip() == "[]"
