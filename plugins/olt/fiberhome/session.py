"""The AN5516 CLI sessions for the `olt_cli` connection, over SSH and over telnet.

netmiko has no FiberHome class; its generic terminal-server classes do the transport (SSH, or
telnet for `transport: telnet`, how most AN5516 are reached) and the session set-up is the
AN5516's own: `User>`, `enable` (which asks for the password again), `Admin#`, paging off,
then the ONU directory. Over telnet the OLT asks for the user first (`Login:`, then
`Password:`); olt_telnet.py answers those prompts. Older firmware has `cd gpononu` and names
a PON `slot S link L`; newer has `cd onu` and `slot S pon P`. The session finds which one the
OLT runs and writes the driver's lines (newer words) in the OLT's own.
"""

from __future__ import annotations

import re

from netmiko.terminal_server.terminal_server import TerminalServerSSH, TerminalServerTelnet

from ispflow.plugins.connections.olt_cli import PROMPT_END, BlockingReads, base_prompt_of
from ispflow.plugins.connections.olt_telnet import TelnetReads

_PASSWORD = re.compile(r"[Pp]assword:\s*$")
_REFUSED = re.compile(r"\[\s*ERR\s*-?\d+\s*\]|Unknown command|failed", re.IGNORECASE)
# The commands whose PON is `pon P` in the newer words and `link L` in the older.
_PON_WORD = re.compile(
    r"^(\s*(?:show (?:discovery|authorization|optic_module|onu_config)|set whitelist|"
    r"no whitelist|set onu_desc)\b.*?\bslot \S+) pon (\S+)"
)
DIRECTORIES = {"pon": "onu", "link": "gpononu"}


def in_dialect(line: str, dialect: str) -> str:
    """A driver line (newer firmware's words) as an OLT of `dialect` takes it."""
    if dialect == "pon":
        return line
    if line.strip() == "cd onu":
        return "cd gpononu"
    return _PON_WORD.sub(r"\1 link \2", line)


class An5516SetUp:
    """What an AN5516 session does after login, whatever carries it."""

    dialect = "pon"

    def session_preparation(self) -> None:
        data = self._first_prompt()
        if data.rstrip().endswith(">"):
            data = self._enable()
        self.base_prompt = base_prompt_of(self.strip_ansi_escape_codes(data))
        self._set_up(("terminal length 0",))
        prompt = re.compile(rf"{re.escape(self.base_prompt)}[^\n]*{PROMPT_END.pattern}")
        timeout = self.conn_timeout + 10
        if _REFUSED.search(self.exchange("cd onu", prompt, timeout)):
            self.dialect = "link"
            answer = self.exchange("cd gpononu", prompt, timeout)
            if _REFUSED.search(answer):
                raise ConnectionError(f"the OLT has neither `cd onu` nor `cd gpononu`: {answer}")

    def _enable(self) -> str:
        """`enable` asks for the password again (the enable secret when one is given)."""
        self.write_channel(f"enable{self.RETURN}")
        answer = self.read_to(re.compile(rf"{_PASSWORD.pattern}|{PROMPT_END.pattern}"), 30)
        if _PASSWORD.search(answer):
            self.write_channel(f"{self.secret or self.password}{self.RETURN}")
            answer = self.read_to(PROMPT_END, self.conn_timeout + 10)
        if not answer.rstrip().endswith("#"):
            raise ConnectionError("`enable` was refused: check the password (or the secret)")
        return answer

    def send_line(self, line: str) -> str:
        return super().send_line(in_dialect(line, self.dialect))  # type: ignore[misc,no-any-return]

    def cleanup(self, command: str = "exit") -> None:
        return None


class An5516Session(An5516SetUp, BlockingReads, TerminalServerSSH):
    """Over SSH."""


class An5516TelnetSession(An5516SetUp, TelnetReads, TerminalServerTelnet):
    """Over telnet (`transport: telnet`): `Login:` and `Password:` first."""
