"""Sending a driver's CLI lines over the host's Nornir netmiko connection, fast.

netmiko's defaults look for the prompt after every command with fixed sleeps (about 50 ms per
command); telling it which prompt to expect brings a command to the device's own latency plus
a few milliseconds.
"""

from __future__ import annotations

import re
from typing import Any

from plugins.olt.driver import OltDriver


class DeviceRefused(RuntimeError):
    """The OLT answered a command with an error; nothing after it was sent."""

    def __init__(self, line: str, message: str) -> None:
        super().__init__(f"the OLT refused '{line}': {message}")
        self.line = line
        self.message = message


class CliSession:
    def __init__(self, connection: Any, driver: OltDriver, read_timeout: float = 60.0) -> None:
        self.connection = connection
        self.driver = driver
        self.read_timeout = read_timeout
        base = re.escape(getattr(connection, "base_prompt", "") or "")
        # The hostname, then any mode suffix such as (config-if-gpon-0/1), then > or #.
        self.prompt = rf"{base}[^\n]*[>#]\s*$" if base else r"[>#]\s*$"

    def send(self, line: str) -> str:
        return self.connection.send_command(
            line,
            expect_string=self.prompt,
            read_timeout=self.read_timeout,
            strip_prompt=True,
            strip_command=True,
        )

    def run(self, lines: list[str]) -> list[tuple[str, str]]:
        """Send lines in order; stop at the first one the device refuses."""
        answers = []
        for line in lines:
            output = self.send(line)
            refused = self.driver.refused(output)
            if refused:
                raise DeviceRefused(line, refused)
            answers.append((line, output))
        return answers
