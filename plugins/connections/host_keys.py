"""An OLT's SSH host key is checked before anything is sent to it.

The olt_cli connection gives netmiko `ssh_strict` (so paramiko rejects what it does not know)
and ispflow's known_hosts file (known_hosts.py) as `alt_key_file`; `CheckedHostKeys` gives the
SSH client the keys recorded for this host (from a parse of the file cached until it changes:
netmiko's `alt_host_keys` would parse the whole file again for every login) and refuses an
unknown key with `RefuseUnknownKey` (paramiko's RejectPolicy, keeping the key so that the
error can show its fingerprint). paramiko compares the key right after the key exchange,
before it authenticates: a different key raises its BadHostKeyException. netmiko reports both
as a bare NetmikoTimeoutException; `refusal()` finds the cause in its chain and says it with
the host, the fingerprints and what to do.

Checking is turned off for every host by `ssh.host_key_check: false` in ispflow.yaml, or for
some hosts by `host_key_check: false` in their `connection_options.olt_cli.extras`; a run
then warns once, naming them (`unchecked_warning`).
"""

from __future__ import annotations

import functools
import socket
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import paramiko
from paramiko.ssh_exception import BadHostKeyException, SSHException

from ispflow.core.errors import UsageError
from ispflow.plugins.connections.connect_errors import ConnectFailed
from ispflow.plugins.connections.known_hosts import (
    HostKeySettings,
    address,
    current,
    fingerprint,
    known_name,
    recorded,
)

# Which hosts are checked is decided without paramiko (a run warns before it connects).
from ispflow.plugins.connections.unchecked_keys import (  # noqa: F401 - also imported from here
    CONNECTION,
    EXTRA,
    is_olt,
    unchecked,
    unchecked_warning,
)

# netmiko's own host-key arguments: ispflow sets them from its settings.
NETMIKO_KEYS = ("ssh_strict", "system_host_keys", "alt_host_keys", "alt_key_file")


class HostKeyRefused(ConnectFailed):
    """The server's SSH host key is not the recorded one, or none is recorded: nothing was
    sent to it. `status` is the verdict `inventory check` gives."""

    status = "host key"


class HostKeyUnknown(HostKeyRefused):
    status = "host key unknown"


class HostKeyChanged(HostKeyRefused):
    status = "host key changed"


class UnknownHostKey(SSHException):
    """Raised by `RefuseUnknownKey` inside paramiko's connect, before authentication."""

    def __init__(self, name: str, key: paramiko.PKey) -> None:
        super().__init__(f"{name} offers {fingerprint(key)}, which is not in known_hosts")
        self.name = name
        self.key = key


class RefuseUnknownKey(paramiko.RejectPolicy):
    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: Any) -> None:
        raise UnknownHostKey(hostname, key)


class CheckedHostKeys:
    """netmiko mixin: with `ssh_strict`, the SSH client knows the keys recorded for this host
    in `alt_key_file` and refuses any other, keeping an unknown key for the error."""

    key_policy: Any
    alt_key_file: str
    host: str
    port: int

    def _build_ssh_client(self) -> paramiko.SSHClient:
        client: paramiko.SSHClient = super()._build_ssh_client()  # type: ignore[misc]
        if isinstance(self.key_policy, paramiko.RejectPolicy):
            name = known_name(self.host, self.port)
            try:
                keys = recorded(current(Path(self.alt_key_file)), name)
            except UsageError as exc:
                raise ConnectFailed(f"{address(self.host, self.port)}: {exc}") from None
            for key in keys:
                client.get_host_keys().add(name, key.get_name(), key)
            client.set_missing_host_key_policy(RefuseUnknownKey())
        return client


@functools.cache
def checked(session_class: type) -> type:
    """The netmiko session class with `CheckedHostKeys` in front."""
    return type(session_class.__name__, (CheckedHostKeys, session_class), {})


def check_wanted(extras: dict[str, Any], where: str, settings: HostKeySettings) -> bool:
    """Whether this host's key is checked: its `host_key_check` extra, else the setting.
    Takes the extra out of `extras` (netmiko does not know it)."""
    given = [key for key in NETMIKO_KEYS if key in extras and extras[key] is not None]
    if given and not (given == ["ssh_strict"] and extras["ssh_strict"] is True):
        raise ConnectFailed(
            f"{where}: the olt_cli extras {', '.join(given)} are set by ispflow: host keys are "
            f"checked against ssh.known_hosts ({settings.path}); `{EXTRA}: false` in the "
            "extras turns checking off for a host"
        )
    extras.pop("ssh_strict", None)
    wanted = extras.pop(EXTRA, settings.check)
    if not isinstance(wanted, bool):
        raise ConnectFailed(f"{where}: the olt_cli extra {EXTRA} is true or false, not {wanted!r}")
    return wanted


def netmiko_parameters(check: bool, settings: HostKeySettings) -> dict[str, Any]:
    if not check:
        # Nothing loaded, so paramiko's AutoAddPolicy keeps the key in memory only.
        return {"ssh_strict": False, "system_host_keys": False, "alt_host_keys": False}
    return {
        "ssh_strict": True,
        "system_host_keys": False,  # ~/.ssh/known_hosts is the user's, not the NOC's
        "alt_host_keys": False,  # CheckedHostKeys gives the client this host's keys itself
        "alt_key_file": str(settings.path),
    }


def refusal(
    exc: BaseException, hostname: str | None, port: int, path: Path
) -> ConnectFailed | None:
    """The host-key refusal behind a failed connect (netmiko wraps paramiko's), or None."""
    where = address(str(hostname), port)
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, UnknownHostKey):
            return HostKeyUnknown(
                f"unknown SSH host key at {where}: the server offers {fingerprint(seen.key)}, "
                f"which {path} does not list; no login was tried (no password sent). If that "
                f"is the OLT's key, enrol it: `ispflow inventory trust {where}`"
            )
        if isinstance(seen, BadHostKeyException):
            return HostKeyChanged(
                f"HOST KEY CHANGED at {where}: {path} records {fingerprint(seen.expected_key)} "
                f"but the server offers {fingerprint(seen.key)}. This may be an attack (a "
                "server posing as the OLT to take its password); no login was tried (no "
                "password sent). If the OLT's key really changed (new board, reset), check the "
                f"new fingerprint on the OLT and run `ispflow inventory trust {where} --replace`"
            )
        seen = seen.__cause__ or seen.__context__
    return None


# -- enrolment: the key a server offers, without logging in ---------------------------------
def offered_key(
    hostname: str, port: int, timeout: float, prefer: Sequence[str] = ()
) -> paramiko.PKey:
    """The host key the server at hostname:port shows in the key exchange; no login.

    `prefer`: key types already recorded, asked for first, as paramiko's connect does (a
    server with several host keys shows the one a later connect will be checked against)."""
    sock = socket.create_connection((hostname, port), timeout=timeout)
    transport = paramiko.Transport(sock)
    try:
        options = transport.get_security_options()
        wanted = [kind for kind in _key_types(prefer) if kind in options.key_types]
        options.key_types = wanted + [kind for kind in options.key_types if kind not in wanted]
        transport.start_client(timeout=timeout)
        return transport.get_remote_server_key()
    finally:
        transport.close()
        sock.close()  # a transport that never started does not close it


def _key_types(kinds: Sequence[str]) -> list[str]:
    # An RSA key is negotiated by its SHA-2 signature names, as paramiko's connect does.
    names = []
    for kind in kinds:
        names += ["rsa-sha2-512", "rsa-sha2-256", kind] if kind == "ssh-rsa" else [kind]
    return names
