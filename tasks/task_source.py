"""A Python-path task found in its module's source, without running the module.

Importing `package.module` runs `package/__init__.py` and the module, so checking a runbook
that way runs whatever the runbook names. Here the module is located with the import system's
own finders (which read folders, not code) and its source is parsed: a plain `def` at the top
level gives the task's parameters as an import would. What the source cannot settle (a
function made by an assignment or an import, a compiled module, a module-level `__getattr__`)
is said, not guessed: the check then knows only that the module exists.
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass
from importlib.machinery import ModuleSpec
from pathlib import Path
from typing import Any

MAX_SOURCE = 4 * 1024 * 1024


class NotFound(LookupError):
    """The module or the function does not exist (a message naming which)."""


@dataclass(frozen=True)
class StaticTask:
    params: tuple[str, ...]
    required: tuple[str, ...]
    accepts_any: bool
    first_param: str
    first_annotation: str | None
    summary: str
    supports_dry_run: bool


@dataclass(frozen=True)
class NeedsImport:
    """The module exists; only importing it would show the function (the reason says why)."""

    reason: str


def find_static(module_name: str, attr: str) -> StaticTask | NeedsImport:
    """The function `attr` of `module_name` as its source defines it."""
    spec = _find_spec(module_name)
    origin = spec.origin if spec.has_location else None
    if not origin or not origin.endswith(".py"):
        return NeedsImport(f"module '{module_name}' is not Python source")
    try:
        source = Path(origin).read_bytes()[:MAX_SOURCE]
        tree = ast.parse(source, origin)
    except (OSError, SyntaxError, ValueError) as exc:
        raise NotFound(f"module '{module_name}' ({origin}) cannot be read: {exc}") from None
    if "." in attr:
        return NeedsImport(f"'{attr}' is not a top-level function of '{module_name}'")
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == attr:
            return _from_def(node)
    if _binds(tree, attr) or _binds(tree, "__getattr__"):
        return NeedsImport(
            f"'{attr}' in '{module_name}' is made when the module runs (an assignment, an "
            "import or a module __getattr__)"
        )
    raise NotFound(f"module '{module_name}' has no function '{attr}'")


def _find_spec(module_name: str) -> ModuleSpec:
    """The module's spec from the finders alone: parent packages are located, not imported
    (a package already imported is used as it is: nothing new runs)."""
    path: list[str] | None = None
    spec: ModuleSpec | None = None
    parts = module_name.split(".")
    for depth in range(1, len(parts) + 1):
        name = ".".join(parts[:depth])
        loaded = sys.modules.get(name)
        if loaded is not None and getattr(loaded, "__spec__", None) is not None:
            spec = loaded.__spec__
        else:
            spec = None
            for finder in sys.meta_path:
                find = getattr(finder, "find_spec", None)
                if find is not None:
                    spec = find(name, path)
                    if spec is not None:
                        break
        if spec is None:
            raise NotFound(f"no module named '{name}'")
        if depth < len(parts):
            locations = spec.submodule_search_locations
            if locations is None:
                raise NotFound(f"'{name}' is a module, not a package")
            path = list(locations)
    assert spec is not None
    return spec


def _binds(tree: ast.Module, name: str) -> bool:
    for node in tree.body:
        targets: list[Any] = []
        if isinstance(node, ast.Assign):
            targets = node.targets
        elif isinstance(node, ast.AnnAssign | ast.AugAssign):
            targets = [node.target]
        elif isinstance(node, ast.Import | ast.ImportFrom):
            if any((alias.asname or alias.name.split(".")[0]) == name for alias in node.names):
                return True
            if any(alias.name == "*" for alias in node.names):
                return True
        elif isinstance(node, ast.ClassDef) and node.name == name:
            return True
        elif not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Expr):
            return True  # an if/try/for/with at the top may define anything
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return True
    return False


def _from_def(node: ast.FunctionDef | ast.AsyncFunctionDef) -> StaticTask:
    args = node.args
    positional = [*args.posonlyargs, *args.args]
    first = positional[0] if positional else None
    params: list[str] = []
    required: list[str] = []
    without_default = len(positional) - len(args.defaults)
    for index, arg in enumerate(positional[1:], start=1):
        params.append(arg.arg)
        if index < without_default:
            required.append(arg.arg)
    for arg, default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
        params.append(arg.arg)
        if default is None:
            required.append(arg.arg)
    return StaticTask(
        params=tuple(params),
        required=tuple(required),
        accepts_any=args.kwarg is not None,
        first_param=first.arg if first is not None else "",
        first_annotation=ast.unparse(first.annotation) if first and first.annotation else None,
        summary=(ast.get_docstring(node) or "").strip().split("\n", 1)[0],
        supports_dry_run=_marked_dry_run(node),
    )


def _marked_dry_run(node: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """What an `@task(...)` decorator says of dry runs (True unless `dry_run=False`); a plain
    function does not honour dry runs."""
    for decorator in node.decorator_list:
        if isinstance(decorator, ast.Call) and _called(decorator.func) == "task":
            for keyword in decorator.keywords:
                if keyword.arg == "dry_run" and isinstance(keyword.value, ast.Constant):
                    return bool(keyword.value.value)
            return True
    return False


def _called(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""
