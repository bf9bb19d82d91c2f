"""The same simulated CLI over telnet, for the OLTs whose profile says how it logs in.

Some OLTs are reached by telnet far more often than by SSH. The lab serves those on a second
port each (any free one; lab.json names it `telnet_port`) with the shell the SSH server runs.
The device asks for the user and the password itself (telnet has no authentication of its
own): the profile's login prompt, then `Password:` without echo; a wrong pair is said and
asked again, three times, then the connection is closed.

Telnet option negotiation is kept to what a client needs: the server offers to echo and to
suppress go-ahead (character mode, as the OLTs' own telnet servers do) and drops every
command and subnegotiation the client sends; a doubled 0xFF is a data byte.
"""

from __future__ import annotations

import asyncio
import codecs
import contextlib
from typing import TYPE_CHECKING

from ispflow.lab.shell import Outcome
from ispflow.lab.terminal import Terminal

if TYPE_CHECKING:
    from ispflow.lab.sshd import LabDevice, LabServer

IAC, DONT, DO, WONT, WILL, SB, SE = 255, 254, 253, 252, 251, 250, 240
ECHO, SUPPRESS_GO_AHEAD = 1, 3
LOGIN_TRIES = 3
LOGIN_FAILED = "Login failed!"


class TelnetReader:
    """The client's bytes as text, telnet commands taken out."""

    def __init__(self, stream: asyncio.StreamReader) -> None:
        self._stream = stream
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._state = "data"  # data | iac | option | sub | sub-iac

    async def read(self, n: int = -1) -> str:
        while True:
            try:
                raw = await self._stream.read(4096)
            except OSError:
                return ""
            if not raw:
                return ""
            text = self._decoder.decode(self._strip(raw))
            if text:
                return text

    def _strip(self, raw: bytes) -> bytes:
        data = bytearray()
        for byte in raw:
            state = self._state
            if state == "data":
                if byte == IAC:
                    self._state = "iac"
                else:
                    data.append(byte)
            elif state == "iac":
                if byte == IAC:
                    data.append(IAC)
                    self._state = "data"
                elif byte in (WILL, WONT, DO, DONT):
                    self._state = "option"
                elif byte == SB:
                    self._state = "sub"
                else:
                    self._state = "data"  # a two-byte command (NOP, AYT, ...)
            elif state == "option":
                self._state = "data"
            elif state == "sub":
                if byte == IAC:
                    self._state = "sub-iac"
            elif state == "sub-iac":
                self._state = "data" if byte == SE else "sub"
        return bytes(data)


class TelnetWriter:
    def __init__(self, stream: asyncio.StreamWriter) -> None:
        self._stream = stream

    def write(self, data: str) -> None:
        if not self._stream.is_closing():
            self._stream.write(data.encode("utf-8").replace(b"\xff", b"\xff\xff"))

    async def drain(self) -> None:
        with contextlib.suppress(OSError):
            await self._stream.drain()


async def _login(lab: LabServer, device: LabDevice, term: Terminal, prompt: str) -> bool:
    """Ask for the user and the password until a pair is right (True) or the tries are up."""
    for _ in range(LOGIN_TRIES):
        term.write(prompt)
        await term.flush()
        username = await term.read_line()
        if username is None:
            return False
        term.write("Password:")
        await term.flush()
        term.echo = False
        password = await term.read_line()
        term.echo = True
        term.write("\r\n")
        if password is None:
            return False
        behaviour = device.behaviour
        if behaviour.login_latency > 0:
            await asyncio.sleep(behaviour.login_latency)
        if not behaviour.refuse_logins and lab.credentials_match(username, password):
            return True
        term.write(f"{LOGIN_FAILED}\r\n")
    await term.flush()
    return False


async def serve_client(
    lab: LabServer,
    device: LabDevice,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
) -> None:
    """One telnet connection: options, login, then the device's shell until it ends."""
    lab.telnet_clients.add(writer)
    peer = (writer.get_extra_info("peername") or ("127.0.0.1", 0))[0]
    term = Terminal(TelnetReader(reader), TelnetWriter(writer))
    try:
        writer.write(bytes((IAC, WILL, ECHO, IAC, WILL, SUPPRESS_GO_AHEAD)))
        prompt = device.olt.profile.telnet_login or "Login: "
        if not await _login(lab, device, term, prompt):
            return
        device.sessions += 1
        shell = device.olt.profile.shell(
            device.olt, device.behaviour, term, session=device.sessions, peer=peer
        )
        outcome: Outcome
        try:
            outcome = await shell.run()
        except OSError:
            outcome = "eof"
        term.closed = True
        if outcome == "drop":
            writer.transport.abort()  # no goodbye: the client just sees the TCP session go
    except OSError:
        pass
    finally:
        lab.telnet_clients.discard(writer)
        if not writer.is_closing():
            writer.close()
