"""What every vendor's output parsers share: errors, dispatch by command, value helpers.

Records use one set of keys across vendors: `onu_id` (int), `port` ("0/1/3", no spaces),
`serial` (4 letters + 8 hex when the device shows a GPON serial), `rx_dbm`, `tx_dbm`,
`olt_rx_dbm` (float, None when the ONU is offline), `run_state` as the device says it.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any, ClassVar

from ispflow.plugins.olt.cleanup import clean_lines

Record = dict[str, Any]
Parser = Callable[[str, str], list[Record]]


class DeviceError(Exception):
    """The device refused the command; the message is the device's own."""

    def __init__(self, message: str, command: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.command = command


class ParseError(ValueError):
    pass


class UnreadableOutput(ParseError):
    """A non-empty answer in a layout the parser does not know: never an empty list.

    `line` is the first line it could not read; `model` and `saved_to` (where the raw answer
    was kept for a bug report) are filled in by the layers that know them.
    """

    def __init__(self, vendor: str, command: str, line: str, why: str = "") -> None:
        self.vendor = vendor
        self.command = command
        self.line = line
        self.why = why
        self.model = ""
        self.saved_to = ""
        super().__init__(self.describe())

    def describe(self) -> str:
        device = " ".join(part for part in (self.vendor, self.model) if part)
        text = (
            f"{device}: cannot read the answer to {self.command!r}: "
            f"{self.why or 'a line in a layout ispflow does not know'}: {self.line.strip()!r}"
        )
        if self.saved_to:
            text += f" (raw answer kept in {self.saved_to}; attach it to a bug report)"
        return text

    def located(self, model: str = "", saved_to: str = "") -> UnreadableOutput:
        self.model = model or self.model
        self.saved_to = saved_to or self.saved_to
        self.args = (self.describe(),)
        return self


class Nothing(list):  # type: ignore[type-arg]
    """An empty result a parser recognised as such (a PON's configuration with no ONU in
    it): not to be taken for an answer it could not read."""


class VendorParsers:
    """A vendor's parsers, picked by the device command they read the answer of."""

    vendor: ClassVar[str] = ""
    # (command pattern, method name); the first pattern that matches the whole command wins.
    commands: ClassVar[tuple[tuple[str, str], ...]] = ()
    # Parsers of commands that change or move through modes: an answer without records is
    # what they expect. Every other parser reads something, and an answer it cannot turn
    # into records is an error unless it is one of the vendor's "nothing there" answers.
    change_parsers: ClassVar[frozenset[str]] = frozenset({"no_records"})
    # Lines by which the device says a list is empty ("no ONTs found"), as a whole line.
    nothing_there: ClassVar[re.Pattern[str]] = re.compile(r"$^")
    # Words in lower case, one of which every `nothing_there` line holds in some case: an
    # answer whose lower-cased text has none of them is not searched (tables run to
    # thousands of lines, and a pattern anchored at line starts is tried at every
    # character). No i or s in them: IGNORECASE also takes ı, İ and ſ for those, which do
    # not lower-case to them. Empty: every answer is searched.
    nothing_there_words: ClassVar[tuple[str, ...]] = ()
    # Keywords typed in full by the read commands: what an abbreviation (`dis`, `sh`) can
    # stand for, as the device's own CLI completes a unique prefix.
    keywords: ClassVar[tuple[str, ...]] = ()
    # Per table parser, a pattern matching its header lines: a table with a header and no
    # row is an empty list, said in the table's own way.
    table_headers: ClassVar[dict[str, str]] = {}

    def __init__(self) -> None:
        self._table = [
            (re.compile(pattern, re.IGNORECASE), getattr(self, name), name)
            for pattern, name in self.commands
        ]
        self._headers = {
            name: re.compile(pattern, re.IGNORECASE) for name, pattern in self.table_headers.items()
        }
        # Most answers have no such line: one search of the whole text says so.
        self._nothing_anywhere = re.compile(
            self.nothing_there.pattern, self.nothing_there.flags | re.MULTILINE
        )

    def parse(self, command: str, output: str) -> list[Record]:
        try:
            base, parser, name = self._parser(command)
        except ParseError:
            self.check_refused(command, output)  # a refusal says more than "no parser"
            raise
        reads = name not in self.change_parsers
        output = _without_echo(output, command, base)
        if reads and self.says_nothing_there(output, base):
            return []
        self.check_refused(base, output)
        try:
            records = parser(base, output)
        except UnreadableOutput as exc:
            exc.command = command  # as the user typed it, not as completed
            raise exc.located() from None
        if reads and not records and not isinstance(records, Nothing):
            header = self._headers.get(name)
            leftover = [
                line
                for line in self.unread_lines(base, output)
                if not (header is not None and header.search(line))
            ]
            if leftover:
                raise UnreadableOutput(
                    self.vendor, command, leftover[0], "no record and no known empty answer"
                )
        return records

    def is_read(self, command: str) -> bool:
        """True for a command whose answer is read into records (not a change or mode move)."""
        try:
            return self._parser(command)[2] not in self.change_parsers
        except ParseError:
            return False

    def _parser(self, command: str) -> tuple[str, Parser, str]:
        """The command as the parsers know it (whole words), its parser and the parser's name.

        `| no-more`, `| include x`: the filter changes lines, not their format. Typed
        abbreviations (`dis ont`, `sh gpon onu st`) are completed the way the device's CLI
        completes a unique prefix, when the command as typed matches nothing.
        """
        typed = " ".join(command.split()).split("|")[0].strip()
        expanded = " ".join(self._complete(word) for word in typed.split())
        for base in dict.fromkeys((typed, expanded)):
            for pattern, parser, name in self._table:
                if pattern.fullmatch(base):
                    return base, parser, name
        raise ParseError(f"no {self.vendor} parser for command {command!r}")

    def _complete(self, word: str) -> str:
        lowered = word.lower()
        if not lowered.replace("-", "").isalpha() or lowered in self.keywords:
            return word
        matches = [k for k in self.keywords if k.startswith(lowered)]
        return matches[0] if len(matches) == 1 else word

    def says_nothing_there(self, output: str, command: str | None = None) -> bool:
        """True when the answer is only the device saying the list is empty."""
        words = self.nothing_there_words
        if words:
            lowered = output.lower()
            if not any(word in lowered for word in words):
                return False
        if not self._nothing_anywhere.search(output):
            return False
        lines = [line for line in clean_lines(output, command) if not is_layout(line)]
        return bool(lines) and all(self.nothing_there.search(line) for line in lines)

    def unread_lines(self, command: str, output: str) -> list[str]:
        """Lines of an answer that say something: not blank, not rules, not the echo."""
        return [line for line in clean_lines(output, command) if not is_layout(line)]

    def unread(self, command: str, lines: list[str]) -> None:
        """Raise for the first line a table parser could not place (a row in another
        layout); the device's "nothing there" lines are not rows."""
        lines = [line for line in lines if not self.nothing_there.search(line)]
        if lines:
            raise UnreadableOutput(
                self.vendor, command, lines[0], f"{len(lines)} line(s) in a layout not known"
            )

    def check_refused(self, command: str, output: str) -> None:
        """Raise DeviceError when the output is the device refusing the command."""


def table_rows(
    lines: list[str], row: re.Pattern[str], header: re.Pattern[str]
) -> tuple[list[re.Match[str]], list[str]]:
    """The rows of a table, and the lines under its header that are neither rows nor layout
    (the lines the caller reports). Lines above the header (banners, notes) are not the
    table's."""
    rows: list[re.Match[str]] = []
    stray: list[str] = []
    in_table = False
    for line in lines:
        found = row.match(line)
        if found:
            rows.append(found)
        elif header.search(line):
            in_table = True
        elif in_table and not is_layout(line):
            stray.append(line)
    return rows, stray


def _without_echo(output: str, typed: str, base: str) -> str:
    """The answer without the echo of an abbreviated command (Huawei repeats the command as
    typed under `Command:`); the parsers know the command only in full words."""
    typed = " ".join(typed.split()).split("|")[0].strip()
    if typed.lower() == base.lower():
        return output
    wanted = typed.lower()
    return "\n".join(
        line for line in output.split("\n") if " ".join(line.split()).lower() != wanted
    )


def is_layout(line: str) -> bool:
    """A blank line or a rule of dashes / equals signs: table layout, no content."""
    return set(line.strip()) <= {"-", "=", " ", "+"}


# -- values -----------------------------------------------------------------------------
_EMPTY = {"", "-", "--", "n/a", "N/A", "NA"}
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def text_or_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return None if value in _EMPTY else value


@functools.lru_cache(maxsize=8192)
def number(value: str | None) -> float | None:
    """The first number in `value` ("-18.18", "-16.676(dbm)", "55(C)"); None for -, N/A.

    Remembered: a fleet audit reads about seven numbers per ONU and they repeat (a few
    hundred power levels, temperatures, voltages), so most are looked up, not read again."""
    if value is None:
        return None
    if "(" in value:  # "-16.676(dbm)": float() would refuse it, at the cost of an exception
        return _number_in(value)
    try:
        bare = float(value)  # the common case, a plain number: one call instead of three
    except ValueError:
        return _number_in(value)
    # float() also takes "nan", "inf", "1e5" and "1_0", which a device's number is not.
    if bare - bare == 0.0 and "e" not in value and "E" not in value and "_" not in value:
        return bare
    return _number_in(value)


def _number_in(value: str) -> float | None:
    value = text_or_none(value)
    if value is None:
        return None
    found = _NUMBER.search(value)
    return float(found.group()) if found else None


def integer(value: str | None) -> int | None:
    found = number(value)
    return None if found is None else int(found)


def port_text(value: str) -> str:
    """ "0/ 1/0" -> "0/1/0" """
    return re.sub(r"\s+", "", value)


# 16 hex digits (the vendor id as ASCII hex), or 4 letters or digits, maybe a dash, 8 hex.
_SERIAL_FORMS = re.compile(r"(?P<hex>[0-9A-Fa-f]{16})|([A-Za-z0-9]{4})-?([0-9A-Fa-f]{8})")
# The vendor id's 4 bytes as ASCII: 0x30-0x5A or 0x61-0x7A each.
_VENDOR_BYTES = re.compile(rb"[0-Za-z]{4}")
_SHOWN_SERIAL = re.compile(r"\(([A-Za-z0-9]{4})-([0-9A-Fa-f]{8})\)")


def gpon_serial(value: str | None) -> str | None:
    """A GPON serial as 4 letters + 8 hex: from 16 hex digits, `HWTC-1A2B3C4D` or as shown."""
    value = text_or_none(value)
    if value is None:
        return None
    shown = _SHOWN_SERIAL.search(value) if "(" in value else None
    if shown:
        return (shown.group(1) + shown.group(2)).upper()
    head = value.split()[0]
    form = _SERIAL_FORMS.fullmatch(head)
    if form is None:
        return head
    if form["hex"] is not None:
        vendor = _vendor_id(head[:8])
        return head.upper() if vendor is None else vendor + head[8:].upper()
    return (form[2] + form[3]).upper()


@functools.lru_cache(maxsize=1024)
def _vendor_id(digits: str) -> str | None:
    """The vendor id that 8 hex digits spell in ASCII, upper-cased; None when they spell
    none. A fleet has a few vendors and tens of thousands of serials."""
    vendor = bytes.fromhex(digits)
    return vendor.decode("ascii").upper() if _VENDOR_BYTES.fullmatch(vendor) else None


def key_values(lines: list[str]) -> list[dict[str, str]]:
    """`Key : value` blocks between dashed rules, continuation lines joined to their value."""
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last_key: str | None = None
    for line in lines:
        stripped = line.strip()
        if not stripped or set(stripped) <= {"-", " "}:
            if current and set(stripped) <= {"-", " "} and stripped:
                blocks.append(current)
                current, last_key = {}, None
            continue
        key, sep, value = stripped.partition(":")
        if sep and key.strip() and not key.startswith(" "):
            # Values may hold colons themselves (times): only the first one splits.
            last_key = key.strip()
            current[last_key] = value.strip()
        elif last_key is not None and len(line) - len(line.lstrip()) >= 10:
            # A long value wraps onto a line indented under the values.
            current[last_key] = current[last_key] + stripped
    if current:
        blocks.append(current)
    return blocks
