"""Typed runbook variables: declared in ``vars:``, given on the command line or by an include.

A value from YAML is already typed; a value from ``-e key=value`` is always text. Both go
through :func:`coerce`, so ``-e vlan=100`` and ``vlan: 100`` give the same int, and
network values come out in one canonical form (``mac`` as ``aa:bb:cc:dd:ee:ff``, ``serial``
upper case, ``cidr`` as its network) whatever the ERP or the engineer typed.

Types:

* ``str``, ``int``, ``float``, ``bool`` (true/false, yes/no, on/off, 1/0), ``dict``
  (a mapping, or as text ``{vlan: 100}`` or JSON)
* ``list`` - a YAML list, or as text ``[a, b]`` or ``a,b,c``; ``items`` gives the element
  type (``type: list[int]`` is short for ``type: list, items: int``)
* ``ip`` - one IPv4 or IPv6 address; ``cidr`` - a network (host bits are cleared)
* ``mac`` - ``aa:bb:cc:dd:ee:ff``, ``AA-BB-CC-DD-EE-FF``, ``aabb.ccdd.eeff``,
  ``aabb-ccdd-eeff`` or ``aabbccddeeff`` (EPON ONUs and MAC authentication)
* ``serial`` - a GPON ONU serial: 4-letter vendor id + 8 hex digits (``HWTC1A2B3C4D``) or
  16 hex digits (``485754431A2B3C4D``)

Checks: ``min``/``max`` bound numbers (int, float) and lengths (str, list); ``pattern`` is
matched (fullmatch) against the text of the value, ``choices`` against the coerced value;
for lists both apply to each item.

A pattern is written in Python's ``re`` syntax and matched by the ``regex`` engine, which can
give up after a time: no rule written down in advance tells every pattern that backtracks
for ever (``(a+)+$``, ``(a|a)*$``) from a harmless one. So a pattern may take
PATTERN_TIMEOUT seconds per value, and all checks of one runbook load (or of one run's vars)
PATTERN_BUDGET seconds together. The few places where ``regex`` reads a pattern differently
from ``re`` (``{e<=1}``, ``[[:alpha:]]``, set operations) are refused, so a pattern means
what Python's documentation says.
"""

from __future__ import annotations

import copy
import functools
import ipaddress
import json
import math
import re
import re._constants as sre
import re._parser as sre_parse
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from typing import Any

from ispflow.core.quoting import quoted
from ispflow.core.suggest import did_you_mean
from ispflow.engine.errors import VarError, VarErrors

# `host` names an inventory host and `contract` a contract in the store (both checked against
# them before a run starts); `text` is free text that goes into a device's CLI, refused when
# it could end the command or start another.
VAR_TYPES = (
    "str", "int", "float", "bool", "list", "ip", "cidr", "mac", "serial", "dict",
    "host", "contract", "text",
)  # fmt: skip
ITEM_TYPES = ("str", "int", "float", "bool", "ip", "cidr", "mac", "serial", "dict")
SPEC_KEYS = (
    "type",
    "required",
    "default",
    "pattern",
    "choices",
    "min",
    "max",
    "secret",
    "description",
    "items",
)
MASK = "********"

_TEXTS = frozenset({"str", "text", "host", "contract"})  # bounded by length, like str
_BOUNDED = frozenset({"int", "float", "list"}) | _TEXTS
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_MAC_FORMS = (
    re.compile(
        r"([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})[:-]([0-9a-f]{2})",
        re.I,
    ),
    re.compile(r"([0-9a-f]{4})[.-]([0-9a-f]{4})[.-]([0-9a-f]{4})", re.I),
    re.compile(r"([0-9a-f]{12})", re.I),
)
_SERIAL_VENDOR = re.compile(r"[A-Za-z]{4}[0-9A-Fa-f]{8}")
_SERIAL_HEX = re.compile(r"[0-9A-Fa-f]{16}")
# Names other schema languages use for these types, so "type: string" gets a useful hint.
_TYPE_ALIASES = {
    "string": "str",
    "integer": "int",
    "number": "float",
    "double": "float",
    "boolean": "bool",
    "array": "list",
    "object": "dict",
    "mapping": "dict",
    "map": "dict",
    "address": "ip",
    "ipaddr": "ip",
    "ipv4": "ip",
    "ipv6": "ip",
    "network": "cidr",
    "subnet": "cidr",
    "prefix": "cidr",
    "sn": "serial",
}
_LIST_TYPE = re.compile(r"list\[(\w+)\]")

PATTERN_MAX_LENGTH = 1_000
PATTERN_MAX_NESTING = 20
# The regex engine compiles a{1000} as a thousand copies: counted repeats, multiplied out.
PATTERN_MAX_SIZE = 10_000
PATTERN_TIMEOUT = 0.1
PATTERN_BUDGET = 1.0
_QUANTIFIER = re.compile(r"\{(?:\d+(?:,\d*)?|,\d*)\}")
_REPEATS = (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT)


class _PatternClock:
    """Seconds of matching left; a check spends from its own clock and from the enclosing one.

    Only time spent matching counts, so a slow machine loading a big runbook does not make
    a harmless pattern fail.
    """

    def __init__(self, seconds: float, parent: _PatternClock | None = None) -> None:
        self.seconds = seconds
        self.parent = parent

    def left(self) -> float:
        return self.seconds if self.parent is None else min(self.seconds, self.parent.left())

    def spend(self, seconds: float) -> None:
        self.seconds -= seconds
        if self.parent is not None:
            self.parent.spend(seconds)


_budget: ContextVar[_PatternClock | None] = ContextVar("pattern_budget", default=None)


class _Missing:
    """No default given (distinct from a default of None)."""

    _instance: _Missing | None = None

    def __new__(cls) -> _Missing:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "MISSING"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class VarSpec:
    name: str
    type: str = "str"
    required: bool = False
    default: Any = MISSING
    pattern: str | None = None
    choices: tuple[Any, ...] | None = None
    min: float | None = None
    max: float | None = None
    secret: bool = False
    description: str = ""
    items: str | None = None  # element type of a list

    @property
    def has_default(self) -> bool:
        return self.default is not MISSING


# -- coercion ----------------------------------------------------------------------------------
def coerce(spec: VarSpec, raw: Any) -> Any:
    """``raw`` (typed from YAML, or text from the command line) as a checked value of the spec's type."""
    if raw is None:
        if spec.required:
            raise VarError(spec.name, "is required but was given no value")
        return None
    if spec.type == "list":
        items = _to_list(spec, raw)
        _check_bounds(spec, len(items), "items")
        item_type = spec.items or "str"
        clock = _PatternClock(PATTERN_TIMEOUT, _budget.get())
        out = []
        for index, item in enumerate(items):
            label = f"{spec.name}[{index}]"
            value = _convert(item_type, item, label)
            _check_item(spec, label, value, clock)
            out.append(value)
        return out
    value = _convert(spec.type, raw, spec.name)
    if spec.type in ("int", "float"):
        _check_bounds(spec, value, None)
    elif spec.type in _TEXTS:
        _check_bounds(spec, len(value), "characters")
    _check_item(spec, spec.name, value, _PatternClock(PATTERN_TIMEOUT, _budget.get()))
    return value


def _convert(kind: str, raw: Any, name: str) -> Any:
    converter = _CONVERTERS.get(kind)
    if converter is None:
        raise VarError(name, f"unknown type '{kind}'{did_you_mean(kind, VAR_TYPES)}")
    return converter(raw, name)


def _to_str(raw: Any, name: str) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return str(raw)  # a YAML login like 12345 is still a login
    raise VarError(name, f"expected text, got {_given(raw)}")


def _to_int(raw: Any, name: str) -> int:
    if isinstance(raw, bool):
        raise VarError(name, f"expected a whole number, got {_given(raw)}")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if re.fullmatch(r"[+-]?\d+", text):
            return int(text)
    raise VarError(name, f"expected a whole number, got {_given(raw)}")


def _to_float(raw: Any, name: str) -> float:
    value: float | None = None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            value = None
    if value is None or not math.isfinite(value):
        raise VarError(name, f"expected a number, got {_given(raw)}")
    return value


def _to_bool(raw: Any, name: str) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    if isinstance(raw, str):
        text = raw.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise VarError(name, f"expected true/false (also yes/no, on/off, 1/0), got {_given(raw)}")


def _to_list(spec: VarSpec, raw: Any) -> list[Any]:
    if isinstance(raw, list | tuple):
        return list(raw)
    if isinstance(raw, str):
        text = raw.strip()
        if text.startswith("[") and text.endswith("]"):
            value = _flow(text)
            if isinstance(value, list):
                return value
            raise VarError(spec.name, f"expected a list like [a, b], got {_given(raw)}")
        return [part.strip() for part in text.split(",")] if text else []
    raise VarError(spec.name, f"expected a list (or a,b,c), got {_given(raw)}")


def _flow(text: str) -> Any:
    """A YAML flow value (``[a, b]``, ``{vlan: 100}``; JSON is a subset) given as text.

    Read with the runbook reader's limits: a value on the command line can be an alias bomb
    or ten thousand brackets deep as well.
    """
    from ispflow.core.yaml_source import parse_yaml, plain

    value, problems = parse_yaml(text, "-e")
    return None if problems else plain(value)


def _to_dict(raw: Any, name: str) -> dict[Any, Any]:
    if isinstance(raw, Mapping):
        return dict(raw)
    if isinstance(raw, str) and raw.strip().startswith("{"):
        value = _flow(raw.strip())
        if isinstance(value, dict):
            return value
    raise VarError(
        name, f"expected a mapping (like {{vlan: 100}} or a JSON object), got {_given(raw)}"
    )


def _to_ip(raw: Any, name: str) -> str:
    if isinstance(raw, ipaddress.IPv4Address | ipaddress.IPv6Address):
        return str(raw)
    if isinstance(raw, str):
        try:
            return str(ipaddress.ip_address(raw.strip()))
        except ValueError:
            pass
    raise VarError(
        name,
        f"expected an IP address (IPv4 like 10.0.0.1 or IPv6 like 2001:db8::1), got {_given(raw)}",
    )


def _to_cidr(raw: Any, name: str) -> str:
    if isinstance(raw, ipaddress.IPv4Network | ipaddress.IPv6Network):
        return str(raw)
    if isinstance(raw, str):
        try:
            return str(ipaddress.ip_network(raw.strip(), strict=False))
        except ValueError:
            pass
    raise VarError(
        name, f"expected a network like 100.64.0.0/22 or 2001:db8::/48, got {_given(raw)}"
    )


def _to_mac(raw: Any, name: str) -> str:
    if isinstance(raw, str):
        text = raw.strip()
        for form in _MAC_FORMS:
            match = form.fullmatch(text)
            if match:
                digits = "".join(match.groups()).lower()
                return ":".join(digits[i : i + 2] for i in range(0, 12, 2))
    raise VarError(
        name,
        f"expected a MAC address (aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff, "
        f"aabb-ccdd-eeff or aabbccddeeff), got {_given(raw)}",
    )


def _to_serial(raw: Any, name: str) -> str:
    if isinstance(raw, str):
        text = raw.strip()
        if _SERIAL_VENDOR.fullmatch(text) or _SERIAL_HEX.fullmatch(text):
            return text.upper()
    raise VarError(
        name,
        f"expected a GPON ONU serial: 4-letter vendor id + 8 hex digits (HWTC1A2B3C4D) "
        f"or 16 hex digits (485754431A2B3C4D), got {_given(raw)}",
    )


_CONVERTERS = {
    "str": _to_str,
    "int": _to_int,
    "float": _to_float,
    "bool": _to_bool,
    "dict": _to_dict,
    "ip": _to_ip,
    "cidr": _to_cidr,
    "mac": _to_mac,
    "serial": _to_serial,
    "host": lambda raw, name: _to_str(raw, name).strip(),
    "contract": lambda raw, name: _to_str(raw, name).strip(),
    "text": lambda raw, name: _to_cli_text(raw, name),
}


def _to_cli_text(raw: Any, name: str) -> str:
    from ispflow.core.guard import UnsafeValueError, check_cli_value

    text = _to_str(raw, name)
    try:
        check_cli_value(text, name)
    except UnsafeValueError as exc:
        raise VarError(name, f"{exc.reason} (it goes into a device command)") from None
    return text


def _check_bounds(spec: VarSpec, amount: float, unit: str | None) -> None:
    if spec.min is None and spec.max is None:
        return
    if unit is None:
        shown = _number(amount)
        if spec.min is not None and amount < spec.min:
            raise VarError(spec.name, f"{shown} is below the minimum {_number(spec.min)}")
        if spec.max is not None and amount > spec.max:
            raise VarError(spec.name, f"{shown} is above the maximum {_number(spec.max)}")
        return
    if spec.min is not None and amount < spec.min:
        raise VarError(
            spec.name, f"has {_number(amount)} {unit}; the minimum is {_number(spec.min)}"
        )
    if spec.max is not None and amount > spec.max:
        raise VarError(
            spec.name, f"has {_number(amount)} {unit}; the maximum is {_number(spec.max)}"
        )


def _check_item(spec: VarSpec, label: str, value: Any, clock: _PatternClock) -> None:
    if spec.pattern is not None:
        text = value if isinstance(value, str) else _text_form(value)
        if not _fullmatch(spec.pattern, text, clock, label):
            raise VarError(label, f"{quoted(text)} does not match the pattern {spec.pattern!r}")
    if spec.choices is not None and value not in spec.choices:
        shown = ", ".join(quoted(c) for c in spec.choices[:20])
        more = f" (and {len(spec.choices) - 20} more)" if len(spec.choices) > 20 else ""
        hint = (
            did_you_mean(str(value), [str(c) for c in spec.choices])
            if isinstance(value, str)
            else ""
        )
        raise VarError(label, f"{quoted(value)} is not one of {shown}{more}{hint}")


# -- patterns ----------------------------------------------------------------------------------
@contextmanager
def pattern_time_budget(seconds: float = PATTERN_BUDGET) -> Iterator[None]:
    """Share ``seconds`` of pattern matching among all checks made inside the block."""
    token = _budget.set(_PatternClock(seconds, _budget.get()))
    try:
        yield
    finally:
        _budget.reset(token)


def _fullmatch(pattern: str, text: str, clock: _PatternClock, label: str) -> bool:
    try:
        compiled = _compiled(pattern)
    except _BadPattern as exc:  # a VarSpec made in code skips spec_from_mapping's check
        raise VarError(label, f"'pattern' {exc}") from None
    started = time.monotonic()
    try:
        left = clock.left()
        if left <= 0:
            raise TimeoutError
        return compiled.fullmatch(text, timeout=left) is not None
    except TimeoutError:
        raise VarError(
            label,
            f"the pattern {pattern!r} takes too long to match {quoted(text)} "
            f"(more than {PATTERN_TIMEOUT:g} s): it backtracks; avoid a repeat inside a "
            f"repeat like (a+)+ and alternatives that match the same text like (a|ab)*",
        ) from None
    finally:
        clock.spend(time.monotonic() - started)


class _BadPattern(ValueError):
    """A pattern that cannot be used, with why; ``str()`` reads "is longer than ..."."""


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> Any:
    problem = _static_problem(pattern)
    if problem is not None:
        raise _BadPattern(problem)
    import regex  # loaded for runbooks that have patterns, not on every start

    try:
        return regex.compile(pattern, regex.VERSION0)
    except Exception as exc:  # the engine's own refusals, whatever their type
        raise _BadPattern(f"is not a valid regular expression: {exc}") from None


def pattern_problem(pattern: str) -> str | None:
    """Why ``pattern`` cannot be a var's pattern, or None when it can."""
    try:
        _compiled(pattern)
    except _BadPattern as exc:
        return str(exc)
    return None


def _static_problem(pattern: str) -> str | None:
    """What is wrong with a pattern before the regex engine sees it (which could blow up)."""
    if len(pattern) > PATTERN_MAX_LENGTH:
        return f"is longer than {PATTERN_MAX_LENGTH} characters"
    problem = _scan_pattern(pattern)
    if problem is not None:
        return problem
    try:
        tree = sre_parse.parse(pattern)
    except (re.error, OverflowError, RecursionError) as exc:
        return f"is not a valid regular expression: {exc}"
    if _pattern_size(tree) > PATTERN_MAX_SIZE:
        return (
            f"repeats too much: its counted repeats like {{n}} multiply out to more than "
            f"{PATTERN_MAX_SIZE} items"
        )
    return None


def _scan_pattern(pattern: str) -> str | None:
    """Group nesting, and the syntax that the regex engine reads differently from ``re``."""
    depth = 0
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
            continue
        if char == "[":
            index, problem = _skip_set(pattern, index)
            if problem is not None:
                return problem
            continue
        if char == "(":
            depth += 1
            if depth > PATTERN_MAX_NESTING:
                return f"nests groups more than {PATTERN_MAX_NESTING} deep"
        elif char == ")":
            depth = max(0, depth - 1)
        elif char == "{" and not _QUANTIFIER.match(pattern, index):
            return (
                "has a '{' that is not a repeat like {2} or {1,8}: write a literal brace as '\\{'"
            )
        index += 1
    return None


def _skip_set(pattern: str, start: int) -> tuple[int, str | None]:
    """The index after the character set opening at ``start``, or what is wrong inside it."""
    index = start + 1
    if pattern.startswith("^", index):
        index += 1
    if pattern.startswith("]", index):
        index += 1  # a ']' first in a set is a literal
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            index += 2
        elif char == "]":
            return index + 1, None
        elif char == "[":
            return index, "has a '[' inside [...]: write it as '\\['"
        elif char in "-&~|" and pattern.startswith(char, index + 1):
            return index, f"has '{char}{char}' inside [...]: write it as '\\{char}\\{char}'"
        else:
            index += 1
    return index, None  # unterminated: re says so


def _pattern_size(items: Any) -> int:
    """Items the pattern compiles to, counting a counted repeat as that many copies."""
    total = 0
    for op, arg in items:
        if op in _REPEATS:
            low, high, sub = arg
            times = low if high == sre.MAXREPEAT else high
            total += max(1, times) * _pattern_size(sub)
        elif op is sre.SUBPATTERN:
            total += _pattern_size(arg[3])
        elif op is sre.BRANCH:
            total += sum(_pattern_size(branch) for branch in arg[1])
        elif op is sre.ATOMIC_GROUP:
            total += _pattern_size(arg)
        elif op in (sre.ASSERT, sre.ASSERT_NOT):
            total += _pattern_size(arg[1])
        elif op is sre.GROUPREF_EXISTS:
            total += _pattern_size(arg[1]) + (_pattern_size(arg[2]) if arg[2] else 0)
        else:
            total += 1
        if total > PATTERN_MAX_SIZE:
            break
    return total


def _text_form(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return str(value)


def _number(value: float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _given(raw: Any) -> str:
    if isinstance(raw, bool):
        return f"the boolean {str(raw).lower()}"
    if isinstance(raw, str):
        return quoted(raw)
    if isinstance(raw, int | float):
        return f"the number {raw}"
    if isinstance(raw, Mapping):
        return "a mapping"
    if isinstance(raw, list | tuple):
        return "a list"
    return type(raw).__name__


# -- specs -------------------------------------------------------------------------------------
def spec_from_mapping(name: str, data: Mapping[str, Any]) -> VarSpec:
    """Build a VarSpec from its YAML mapping, refusing specs that could never work."""
    for key in data:
        if key not in SPEC_KEYS:
            raise VarError(name, f"unknown key '{key}'{did_you_mean(str(key), SPEC_KEYS)}")
    kind = data.get("type", "str")
    items = data.get("items")
    if not isinstance(kind, str):
        raise VarError(name, f"'type' must be a type name, not {_given(kind)}")
    listed = _LIST_TYPE.fullmatch(kind.strip())
    if listed:
        if items is not None:
            raise VarError(name, f"give the element type once: 'type: {kind}' or 'items', not both")
        kind, items = "list", listed.group(1)
    if kind not in VAR_TYPES:
        raise VarError(
            name,
            f"'type' {kind!r} is not a type{_type_hint(kind, VAR_TYPES)}; types: {', '.join(VAR_TYPES)}",
        )
    if items is not None:
        if kind != "list":
            raise VarError(name, f"'items' only applies to type list, not {kind}")
        if not isinstance(items, str) or items not in ITEM_TYPES:
            hint = _type_hint(items, ITEM_TYPES) if isinstance(items, str) else ""
            raise VarError(
                name,
                f"'items' {items!r} is not an element type{hint}; types: {', '.join(ITEM_TYPES)}",
            )

    required = _flag(name, data, "required")
    secret = _flag(name, data, "secret")
    description = data.get("description") or ""
    if not isinstance(description, str):
        raise VarError(name, f"'description' must be text, not {_given(description)}")

    pattern = data.get("pattern")
    if pattern is not None:
        if not isinstance(pattern, str):
            raise VarError(
                name, f"'pattern' must be a regular expression (text), not {_given(pattern)}"
            )
        problem = pattern_problem(pattern)
        if problem is not None:
            raise VarError(name, f"'pattern' {problem}")

    bounds: dict[str, float | None] = {}
    for key in ("min", "max"):
        value = data.get(key)
        if value is not None:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise VarError(name, f"'{key}' must be a number, not {_given(value)}")
            if not math.isfinite(value):
                raise VarError(name, f"'{key}' must be a finite number, not {value}")
            if kind not in _BOUNDED:
                raise VarError(
                    name, f"'{key}' applies to int, float, text and list vars, not {kind}"
                )
        bounds[key] = value
    if bounds["min"] is not None and bounds["max"] is not None and bounds["min"] > bounds["max"]:
        raise VarError(
            name,
            f"'min' ({_number(bounds['min'])}) is greater than 'max' ({_number(bounds['max'])})",
        )

    choices = data.get("choices")
    if choices is not None:
        if not isinstance(choices, list | tuple) or not choices:
            raise VarError(name, "'choices' must be a non-empty list")
        element = (items or "str") if kind == "list" else kind
        converted = []
        for choice in choices:
            try:
                converted.append(_convert(element, choice, name))
            except VarError as exc:
                raise VarError(
                    name, f"'choices': {choice!r} is not a valid {element}: {exc.message}"
                ) from None
        choices = tuple(converted)
    spec = VarSpec(
        name=name,
        type=kind,
        required=required,
        pattern=pattern,
        choices=choices,
        min=bounds["min"],
        max=bounds["max"],
        secret=secret,
        description=description,
        items=items,
    )

    if "default" in data:
        if required:
            raise VarError(
                name,
                "'required' and 'default' contradict each other; a var with a default is optional",
            )
        default = data["default"]
        if default is not None:
            try:
                default = coerce(spec, default)
            except VarError as exc:
                raise VarError(
                    name, f"'default' {default!r} fails its own checks: {exc.message}"
                ) from None
        spec = replace(spec, default=default)
    return spec


def _type_hint(kind: str, known: tuple[str, ...]) -> str:
    alias = _TYPE_ALIASES.get(kind.lower())
    if alias in known:
        return f" (did you mean '{alias}'?)"
    return did_you_mean(kind, known)


def _flag(name: str, data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key, False)
    if not isinstance(value, bool):
        raise VarError(name, f"'{key}' must be true or false, not {_given(value)}")
    return value


# -- resolving a run's vars ------------------------------------------------------------------------
def resolve_vars(specs: Mapping[str, VarSpec], given: Mapping[str, Any]) -> dict[str, Any]:
    """The value of every declared var (given, default or None); all problems raised together."""
    with pattern_time_budget():
        return _resolve_vars(specs, given)


def _resolve_vars(specs: Mapping[str, VarSpec], given: Mapping[str, Any]) -> dict[str, Any]:
    errors: list[VarError] = []
    values: dict[str, Any] = {}
    for key in given:
        if key not in specs:
            errors.append(
                VarError(str(key), f"this runbook has no such var{did_you_mean(str(key), specs)}")
            )
    for name, spec in specs.items():
        if name in given:
            try:
                values[name] = coerce(spec, given[name])
            except VarError as exc:
                errors.append(exc)
        elif spec.default is not MISSING:
            # Defaults are shared by every run of the runbook; a run gets its own copy.
            default = spec.default
            values[name] = copy.deepcopy(default) if isinstance(default, list | dict) else default
        elif spec.required:
            errors.append(VarError(name, "is required but was not given"))
        else:
            values[name] = None
    if errors:
        raise VarErrors(errors)
    return values


def mask_secrets(specs: Mapping[str, VarSpec], values: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``values`` safe to log or store: secret vars are replaced by a mask."""
    masked = {}
    for name, value in values.items():
        spec = specs.get(name)
        masked[name] = MASK if spec is not None and spec.secret and value is not None else value
    return masked
