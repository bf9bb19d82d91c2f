"""The `olt_cli` connection over telnet: reads that wait on the socket, and a quick login.

Some OLTs are reached by telnet only. netmiko speaks it for device types ending in
`_telnet`, through telnetlib; its generic login sleeps a second before looking and takes
twenty rounds of half a second to give up on a wrong password. `TelnetReads` waits on the
socket instead, as `BlockingReads` does on the SSH channel, and logs in by answering the
user and password prompts as they come: the device asking for them again, or closing the
connection, is a refused login at once. What the device prints up to its first prompt stays
in the read buffer, so the vendor's session preparation reads it as it does after SSH.

A vendor's telnet session class is its SSH one's set-up on this and netmiko's telnet base
(`TerminalServerTelnet`), registered as `<platform>_telnet`.
"""

from __future__ import annotations

import re
import select
import socket
from typing import Any

from netmiko.exceptions import NetmikoAuthenticationException, ReadException, ReadTimeout

from ispflow.plugins.connections.connect_errors import ConnectFailed
from ispflow.plugins.connections.olt_cli import PROMPT_END, BlockingReads

LOGIN_PROMPT = re.compile(r"(?:[Ll]ogin|[Uu]ser(?:\s*[Nn]ame)?)\s*:\s*$")
PASSWORD_PROMPT = re.compile(r"[Pp]assword\s*:\s*$")


class TelnetReads(BlockingReads):
    login_prompt = LOGIN_PROMPT
    password_prompt = PASSWORD_PROMPT
    host: str
    port: int
    username: str
    password: str
    _read_buffer: str

    def read_channel(self) -> str:
        try:
            return super(BlockingReads, self).read_channel()  # type: ignore[misc]
        except EOFError:
            raise ReadException("the OLT closed the session") from None

    def _receive(self, timeout: float) -> str:
        telnet = self.remote_conn
        try:
            data = telnet.read_very_eager()
            if not data:
                sock = telnet.get_socket()
                if sock is None:
                    raise EOFError
                select.select([sock], [], [], timeout)
                data = telnet.read_very_eager()
        except EOFError:
            raise ReadException("the OLT closed the session") from None
        return self._decoder.decode(data)

    def telnet_login(self, *args: Any, **kwargs: Any) -> str:
        """User, password, first prompt; NetmikoAuthenticationException if the device asks
        again or hangs up."""
        sock = self.remote_conn.get_socket()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        timeout = self.conn_timeout + 10
        asked = re.compile(
            rf"{self.login_prompt.pattern}|{self.password_prompt.pattern}|{PROMPT_END.pattern}"
        )
        sent_password = False
        answer = ""
        try:
            while True:
                answer = self.read_to(asked, timeout)
                self._read_buffer = ""
                tail = answer.rstrip("\r\n").rsplit("\n", 1)[-1]
                if self.password_prompt.search(tail):
                    if sent_password:
                        raise self._refused()
                    self.write_channel(f"{self.password}\r")  # type: ignore[attr-defined]
                    sent_password = True
                elif self.login_prompt.search(tail):
                    if sent_password:
                        raise self._refused()
                    self.write_channel(f"{self.username}\r")  # type: ignore[attr-defined]
                else:
                    break
        except ReadException:
            if sent_password:
                raise self._refused() from None
            raise self._not_telnet("closed the connection before asking for a login") from None
        except ReadTimeout:
            raise self._not_telnet(f"sent no login prompt in {timeout:g} s") from None
        self._read_buffer = answer  # the prompt, for the session preparation
        return answer

    def _not_telnet(self, what: str) -> ConnectFailed:
        self.remote_conn.close()
        return ConnectFailed(f"{self.host}:{self.port} {what}; is it the device's telnet service?")

    def _refused(self) -> NetmikoAuthenticationException:
        self.remote_conn.close()
        return NetmikoAuthenticationException(f"Login failed: {self.host}")
