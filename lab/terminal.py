"""The device side of a raw PTY: echo, line endings, control characters.

OLT CLIs echo what they read themselves (the client's PTY is raw), so the echo happens when
a line is consumed: type-ahead sent during a long command shows up after the next prompt,
as on the real boxes. CR, LF and CRLF all end a line; NUL (netmiko's keep-alive probe) and
other control bytes are dropped.

A command's output and the prompt after it go out together (`gather`, then `flush`), as a
box's sshd reads them from its terminal in one piece: written one by one, each would be an
SSH packet of its own, twice the packets a client decrypts and wakes up for.

A device's latency is the time from a command line to its answer (`answer_in`): the lab makes
the answer at once and holds it until then. Made after the wait, its making would be added
to every answer, and twenty sessions woken at once would queue behind each other's tables.
"""

from __future__ import annotations

import asyncio
from typing import Protocol


class Reader(Protocol):
    async def read(self, n: int = -1) -> str: ...


class Writer(Protocol):
    def write(self, data: str) -> None: ...

    async def drain(self) -> None: ...


class Terminal:
    def __init__(self, reader: Reader, writer: Writer, *, echo: bool = True) -> None:
        self._reader = reader
        self._writer = writer
        self.echo = echo
        self._pending = ""
        self._after_cr = False
        self._gathered: list[str] | None = None
        self._due: float | None = None  # loop time before which nothing gathered goes out
        self.closed = False

    def write(self, text: str) -> None:
        if self.closed:
            return
        if self._gathered is not None:
            self._gathered.append(text)
        else:
            self._writer.write(text)

    def gather(self) -> None:
        """Keep what is written from now on until `flush` (or `send`) sends it in one piece."""
        if self._gathered is None:
            self._gathered = []

    def answer_in(self, delay: float) -> bool:
        """Hold what is gathered until `delay` seconds from now; False, holding nothing, when
        nothing is being gathered (the caller waits itself then)."""
        if self._gathered is None:
            return False
        self._due = asyncio.get_running_loop().time() + delay
        return True

    async def when_due(self) -> None:
        """Wait until a held answer may go out."""
        due, self._due = self._due, None
        if due is not None:
            wait = due - asyncio.get_running_loop().time()
            if wait > 0:
                await asyncio.sleep(wait)

    def send(self) -> None:
        """Send what was gathered, and write through again."""
        gathered, self._gathered = self._gathered, None
        if gathered and not self.closed:
            self._writer.write("".join(gathered))

    async def flush(self) -> None:
        await self.when_due()
        self.send()
        if not self.closed:
            await self._writer.drain()

    async def read_line(self) -> str | None:
        """The next line without its ending; None when the client has gone."""
        line: list[str] = []
        while True:
            echoed: list[str] = []
            while self._pending:
                char, self._pending = self._pending[0], self._pending[1:]
                if self._after_cr:
                    self._after_cr = False
                    if char == "\n":
                        continue
                if char in "\r\n":
                    self._after_cr = char == "\r"
                    self._echo("".join(echoed) + "\r\n")
                    return "".join(line)
                if char in "\x08\x7f":
                    if line:
                        line.pop()
                        echoed.append("\x08 \x08")
                    continue
                if char == "\x03":  # Ctrl-C drops the line being typed
                    self._echo("".join(echoed) + "^C\r\n")
                    return ""
                if char < " " and char != "\t":
                    continue
                line.append(char)
                echoed.append(char)
            self._echo("".join(echoed))
            if not await self._fill():
                return None

    async def read_key(self) -> str | None:
        """One keystroke, not echoed (paging prompts)."""
        while True:
            while self._pending:
                char, self._pending = self._pending[0], self._pending[1:]
                if self._after_cr:
                    self._after_cr = False
                    if char == "\n":
                        continue
                if char == "\x00":
                    continue
                self._after_cr = char == "\r"
                return char
            if not await self._fill():
                return None

    def _echo(self, text: str) -> None:
        if self.echo and text:
            self.write(text)

    async def _fill(self) -> bool:
        # A question or pager stop waits for its answer: the client must see it.
        await self.when_due()
        self.send()
        if self.closed:
            return False
        data = await self._reader.read(4096)
        if not data:
            self.closed = True
            return False
        self._pending += data.replace("\x00", "")
        return True
