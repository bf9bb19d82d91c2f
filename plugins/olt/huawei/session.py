"""The SmartAX CLI session for the `olt_cli` connection: netmiko's class, set up without sleeps."""

from __future__ import annotations

import re

from netmiko.huawei.huawei_smartax import HuaweiSmartAXSSH

from ispflow.plugins.connections.olt_cli import PROMPT_END, BlockingReads, base_prompt_of


class SmartAxSession(BlockingReads, HuaweiSmartAXSSH):
    def session_preparation(self) -> None:
        self.ansi_escape_codes = True
        data = self._first_prompt(also="YES.NO")
        if re.search(r"YES.NO", data):
            self.write_channel(f"yes{self.RETURN}")
            data = self.read_to(PROMPT_END, self.conn_timeout + 10)
        self.base_prompt = base_prompt_of(self.strip_ansi_escape_codes(data))
        # Privileged mode first: `config` and `infoswitch cli OFF` are refused in user mode.
        self._set_up(("enable", "undo smart", "scroll 512", "infoswitch cli OFF"))

    def cleanup(self, command: str = "quit") -> None:
        return None
