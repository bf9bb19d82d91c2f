"""Which task names a runbook may use, and what each task accepts.

Tasks are plain Nornir task functions. The ones shipped with ispflow (and by other packages)
are marked with :func:`task` and found through the ``ispflow.tasks`` entry point group; any
other Nornir task can be named by its Python path (``package.module:function``).
"""

from __future__ import annotations

import importlib
import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import Any

from engine.suggest import did_you_mean

_MARK = "__ispflow_task__"


@dataclass(frozen=True)
class TaskSpec:
    name: str
    func: Callable[..., Any]
    supports_dry_run: bool
    changes_device: bool
    summary: str
    params: tuple[str, ...]
    required: tuple[str, ...]
    accepts_any: bool

    def check_args(self, names: set[str]) -> list[str]:
        """Problems with the argument names a step gives this task, as messages."""
        problems = []
        if not self.accepts_any:
            for name in sorted(names - set(self.params)):
                problems.append(
                    f"task '{self.name}' has no argument '{name}'{did_you_mean(name, self.params)}"
                )
        for name in self.required:
            if name not in names:
                problems.append(f"task '{self.name}' needs argument '{name}'")
        return problems


class UnknownTaskError(LookupError):
    pass


def task(
    name: str, *, dry_run: bool = True, changes_device: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a Nornir task function as an ispflow task called ``name``.

    ``dry_run`` says the task itself honours ``task.is_dry_run()`` by returning what it would
    send without connecting; tasks that do not are never called on a dry run.
    """

    def mark(func: Callable[..., Any]) -> Callable[..., Any]:
        setattr(func, _MARK, {"name": name, "dry_run": dry_run, "changes_device": changes_device})
        return func

    return mark


def spec_for(func: Callable[..., Any], name: str | None = None) -> TaskSpec:
    meta = getattr(func, _MARK, None) or {}
    signature = inspect.signature(func)
    params: list[str] = []
    required: list[str] = []
    accepts_any = False
    for index, param in enumerate(signature.parameters.values()):
        if index == 0:  # the Nornir Task object
            continue
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            accepts_any = True
            continue
        if param.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        params.append(param.name)
        if param.default is inspect.Parameter.empty:
            required.append(param.name)
    doc = inspect.getdoc(func) or ""
    return TaskSpec(
        name=name or meta.get("name") or f"{func.__module__}:{func.__qualname__}",
        func=func,
        supports_dry_run=bool(meta.get("dry_run", False)),
        # A plain Nornir task says nothing about itself: assume it may change the device.
        changes_device=bool(meta.get("changes_device", True)),
        summary=doc.splitlines()[0] if doc else "",
        params=tuple(params),
        required=tuple(required),
        accepts_any=accepts_any,
    )


class TaskRegistry:
    def __init__(self) -> None:
        self._tasks: dict[str, TaskSpec] = {}
        self._loaded = False
        self._lock = threading.Lock()

    def register(self, func: Callable[..., Any]) -> TaskSpec:
        spec = spec_for(func)
        self._tasks[spec.name] = spec
        return spec

    def register_module(self, module: Any) -> None:
        for value in vars(module).values():
            if callable(value) and hasattr(value, _MARK):
                self.register(value)

    def _load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            for entry in entry_points(group="ispflow.tasks"):
                self.register_module(entry.load())
            self._loaded = True

    def names(self) -> list[str]:
        self._load()
        return sorted(self._tasks)

    def all(self) -> list[TaskSpec]:
        self._load()
        return [self._tasks[name] for name in sorted(self._tasks)]

    def resolve(self, name: str) -> TaskSpec:
        self._load()
        if name in self._tasks:
            return self._tasks[name]
        if ":" in name or name.count(".") >= 2:
            return spec_for(_import_path(name), name)
        raise UnknownTaskError(f"unknown task '{name}'{did_you_mean(name, self._tasks)}")


def _import_path(path: str) -> Callable[..., Any]:
    module_name, _, attr = path.rpartition(":") if ":" in path else path.rpartition(".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise UnknownTaskError(
            f"task '{path}': cannot import module '{module_name}': {exc}"
        ) from exc
    func = getattr(module, attr, None)
    if not callable(func):
        raise UnknownTaskError(f"task '{path}': module '{module_name}' has no function '{attr}'")
    return func


registry = TaskRegistry()
