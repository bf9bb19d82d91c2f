"""How one simulated OLT behaves on the wire: latency, login banner options, faults.

Mutable on purpose: a test (or the lab server) can break an OLT while sessions are open, and
the next command or login sees the change.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

HOLD_POLL_SECONDS = 0.05


@dataclass
class Behaviour:
    command_latency: float = 0.0  # seconds before the answer to every non-empty command line
    login_latency: float = 0.0  # seconds spent checking the password
    slow_extra: float = 0.0  # fault: extra seconds on every command (an OLT under load)
    drop_after: int | None = None  # fault: answer this many commands, then cut the TCP session
    drop_on: str | None = None  # fault: cut the TCP session when a command containing this comes
    # fault: stop answering when a command containing this comes (the command is not run),
    # until the fault is cleared; `hang_marker` is written then, so a test knows the client
    # now waits with everything before that command done (and can kill it there).
    hang_on: str | None = None
    hang_marker: Path | None = None
    refuse_logins: bool = False  # fault: every login fails (AAA down)
    # fault: a command containing this is answered with one row in a layout no parser knows
    # in the middle of its table, as a firmware not seen yet might print it
    unknown_row_on: str | None = None
    alarm_rate: float = 0.0  # chance that a multi-line answer carries an alarm in its middle
    yes_no_banner: bool = False  # Huawei: a YES/NO question after login (netmiko answers it)
    password_warning: bool = True  # Huawei MA5800: the "password set by other administrator" note
    page_lines: int = 24  # terminal page length until the client turns paging off
    seed: int = 7  # for alarm placement

    def per_command(self) -> float:
        return self.command_latency + self.slow_extra

    async def hold(self, command: str) -> bool:
        """Hang on a command the `hang_on` fault names; True once the fault is cleared (the
        command was never run and the session is to end)."""
        pattern = self.hang_on
        if not pattern or pattern not in command:
            return False
        if self.hang_marker is not None:
            self.hang_marker.write_text(command + "\n", encoding="utf-8")
        while self.hang_on == pattern:
            await asyncio.sleep(HOLD_POLL_SECONDS)
        return True
