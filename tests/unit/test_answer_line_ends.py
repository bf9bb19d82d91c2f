"""Line ends of an OLT's answer come out as netmiko makes them, however they arrive."""

from __future__ import annotations

import itertools

import pytest
from netmiko.base_connection import BaseConnection

from ispflow.plugins.connections.olt_cli import BlockingReads


class _Reads(BlockingReads, BaseConnection):
    pass


def test_every_mix_of_line_ends_reads_as_netmiko_reads_it() -> None:
    reads = object.__new__(_Reads)
    reads.RESPONSE_RETURN = "\n"
    plain = object.__new__(BaseConnection)
    plain.RESPONSE_RETURN = "\n"
    pieces = ["a", "\r", "\n", "\r\n", "\n\r", "\r\r\n", " b "]
    for size in range(1, 6):
        for parts in itertools.product(pieces, repeat=size):
            text = "".join(parts)
            assert reads.normalize_linefeeds(text) == plain.normalize_linefeeds(text), repr(text)


def test_a_table_with_blank_lines_needs_no_pattern(monkeypatch: pytest.MonkeyPatch) -> None:
    """CRLF line ends with blank lines between them (every table's) take the plain replaces;
    netmiko's patterns are kept for the mixes only they read right."""
    reads = object.__new__(_Reads)
    reads.RESPONSE_RETURN = "\n"
    asked: list[str] = []
    monkeypatch.setattr(
        BaseConnection, "normalize_linefeeds", lambda self, text: asked.append(text) or text
    )
    table = "  ONT  Run\r\n\r\n  0    online\r\n  1    offline\r\n\r\nMA5800#"
    assert reads.normalize_linefeeds(table) == table.replace("\r\n", "\n")
    assert asked == []
    reads.normalize_linefeeds("a\n\rb")
    assert asked == ["a\n\rb"]
