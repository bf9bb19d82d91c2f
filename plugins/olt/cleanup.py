"""Turning what a CLI session captured into the lines a parser should see.

An OLT's answer arrives with terminal debris: carriage returns, VT100 sequences (a CLI may move
the cursor back over a space with `ESC[1D` after every pager stop), pager prompts, the echoed
command, prompts, smart-mode parameter prompts such as `{ <cr>||<K> }:`, and alarm or log
lines the OLT prints whenever something happens on a PON, even in the middle of a table.
"""

from __future__ import annotations

import functools
import re

from ispflow.plugins.vendors import olt_vendors

_CURSOR_BACK_OVER_SPACE = re.compile(r" ?\x1b\[\d*D")
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][A-Za-z0-9]|\x1b[=>]")
# Control characters but tab and newline (CR is made a newline first); deleted by a table,
# several times cheaper than a pattern tried at every character of a long answer.
_CONTROL = dict.fromkeys([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
# NAME>, NAME#, NAME(config)#, NAME(config-if-gpon-0/1)#, NAME(gpon-onu-mng)#, with what
# was typed after it. The name is taken whole, never given back: no character of it could
# be the `(` or `>`/`#` after it, and a table's rule of dashes would otherwise be retried
# at every dash.
_PROMPT = re.compile(r"^\s*+[\w.\-/]++(?:\([\w.\-/: ]+\))?[>#]")
_SMART_PROMPT = re.compile(r"^\s*\{\s*<cr>.*\}:")
_COMMAND_ECHO_HEADER = re.compile(r"^\s*Command:\s*$")
_WAIT_NOTE = re.compile(r"^\s*Command is being executed\. Please wait", re.IGNORECASE)


def clean_text(text: str) -> str:
    """Terminal debris out: CR, VT100 sequences, control characters and pager prompts."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x1b" in text:  # most answers have none; the patterns would still scan every space
        text = _CURSOR_BACK_OVER_SPACE.sub("", text)
        text = _ANSI.sub("", text)
    words = _pager_words()
    lowered = text.lower() if words else ""
    if words is None or any(word in lowered for word in words):
        text = _pager().sub("", text)
    return text.translate(_CONTROL)


def _normalize_command(text: str) -> str:
    return " ".join(text.split()).lower()


# Every kind of line that is not part of the answer, tried in one pass per line (tables run
# to thousands of rows).
def _scoped(pattern: re.Pattern[str]) -> str:
    flags = ("x" if pattern.flags & re.VERBOSE else "") + (
        "i" if pattern.flags & re.IGNORECASE else ""
    )
    return f"(?{flags}:{pattern.pattern})" if flags else f"(?:{pattern.pattern})"


@functools.cache
def _pager_words() -> tuple[str, ...] | None:
    """What every pager stop of some vendor holds; None when a vendor does not say (then every
    answer is searched)."""
    words: list[str] = []
    for vendor in olt_vendors().values():
        if vendor.pager and not vendor.pager_words:
            return None
        words += vendor.pager_words
    return tuple(dict.fromkeys(words))


@functools.cache
def _pager() -> re.Pattern[str]:
    """Every OLT vendor's pager stop (a run of dashes is tried from its first dash only:
    tables are full of separator lines)."""
    return re.compile(
        "|".join(p for vendor in olt_vendors().values() for p in vendor.pager), re.IGNORECASE
    )


@functools.cache
def _not_answer() -> re.Pattern[str]:
    """Prompts, smart-mode prompts, every vendor's alarm and log lines, notes."""
    alarms = re.compile(
        r"^\s*(?:"
        + "|".join(
            f"(?:{line})" for vendor in olt_vendors().values() for line in vendor.alarm_lines
        )
        + r")$",
        re.VERBOSE,
    )
    return re.compile(
        "|".join(
            _scoped(pattern)
            for pattern in (_PROMPT, _SMART_PROMPT, alarms, _WAIT_NOTE, _COMMAND_ECHO_HEADER)
        )
    )


def clean_lines(text: str, command: str | None = None) -> list[str]:
    """The answer's own lines: no prompts, echo, smart-mode prompts, alarms or notes."""
    wanted = _normalize_command(command) if command else None
    first_word = wanted.split()[0] if wanted else None
    cleaned = clean_text(text)
    if first_word and first_word.isascii() and first_word not in cleaned.lower():
        # No line of it can be the echo: a line starting with the command's first word in
        # any case would put that word in the lower-cased answer.
        first_word = None
    width = len(first_word) if first_word else 0
    lines: list[str] = []
    skip_echo = False
    not_answer = _not_answer()
    for line in cleaned.split("\n"):
        if skip_echo:
            # Some CLIs repeat the command under "Command:" when a smart prompt was answered.
            skip_echo = False
            if wanted and _normalize_command(line).startswith(wanted.split("|")[0].strip()):
                continue
        if not_answer.match(line):
            # A prompt (with whatever was typed at it), a smart-mode prompt, an alarm or note.
            if _COMMAND_ECHO_HEADER.match(line):
                skip_echo = True
            continue
        if (
            first_word
            and line.lstrip()[:width].lower() == first_word
            and _normalize_command(line) == wanted
        ):
            continue  # the echo without a prompt in front
        lines.append(line.rstrip())
    return lines
