"""The RouterOS API's framing: length-prefixed words, sentences ended by an empty word.

Lengths use 1 to 4 bytes by their first byte (<0x80, <0xC0, <0xE0, <0xF0); the 5-byte form
and control bytes (first byte >= 0xF0) are refused, as librouteros refuses them too.

RouterOS keeps a word's bytes as given, whatever their encoding: the lab reads and writes
words as Latin-1, which maps every byte to one character and back, so a comment comes back
byte for byte as the client wrote it.
"""

from __future__ import annotations

import asyncio

MAX_WORD = 0x0FFFFFFF
MAX_SENTENCE_WORDS = 10_000


class ProtocolError(ValueError):
    pass


def encode_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    if length < 0x4000:
        return (length | 0x8000).to_bytes(2, "big")
    if length < 0x200000:
        return (length | 0xC00000).to_bytes(3, "big")
    if length <= MAX_WORD:
        return (length | 0xE0000000).to_bytes(4, "big")
    raise ProtocolError(f"word of {length} bytes is too long")


def encode_sentence(words: list[str]) -> bytes:
    out = bytearray()
    for word in words:
        data = word.encode("latin-1", errors="replace")
        out += encode_length(len(data)) + data
    out += b"\x00"
    return bytes(out)


async def _length(reader: asyncio.StreamReader) -> int:
    first = (await reader.readexactly(1))[0]
    if first < 0x80:
        return first
    if first < 0xC0:
        extra, mask = 1, 0x3FFF
    elif first < 0xE0:
        extra, mask = 2, 0x1FFFFF
    elif first < 0xF0:
        extra, mask = 3, 0xFFFFFFF
    else:
        raise ProtocolError(f"control byte {first:#x} where a word length was expected")
    rest = await reader.readexactly(extra)
    return int.from_bytes(bytes([first]) + rest, "big") & mask


async def read_sentence(reader: asyncio.StreamReader) -> list[str]:
    """The next non-empty sentence; IncompleteReadError when the client has gone."""
    while True:
        words: list[str] = []
        while True:
            length = await _length(reader)
            if length == 0:
                break
            data = await reader.readexactly(length)
            words.append(data.decode("latin-1"))
            if len(words) > MAX_SENTENCE_WORDS:
                raise ProtocolError("sentence with too many words")
        if words:  # empty sentences are ignored
            return words
