"""Reading YAML while keeping where every key and value was written (ruamel.yaml round-trip)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from engine.errors import Problem
from engine.model import Location


def read_yaml(path: Path, display_name: str | None = None) -> tuple[Any, list[Problem]]:
    """Parse a YAML file; syntax errors come back as problems with their position."""
    name = display_name or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return None, [Problem(None, f"{name}: cannot read: {exc.strerror or exc}")]
    except UnicodeDecodeError as exc:
        return None, [Problem(Location(name, 1, 1), f"not UTF-8 text: {exc.reason}")]
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> tuple[Any, list[Problem]]:
    yaml = YAML(typ="rt")
    try:
        return yaml.load(text), []
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name, 1, 1)
        message = " ".join(part for part in (exc.context, exc.problem) if part)
        if "found duplicate key" in str(exc):
            message = "duplicate key " + _duplicate_key(str(exc))
        return None, [Problem(where, f"YAML syntax error: {message or exc}")]
    except YAMLError as exc:
        return None, [Problem(Location(name, 1, 1), f"YAML error: {exc}")]


def _duplicate_key(text: str) -> str:
    for line in text.splitlines():
        if "found duplicate key" in line:
            return line.split("found duplicate key", 1)[1].strip().split(" with value")[0]
    return ""


def where(file: str, node: Any, key: Any = None, index: int | None = None) -> Location:
    """The position of a mapping key, a sequence item, or the node itself."""
    try:
        if key is not None and isinstance(node, CommentedMap):
            line, col = node.lc.key(key)
        elif index is not None and isinstance(node, CommentedSeq):
            line, col = node.lc.item(index)
        else:
            line, col = node.lc.line, node.lc.col
        return Location(file, line + 1, col + 1)
    except (AttributeError, KeyError, TypeError):
        return Location(file, 1, 1)


def value_where(file: str, node: Any, key: Any) -> Location:
    """The position of the value stored under ``key`` in a mapping."""
    try:
        line, col = node.lc.value(key)
        return Location(file, line + 1, col + 1)
    except (AttributeError, KeyError, TypeError):
        return where(file, node, key)


def plain(value: Any) -> Any:
    """ruamel's round-trip containers and scalars as plain Python values."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value
