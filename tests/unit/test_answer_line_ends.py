"""Line ends of an OLT's answer come out as netmiko makes them, however they arrive."""

from __future__ import annotations

import itertools

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
    for size in range(1, 5):
        for parts in itertools.product(pieces, repeat=size):
            text = "".join(parts)
            assert reads.normalize_linefeeds(text) == plain.normalize_linefeeds(text), repr(text)
