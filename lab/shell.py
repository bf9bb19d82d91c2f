"""What every simulated CLI session shares: the read-eval loop, latency, faults, paging, alarms.

A vendor CLI subclasses `Shell` and supplies its prompt, its paging text and `execute()`;
everything that models the box rather than the vendor's syntax lives here.
"""

from __future__ import annotations

import asyncio
import random
import re
from abc import ABC, abstractmethod
from typing import ClassVar, Literal

from ispflow.lab.behaviour import Behaviour
from ispflow.lab.model import LabOlt
from ispflow.lab.terminal import Terminal

Outcome = Literal["logout", "drop", "eof"]


class SessionEnd(Exception):
    """Raised inside a command to end the session: a clean logout, or a cut TCP session."""

    def __init__(self, how: Outcome) -> None:
        super().__init__(how)
        self.how: Outcome = how


class Shell(ABC):
    more_text: ClassVar[str] = "--More--"
    line_end: ClassVar[str] = "\r\n"

    def __init__(
        self,
        olt: LabOlt,
        behaviour: Behaviour,
        term: Terminal,
        *,
        batch: bool = False,
        session: int = 0,
        peer: str = "127.0.0.1",
    ) -> None:
        self.olt = olt
        self.behaviour = behaviour
        self.term = term
        self.batch = batch  # an exec request: no prompts, no paging, no questions
        self.peer = peer
        self.rng = random.Random(f"{behaviour.seed}:{olt.name}:{session}")
        self.commands = 0
        self.unknown_row = False  # this command is answered with the unknown_row_on fault
        self.page_lines = 0 if batch else behaviour.page_lines

    # vendor side --------------------------------------------------------------------------
    @abstractmethod
    def prompt(self) -> str: ...

    def prompt_text(self) -> str:
        return self.prompt()

    @abstractmethod
    async def greet(self) -> None:
        """Whatever the box prints between login and the first prompt."""

    @abstractmethod
    async def execute(self, line: str) -> None: ...

    @abstractmethod
    def alarm_lines(self) -> list[str]: ...

    def erase_more(self) -> str:
        return "\r" + " " * len(self.more_text) + "\r"

    @abstractmethod
    def prepare_batch(self) -> None:
        """Exec requests start where an automation user wants to be (vendor decides)."""

    # the loop -----------------------------------------------------------------------------
    async def run(self) -> Outcome:
        try:
            await self.greet()
            while True:
                self.term.write(self.prompt_text())
                await self.term.flush()
                line = await self.term.read_line()
                if line is None:
                    return "eof"
                self.term.gather()  # the answer goes out with the prompt after it
                await self.command(line)
        except SessionEnd as end:
            await self.term.when_due()
            self.term.send()  # what the command wrote before the session ended
            return end.how

    async def run_batch(self, text: str) -> Outcome:
        self.prepare_batch()
        try:
            for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
                if line.strip():
                    await self.command(line)
            await self.term.flush()
        except SessionEnd as end:
            return end.how
        return "logout"

    async def command(self, line: str) -> None:
        self.unknown_row = False
        if line.strip():
            self.commands += 1
            drop_after = self.behaviour.drop_after
            if drop_after is not None and self.commands > drop_after:
                raise SessionEnd("drop")
            drop_on = self.behaviour.drop_on
            if drop_on and drop_on in line:
                raise SessionEnd("drop")  # before the OLT acts on it: the line is lost
            if await self.behaviour.hold(line):
                raise SessionEnd("drop")  # held, never run; the client is gone by now
            unknown_on = self.behaviour.unknown_row_on
            self.unknown_row = bool(unknown_on and unknown_on in line)
            delay = self.behaviour.per_command()
            if delay > 0 and not self.term.answer_in(delay):
                await asyncio.sleep(delay)  # an exec request's output is not held back
        await self.execute(line)

    # output -------------------------------------------------------------------------------
    def write_lines(self, lines: list[str]) -> None:
        if lines:
            self.term.write(self.line_end.join(lines) + self.line_end)

    async def emit(
        self, lines: list[str], *, paged: bool = True, filter_: str | None = None
    ) -> None:
        """Write a command's output: filtered, with an alarm maybe, paged if the client wants it."""
        if filter_:
            lines = apply_filter(lines, filter_)
        if self.unknown_row:
            lines = with_unknown_row(lines)
        lines = self._with_alarm(lines)
        size = self.page_lines
        if not paged or self.batch or size <= 0 or len(lines) <= size:
            self.write_lines(lines)
            return
        shown = 0
        step = size
        while shown < len(lines):
            self.write_lines(lines[shown : shown + step])
            shown += step
            if shown >= len(lines):
                return
            self.term.write(self.more_text)
            await self.term.flush()
            key = await self.term.read_key()
            self.term.write(self.erase_more())
            if key is None:
                raise SessionEnd("eof")
            if key in "qQ\x03":
                return
            step = 1 if key in "\r\n" else size

    def _with_alarm(self, lines: list[str]) -> list[str]:
        rate = self.behaviour.alarm_rate
        if rate <= 0 or len(lines) < 3 or self.rng.random() >= rate:
            return lines
        at = self.rng.randrange(1, len(lines))
        return lines[:at] + self.alarm_lines() + lines[at:]

    async def ask(self, question: str) -> bool:
        """A y/n question; the answer is a line (netmiko sends `y` + Enter)."""
        self.term.write(question)
        await self.term.flush()
        answer = await self.term.read_line()
        if answer is None:
            raise SessionEnd("eof")
        return answer.strip().lower() in ("y", "yes")


# Starts like a row (a number) but fits no vendor's row: the `unknown_row_on` fault.
UNKNOWN_ROW = "  64   ???   a row in a layout ispflow does not know"


def with_unknown_row(lines: list[str]) -> list[str]:
    """The answer with UNKNOWN_ROW in the middle of it."""
    middle = len(lines) // 2
    return [*lines[:middle], UNKNOWN_ROW, *lines[middle:]]


def split_filter(line: str) -> tuple[str, str | None]:
    """`display … | no-more` / `show … | include X`: the command and what follows the bar."""
    if "|" not in line:
        return line, None
    command, _, rest = line.partition("|")
    return command.rstrip(), rest.strip()


def apply_filter(lines: list[str], filter_: str) -> list[str]:
    verb, _, pattern = filter_.partition(" ")
    verb = verb.lower()
    pattern = pattern.strip().strip('"')
    try:
        regex = re.compile(pattern) if pattern else None
    except re.error:
        regex = re.compile(re.escape(pattern))
    if regex is None:
        return lines
    if "include".startswith(verb) and len(verb) >= 2:
        return [line for line in lines if regex.search(line)]
    if "exclude".startswith(verb) and len(verb) >= 2:
        return [line for line in lines if not regex.search(line)]
    if "begin".startswith(verb) and len(verb) >= 2:
        for index, line in enumerate(lines):
            if regex.search(line):
                return lines[index:]
        return []
    return lines
