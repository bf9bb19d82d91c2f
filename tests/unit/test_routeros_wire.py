"""RouterOS API framing: the lab's encoder against the client's batch parser, in pieces."""

from __future__ import annotations

import pytest
from librouteros.protocol import encode_word

from ispflow.lab.routeros.wire import encode_length, encode_sentence
from ispflow.plugins.concentrator.mikrotik.connection import (
    _attributes,
    _split_sentences,
    check_encoding,
)


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


def _client_sentence(words: list[str], encoding: str) -> bytes:
    return b"".join(encode_word(word, encoding) for word in words) + b"\x00"


def test_words_past_ascii_come_out_in_the_concentrators_encoding() -> None:
    # `ç`, `ê` and `€` are one byte each in Windows-1252 (0xE7, 0xEA, 0x80): bytes past ASCII
    # inside a word are neither length prefixes nor Latin-1 text. The long word's own length
    # takes two bytes.
    words = ["!re", "=comment=inadimplência Conceição", "=note=€ 10,00", "=c=" + "ç" * 200]
    stream = _client_sentence(words, "cp1252") + _client_sentence(["!done"], "cp1252")
    found, used = _split_sentences(bytearray(stream), "cp1252")
    assert found == [words, ["!done"]]
    assert used == len(stream)
    # The same bytes read in another code page are that code page's characters.
    found, _ = _split_sentences(bytearray(_client_sentence(["=c=Łódź"], "cp1250")), "cp1250")
    assert found == [["=c=Łódź"]]


@pytest.mark.parametrize(
    ("text", "typed"),
    [
        ("0", 0), ("-5", -5), ("4294967296", 4294967296),
        ("-0", "-0"), ("05", "05"), ("-05", "-05"), ("1_000", "1_000"), (" 5", " 5"),
        ("٣", "٣"), ("10.0.0.1", "10.0.0.1"), ("-", "-"), ("", ""), ("Yes", "Yes"),
        ("true", True), ("no", False),
    ],
)  # fmt: skip
def test_a_value_is_a_number_only_where_it_reads_back_the_same(text: str, typed: object) -> None:
    value = _attributes(["!re", f"=v={text}"])["v"]
    assert value == typed
    assert type(value) is type(typed)


@pytest.mark.parametrize("encoding", ["cp1252", "cp1250", "utf-8", "latin-1"])
def test_code_pages_that_write_ascii_as_ascii_are_taken(encoding: str) -> None:
    check_encoding(encoding)


@pytest.mark.parametrize(
    ("encoding", "said"),
    [("utf-16", "does not write ASCII as ASCII"), ("cp037", "does not write ASCII as ASCII"),
     ("utf-8-sig", "does not write ASCII as ASCII"), ("idna", "does not write ASCII as ASCII"),
     ("win-1252", "unknown encoding 'win-1252'")],
)  # fmt: skip
def test_an_encoding_that_would_garble_the_api_words_is_refused(encoding: str, said: str) -> None:
    with pytest.raises(ValueError, match=said):
        check_encoding(encoding)
