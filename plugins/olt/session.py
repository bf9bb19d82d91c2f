"""Sending a driver's CLI lines over the host's Nornir netmiko connection, fast.

netmiko's defaults look for the prompt after every command with fixed sleeps (about 50 ms per
command); telling it which prompt to expect brings a command to the device's own latency plus
a few milliseconds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ispflow.core.errors import ReportedError
from ispflow.plugins.olt.driver import OltDriver


def _read_timeout() -> type[BaseException]:
    """netmiko's "no prompt in time"; netmiko is loaded by the time a session exists (a dry
    run, which opens none, does not load it)."""
    from netmiko.exceptions import ReadTimeout

    return ReadTimeout


def _lost() -> tuple[type[BaseException], ...]:
    """What a cut TCP session or an OLT that stopped answering looks like through
    netmiko/paramiko."""
    from netmiko.exceptions import NetmikoBaseException
    from paramiko.ssh_exception import SSHException

    return (OSError, EOFError, NetmikoBaseException, SSHException)


class DeviceRefused(RuntimeError):
    """The OLT answered a command with an error; nothing after it was sent."""

    def __init__(self, line: str, message: str) -> None:
        super().__init__(f"the OLT refused '{line}': {message}")
        self.line = line
        self.message = message


class SessionLost(RuntimeError):
    """The session ended (or the OLT stopped answering) while `line` was on its way."""

    def __init__(self, line: str, sent: list[str], cause: BaseException) -> None:
        reason = str(cause).strip().splitlines()[0] if str(cause).strip() else type(cause).__name__
        super().__init__(f"the session was lost while sending '{line}': {reason}")
        self.line = line
        self.sent = sent  # lines the OLT answered before the loss
        self.reason = reason


class CommandTimeout(SessionLost, ReportedError):
    """The OLT sent no prompt after `line` within the session's read timeout."""

    def __init__(self, line: str, sent: list[str], seconds: float, cause: BaseException) -> None:
        super().__init__(line, sent, cause)
        RuntimeError.__init__(
            self,
            f"no answer to '{line}' within {seconds:g} s (the host's data command_timeout "
            f"sets the wait)",
        )


DEFAULT_READ_TIMEOUT = 60.0


class CliSession:
    def __init__(
        self,
        connection: Any,
        driver: OltDriver,
        read_timeout: float = DEFAULT_READ_TIMEOUT,
        reopen: Callable[[], Any] | None = None,
        host: str = "",
    ) -> None:
        self.driver = driver
        self.host = host  # the inventory name, for messages and kept raw answers
        self.read_timeout = read_timeout
        self._reopen = reopen
        self._use(connection)

    def _use(self, connection: Any) -> None:
        self.connection = connection
        base = re.escape(getattr(connection, "base_prompt", "") or "")
        # The hostname, then any mode suffix such as (config-if-gpon-0/1), then > or #.
        self.prompt = rf"{base}[^\n]*[>#]\s*$" if base else r"[>#]\s*$"
        self._prompt = re.compile(self.prompt)

    def reconnect(self) -> None:
        """A new session in place of a lost one (base mode, as after login)."""
        if self._reopen is None:
            raise RuntimeError("this session cannot be reopened")
        self._use(self._reopen())

    def read(
        self,
        lines: list[str],
        tolerate: re.Pattern[str] | None = None,
        on_answer: AnswerHandler | None = None,
    ) -> list[tuple[str, str]]:
        """`run` for lines that change nothing: a lost session is reopened and tried once more
        (`on_answer` then sees the answers again, from the first line on)."""
        try:
            return self.run(lines, tolerate, on_answer)
        except SessionLost:
            if self._reopen is None:
                raise
            self.reconnect()
            return self.run(lines, tolerate, on_answer)

    def send(self, line: str) -> str:
        """One line and its answer; a lost session raises SessionLost."""
        try:
            return self._send(line)
        except _read_timeout() as exc:
            raise CommandTimeout(line, [], self.read_timeout, exc) from exc
        except _lost() as exc:
            raise SessionLost(line, [], exc) from exc

    def _send(self, line: str) -> str:
        if hasattr(self.connection, "exchange"):  # the olt_cli connection's blocking read
            return self.connection.exchange(line, self._prompt, self.read_timeout)
        return self.connection.send_command(
            line,
            expect_string=self.prompt,
            read_timeout=self.read_timeout,
            strip_prompt=True,
            strip_command=True,
        )

    def run(
        self,
        lines: list[str],
        tolerate: re.Pattern[str] | None = None,
        on_answer: AnswerHandler | None = None,
    ) -> list[tuple[str, str]]:
        """Send lines in order; stop at the first one the device refuses (unless tolerated).

        `on_answer(index, line, answer)` is called once per answer taken, in order. Each call
        is made once the next line is on its way, so the work it does (parsing a table) is
        done while the OLT prepares the next answer, not after the last one; a line is still
        sent only after the answer before it ended with the prompt and was checked. What
        `on_answer` raises is raised once the answer on its way is read, so the session is
        left in step with the OLT.
        """
        answers: list[tuple[str, str]] = []
        taken: tuple[int, str, str] | None = None  # the answer on_answer is yet to see
        for line in lines:
            try:
                sent = self._start(line)
                failed = _handed(on_answer, taken)
                taken = None
                output = self._finish(line, sent)
            except _read_timeout() as exc:
                answered = [done for done, _ in answers]
                raise CommandTimeout(line, answered, self.read_timeout, exc) from exc
            except _lost() as exc:
                raise SessionLost(line, [done for done, _ in answers], exc) from exc
            if failed is not None:
                raise failed
            refused = self.driver.refused(output, line)
            if refused and not (tolerate is not None and tolerate.search(refused)):
                raise DeviceRefused(line, refused)
            answers.append((line, output))
            if on_answer is not None:
                taken = (len(answers) - 1, line, output)
        failed = _handed(on_answer, taken)
        if failed is not None:
            raise failed
        return answers

    def _start(self, line: str) -> Any:
        """Send `line`; what `_finish` needs to read its answer. A connection without the
        olt_cli halves is sent the whole exchange here."""
        if hasattr(self.connection, "send_line"):
            return self.connection.send_line(line)
        return _Answered(self._send(line))

    def _finish(self, line: str, sent: Any) -> str:
        if isinstance(sent, _Answered):
            return sent.output
        answer: str = self.connection.read_answer(sent, self._prompt, self.read_timeout)
        return answer


AnswerHandler = Callable[[int, str, str], None]


class _Answered:
    """An answer read whole when its line was sent."""

    def __init__(self, output: str) -> None:
        self.output = output


def _handed(
    on_answer: AnswerHandler | None, taken: tuple[int, str, str] | None
) -> Exception | None:
    """Give `on_answer` its answer; what it raises is returned, to be raised once the session
    is back in step."""
    if on_answer is None or taken is None:
        return None
    try:
        on_answer(*taken)
    except Exception as exc:
        return exc
    return None
