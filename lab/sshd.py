"""One asyncssh process serving many simulated OLTs, each on its own port on 127.0.0.1.

Password logins (one username/password for the lab), a raw PTY shell that the vendor CLI
drives, and `exec` requests (each line run as a command, output returned, channel closed).
OLTs whose profile logs in over telnet as well get a second port with the same shell
(telnetd.py).
`LabServer` runs on the caller's event loop; `LabThread` gives it a loop of its own in a
background thread, for tests and scripts that are not async.
"""

from __future__ import annotations

import asyncio
import hmac
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import partial
from types import TracebackType

import asyncssh

from ispflow.lab.behaviour import Behaviour
from ispflow.lab.model import LabOlt
from ispflow.lab.shell import Outcome
from ispflow.lab.telnetd import serve_client
from ispflow.lab.terminal import Terminal


class PortInUse(OSError):
    pass


@dataclass
class LabDevice:
    olt: LabOlt
    behaviour: Behaviour = field(default_factory=Behaviour)
    port: int = 0  # 0: any free port; filled in when the server starts
    sessions: int = 0
    telnet_port: int = 0  # where the telnet listener is, for a profile that has one

    @property
    def name(self) -> str:
        return self.olt.name


class _Stdin:
    """The session's input stream, minus the out-of-band events a raw CLI ignores."""

    def __init__(self, stream: asyncssh.SSHReader[str]) -> None:
        self._stream = stream

    async def read(self, n: int = -1) -> str:
        while True:
            try:
                return await self._stream.read(n)
            except (asyncssh.TerminalSizeChanged, asyncssh.BreakReceived, asyncssh.SignalReceived):
                continue
            except (asyncssh.Error, OSError):
                return ""


class _Server(asyncssh.SSHServer):
    def __init__(self, lab: LabServer, device: LabDevice) -> None:
        self._lab = lab
        self._device = device
        self._conn: asyncssh.SSHServerConnection | None = None

    def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
        self._conn = conn
        self._lab.connections.add(conn)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._conn is not None:
            self._lab.connections.discard(self._conn)

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    async def validate_password(self, username: str, password: str) -> bool:
        behaviour = self._device.behaviour
        if behaviour.login_latency > 0:
            await asyncio.sleep(behaviour.login_latency)
        if behaviour.refuse_logins:
            return False
        return self._lab.credentials_match(username, password)


class LabServer:
    def __init__(
        self,
        devices: Sequence[LabDevice],
        *,
        username: str = "admin",
        password: str = "admin",
        host: str = "127.0.0.1",
        host_key: asyncssh.SSHKey | None = None,
    ) -> None:
        self.devices = list(devices)
        self.username = username
        self.password = password
        self.host = host
        self.host_key = host_key
        self.connections: set[asyncssh.SSHServerConnection] = set()
        self._acceptors: list[asyncssh.SSHAcceptor] = []
        self.telnet_clients: set[asyncio.StreamWriter] = set()
        self._telnet_servers: list[asyncio.Server] = []

    @property
    def ports(self) -> dict[str, int]:
        return {device.olt.name: device.port for device in self.devices}

    def credentials_match(self, username: str, password: str) -> bool:
        return hmac.compare_digest(username.encode(), self.username.encode()) and (
            hmac.compare_digest(password.encode(), self.password.encode())
        )

    async def start(self) -> None:
        key = self.host_key or asyncssh.generate_private_key("ssh-ed25519")
        for device in self.devices:
            try:
                acceptor = await asyncssh.create_server(
                    partial(_Server, self, device),
                    self.host,
                    device.port,
                    server_host_keys=[key],
                    process_factory=partial(self._session, device),
                    line_editor=False,  # the CLI echoes and edits lines itself, as OLTs do
                    encoding="utf-8",
                    errors="replace",
                    reuse_address=True,
                )
            except OSError as exc:
                await self.stop()
                raise PortInUse(
                    exc.errno,
                    f"cannot listen on {self.host}:{device.port} for {device.olt.name}: "
                    f"{exc.strerror or exc} (is the port in use?)",
                ) from exc
            device.port = acceptor.get_port()
            self._acceptors.append(acceptor)
            if device.olt.profile.telnet_login is not None:
                await self._start_telnet(device)

    async def _start_telnet(self, device: LabDevice) -> None:
        try:
            server = await asyncio.start_server(
                partial(serve_client, self, device),
                self.host,
                device.telnet_port,
                reuse_address=True,
            )
        except OSError as exc:
            await self.stop()
            raise PortInUse(
                exc.errno,
                f"cannot listen on {self.host}:{device.telnet_port} for {device.olt.name}'s "
                f"telnet: {exc.strerror or exc} (is the port in use?)",
            ) from exc
        device.telnet_port = server.sockets[0].getsockname()[1]
        self._telnet_servers.append(server)

    async def stop(self) -> None:
        for acceptor in self._acceptors:
            acceptor.close()
        for server in self._telnet_servers:
            server.close()
        for acceptor in self._acceptors:
            await acceptor.wait_closed()
        self._acceptors.clear()
        for conn in list(self.connections):
            conn.abort()
        self.connections.clear()
        for writer in list(self.telnet_clients):
            writer.transport.abort()
        self.telnet_clients.clear()
        for server in self._telnet_servers:
            await server.wait_closed()
        self._telnet_servers.clear()

    async def _session(self, device: LabDevice, process: asyncssh.SSHServerProcess[str]) -> None:
        conn = process.get_extra_info("connection")
        peer = (process.get_extra_info("peername") or ("127.0.0.1", 0))[0]
        device.sessions += 1
        batch = process.command is not None
        term = Terminal(_Stdin(process.stdin), process.stdout, echo=not batch)
        shell = device.olt.profile.shell(
            device.olt, device.behaviour, term, batch=batch, session=device.sessions, peer=peer
        )
        outcome: Outcome
        try:
            outcome = await (shell.run_batch(process.command or "") if batch else shell.run())
        except (asyncssh.Error, OSError):
            outcome = "eof"
        term.closed = True
        if outcome == "drop":
            conn.abort()  # no goodbye: the client just sees the TCP session go
        elif outcome == "logout" and not batch:
            conn.close()  # logging out of an OLT ends the SSH connection, not just the channel
        else:
            process.exit(0)


class LabThread:
    """A `LabServer` on its own event loop in a daemon thread."""

    def __init__(self, devices: Sequence[LabDevice], **server_options: object) -> None:
        self.server = LabServer(devices, **server_options)  # type: ignore[arg-type]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="ispflow-lab", daemon=True
        )

    @property
    def ports(self) -> dict[str, int]:
        return self.server.ports

    def start(self, timeout: float = 15.0) -> LabThread:
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.server.start(), self._loop).result(timeout)
        except BaseException:
            self._halt()
            raise
        return self

    def stop(self) -> None:
        if self._loop.is_closed():
            return
        asyncio.run_coroutine_threadsafe(self.server.stop(), self._loop).result(15)
        self._halt()

    def _halt(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(15)
        self._loop.close()

    def __enter__(self) -> LabThread:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
