"""Shipped tasks read from their modules' source are the tasks those modules register."""

from __future__ import annotations

import importlib
import textwrap
from importlib.metadata import entry_points
from pathlib import Path
from types import SimpleNamespace

import pytest

from ispflow.tasks.registry import TaskRegistry, spec_for
from ispflow.tasks.task_listing import listed_tasks
from ispflow.tasks.task_policy import TaskPolicy

SHIPPED = sorted(
    entry.value
    for entry in entry_points(group="ispflow.tasks")
    if entry.value.startswith("ispflow.")
)


def _shape(spec: object) -> tuple[object, ...]:
    return tuple(
        getattr(spec, field)
        for field in (
            "name",
            "params",
            "required",
            "accepts_any",
            "summary",
            "supports_dry_run",
            "changes_device",
        )
    )


@pytest.mark.parametrize("module_name", SHIPPED)
def test_a_shipped_module_is_read_as_an_import_registers_it(module_name: str) -> None:
    listed = listed_tasks(module_name)
    assert listed is not None, f"{module_name} is no longer readable from its source"
    module = importlib.import_module(module_name)
    defined = [
        spec_for(value)
        for value in vars(module).values()
        if callable(value)
        and hasattr(value, "__ispflow_task__")
        and value.__module__ == module_name
    ]
    assert sorted(_shape(task) for task in listed) == sorted(_shape(spec) for spec in defined)
    assert {(task.function, task.module) for task in listed} == {
        (spec.func.__name__, spec.func.__module__) for spec in defined
    }


def test_every_registered_task_is_listed() -> None:
    listed = {task.name for module in SHIPPED for task in listed_tasks(module) or []}
    assert listed == set(TaskRegistry().names())


def test_checking_a_task_imports_nothing_and_running_it_imports_its_module() -> None:
    registry = TaskRegistry()
    checked = registry.resolve("core.echo", TaskPolicy().inspecting())
    assert checked.params == () and checked.accepts_any
    host = SimpleNamespace(host=None)
    assert checked.func(host, a=1).result == {"a": 1}  # imported on first call
    ran = registry.resolve("core.echo")
    assert ran.func.__module__ == "ispflow.tasks.core"
    assert registry.registered("core.echo").view is not None


def _module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str) -> str:
    (tmp_path / "listing_probe.py").write_text(textwrap.dedent(source))
    monkeypatch.syspath_prepend(str(tmp_path))
    return "listing_probe"


def test_a_name_computed_at_run_time_needs_the_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = _module(
        tmp_path,
        monkeypatch,
        """
        from ispflow.tasks.registry import task
        NAME = "x.y"

        @task(NAME)
        def y(task):
            pass
        """,
    )
    assert listed_tasks(name) is None


def test_a_task_made_without_a_decorator_needs_the_import(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    name = _module(
        tmp_path,
        monkeypatch,
        """
        from ispflow.tasks.registry import task

        @task("x.a")
        def a(task, b, c=1, **more):
            '''First line.

            More.'''

        z = task("x.z")(a)
        """,
    )
    assert listed_tasks(name) is None


def test_a_plain_module_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = _module(
        tmp_path,
        monkeypatch,
        """
        from ispflow.tasks.registry import task

        @task(
            "x.a",
            changes_device=True,
            dry_run=False,
        )
        def a(
            task, b, c=1, **more
        ):
            '''First line.

            More.'''
            text = '''
        at column 0
        '''
            return text
        """,
    )
    (listed,) = listed_tasks(name) or []
    assert (listed.name, listed.function, listed.params, listed.required) == (
        "x.a",
        "a",
        ("b", "c"),
        ("b",),
    )
    assert listed.accepts_any and listed.changes_device and not listed.supports_dry_run
    assert listed.summary == "First line."
