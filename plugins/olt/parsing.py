"""What every vendor's output parsers share: errors, dispatch by command, value helpers.

Records use one set of keys across vendors: `onu_id` (int), `port` ("0/1/3", no spaces),
`serial` (4 letters + 8 hex when the device shows a GPON serial), `rx_dbm`, `tx_dbm`,
`olt_rx_dbm` (float, None when the ONU is offline), `run_state` as the device says it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, ClassVar

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


class VendorParsers:
    """A vendor's parsers, picked by the device command they read the answer of."""

    vendor: ClassVar[str] = ""
    # (command pattern, method name); the first pattern that matches the whole command wins.
    commands: ClassVar[tuple[tuple[str, str], ...]] = ()

    def __init__(self) -> None:
        self._table = [
            (re.compile(pattern, re.IGNORECASE), getattr(self, name))
            for pattern, name in self.commands
        ]

    def parse(self, command: str, output: str) -> list[Record]:
        wanted = " ".join(command.split())
        # `| no-more`, `| include x`: the filter changes lines, not their format.
        base = wanted.split("|")[0].strip()
        self.check_refused(command, output)
        for pattern, parser in self._table:
            if pattern.fullmatch(base):
                return parser(base, output)
        raise ParseError(f"no {self.vendor} parser for command {command!r}")

    def check_refused(self, command: str, output: str) -> None:
        """Raise DeviceError when the output is the device refusing the command."""


# -- values -----------------------------------------------------------------------------
_EMPTY = {"", "-", "--", "n/a", "N/A", "NA"}
_NUMBER = re.compile(r"[-+]?\d+(?:\.\d+)?")


def text_or_none(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return None if value in _EMPTY else value


def number(value: str | None) -> float | None:
    """The first number in `value` ("-18.18", "-16.676(dbm)", "55(C)"); None for -, N/A."""
    if value is None:
        return None
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


_HEX_SERIAL = re.compile(r"[0-9A-Fa-f]{16}")
_VENDOR_SERIAL = re.compile(r"([A-Za-z0-9]{4})-?([0-9A-Fa-f]{8})")


def gpon_serial(value: str | None) -> str | None:
    """A GPON serial as 4 letters + 8 hex: from 16 hex digits, `HWTC-1A2B3C4D` or as shown."""
    value = text_or_none(value)
    if value is None:
        return None
    shown = re.search(r"\(([A-Za-z0-9]{4})-([0-9A-Fa-f]{8})\)", value)
    if shown:
        return (shown.group(1) + shown.group(2)).upper()
    head = value.split()[0]
    if _HEX_SERIAL.fullmatch(head):
        vendor = bytes.fromhex(head[:8])
        if all(0x30 <= b <= 0x5A or 0x61 <= b <= 0x7A for b in vendor):
            return vendor.decode("ascii").upper() + head[8:].upper()
        return head.upper()
    vendor_form = _VENDOR_SERIAL.fullmatch(head)
    if vendor_form:
        return (vendor_form.group(1) + vendor_form.group(2)).upper()
    return head


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
