"""A runbook's Python-path tasks are code: `validate` finds them in their source without
running it, and a policy (flag or configuration) refuses them or narrows them to prefixes."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from ispflow.core.errors import UsageError
from ispflow.engine.errors import RunbookError
from ispflow.engine.loader import load_runbook
from ispflow.tasks.task_policy import TaskPolicy, configured_policy
from ispflow.tasks.task_source import NeedsImport, NotFound, StaticTask, find_static

RUNS_ON_IMPORT = 'open({marker!r}, "w").write("ran")\n'

TASKS_MODULE = '''
from nornir.core.task import Task
from ispflow.tasks.registry import task

def grab(task, path: str, count: int = 1, *, mode="r", flag):
    """Read a file."""
    return open(path).read()

async def later(task: Task, **kwargs):
    pass

@task("x.y", dry_run=False)
def marked(task):
    pass

def not_a_task(x):
    pass

made = grab
'''


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A package `trapped` whose import writes a marker file, on sys.path."""
    root = tmp_path / "site"
    folder = root / "trapped"
    folder.mkdir(parents=True)
    (folder / "__init__.py").write_text(RUNS_ON_IMPORT.format(marker=str(tmp_path / "init-ran")))
    (folder / "tasks.py").write_text(
        RUNS_ON_IMPORT.format(marker=str(tmp_path / "module-ran")) + TASKS_MODULE
    )
    monkeypatch.syspath_prepend(str(root))
    yield tmp_path
    for name in [m for m in sys.modules if m == "trapped" or m.startswith("trapped.")]:
        del sys.modules[name]


def ran(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.glob("*-ran"))


def test_the_source_gives_the_parameters_without_running_anything(package: Path) -> None:
    found = find_static("trapped.tasks", "grab")
    assert found == StaticTask(
        params=("path", "count", "mode", "flag"),
        required=("path", "flag"),
        accepts_any=False,
        first_param="task",
        first_annotation=None,
        summary="Read a file.",
        supports_dry_run=False,
    )
    later = find_static("trapped.tasks", "later")
    assert isinstance(later, StaticTask)
    assert (later.accepts_any, later.first_annotation) == (True, "Task")
    marked = find_static("trapped.tasks", "marked")
    assert isinstance(marked, StaticTask) and marked.supports_dry_run is False
    assert ran(package) == []


def test_what_only_an_import_settles_is_said(package: Path) -> None:
    assert isinstance(find_static("trapped.tasks", "made"), NeedsImport)
    assert isinstance(find_static("json", "JSONDecoder.decode"), NeedsImport)
    assert isinstance(find_static("math", "sqrt"), NeedsImport)  # compiled into Python
    with pytest.raises(NotFound, match="has no function 'missing'"):
        find_static("trapped.tasks", "missing")
    with pytest.raises(NotFound, match="no module named 'trapped.nothere'"):
        find_static("trapped.nothere", "f")
    with pytest.raises(NotFound, match="'trapped.tasks' is a module, not a package"):
        find_static("trapped.tasks.deeper", "f")
    assert ran(package) == []


def write(folder: Path, name: str, steps: str) -> Path:
    path = folder / f"{name}.yaml"
    path.write_text(f"name: {name}\ntargets: local\nsteps:\n{steps}")
    return path


STEPS = """\
  - task: trapped.tasks:grab
    with: {path: /etc/hostname, bogus: 1}
  - task: trapped.tasks:not_a_task
  - task: trapped.tasks:nothere
"""


def problems(path: Path, policy: TaskPolicy) -> list[str]:
    with pytest.raises(RunbookError) as caught:
        load_runbook(path, policy)
    return [p.message for p in caught.value.problems]


def test_inspecting_finds_what_importing_finds_and_runs_nothing(package: Path) -> None:
    book = write(package, "grab", STEPS)
    inspected = problems(book, TaskPolicy().inspecting())
    assert ran(package) == []
    assert inspected == [
        "task 'trapped.tasks:grab' has no argument 'bogus'",
        "task 'trapped.tasks:grab' needs argument 'flag'",
        "task 'trapped.tasks:not_a_task' is not a Nornir task: a function whose first parameter"
        " is the Task, def f(task: Task, ...); its first parameter is 'x'",
        "task 'trapped.tasks:nothere': module 'trapped.tasks' has no function 'nothere'",
    ]
    assert problems(book, TaskPolicy()) == inspected
    assert ran(package) == ["init-ran", "module-ran"]


def test_a_check_that_must_import_says_so(package: Path) -> None:
    book = write(package, "made", "  - task: trapped.tasks:made\n")
    loaded = load_runbook(book, TaskPolicy().inspecting())
    assert [str(n) for n in loaded.notes] == [
        f"{book}:4:11: task 'trapped.tasks:made': 'made' in 'trapped.tasks' is made when the "
        "module runs (an assignment, an import or a module __getattr__); only importing it "
        "checks the task and its arguments"
    ]
    assert ran(package) == []


def test_registered_only_refuses_every_python_path(package: Path) -> None:
    book = write(package, "grab", STEPS)
    policy = TaskPolicy().registered_only("--registered-tasks-only")
    assert problems(book, policy) == [
        f"task '{task}' is a Python path, and only registered tasks are allowed here "
        "(--registered-tasks-only); see `ispflow tasks`"
        for task in (
            "trapped.tasks:grab",
            "trapped.tasks:not_a_task",
            "trapped.tasks:nothere",
        )
    ]
    assert ran(package) == []
    # Registered tasks are what such a runbook may still use.
    ok = write(package, "ok", "  - task: core.noop\n")
    assert load_runbook(ok, policy).steps[0].task.name == "core.noop"


def test_prefixes_narrow_python_paths_before_any_import(package: Path) -> None:
    book = write(package, "grab", "  - task: trapped.tasks:grab\n    with: {path: x, flag: 1}\n")
    narrow = TaskPolicy(prefixes=("acme.tasks", "trapped.task"), origin="test")
    assert problems(book, narrow) == [
        "task 'trapped.tasks:grab': module 'trapped.tasks' is not under an allowed prefix "
        "(acme.tasks, trapped.task; test)"
    ]
    assert ran(package) == []
    allowed = TaskPolicy(prefixes=("trapped",), origin="test")
    assert load_runbook(book, allowed).steps[0].task.params[0] == "path"


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("any", TaskPolicy()),
        ("none", TaskPolicy(python_tasks=False)),
        ("[acme.tasks, noc]", TaskPolicy(prefixes=("acme.tasks", "noc"))),
    ],
)
def test_the_configuration_sets_the_policy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str, expected: TaskPolicy
) -> None:
    config = tmp_path / "ispflow.yaml"
    config.write_text(f"runbooks:\n  python_tasks: {setting}\n")
    monkeypatch.setenv("ISPFLOW_CONFIG", str(config))
    policy = configured_policy()
    assert (policy.python_tasks, policy.prefixes) == (expected.python_tasks, expected.prefixes)


@pytest.mark.parametrize("setting", ["sometimes", "[]", "['bad name']", "{a: b}"])
def test_a_bad_setting_is_an_error_naming_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    config = tmp_path / "ispflow.yaml"
    config.write_text(f"runbooks:\n  python_tasks: {setting}\n")
    monkeypatch.setenv("ISPFLOW_CONFIG", str(config))
    with pytest.raises(UsageError, match=r"ispflow.yaml: runbooks.python_tasks is 'any', 'none'"):
        configured_policy()


def test_validate_and_run_from_the_command_line(package: Path, cli) -> None:  # type: ignore[no-untyped-def]
    zen = write(package, "zen", "  - task: this:s\n")
    checked = cli.subprocess("validate", str(zen))
    assert checked.returncode == 0, checked.stderr
    assert "Beautiful is better" not in checked.stdout + checked.stderr
    assert "note:" in checked.stderr and "--import-tasks" in checked.stderr

    book = write(package, "grab", "  - task: trapped.tasks:grab\n    with: {path: x, flag: 1}\n")
    cli.cwd = package / "site"  # `python -m` puts the working folder on sys.path
    assert cli.subprocess("validate", str(book)).returncode == 0
    assert ran(package) == []
    refused = cli.subprocess("run", str(book), "--registered-tasks-only")
    assert refused.returncode == 2
    assert "only registered tasks are allowed here (--registered-tasks-only)" in refused.stderr
    assert ran(package) == []
    (package / "site" / "ispflow.yaml").write_text("runbooks:\n  python_tasks: none\n")
    configured = cli.subprocess("run", str(book))
    assert configured.returncode == 2
    assert "runbooks.python_tasks in ispflow.yaml" in configured.stderr
    assert ran(package) == []
