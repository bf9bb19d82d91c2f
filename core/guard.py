"""The last check before a value becomes part of a device command line.

Command templates put runbook vars, CSV cells and store data (customer names, addresses,
PPPoE logins) into CLI text that is typed into an OLT or a RouterOS session. A value must
never be able to end the command it is part of, start another one, or make the CLI do
something other than take it as text. What each refused character would do:

* newline, carriage return - end the line: the rest runs as a second command
  (``desc "x\\nundo ont 0"`` deletes an ONU).
* NUL - C-based CLI parsers and the SSH channel cut the line there.
* tab - Huawei SmartAX, ZTE ZXROS and RouterOS complete the current word instead of
  typing it, so the device sees a different command.
* the other control characters (C0, DEL, C1) - terminals act on them: Ctrl-C aborts the
  line, Ctrl-Z leaves config mode on Huawei and ZTE (the next command runs in the wrong
  mode), Ctrl-U erases the line, backspace edits what was typed, ESC starts a sequence.
* Unicode line and paragraph separators - some tools split lines on them; invisible
  format characters (zero-width, bidi overrides) make a value differ from what a person
  reads in the logs.
* ``;`` - RouterOS separates commands with it on one line.
* ``"`` - ends a quoted argument early; what follows is parsed as more arguments.
* ``\\`` - escapes the next character; in RouterOS ``"x\\"`` escapes the closing quote.
* ``?`` - Huawei, ZTE and RouterOS print context help instead of taking the line.
* ``|`` - Huawei and ZTE read the rest as an output filter (``| include``), so the engine
  would parse different output than the command gives.
* ``$``, ``[`` ``]``, ``{`` ``}`` - RouterOS substitutes variables (even inside quotes),
  runs bracketed text as a command and reads braces as a command block.

A leading ``-`` is allowed (no vendor CLI here reads options from arguments), and so are
``#``, ``'`` and non-ASCII letters (customer names like "D'Ávila" or "Conceição").
Numbers, booleans and None are always safe. Containers are checked item by item, each
under its own name (``desc[0]``, ``opts.vlan``), so an error says which value it was.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

MAX_LENGTH = 255
_MAX_DEPTH = 32

# One regex pass finds any refused ASCII character; the common case (nothing found) is a
# single C-level scan of the string.
_REFUSED_ASCII = re.compile(r'[\x00-\x1f\x7f;"\\?|$\[\]{}]')
_search = _REFUSED_ASCII.search
_SCALARS = frozenset({int, float, bool, type(None)})
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs"})

_SECOND_COMMAND = "it would start a second command on the device"
_REASONS = {
    "\n": f"contains a newline; {_SECOND_COMMAND}",
    "\r": f"contains a carriage return; {_SECOND_COMMAND}",
    "\0": "contains a NUL character; the device CLI would cut the line there",
    "\t": "contains a tab; the device CLI would complete the word instead of typing it",
    ";": "contains ';'; a concentrator CLI would start a second command there",
    '"': "contains '\"'; it would end a quoted argument early and the rest would become more arguments",
    "\\": "contains '\\'; it escapes the next character (in a quoted value, the closing quote)",
    "?": "contains '?'; the device CLI would show help instead of taking the line",
    "|": "contains '|'; an OLT CLI would read the rest as an output filter",
    "$": "contains '$'; a concentrator CLI would substitute a variable there, even inside quotes",
    "[": "contains '['; a concentrator CLI would run the text in brackets as a command",
    "]": "contains ']'; a concentrator CLI would run the text in brackets as a command",
    "{": "contains '{'; a concentrator CLI would read a command block there",
    "}": "contains '}'; a concentrator CLI would read a command block there",
}


class UnsafeValueError(ValueError):
    """A value that must not be typed into a device CLI; says which value and why."""

    def __init__(self, name: str, value: Any, reason: str, where: str | None = None) -> None:
        self.name = name
        self.value = value
        self.reason = reason
        self.where = where
        super().__init__(str(self))

    def __str__(self) -> str:
        at = f" at {self.where}" if self.where else ""
        return f"unsafe value for {self.name!r}{at}: {self.reason}"

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuilt from its fields, so it survives being sent between worker processes.
        return (type(self), (self.name, self.value, self.reason, self.where))


def check_cli_value(value: Any, name: str, max_length: int = MAX_LENGTH) -> None:
    """Raise :class:`UnsafeValueError` if ``value`` (or anything inside it) is unsafe in a CLI."""
    # Numbers and short clean ASCII text are nearly every value; decide those without a call.
    kind = type(value)
    if kind in _SCALARS:
        return
    if kind is str and len(value) <= max_length and value.isascii() and _search(value) is None:
        return
    _check(value, name, max_length, 0)


def check_cli_context(context: Mapping[str, Any], max_length: int = MAX_LENGTH) -> None:
    """Check every entry of a template context, each under its own key name."""
    for key, value in context.items():
        kind = type(value)
        if kind in _SCALARS:
            continue
        if kind is str and len(value) <= max_length and value.isascii() and _search(value) is None:
            continue
        _check(value, str(key), max_length, 0)


def _fine(value: Any, max_length: int) -> bool:
    kind = type(value)
    if kind in _SCALARS:
        return True
    return kind is str and len(value) <= max_length and value.isascii() and _search(value) is None


def _check(value: Any, name: str, max_length: int, depth: int) -> None:
    if value is None or isinstance(value, bool | int | float):
        return
    if isinstance(value, str):
        _check_text(value, value, name, max_length)
        return
    if depth > _MAX_DEPTH:
        raise UnsafeValueError(name, value, f"is nested more than {_MAX_DEPTH} levels deep")
    if isinstance(value, bytes | bytearray):
        try:
            text = bytes(value).decode("utf-8")
        except UnicodeDecodeError:
            raise UnsafeValueError(name, value, "is not UTF-8 text") from None
        _check_text(text, value, name, max_length)
    elif isinstance(value, Mapping):
        for key, item in value.items():
            # Item names are built only for items that need a closer look.
            if isinstance(key, str) and key.isidentifier():
                if not _fine(item, max_length):
                    _check(item, f"{name}.{key}", max_length, depth + 1)
            else:
                child = f"{name}[{key!r}]"
                # A key is rendered as often as a value (``{% for k, v in d.items() %}``).
                _check(key, child, max_length, depth + 1)
                _check(item, child, max_length, depth + 1)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            if not _fine(item, max_length):
                _check(item, f"{name}[{index}]", max_length, depth + 1)
    elif isinstance(value, set | frozenset):
        for item in value:
            _check(item, f"{name}[]", max_length, depth + 1)
    else:
        # Addresses, dates, decimals, enums: what reaches the CLI is their text.
        _check_text(str(value), value, name, max_length)


def _check_text(text: str, value: Any, name: str, max_length: int) -> None:
    found = _REFUSED_ASCII.search(text)
    if found is not None:
        raise UnsafeValueError(name, value, _reason(found.group()))
    if not text.isascii():
        for char in text:
            if ord(char) > 0x7F and unicodedata.category(char) in _REFUSED_CATEGORIES:
                raise UnsafeValueError(name, value, _reason(char))
    if len(text) > max_length:
        raise UnsafeValueError(
            name,
            value,
            f"is {len(text)} characters long; a single CLI value is at most {max_length}",
        )


def _reason(char: str) -> str:
    reason = _REASONS.get(char)
    if reason is not None:
        return reason
    code = f"U+{ord(char):04X}"
    category = unicodedata.category(char)
    if category in ("Zl", "Zp"):
        return f"contains a line separator ({code}); {_SECOND_COMMAND}"
    if category == "Cf":
        label = unicodedata.name(char, "format character")
        return f"contains the invisible {label} ({code}); the value would not read as what it is"
    if category == "Cs":
        return f"contains a lone surrogate ({code}); it is not valid text"
    return f"contains the control character {code}; the device terminal would act on it instead of typing it"
