"""Host filters: one syntax for runbook ``targets:``, step ``hosts:`` and ``--limit``.

Text form::

    role=olt & site=poa, olt-cwb-*, !group=lab & vendor~^(huawei|zte)$

* ``,`` separates terms; a host matches the filter if it matches any term (union).
* ``&`` joins conditions inside a term; all of them must hold (intersection).
* ``!`` before a condition negates it.
* a condition is ``key=glob``, ``key!=glob``, ``key~regex`` (re.search) or a bare glob,
  which matches the host name or any of its groups. Globs are shell patterns
  (``olt-poa-*``, case-sensitive). ``all`` or ``*`` alone selects every host.
* keys: ``name``, ``hostname``, ``platform``, ``group`` (any group, parents included),
  ``site``, ``role``, ``vendor`` (host data, group and defaults data included) and
  ``data.<key>[.<key>...]`` for any other data field. A list value (``data.tags``)
  matches when any item does. ``key!=x`` holds for hosts that have no such key.
* a regex cannot contain ``,`` or ``&`` in the text form; use the mapping form for those.

YAML forms: a mapping is the AND of its keys, a list value the OR of its values
(``{role: olt, site: [poa, cwb]}``); a mapping value starting with ``~`` is a regex and one
starting with ``!`` is negated. A list of texts and mappings is their union.

A filter is parsed once; matching a host is a few dict lookups and precompiled regexes.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from typing import Any

from ispflow.core.suggest import did_you_mean

KEYS = ("name", "hostname", "group", "platform", "site", "role", "vendor")
_DATA_KEYS = frozenset({"site", "role", "vendor"})
_KEY_HINTS = (*KEYS, "data.<key>")
_DATA_PATH = re.compile(r"data(\.[A-Za-z_][\w-]*)+")
_OPERATOR = re.compile(r"!=|=|~")
_WILDCARDS = frozenset("*?[")
_MISSING = object()
# Nornir's Host defines __getattribute__ in Python (to inherit hostname, platform, ... from
# groups), which makes every attribute read a Python call. name, data and groups are never
# inherited, so they are read past it: filters run per host for every step.
_attr = object.__getattribute__

Matcher = Callable[[Any], bool]


class FilterError(ValueError):
    """A host filter that cannot be parsed; ``position`` is the character offset in the text."""

    def __init__(self, message: str, position: int | None = None) -> None:
        self.message = message
        self.position = position
        super().__init__(message)

    def __str__(self) -> str:
        if self.position is None:
            return self.message
        return f"{self.message} (at character {self.position + 1})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.position))


class HostFilter:
    """A parsed host filter: call it with a Nornir host, or select names from an inventory."""

    __slots__ = ("_match", "_text", "matches_all")

    def __init__(self, match: Matcher, text: str, matches_all: bool = False) -> None:
        self._match = match
        self._text = text
        self.matches_all = matches_all

    def __call__(self, host: Any) -> bool:
        return self._match(host)

    def select(self, hosts: Mapping[str, Any]) -> list[str]:
        """Names of the matching hosts, in inventory order."""
        if self.matches_all:
            return list(hosts)
        match = self._match
        return [name for name, host in hosts.items() if match(host)]

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"HostFilter({self._text!r})"


def _all(host: Any) -> bool:
    return True


MATCH_ALL = HostFilter(_all, "all", matches_all=True)


def parse_filter(spec: str | list[Any] | dict[str, Any] | None) -> HostFilter:
    """Parse a filter given as text, a YAML mapping, a YAML list of those, or None (all)."""
    if spec is None:
        return MATCH_ALL
    if isinstance(spec, str):
        return _parse_text(spec)
    if isinstance(spec, Mapping):
        return HostFilter(_parse_mapping(spec), _mapping_text(spec))
    if isinstance(spec, list | tuple):
        if not spec:
            raise FilterError("an empty list selects no host; leave the filter out to select all")
        parts: list[Matcher] = []
        for item in spec:
            if isinstance(item, str):
                parsed = _parse_text(item)
                if parsed.matches_all:
                    return HostFilter(_all, _list_text(spec), matches_all=True)
                parts.append(parsed._match)
            elif isinstance(item, Mapping):
                parts.append(_parse_mapping(item))
            else:
                raise FilterError(f"a filter list holds texts and mappings, not {_kind(item)}")
        return HostFilter(_any(parts), _list_text(spec))
    raise FilterError(f"a host filter is a text, a list or a mapping, not {_kind(spec)}")


# -- text form -------------------------------------------------------------------------------
def _parse_text(text: str) -> HostFilter:
    stripped = text.strip()
    if not stripped:
        raise FilterError("the host filter is empty", 0)
    if stripped in ("all", "*"):
        return HostFilter(_all, stripped, matches_all=True)
    terms: list[Matcher] = []
    for term, term_start in _split(text, ",", 0):
        conditions = [
            _parse_condition(cond, start, text) for cond, start in _split(term, "&", term_start)
        ]
        if any(c is None for c in conditions):  # an "all" makes the whole term match
            if len(conditions) == 1:
                return HostFilter(_all, stripped, matches_all=True)
            conditions = [c for c in conditions if c is not None]
        terms.append(_every(conditions))  # type: ignore[arg-type]
    return HostFilter(_any(terms), stripped)


def _split(text: str, separator: str, offset: int) -> list[tuple[str, int]]:
    pieces = []
    start = 0
    for piece in text.split(separator):
        pieces.append((piece, offset + start))
        start += len(piece) + 1
    return pieces


def _parse_condition(piece: str, start: int, whole: str) -> Matcher | None:
    body = piece.strip()
    pos = start + len(piece) - len(piece.lstrip())
    if not body:
        raise FilterError(_empty_message(whole, start, len(piece)), pos)
    negated = False
    if body.startswith("!"):
        negated = True
        rest = body[1:].lstrip()
        pos += len(body) - len(rest)
        body = rest
        if not body:
            raise FilterError("expected a condition after '!'", pos)
        if body.startswith("!"):
            raise FilterError("one '!' negates a condition; '!!' is not allowed", pos)
    found = _OPERATOR.search(body)
    if found is None:
        matcher = _bare_word(body, pos)
    else:
        key_text = body[: found.start()]
        key = key_text.strip()
        op = found.group()
        value_text = body[found.end() :]
        value = value_text.strip()
        value_pos = pos + found.end() + len(value_text) - len(value_text.lstrip())
        if not key:
            raise FilterError(f"expected a key before '{op}'", pos + found.start())
        getter = _getter(key, pos)
        if not value:
            raise FilterError(f"expected a value after '{op}'", pos + found.end())
        if value[0] in "=~!":
            raise FilterError(_operator_hint(op, value[0]), value_pos)
        test = _regex(value, value_pos) if op == "~" else _glob(value, value_pos)
        matcher = _key_matcher(key, getter, test)
        if op == "!=":
            matcher = _negate(matcher)
    if matcher is None:
        return None if not negated else _negate(_all)
    return _negate(matcher) if negated else matcher


def _empty_message(whole: str, start: int, length: int) -> str:
    before = whole[:start].rstrip()[-1:] if whole[:start].strip() else ""
    after = whole[start + length : start + length + 1]
    if after in (",", "&") and not before:
        return f"expected a condition before '{after}'"
    if before in (",", "&"):
        return f"expected a condition after '{before}'"
    return "expected a condition"


def _operator_hint(op: str, second: str) -> str:
    if op == "=" and second == "=":
        return "'==' is not an operator; write key=value"
    if op == "=" and second == "~":
        return "'=~' is not an operator; write key~regex"
    if op == "=" and second == "!":
        return "to negate, write key!=value or !key=value"
    return f"unexpected '{second}' after '{op}'"


def _bare_word(word: str, pos: int) -> Matcher | None:
    if word == "all":
        return None
    space = re.search(r"\s", word)
    if space:
        raise FilterError(
            "a host or group name has no spaces; join conditions with '&' and terms with ','",
            pos + space.start(),
        )
    test = _glob(word, pos)

    def name_or_group(host: Any) -> bool:
        return bool(test(_attr(host, "name"))) or _group_matches(_attr(host, "groups"), test)

    return name_or_group


# -- building blocks ---------------------------------------------------------------------------
def _glob(pattern: str, pos: int | None) -> Callable[[str], bool]:
    if not _WILDCARDS.intersection(pattern):
        return pattern.__eq__
    try:
        return re.compile(fnmatch.translate(pattern)).match  # type: ignore[return-value]
    except re.error as exc:
        raise FilterError(f"bad glob pattern {pattern!r}: {exc.msg}", pos) from None


def _regex(pattern: str, pos: int | None) -> Callable[[str], bool]:
    try:
        return re.compile(pattern).search  # type: ignore[return-value]
    except re.error as exc:
        offset = pos + exc.pos if pos is not None and exc.pos is not None else pos
        raise FilterError(f"bad regular expression {pattern!r}: {exc.msg}", offset) from None


def _getter(key: str, pos: int | None) -> Callable[[Any], Any] | None:
    """How to read ``key`` from a host; None for ``group`` (matched over all groups)."""
    if key == "name":
        return _get_name
    if key == "hostname":
        return _get_hostname
    if key == "platform":
        return _get_platform
    if key == "group":
        return None
    if key in _DATA_KEYS:
        return lambda host: _data(host, key)
    if _DATA_PATH.fullmatch(key):
        first, *rest = key.split(".")[1:]
        if not rest:
            return lambda host: _data(host, first)

        def nested(host: Any) -> Any:
            value = _data(host, first)
            for part in rest:
                if not isinstance(value, Mapping):
                    return None
                value = value.get(part)
            return value

        return nested
    if key == "data" or key.startswith("data."):
        raise FilterError(f"'{key}' is not a data path; write data.<key>, e.g. data.model", pos)
    raise FilterError(
        f"unknown key '{key}'{did_you_mean(key, _KEY_HINTS)}; keys are {', '.join(_KEY_HINTS)}", pos
    )


def _get_name(host: Any) -> Any:
    return _attr(host, "name")


def _get_hostname(host: Any) -> Any:
    return host.hostname


def _get_platform(host: Any) -> Any:
    return host.platform


def _data(host: Any, key: str) -> Any:
    """``host[key]`` as Nornir resolves it (host, then groups depth-first, then defaults)."""
    data = _attr(host, "data")
    if key in data:
        return data[key]
    value = _group_data(_attr(host, "groups"), key, 0)
    if value is not _MISSING:
        return value
    return _attr(_attr(host, "defaults"), "data").get(key)


def _group_data(groups: Any, key: str, depth: int) -> Any:
    if depth > 64:  # a group that is its own ancestor
        return _MISSING
    for group in groups:
        data = _attr(group, "data")
        if key in data:
            return data[key]
        value = _group_data(_attr(group, "groups"), key, depth + 1)
        if value is not _MISSING:
            return value
    return _MISSING


def _group_matches(groups: Any, test: Callable[[str], bool], depth: int = 0) -> bool:
    if depth > 64:
        return False
    for group in groups:
        if test(_attr(group, "name")) or _group_matches(_attr(group, "groups"), test, depth + 1):
            return True
    return False


def _value_matches(value: Any, test: Callable[[str], bool]) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return bool(test(value))
    if isinstance(value, bool):
        return bool(test("true" if value else "false"))
    if isinstance(value, list | tuple | set | frozenset):
        return any(_value_matches(item, test) for item in value)
    return bool(test(str(value)))


def _key_matcher(
    key: str, getter: Callable[[Any], Any] | None, test: Callable[[str], bool]
) -> Matcher:
    if getter is None:
        return lambda host: _group_matches(_attr(host, "groups"), test)

    def match(host: Any) -> bool:
        value = getter(host)
        if type(value) is str:
            return bool(test(value))
        return _value_matches(value, test)

    return match


def _negate(matcher: Matcher) -> Matcher:
    return lambda host: not matcher(host)


def _every(matchers: list[Matcher]) -> Matcher:
    if not matchers:
        return _all
    if len(matchers) == 1:
        return matchers[0]
    if len(matchers) == 2:
        first, second = matchers
        return lambda host: first(host) and second(host)
    parts = tuple(matchers)
    return lambda host: all(m(host) for m in parts)


def _any(matchers: list[Matcher]) -> Matcher:
    if len(matchers) == 1:
        return matchers[0]
    parts = tuple(matchers)

    def union(host: Any) -> bool:
        # A plain loop: any() over a generator costs a frame per host, and this runs per host.
        for matcher in parts:  # noqa: SIM110
            if matcher(host):
                return True
        return False

    return union


# -- YAML forms --------------------------------------------------------------------------------
def _parse_mapping(spec: Mapping[Any, Any]) -> Matcher:
    if not spec:
        raise FilterError(
            "an empty mapping selects nothing in particular; leave the filter out to select all"
        )
    conditions = []
    for raw_key, raw_value in spec.items():
        key = str(raw_key).strip()
        getter = _getter(key, None)
        values = raw_value if isinstance(raw_value, list | tuple) else [raw_value]
        if not values:
            raise FilterError(f"'{key}' has an empty list of values")
        alternatives = []
        for value in values:
            if isinstance(value, Mapping | list | tuple) or value is None:
                raise FilterError(f"'{key}': a value is a text or a number, not {_kind(value)}")
            text = _scalar_text(value)
            negated = text.startswith("!")
            if negated:
                text = text[1:]
            test = _regex(text[1:], None) if text.startswith("~") else _glob(text, None)
            matcher = _key_matcher(key, getter, test)
            alternatives.append(_negate(matcher) if negated else matcher)
        conditions.append(_any(alternatives))
    return _every(conditions)


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value).strip()


def _mapping_text(spec: Mapping[Any, Any]) -> str:
    parts = []
    for key, value in spec.items():
        if isinstance(value, list | tuple):
            shown = "[" + ", ".join(_scalar_text(v) for v in value) + "]"
        else:
            shown = _scalar_text(value)
        parts.append(f"{key}: {shown}")
    return "{" + ", ".join(parts) + "}"


def _list_text(spec: list[Any] | tuple[Any, ...]) -> str:
    return ", ".join(
        item.strip() if isinstance(item, str) else _mapping_text(item) for item in spec
    )


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, int | float):
        return f"a number ({value})"
    return type(value).__name__
