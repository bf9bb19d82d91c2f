"""How one simulated OLT behaves on the wire: latency, login banner options, faults.

Mutable on purpose: a test (or the lab server) can break an OLT while sessions are open, and
the next command or login sees the change.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Behaviour:
    command_latency: float = 0.0  # seconds before the answer to every non-empty command line
    login_latency: float = 0.0  # seconds spent checking the password
    slow_extra: float = 0.0  # fault: extra seconds on every command (an OLT under load)
    drop_after: int | None = None  # fault: answer this many commands, then cut the TCP session
    drop_on: str | None = None  # fault: cut the TCP session when a command containing this comes
    refuse_logins: bool = False  # fault: every login fails (AAA down)
    alarm_rate: float = 0.0  # chance that a multi-line answer carries an alarm in its middle
    yes_no_banner: bool = False  # Huawei: a YES/NO question after login (netmiko answers it)
    password_warning: bool = True  # Huawei MA5800: the "password set by other administrator" note
    page_lines: int = 24  # terminal page length until the client turns paging off
    seed: int = 7  # for alarm placement

    def per_command(self) -> float:
        return self.command_latency + self.slow_extra
