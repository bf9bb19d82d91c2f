"""`--runner` is a name: the engine finds the dispatcher by entry point, never by import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from ispflow.core.errors import UsageError
from ispflow.engine import api


def test_runners_are_local_and_the_registered_ones() -> None:
    assert api.runner_names() == ("local", "celery")


def test_local_runs_in_this_process() -> None:
    assert api._dispatcher("local", "site", None, None, []) is None


def test_an_unknown_runner_names_the_known_ones() -> None:
    with pytest.raises(UsageError, match=r"--runner 'ansible': choose local or celery"):
        api._dispatcher("ansible", "site", None, None, [])


def test_the_engine_does_not_import_a_runner() -> None:
    engine = Path(api.__file__).parent
    imported = {
        node.module if isinstance(node, ast.ImportFrom) else alias.name
        for path in engine.rglob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert sorted(m for m in imported if m and m.startswith("ispflow.plugins.runners")) == []
