"""The DmOS CLI session for the `olt_cli` connection, and netmiko's configuration calls.

DmOS keeps changes in a candidate configuration until `commit`. A commit the OLT refuses
(`Aborted: …`, a DB lock held by another session or by auto-provisioning) leaves the
candidate as it was; `commit()` discards it (`abort`) so the next change starts clean, and
raises with the OLT's own words.
"""

from __future__ import annotations

import re

from netmiko.cisco_base_connection import CiscoSSHConnection

from ispflow.plugins.connections.olt_cli import BlockingReads, base_prompt_of

# What `commit` answers when it did not take the candidate; `% No modifications to commit.`
# is a commit with nothing to do, not a refusal.
COMMIT_REFUSED = re.compile(r"^\s*(?:Aborted:|Error:|syntax error:).*$", re.MULTILINE)


class CommitRefused(RuntimeError):
    """The OLT refused a commit; the candidate was discarded."""

    def __init__(self, message: str) -> None:
        super().__init__(f"the OLT refused the commit: {message}")
        self.message = message


class DmosSession(BlockingReads, CiscoSSHConnection):
    def session_preparation(self) -> None:
        data = self._first_prompt()
        self.base_prompt = base_prompt_of(self.strip_ansi_escape_codes(data))
        # Every read of the driver asks `| nomore`; paging stays as the user set it.
        self._set_up(())

    def check_config_mode(
        self, check_string: str = ")#", pattern: str = "", force_regex: bool = False
    ) -> bool:
        return super().check_config_mode(check_string=check_string, pattern=pattern)

    def config_mode(
        self, config_command: str = "config", pattern: str = "", re_flags: int = 0
    ) -> str:
        return super().config_mode(config_command=config_command, pattern=pattern)

    def exit_config_mode(self, exit_config: str = "end", pattern: str = r"#") -> str:
        return super().exit_config_mode(exit_config=exit_config, pattern=pattern)

    def commit(self, read_timeout: float = 60.0) -> str:
        """`commit` in configuration mode; a refused commit is rolled back (`abort`, which
        also leaves configuration mode) and raised as CommitRefused."""
        prompt = rf"{re.escape(self.base_prompt)}[^\n]*#\s*$"
        output = self._send_line("commit", prompt, read_timeout)
        refused = COMMIT_REFUSED.search(output)
        if refused:
            self._send_line("abort", prompt, read_timeout)
            raise CommitRefused(refused.group(0).strip())
        return output

    def _send_line(self, line: str, prompt: str, read_timeout: float) -> str:
        return self.exchange(line, re.compile(prompt), read_timeout)

    def save_config(self, *args: object, **kwargs: object) -> str:
        # A commit is what makes a change last on DmOS; there is no separate save.
        return ""

    def cleanup(self, command: str = "exit") -> None:
        return None
