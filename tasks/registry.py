"""Which task names a runbook may use, and what each task accepts.

Tasks are plain Nornir task functions. The ones shipped with ispflow (and by other packages)
are marked with :func:`task` and found through the ``ispflow.tasks`` entry point group; any
other Nornir task can be named by its Python path (``package.module:function``). A function
named that way must be a Nornir task: its first parameter is the ``Task`` (annotated as
``Task``, or unannotated and called ``task``), so ``os:system`` is refused before any run.
"""

from __future__ import annotations

import importlib
import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ispflow.core.entry_points import entry_points
from ispflow.core.suggest import did_you_mean
from ispflow.core.views import TaskView
from ispflow.tasks.task_listing import ListedTask, TaskModule, task_module
from ispflow.tasks.task_policy import TaskPolicy
from ispflow.tasks.task_source import NeedsImport, NotFound, find_static

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
    # What the text report shows of a result; None: counts only (unless a step says `show:`).
    view: TaskView | None = None
    # Why the arguments could not be checked (a Python-path task read from source only).
    unchecked: str = ""
    # The connection the task opens on every host it runs on (not on a dry run), before it
    # reads anything else: the engine may log in with it while the run is being recorded.
    opens: str | None = None

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
    name: str,
    *,
    dry_run: bool = True,
    changes_device: bool = False,
    view: TaskView | None = None,
    opens: str | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a Nornir task function as an ispflow task called ``name``.

    ``dry_run`` says the task itself honours ``task.is_dry_run()`` by returning what it would
    send without connecting; tasks that do not are never called on a dry run. ``view`` is what
    the text report prints of its results. ``opens`` names the Nornir connection a task that
    changes nothing opens on every host it runs on before anything else that could make it
    stop (a store read, say): the engine then logs in while it records the run.
    """

    def mark(func: Callable[..., Any]) -> Callable[..., Any]:
        setattr(
            func,
            _MARK,
            {
                "name": name,
                "dry_run": dry_run,
                "changes_device": changes_device,
                "view": view,
                "opens": opens,
            },
        )
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
        view=meta.get("view"),
        opens=meta.get("opens"),
    )


class TaskRegistry:
    def __init__(self) -> None:
        self._tasks: dict[str, TaskSpec] = {}
        self._loaded = False
        # Shipped tasks by name, read from their modules' source (see task_listing); a module
        # is imported when one of its tasks is run or shown, not to check a runbook.
        self._listed: dict[str, TaskModule] | None = None
        self._imported: set[str] = set()
        self._lock = threading.RLock()

    def register(self, func: Callable[..., Any]) -> TaskSpec:
        spec = spec_for(func)
        self._tasks[spec.name] = spec
        return spec

    def register_module(self, module: Any) -> None:
        for value in vars(module).values():
            if callable(value) and hasattr(value, _MARK):
                self.register(value)

    def _list(self) -> dict[str, TaskModule]:
        """Every entry point's tasks by name: shipped modules' read from their source (not
        imported), the others' imported and registered."""
        with self._lock:
            if self._listed is None:
                listed: dict[str, TaskModule] = {}
                for entry in entry_points(group="ispflow.tasks"):
                    module = task_module(entry.value) if _shipped(entry.value) else None
                    if module is None:
                        self._import(entry.value, entry.load)
                    else:
                        listed.update(dict.fromkeys(module.starts, module))
                self._listed = listed
            return self._listed

    def _import(self, module_name: str, load: Callable[[], Any] | None = None) -> None:
        with self._lock:
            if module_name not in self._imported:
                module = load() if load else importlib.import_module(module_name)
                self.register_module(module)
                self._imported.add(module_name)

    def _load(self) -> None:
        with self._lock:
            if self._loaded:
                return
            for entry in entry_points(group="ispflow.tasks"):
                self._import(entry.value, entry.load)
            self._loaded = True

    def names(self) -> list[str]:
        self._load()
        return sorted(self._tasks)

    def all(self) -> list[TaskSpec]:
        self._load()
        return [self._tasks[name] for name in sorted(self._tasks)]

    def registered(self, name: str) -> TaskSpec | None:
        """The task registered under `name`, importing nothing a runbook named by path."""
        listed = self._list().get(name)
        if listed is not None:
            self._import(listed.name)
        return self._tasks.get(name)

    def resolve(self, name: str, policy: TaskPolicy | None = None) -> TaskSpec:
        """The task a runbook names: a registered one, or a Python path the policy allows
        (imported, or read from its source when the policy inspects)."""
        policy = policy or TaskPolicy()
        listed = self._list()
        if name in self._tasks:
            return self._tasks[name]
        if name in listed:
            read = listed[name].read(name) if policy.resolution == "inspect" else None
            if read is not None:
                return _from_listing(read)
            self._import(listed[name].name)  # to run it, or a decorator read cannot settle
            if name in self._tasks:
                return self._tasks[name]
        if ":" in name or name.count(".") >= 2:
            module_name, attr = _split_path(name)
            refusal = policy.refusal(name, module_name)
            if refusal:
                raise UnknownTaskError(refusal)
            if policy.resolution == "inspect":
                return _inspected(name, module_name, attr)
            func = _import_path(name, module_name, attr)
            _check_nornir_task(name, func)
            return spec_for(func, name)
        known = {*self._tasks, *listed}
        raise UnknownTaskError(f"unknown task '{name}'{did_you_mean(name, known)}")


def _shipped(module_name: str) -> bool:
    """ispflow's own task modules: the test of task_listing covers each of them."""
    return module_name.startswith("ispflow.tasks.") and ":" not in module_name


class _Deferred:
    """A listed task's function, imported when it is first called."""

    def __init__(self, module: str, function: str) -> None:
        self.module = module
        self.function = function

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        func = getattr(importlib.import_module(self.module), self.function)
        return func(*args, **kwargs)


def _from_listing(listed: ListedTask) -> TaskSpec:
    return TaskSpec(
        name=listed.name,
        func=_Deferred(listed.module, listed.function),
        supports_dry_run=listed.supports_dry_run,
        changes_device=listed.changes_device,
        summary=listed.summary,
        params=listed.params,
        required=listed.required,
        accepts_any=listed.accepts_any,
    )


_EXPECTED = "a Nornir task: a function whose first parameter is the Task, def f(task: Task, ...)"


def _dotted(text: str) -> bool:
    return bool(text) and all(part.isidentifier() for part in text.split("."))


def _split_path(path: str) -> tuple[str, str]:
    module_name, _, attr = path.rpartition(":") if ":" in path else path.rpartition(".")
    if not _dotted(module_name) or not _dotted(attr):
        raise UnknownTaskError(
            f"task '{path}' is neither a registered task (see `ispflow tasks`) nor a Python "
            f"path 'package.module:function' to {_EXPECTED}"
        )
    return module_name, attr


def _not_loaded(*_args: Any, **_kwargs: Any) -> Any:
    raise RuntimeError("this task was read from its source for a check; it cannot be run")


def _inspected(path: str, module_name: str, attr: str) -> TaskSpec:
    """The task as its module's source defines it; nothing of the module runs."""
    try:
        found = find_static(module_name, attr)
    except NotFound as exc:
        raise UnknownTaskError(f"task '{path}': {exc}") from None
    if isinstance(found, NeedsImport):
        return TaskSpec(
            name=path,
            func=_not_loaded,
            supports_dry_run=False,
            changes_device=True,
            summary="",
            params=(),
            required=(),
            accepts_any=True,
            unchecked=f"{found.reason}; only importing it checks the task and its arguments",
        )
    if not found.first_param:
        raise UnknownTaskError(f"task '{path}' takes no Task first; it is not {_EXPECTED}")
    annotation = found.first_annotation
    if (annotation is None and found.first_param != "task") or (
        annotation is not None and annotation.rsplit(".", 1)[-1] != "Task"
    ):
        shown = found.first_param + (f": {annotation}" if annotation else "")
        raise UnknownTaskError(
            f"task '{path}' is not {_EXPECTED}; its first parameter is '{shown}'"
        )
    return TaskSpec(
        name=path,
        func=_not_loaded,
        supports_dry_run=found.supports_dry_run,
        changes_device=True,
        summary=found.summary,
        params=found.params,
        required=found.required,
        accepts_any=found.accepts_any,
    )


def _import_path(path: str, module_name: str, attr: str) -> Callable[..., Any]:
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # importing runs the module: any error is a reason not to use it
        raise UnknownTaskError(
            f"task '{path}': cannot import module '{module_name}': {exc}"
        ) from None
    func: Any = module
    for part in attr.split("."):
        func = getattr(func, part, None)
    if not callable(func):
        raise UnknownTaskError(f"task '{path}': module '{module_name}' has no function '{attr}'")
    return func  # type: ignore[no-any-return]


def _check_nornir_task(path: str, func: Callable[..., Any]) -> None:
    """Refuse what Nornir could not run as a task, naming what a task looks like."""
    if inspect.isclass(func):
        raise UnknownTaskError(f"task '{path}' is a class, not {_EXPECTED}")
    try:
        parameters = list(inspect.signature(func).parameters.values())
    except (TypeError, ValueError):
        raise UnknownTaskError(
            f"task '{path}': its parameters cannot be read, so it cannot be checked to be "
            f"{_EXPECTED}"
        ) from None
    first = parameters[0] if parameters else None
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if first is None or first.kind not in positional:
        raise UnknownTaskError(f"task '{path}' takes no Task first; it is not {_EXPECTED}")
    if not _is_task_parameter(first):
        shown = first.name
        if first.annotation is not inspect.Parameter.empty:
            shown += f": {_annotation_name(first.annotation)}"
        raise UnknownTaskError(
            f"task '{path}' is not {_EXPECTED}; its first parameter is '{shown}'"
        )


def _is_task_parameter(param: inspect.Parameter) -> bool:
    from nornir.core.task import Task

    annotation = param.annotation
    if annotation is inspect.Parameter.empty:
        return param.name == "task"
    if isinstance(annotation, str):  # from __future__ import annotations
        return annotation.rsplit(".", 1)[-1] == "Task"
    return inspect.isclass(annotation) and issubclass(annotation, Task)


def _annotation_name(annotation: Any) -> str:
    if isinstance(annotation, str):
        return annotation
    return getattr(annotation, "__qualname__", None) or str(annotation)


registry = TaskRegistry()
