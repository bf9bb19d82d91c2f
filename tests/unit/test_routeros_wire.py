"""RouterOS API framing: the lab's encoder against the client's batch parser, in pieces."""

from __future__ import annotations

import pytest

from ispflow.lab.routeros.wire import encode_length, encode_sentence
from ispflow.plugins.concentrator.mikrotik.connection import _attributes, _split_sentences


@pytest.mark.parametrize(
    ("length", "size"), [(0, 1), (0x7F, 1), (0x80, 2), (0x3FFF, 2), (0x4000, 3), (0x200000, 4)]
)
def test_length_prefixes_use_the_documented_sizes(length: int, size: int) -> None:
    assert len(encode_length(length)) == size


def test_sentences_split_from_a_stream_that_arrives_in_pieces() -> None:
    long = "=comment=" + "x" * 300  # a two-byte length
    huge = "=data=" + "y" * 20000  # a three-byte length
    stream = (
        encode_sentence(["!re", "=.id=*1", "=name=cliente1001", long])
        + encode_sentence(["!re", huge])
        + encode_sentence(["!done"])
    )
    for cut in range(1, len(stream), 997):
        buffer = bytearray(stream[:cut])
        found, used = _split_sentences(buffer)
        # Only whole sentences come out, and they end exactly where a sentence ends.
        assert all(s[0] in ("!re", "!done") for s in found)
        assert used <= cut
        rest = bytearray(stream[used:])
        more, _ = _split_sentences(rest)
        assert [w for s in found + more for w in s] == [
            "!re", "=.id=*1", "=name=cliente1001", long, "!re", huge, "!done",
        ]  # fmt: skip


def test_attribute_values_are_typed_as_librouteros_types_them() -> None:
    row = _attributes(
        ["!re", "=.id=*1A", "=disabled=false", "=dynamic=yes", "=count=12", "=code=007", "=e="]
    )
    assert row == {
        ".id": "*1A",
        "disabled": False,
        "dynamic": True,
        "count": 12,
        "code": "007",
        "e": "",
    }
