"""The tasks a task module registers, read from its source without importing it.

Checking a runbook (`ispflow validate`, `ispflow runbooks`) needs each task's name and
arguments, not its code; importing the task modules would load SSH, SQL and template
libraries that such a command never uses. The source is read instead: every `@task("name",
...)` decorator with plain values, and the parameters of the `def` under it. Only the
decorator and signature are parsed, not the whole module. What the source does not settle
plainly (a name or flag computed at run time) makes the whole module `None`: it is imported
as before. tests/unit/test_task_listing.py keeps this reading equal to the imported one.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ispflow.tasks.task_source import NotFound, _find_spec, _from_def

# Each is searched for as plain text, then where it starts is checked: a pattern that begins
# with `^` or a look-behind is tried at every character of the module, ten times slower.
_NAMED = re.compile(r"""@task\(\s*(["'])([^"'\\\n]+)\1""")
_CALL = "task("
_DEF = re.compile(r"^(?:async\s+)?def\s", re.MULTILINE)
# The first line after a function's `def` that starts at column 0 and is not the end of a
# multi-line signature: the next top-level statement (or a cut the parser will refuse).
_NEXT_TOP_LEVEL = re.compile(r"^(?=[^\s)])", re.MULTILINE)


@dataclass(frozen=True)
class ListedTask:
    """A task as its module's source defines it."""

    name: str
    module: str
    function: str
    params: tuple[str, ...]
    required: tuple[str, ...]
    accepts_any: bool
    summary: str
    supports_dry_run: bool
    changes_device: bool


@dataclass
class TaskModule:
    """A task module's source, and where the decorator of each task it registers starts."""

    name: str
    source: str
    starts: dict[str, int]
    _whole: list[ast.Module] = field(default_factory=list)  # parsed when a slice is not enough

    def read(self, task: str) -> ListedTask | None:
        """The task as its source defines it; None when its decorator is not plain."""
        node = _decorated(self.source, self.starts[task], self._whole)
        listed = _listed(node, self.name) if node is not None else None
        return listed if listed is not None and listed.name == task else None


def task_module(module_name: str) -> TaskModule | None:
    """The names of the tasks `module_name` registers (each read when asked for); None when
    only an import can say which tasks it registers."""
    try:
        spec = _find_spec(module_name)
    except NotFound:
        return None
    origin = spec.origin if spec.has_location else None
    if not origin or not origin.endswith(".py"):
        return None
    try:
        source = Path(origin).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    # `task` must be the registry's decorator, imported from it.
    if not re.search(r"^from ispflow\.tasks\.registry import .*\btask\b", source, re.MULTILINE):
        return None
    starts = {
        match.group(2): match.start()
        for match in _NAMED.finditer(source)
        if _line_starts_at(source, match.start())
    }
    # Every `task(...)` is a top-level decorator naming its task plainly, each name once.
    calls = list(_calls(source))
    decorators = sum(
        1 for at in calls if at and source[at - 1] == "@" and _line_starts_at(source, at - 1)
    )
    if not len(starts) == decorators == len(calls):
        return None
    return TaskModule(module_name, source, starts)


def _line_starts_at(source: str, index: int) -> bool:
    return index == 0 or source[index - 1] == "\n"


def _calls(source: str) -> Iterator[int]:
    """Where each call of a function named `task` starts (not `x.task(` or `mytask(`)."""
    at = source.find(_CALL)
    while at >= 0:
        before = source[at - 1] if at else ""
        if not (before.isalnum() or before in ("_", ".")):
            yield at
        at = source.find(_CALL, at + len(_CALL))


def listed_tasks(module_name: str) -> list[ListedTask] | None:
    """The tasks `module_name` registers, in source order; None when only an import can say."""
    module = task_module(module_name)
    if module is None:
        return None
    found = [module.read(name) for name in module.starts]
    return None if None in found else found  # type: ignore[return-value]


def _decorated(
    source: str, start: int, whole: list[ast.Module]
) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
    """The function whose decorator starts at `start`: parsed from its decorator to the next
    line at column 0 (its signature and docstring are all that is needed), else from the
    whole module (a string or brackets reaching column 0 cut the slice short)."""
    definition = _DEF.search(source, start)
    if definition is None:
        return None
    line_end = source.find("\n", definition.start())
    following = _NEXT_TOP_LEVEL.search(source, line_end + 1) if line_end >= 0 else None
    end = following.start() if following is not None else len(source)
    try:
        body = ast.parse(source[start:end]).body
    except SyntaxError:
        if not whole:
            try:
                whole.append(ast.parse(source))
            except SyntaxError:
                return None
        line = source.count("\n", 0, start) + 1
        body = [
            node
            for node in whole[0].body
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.decorator_list
            and node.decorator_list[0].lineno == line
        ]
    if len(body) != 1 or not isinstance(body[0], ast.FunctionDef | ast.AsyncFunctionDef):
        return None
    return body[0]


def _listed(node: ast.FunctionDef | ast.AsyncFunctionDef, module_name: str) -> ListedTask | None:
    """The task the function's `@task(...)` registers, if its values are plain."""
    marks = [
        d
        for d in node.decorator_list
        if isinstance(d, ast.Call) and isinstance(d.func, ast.Name) and d.func.id == "task"
    ]
    if len(marks) != 1 or len(node.decorator_list) != 1:
        return None
    mark = marks[0]
    if len(mark.args) != 1 or not _is_constant(mark.args[0], str):
        return None
    flags = {"dry_run": True, "changes_device": False}
    for keyword in mark.keywords:
        if keyword.arg in flags:
            if not _is_constant(keyword.value, bool):
                return None
            flags[keyword.arg] = keyword.value.value  # type: ignore[attr-defined]
        elif keyword.arg not in ("view", "opens"):  # for reports and runs: with the module
            return None
    shape = _from_def(node)
    doc = ast.get_docstring(node) or ""
    return ListedTask(
        name=mark.args[0].value,  # type: ignore[attr-defined]
        module=module_name,
        function=node.name,
        params=shape.params,
        required=shape.required,
        accepts_any=shape.accepts_any,
        summary=doc.splitlines()[0] if doc else "",
        supports_dry_run=flags["dry_run"],
        changes_device=flags["changes_device"],
    )


def _is_constant(node: ast.expr, kind: type) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) is kind
