"""RouterOS API listeners for the lab's concentrators: one TCP port each, TLS as an option.

Login is the plain (post-6.43) `/login =name= =password=`; the lab's user may write, the same
name with `-ro` may only read (writes answer `not enough permissions (9)`). `.tag` words are
echoed on every reply to a tagged sentence and never added otherwise (librouteros would choke).
Faults (`ispflow lab fault NAME ...`) apply here as on the OLTs: cut the connection after N
commands or on a command containing a text, refuse logins, answer slowly.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import ssl
from dataclasses import dataclass, field

from ispflow.lab.behaviour import Behaviour
from ispflow.lab.routeros.device import Concentrator
from ispflow.lab.routeros.wire import ProtocolError, encode_sentence, read_sentence

READ_ONLY_SUFFIX = "-ro"


@dataclass
class ApiDevice:
    concentrator: Concentrator
    behaviour: Behaviour = field(default_factory=Behaviour)
    port: int = 0  # 0: any free port; filled in when the server starts
    tls: bool = False
    sessions: int = 0
    site: str = ""

    @property
    def name(self) -> str:
        return self.concentrator.name


class ApiServer:
    def __init__(
        self,
        devices: list[ApiDevice],
        *,
        username: str,
        password: str,
        host: str = "127.0.0.1",
        tls_context: ssl.SSLContext | None = None,
    ) -> None:
        self.devices = devices
        self.username = username
        self.password = password
        self.host = host
        self.tls_context = tls_context
        self._servers: list[asyncio.AbstractServer] = []
        for device in devices:  # the API's logins, as /user lists them
            router = device.concentrator
            for name, group in ((username, "full"), (username + READ_ONLY_SUFFIX, "read")):
                if router.unique["/user"].get((name,)) is None:
                    router.seed("/user", name=name, group=group, comment="ispflow")

    @property
    def ports(self) -> dict[str, int]:
        return {device.name: device.port for device in self.devices}

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        for device in self.devices:
            device.concentrator.loop = loop
            server = await asyncio.start_server(
                lambda r, w, d=device: self._serve(d, r, w),
                self.host,
                device.port,
                ssl=self.tls_context if device.tls else None,
            )
            device.port = server.sockets[0].getsockname()[1]
            self._servers.append(server)

    async def stop(self) -> None:
        for server in self._servers:
            server.close()
        for server in self._servers:
            with contextlib.suppress(Exception):
                await server.wait_closed()

    async def _serve(
        self, device: ApiDevice, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        device.sessions += 1
        user: str | None = None
        commands = 0
        try:
            while True:
                words = await read_sentence(reader)
                command = words[0]
                tag = next((w[5:] for w in words if w.startswith(".tag=")), None)
                behaviour = device.behaviour
                if command == "/quit":
                    await _send(writer, [["!fatal", "session terminated on request"]], tag)
                    return
                if user is None:
                    if command != "/login":
                        await _send(writer, [["!fatal", "not logged in"]], tag)
                        return
                    user = await self._login(device, words)
                    if user is None:
                        await _send(writer, [["!trap", "=message=cannot log in"], ["!done"]], tag)
                        return
                    await _send(writer, [["!done"]], tag)
                    continue
                commands += 1
                if behaviour.drop_on and any(behaviour.drop_on in w for w in words):
                    return  # cut before the command takes effect
                if await behaviour.hold(" ".join(words)):
                    return  # held, never run; the client is gone by now
                if behaviour.per_command():
                    await asyncio.sleep(behaviour.per_command())
                replies = device.concentrator.execute(
                    words, can_write=not user.endswith(READ_ONLY_SUFFIX)
                )
                await _send(writer, replies, tag)
                if behaviour.drop_after is not None and commands >= behaviour.drop_after:
                    return
        except (asyncio.IncompleteReadError, ConnectionError, ProtocolError, ssl.SSLError):
            return
        finally:
            device.sessions -= 1
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _login(self, device: ApiDevice, words: list[str]) -> str | None:
        attributes = dict(w[1:].partition("=")[::2] for w in words[1:] if w.startswith("="))
        name, password = attributes.get("name", ""), attributes.get("password", "")
        if device.behaviour.login_latency:
            await asyncio.sleep(device.behaviour.login_latency)
        if device.behaviour.refuse_logins:
            return None
        known = name in (self.username, self.username + READ_ONLY_SUFFIX)
        if known and hmac.compare_digest(password.encode(), self.password.encode()):
            return name
        return None


async def _send(writer: asyncio.StreamWriter, sentences: list[list[str]], tag: str | None) -> None:
    data = b"".join(encode_sentence(s if tag is None else [*s, f".tag={tag}"]) for s in sentences)
    writer.write(data)
    await writer.drain()
