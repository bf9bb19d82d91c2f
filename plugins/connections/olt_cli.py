"""The `olt_cli` Nornir connection: netmiko, set up for OLT work without netmiko's sleeps.

netmiko's own session set-up for OLT CLIs spends most of its time in fixed sleeps (~300 ms)
and extra round trips (enable / infoswitch / disable), and paramiko stalls on delayed ACKs
because it never sets TCP_NODELAY (~85 ms). This plugin keeps netmiko for everything after
login (prompt handling, ANSI clean-up, the vendor classes' quirks) but:

* connects its own socket with TCP_NODELAY and hands it to netmiko (`sock=`);
* uses each vendor's session class (registered with the vendor, in its folder), which
  replaces the session preparation with the minimum its CLI needs, each step waiting for the
  prompt instead of sleeping;
* adds `exchange(line, prompt)`: send a line and block on the channel until the prompt ends
  the output (or its two halves, `send_line` and `read_answer`, so a caller can work on one
  answer while the OLT prepares the next). netmiko's `send_command` polls with 25 ms sleeps,
  which puts 10-25 ms on every command; this answers a pager prompt by itself if one still
  appears;
* closes by dropping the session instead of the `quit` / `y` dialogue (a closed TCP session
  logs the user out on the OLT just the same);
* checks the OLT's SSH host key against ispflow's known_hosts file before the password is
  sent (host_keys.py), instead of netmiko's default of taking any key.

Inventory: `platform` is the netmiko device type a vendor registers; extras under
`connection_options.olt_cli.extras` go to netmiko's connection class, except
`host_key_check: false`, which turns the host-key check off for that host, and
`transport: telnet`, which logs in over telnet (port 23 unless the host gives one) with the
vendor's telnet session class (`<platform>_telnet`, olt_telnet.py), for OLTs that have no
SSH. Telnet sends the password in clear text: the run says so once, naming the hosts
(clear_text.py).
"""

from __future__ import annotations

import codecs
import functools
import re
import socket
import time
from typing import Any

from netmiko.exceptions import ReadException, ReadTimeout
from nornir.core.configuration import Config

from ispflow.plugins.connections import host_keys
from ispflow.plugins.connections.connect_errors import explain, missing_credentials
from ispflow.plugins.connections.known_hosts import address, host_key_settings
from ispflow.plugins.vendors import UnknownVendor, load_object, olt_vendors, vendor_of_platform

CONNECTION_NAME = "olt_cli"
PROMPT_END = re.compile(r"[>#]\s*$")
CURSOR_BACK_OVER_SPACE = re.compile(r" \x1b\[1D")
# The prompt can only be in the last line; searching the whole answer each read is quadratic.
TAIL = 512
RECEIVE_BYTES = 1 << 16
FIRST_PROMPT_WAIT = 2.0  # a device that prints nothing at login gets an Enter after this
TRANSPORTS = ("ssh", "telnet")
SSH_PORT, TELNET_PORT = 22, 23
# Said once per run for the hosts reached by telnet (clear_text.py).
TELNET_NOTICE = (
    "login over telnet (`transport: telnet`): the password travels in clear text, readable "
    "by anyone on the management network; turn on the OLT's SSH service and drop "
    "`transport: telnet` (docs/olt.md, Connections)"
)


def default_port(extras: dict[str, Any] | None) -> int:
    """The port a host without one is reached on: telnet's or SSH's."""
    return TELNET_PORT if transport(extras) == "telnet" else SSH_PORT


def transport(extras: dict[str, Any] | None) -> str:
    """`ssh` (the default) or `telnet`, as the host's `transport` extra says."""
    value = (extras or {}).get("transport", "ssh")
    if value not in TRANSPORTS:
        raise ValueError(
            f"{CONNECTION_NAME} extras: transport is one of {', '.join(TRANSPORTS)}, not {value!r}"
        )
    return str(value)


@functools.cache
def pager() -> re.Pattern[str]:
    """Every OLT vendor's pager stop; answered with a space (the session disables paging, but
    a long answer or a command that re-enables it must not hang the read)."""
    return re.compile(
        "|".join(p for vendor in olt_vendors().values() for p in vendor.pager), re.IGNORECASE
    )


def session_platforms() -> list[str]:
    """The OLT platforms (netmiko device types) the vendors register a session class for."""
    return sorted(platform for v in olt_vendors().values() for platform, _ in v.sessions)


@functools.cache
def session_class(platform: str) -> type | None:
    """The session class a vendor registers for `platform`; only that one is imported."""
    for vendor in olt_vendors().values():
        for name, reference in vendor.sessions:
            if name == platform:
                return load_object(reference)  # type: ignore[no-any-return]
    return None


def base_prompt_of(text: str) -> str:
    last = text.rstrip().splitlines()[-1].strip()
    return re.sub(r"(\(.*\))?[>#]$", "", last)


class BlockingReads:
    """Reads that wait on the channel, and a lost session noticed at once.

    netmiko polls the channel with fixed sleeps, and polls a closed channel until its read
    timeout (60 s); these raise ReadException as soon as the OLT closes the session.
    """

    remote_conn: Any
    RETURN: str
    RESPONSE_RETURN: str
    base_prompt: str
    conn_timeout: float

    def _connect_params_dict(self) -> dict[str, Any]:
        params: dict[str, Any] = super()._connect_params_dict()  # type: ignore[misc]
        params["transport_factory"] = aead_first_transport
        return params

    def normalize_linefeeds(self, a_string: str) -> str:
        # netmiko's two regex passes over every answer; for the usual one (CRLF line ends,
        # blank lines among them, no `\r\r`) plain replaces give the same text. A `\n\r`
        # left once the CRLFs are gone is one netmiko reads its own way.
        if self.RESPONSE_RETURN == "\n" and "\r\r" not in a_string:
            unix = a_string.replace("\r\n", "\n")
            if "\n\r" not in unix:
                return unix.replace("\r", "\n")
        return super().normalize_linefeeds(a_string)  # type: ignore[misc,no-any-return]

    def read_channel(self) -> str:
        data = super().read_channel()  # type: ignore[misc]
        if not data:
            channel = self.remote_conn
            if channel is not None and (channel.closed or channel.eof_received):
                raise ReadException("the OLT closed the session")
        return data

    def _try_session_preparation(self, force_data: bool = True) -> None:
        # netmiko sends an Enter and sleeps 100 ms first; both OLTs print their prompt unasked.
        try:
            self.session_preparation()
        except Exception:
            self.disconnect()  # type: ignore[attr-defined]
            raise

    def read_to(self, prompt: re.Pattern[str], read_timeout: float) -> str:
        """Everything the device sends until `prompt` ends it (pager stops answered, removed).

        Raw text, as received: line ends and VT100 sequences are cleaned once per answer by
        `exchange`, not on every chunk.
        """
        output, self._read_buffer = self._read_buffer, ""  # type: ignore[has-type]
        deadline = time.monotonic() + read_timeout
        while True:
            tail_from = max(0, len(output) - TAIL)
            if prompt.search(output, tail_from):
                return output
            pager_stop = pager().search(output, tail_from)
            if pager_stop:
                output = output[: pager_stop.start()] + output[pager_stop.end() :]
                self.write_channel(" ")  # type: ignore[attr-defined]
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise ReadTimeout(
                    f"no prompt after {read_timeout:g} s; last output: {output[-200:]!r}"
                )
            output += self._receive(remaining)

    def _receive(self, timeout: float) -> str:
        # paramiko's own wait on the channel's buffer. select() on a channel would make
        # paramiko signal a pipe for every packet: two more system calls each, on every
        # session of a fleet audit.
        channel = self.remote_conn
        before = channel.gettimeout()
        channel.settimeout(timeout)
        try:
            data = channel.recv(RECEIVE_BYTES)
        except TimeoutError:
            return ""
        finally:
            channel.settimeout(before)
        if not data:
            raise ReadException("the OLT closed the session")
        return self._decoder.decode(data)

    @functools.cached_property
    def _decoder(self) -> codecs.IncrementalDecoder:
        # A character split across two reads is decoded whole on the second.
        return codecs.getincrementaldecoder("utf-8")(errors="replace")

    def exchange(self, line: str, prompt: re.Pattern[str], read_timeout: float) -> str:
        """Send one line; its answer without the echo and the closing prompt."""
        return self.read_answer(self.send_line(line), prompt, read_timeout)

    def send_line(self, line: str) -> str:
        """Send one line, not waiting for its answer; returns the line as sent, for
        `read_answer`. The caller sends nothing else before reading that answer."""
        command: str = self.normalize_cmd(line)  # type: ignore[attr-defined]
        self.write_channel(command)  # type: ignore[attr-defined]
        return command

    def read_answer(self, command: str, prompt: re.Pattern[str], read_timeout: float) -> str:
        """The answer to the line `send_line` sent (`command`), up to `prompt`: without the
        echo and the closing prompt."""
        output = self.normalize_linefeeds(self.read_to(prompt, read_timeout))  # type: ignore[attr-defined]
        if "\x1b" in output:
            # SmartAX's cursor-back after a space is the usual one (on every table's
            # separator line); netmiko's thirty patterns only run for what is left.
            output = CURSOR_BACK_OVER_SPACE.sub("", output)
            if "\x1b" in output and self.ansi_escape_codes:  # type: ignore[attr-defined]
                output = self.strip_ansi_escape_codes(output)  # type: ignore[attr-defined]
        return self._sanitize_output(  # type: ignore[attr-defined]
            output, strip_command=True, command_string=command, strip_prompt=True
        )

    def _first_prompt(self, also: str = "") -> str:
        """The login banner up to the first prompt (or `also`, e.g. a yes/no question)."""
        pattern = re.compile(rf"{also}|{PROMPT_END.pattern}" if also else PROMPT_END.pattern)
        try:
            return self.read_to(pattern, FIRST_PROMPT_WAIT)
        except ReadTimeout:
            self.write_channel(self.RETURN)  # type: ignore[attr-defined]
            return self.read_to(pattern, self.conn_timeout + 10)

    def _set_up(self, commands: tuple[str, ...]) -> None:
        prompt = re.compile(rf"{re.escape(self.base_prompt)}[^\n]*{PROMPT_END.pattern}")
        for command in commands:
            self.exchange(command, prompt, self.conn_timeout + 10)


# Offered first when the device has them: AES-GCM authenticates each packet inside the
# cipher, where CTR + HMAC has paramiko compare every MAC byte by byte in Python, the largest
# client cost of reading a big table. A device without them gets the usual order.
AEAD_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")


def aead_first_transport(sock: Any, **options: Any) -> Any:
    """A paramiko Transport (netmiko's `transport_factory`) offering AES-GCM first."""
    import paramiko  # loaded with the session, as netmiko loads it

    transport = paramiko.Transport(sock, **options)
    security = transport.get_security_options()
    offered = tuple(security.ciphers)
    first = tuple(c for c in AEAD_CIPHERS if c in offered)
    security.ciphers = first + tuple(c for c in offered if c not in first)
    return transport


def _socket(host: str, port: int, timeout: float) -> socket.socket:
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


class OltCli:
    """Nornir connection plugin (entry point name `olt_cli`)."""

    clear_text_notice = TELNET_NOTICE

    @staticmethod
    def sends_password_in_clear(extras: dict[str, Any]) -> bool:
        """Would a login with these extras send the password unencrypted (telnet)?"""
        return transport(extras) == "telnet"

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
        if not platform:
            known = [p for p in session_platforms() if not p.endswith("_telnet")]
            raise UnknownVendor(
                f"host {hostname} has no platform; give it the netmiko device type of its "
                f"vendor (known: {', '.join(known)})"
            )
        if transport(extras) == "telnet":
            self._open_telnet(hostname, username, password, port, platform, extras, timeout)
            return
        extras.pop("transport", None)
        device_type = platform
        settings = host_key_settings()
        where = address(str(hostname), port or SSH_PORT)
        check = host_keys.check_wanted(extras, where, settings)
        parameters = {
            "host": hostname,
            "username": username,
            "password": password,
            "port": port or SSH_PORT,
            "device_type": device_type,
            "conn_timeout": timeout,
            "fast_cli": True,
            **extras,
            **host_keys.netmiko_parameters(check, settings),
        }
        fast = session_class(device_type)
        if fast is None:
            vendor_of_platform(device_type)  # a platform no vendor claims is an error
        unusable = missing_credentials(hostname, parameters["port"], username, password)
        if unusable is not None:
            raise unusable
        try:
            self.connection = self._connect(fast, device_type, parameters, timeout)
        except Exception as exc:
            cause = host_keys.refusal(exc, hostname, parameters["port"], settings.path) or explain(
                exc, hostname, parameters["port"], username, timeout
            )
            if cause is None:
                raise
            raise cause from exc

    def _open_telnet(
        self,
        hostname: str | None,
        username: str | None,
        password: str | None,
        port: int | None,
        platform: str,
        extras: dict[str, Any],
        timeout: float,
    ) -> None:
        """The vendor's telnet session class (`<platform>_telnet`); no host key to check."""
        extras.pop("transport")
        extras.pop(host_keys.EXTRA, None)
        device_type = f"{platform}_telnet"
        session = session_class(device_type)
        if session is None:
            vendor_of_platform(platform)  # a platform no vendor claims is an error
            raise ValueError(
                f"host {hostname}: platform {platform} has no telnet session; drop "
                "`transport: telnet` and reach it over SSH"
            )
        port = port or TELNET_PORT
        unusable = missing_credentials(hostname, port, username, password)
        if unusable is not None:
            raise unusable
        parameters = {
            "host": hostname,
            "username": username,
            "password": password,
            "port": port,
            "device_type": device_type,
            "conn_timeout": timeout,
            "fast_cli": True,
            **extras,
        }
        try:
            self.connection = session(**parameters)
        except Exception as exc:
            cause = explain(exc, hostname, port, username, timeout)
            if cause is None:
                raise
            raise cause from exc

    @staticmethod
    def _connect(
        fast: type | None, device_type: str, parameters: dict[str, Any], timeout: float
    ) -> Any:
        if fast is None:
            # A platform with no vendor class of ispflow's: netmiko's own, by its dispatcher
            # (which imports every platform netmiko has).
            from netmiko.ssh_dispatcher import ssh_dispatcher

            return host_keys.checked(ssh_dispatcher(device_type))(**parameters)
        parameters["sock"] = _socket(str(parameters["host"]), int(parameters["port"]), timeout)
        parameters.pop("device_type")
        # The fast class is the vendor class with a different set-up; netmiko's dispatcher
        # only knows its own names, so the class is instantiated directly.
        try:
            return host_keys.checked(fast)(device_type=device_type, **parameters)
        except BaseException:
            parameters["sock"].close()
            raise

    def close(self) -> None:
        connection = self.connection
        try:
            connection.disconnect()
        finally:
            sock = getattr(connection, "sock", None)
            if sock is not None:
                sock.close()
