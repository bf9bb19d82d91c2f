"""The `olt_cli` Nornir connection: netmiko, set up for OLT work without netmiko's sleeps.

netmiko's own session set-up for SmartAX and ZXROS spends most of its time in fixed sleeps
(~300 ms) and extra round trips (enable / infoswitch / disable), and paramiko stalls on
delayed ACKs because it never sets TCP_NODELAY (~85 ms). This plugin keeps netmiko for
everything after login (prompt handling, ANSI clean-up, the vendor classes' quirks) but:

* connects its own socket with TCP_NODELAY and hands it to netmiko (`sock=`);
* replaces the session preparation with the minimum each CLI needs, each step waiting for
  the prompt instead of sleeping (SmartAX: `enable`, `undo smart`, `scroll 512`,
  `infoswitch cli OFF`; ZXROS:
  `terminal length 0`);
* closes by dropping the session instead of the `quit` / `y` dialogue (a closed TCP session
  logs the user out on the OLT just the same).

Inventory: `platform` as for netmiko (`huawei_smartax`, `huawei_olt`, `zte_zxros`); extras under
`connection_options.olt_cli.extras` go to netmiko's ConnectHandler.
"""

from __future__ import annotations

import re
import socket
from typing import Any

from netmiko import ConnectHandler
from netmiko.exceptions import ReadException
from netmiko.huawei.huawei_smartax import HuaweiSmartAXSSH
from netmiko.zte.zte_zxros import ZteZxrosSSH
from nornir.core.configuration import Config

CONNECTION_NAME = "olt_cli"
PROMPT_END = r"[>#]\s*$"


def _read_prompt(connection: Any, pattern: str = PROMPT_END) -> str:
    return connection.read_until_pattern(pattern=pattern, read_timeout=connection.conn_timeout + 10)


def _base_prompt(text: str) -> str:
    last = text.rstrip().splitlines()[-1].strip()
    return re.sub(r"(\(.*\))?[>#]$", "", last)


class _NoticesLostSession:
    """netmiko polls a closed channel until its read timeout (60 s); fail at once instead."""

    remote_conn: Any

    def read_channel(self) -> str:
        data = super().read_channel()  # type: ignore[misc]
        if not data:
            channel = self.remote_conn
            if channel is not None and (channel.closed or channel.eof_received):
                raise ReadException("the OLT closed the session")
        return data


class FastSmartAX(_NoticesLostSession, HuaweiSmartAXSSH):
    def session_preparation(self) -> None:
        self.ansi_escape_codes = True
        data = _read_prompt(self, rf"YES.NO|{PROMPT_END}")
        if re.search(r"YES.NO", data):
            self.write_channel(f"yes{self.RETURN}")
            data = _read_prompt(self)
        self.base_prompt = _base_prompt(self.strip_ansi_escape_codes(data))
        # Privileged mode first: `config` and `infoswitch cli OFF` are refused in user mode.
        for command in ("enable", "undo smart", "scroll 512", "infoswitch cli OFF"):
            self.write_channel(f"{command}{self.RETURN}")
            _read_prompt(self, rf"{re.escape(self.base_prompt)}[^\n]*{PROMPT_END}")

    def cleanup(self, command: str = "quit") -> None:
        return None


class FastZxros(_NoticesLostSession, ZteZxrosSSH):
    def session_preparation(self) -> None:
        data = _read_prompt(self)
        self.base_prompt = _base_prompt(self.strip_ansi_escape_codes(data))
        self.write_channel(f"terminal length 0{self.RETURN}")
        _read_prompt(self, rf"{re.escape(self.base_prompt)}[^\n]*{PROMPT_END}")

    def cleanup(self, command: str = "exit") -> None:
        return None


FAST_CLASSES: dict[str, type] = {
    "huawei_smartax": FastSmartAX,
    "huawei_olt": FastSmartAX,
    "zte_zxros": FastZxros,
}


def _socket(host: str, port: int, timeout: float) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class OltCli:
    """Nornir connection plugin (entry point name `olt_cli`)."""

    def open(
        self,
        hostname: str | None,
        username: str | None,
        password: str | None,
        port: int | None,
        platform: str | None,
        extras: dict[str, Any] | None = None,
        configuration: Config | None = None,
    ) -> None:
        extras = dict(extras or {})
        timeout = float(extras.pop("conn_timeout", 10))
        device_type = platform or "huawei_smartax"
        parameters = {
            "host": hostname,
            "username": username,
            "password": password,
            "port": port or 22,
            "device_type": device_type,
            "conn_timeout": timeout,
            "fast_cli": True,
            **extras,
        }
        fast = FAST_CLASSES.get(device_type)
        if fast is None:
            self.connection = ConnectHandler(**parameters)
            return
        parameters["sock"] = _socket(str(hostname), int(parameters["port"]), timeout)
        parameters.pop("device_type")
        # The fast class is the vendor class with a different set-up; netmiko's dispatcher
        # only knows its own names, so the class is instantiated directly.
        self.connection = fast(device_type=device_type, **parameters)

    def close(self) -> None:
        connection = self.connection
        try:
            connection.disconnect()
        finally:
            sock = getattr(connection, "sock", None)
            if sock is not None:
                sock.close()
