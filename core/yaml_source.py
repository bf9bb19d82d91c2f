"""Reading YAML while keeping where every key and value was written (ruamel.yaml round-trip).

Reading is bounded: a runbook is written by people, so anything far beyond what a person
writes is refused with its position instead of being parsed at any cost. One
:class:`YamlBudget` covers a runbook and every file it includes, so includes cannot multiply
the work either.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.composer import Composer
from ruamel.yaml.constructor import ConstructorError, RoundTripConstructor
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent
from ruamel.yaml.nodes import ScalarNode
from ruamel.yaml.reader import ReaderError

from ispflow.core.documents import Location, Problem

MAX_YAML_BYTES = 512 * 1024
MAX_YAML_NODES = 20_000
MAX_YAML_ALIASES = 1_000
MAX_YAML_DEPTH = 32
MAX_NUMBER_DIGITS = 100
_NUMBER_TAGS = frozenset({"tag:yaml.org,2002:int", "tag:yaml.org,2002:float"})


@dataclass
class YamlBudget:
    """What is left to read for one runbook load (the runbook and all it includes).

    ``nodes`` counts every key, value and item, and an alias as all the nodes it stands
    for: that is what the loader walks once the document is built.
    """

    bytes: int = MAX_YAML_BYTES
    nodes: int = MAX_YAML_NODES
    aliases: int = MAX_YAML_ALIASES


class YamlLimitError(MarkedYAMLError):
    """A document beyond what ispflow reads; the message needs no "syntax error" prefix."""


def _limit(message: str, mark: Any) -> YamlLimitError:
    return YamlLimitError(None, None, message, mark)


class _BoundedComposer(Composer):
    """ruamel's composer with limits on depth, node count and aliases."""

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        # Redefining an anchor is valid YAML; ruamel would print a warning for it.
        self.warn_double_anchors = False
        self.budget: YamlBudget = loader.ispflow_budget
        # Expanded size of every finished node that an alias may refer to.
        self.sizes: dict[int, int] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            self._count_alias(event)
            return super().compose_node(parent, index)
        if self.depth >= MAX_YAML_DEPTH:
            raise _limit(f"nested deeper than {MAX_YAML_DEPTH} levels", event.start_mark)
        self._take_nodes(1, event.start_mark)
        before = self.budget.nodes
        node = super().compose_node(parent, index)
        if event.anchor is not None:
            self.sizes[id(node)] = 1 + before - self.budget.nodes
        if isinstance(node, ScalarNode):
            _check_number(node)
        return node

    def _count_alias(self, event: Any) -> None:
        target = self.anchors.get(event.anchor)
        if target is None:
            return  # ruamel reports the undefined alias
        size = self.sizes.get(id(target))
        if size is None:
            raise _limit(
                f"alias '*{event.anchor}' is used inside its own anchor (a recursive structure)",
                event.start_mark,
            )
        self.budget.aliases -= 1
        if self.budget.aliases < 0:
            raise _limit(f"more than {MAX_YAML_ALIASES} aliases (*name)", event.start_mark)
        self._take_nodes(size, event.start_mark)

    def _take_nodes(self, count: int, mark: Any) -> None:
        self.budget.nodes -= count
        if self.budget.nodes < 0:
            raise _limit(
                f"more than {MAX_YAML_NODES} values (an alias counts as everything it repeats)",
                mark,
            )


def _check_number(node: ScalarNode) -> None:
    # Python refuses to convert integers of thousands of digits, and no setting needs one.
    if str(node.tag) in _NUMBER_TAGS and len(node.value) > MAX_NUMBER_DIGITS:
        raise _limit(f"a number of more than {MAX_NUMBER_DIGITS} digits", node.start_mark)


class _Constructor(RoundTripConstructor):
    """Reports a value that cannot be built (a date like 2024-13-45) at its position."""

    def construct_non_recursive_object(self, node: Any, tag: str | None = None) -> Any:
        try:
            return super().construct_non_recursive_object(node, tag)
        except YAMLError:
            raise
        except (ValueError, TypeError, KeyError, OverflowError) as exc:
            raise ConstructorError(
                None, None, f"cannot read the value {_tag_name(node)}: {exc}", node.start_mark
            ) from None


def _tag_name(node: Any) -> str:
    tag = str(getattr(node, "tag", "") or "")
    return "as " + tag.replace("tag:yaml.org,2002:", "!!") if tag else ""


def _yaml(budget: YamlBudget) -> YAML:
    yaml = YAML(typ="rt")
    yaml.Composer = _BoundedComposer
    yaml.Constructor = _Constructor
    yaml.ispflow_budget = budget  # type: ignore[attr-defined]  # read by _BoundedComposer
    return yaml


def read_yaml(
    path: Path, display_name: str | None = None, budget: YamlBudget | None = None
) -> tuple[Any, list[Problem]]:
    """Parse a YAML file; syntax errors and limits come back as problems with their position."""
    name = display_name or str(path)
    budget = budget if budget is not None else YamlBudget()
    try:
        with path.open("rb") as stream:
            data = stream.read(budget.bytes + 1)
    except OSError as exc:
        return None, [Problem(Location(name, 1, 1), f"cannot read: {exc.strerror or exc}")]
    if len(data) > budget.bytes:
        return None, [
            Problem(
                Location(name, 1, 1),
                f"too big: a runbook and what it includes may hold at most "
                f"{MAX_YAML_BYTES // 1024} KiB of YAML",
            )
        ]
    budget.bytes -= len(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, [Problem(Location(name, 1, 1), f"not UTF-8 text: {exc.reason}")]
    return parse_yaml(text, name, budget)


def parse_yaml(text: str, name: str, budget: YamlBudget | None = None) -> tuple[Any, list[Problem]]:
    """Parse YAML text; every failure is a problem at a position, never an exception."""
    yaml = _yaml(budget if budget is not None else YamlBudget())
    try:
        return yaml.load(text), []
    except YamlLimitError as exc:
        return None, [Problem(_mark_location(name, exc), f"YAML limit: {exc.problem}")]
    except MarkedYAMLError as exc:
        message = " ".join(part for part in (exc.context, exc.problem) if part)
        if "found duplicate key" in str(exc):
            message = "duplicate key " + _duplicate_key(str(exc))
        return None, [Problem(_mark_location(name, exc), f"YAML syntax error: {message or exc}")]
    except ReaderError as exc:
        where = _offset_location(name, text, exc.position)
        return None, [Problem(where, f"YAML error: {_reader_message(exc)}")]
    except YAMLError as exc:
        return None, [Problem(Location(name, 1, 1), f"YAML error: {type(exc).__name__}")]
    except Exception as exc:
        # ruamel is not written for hostile input; what it cannot handle is still an answer.
        return None, [
            Problem(Location(name, 1, 1), f"cannot read this YAML ({type(exc).__name__})")
        ]


def _mark_location(name: str, exc: MarkedYAMLError) -> Location:
    mark = exc.problem_mark or exc.context_mark
    return Location(name, mark.line + 1, mark.column + 1) if mark else Location(name, 1, 1)


def _offset_location(name: str, text: str, position: Any) -> Location:
    if not isinstance(position, int) or not 0 <= position <= len(text):
        return Location(name, 1, 1)
    line = text.count("\n", 0, position) + 1
    return Location(name, line, position - (text.rfind("\n", 0, position) + 1) + 1)


def _reader_message(exc: ReaderError) -> str:
    if isinstance(exc.character, int):
        return f"character U+{exc.character:04X} is not allowed in YAML ({exc.reason})"
    return str(exc.reason)


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
