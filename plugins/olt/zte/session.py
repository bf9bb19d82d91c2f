"""The ZXROS CLI session for the `olt_cli` connection: netmiko's class, set up without sleeps."""

from __future__ import annotations

from netmiko.zte.zte_zxros import ZteZxrosSSH

from ispflow.plugins.connections.olt_cli import BlockingReads, base_prompt_of


class ZxrosSession(BlockingReads, ZteZxrosSSH):
    def session_preparation(self) -> None:
        data = self._first_prompt()
        self.base_prompt = base_prompt_of(self.strip_ansi_escape_codes(data))
        self._set_up(("terminal length 0",))

    def cleanup(self, command: str = "exit") -> None:
        return None
