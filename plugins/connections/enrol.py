"""Enrolling OLTs' SSH host keys (`ispflow inventory trust`): each OLT's key is read in the
SSH key exchange, without logging in, and recorded in ispflow's known_hosts file. A key that
differs from the recorded one is kept out unless the caller says to replace it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from ispflow.core.errors import UsageError
from ispflow.plugins.connections.connect_errors import explain
from ispflow.plugins.connections.host_keys import CONNECTION, is_olt, offered_key
from ispflow.plugins.connections.known_hosts import (
    SSH_PORT,
    address,
    fingerprint,
    host_key_settings,
    known_name,
    read,
    record,
    recorded,
)


@dataclass
class Enrolled:
    host: str
    address: str
    name: str = ""  # as the known_hosts file names the server
    status: str = "failed"  # new | unchanged | replaced | changed (kept) | failed
    key: str = ""  # `ssh-ed25519 SHA256:…`
    previous: list[str] = field(default_factory=list)
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("new", "unchanged", "replaced")

    def to_dict(self) -> dict[str, Any]:
        return {
            "host": self.host,
            "address": self.address,
            "known_as": self.name,
            "status": self.status,
            "key": self.key,
            "previous": self.previous,
            "message": self.message or None,
        }


def _over_telnet(host: Any) -> bool:
    """Reached by telnet (`transport: telnet`): there is no SSH host key to record."""
    extras = host.get_connection_parameters(CONNECTION).extras or {}
    return extras.get("transport") == "telnet"


def olts(hosts: dict[str, Any], wanted: Sequence[str]) -> list[Any]:
    """The OLTs among `hosts`, or those `wanted` names: by inventory name, or by address
    (`host` or `host:port`, as a host-key error spells it). OLTs reached by telnet have no
    host key: left out, or an error when named."""
    everyone = [host for host in hosts.values() if is_olt(host) and not _over_telnet(host)]
    if not wanted:
        return everyone
    chosen: dict[str, Any] = {}
    for word in wanted:
        found = [host for host in hosts.values() if word in (host.name, *_addresses(host))]
        if not found:
            raise UsageError(f"no host named {word!r} in the inventory (by name or host:port)")
        for host in found:
            if not is_olt(host):
                raise UsageError(
                    f"{host.name} is not an OLT (role {host.get('role')!r}): host keys are "
                    "recorded for OLTs' SSH"
                )
            if _over_telnet(host):
                raise UsageError(
                    f"{host.name} is reached by telnet (`transport: telnet`): it has no SSH "
                    "host key to record"
                )
            chosen[host.name] = host
    return list(chosen.values())


def _endpoint(host: Any) -> tuple[str, int]:
    params = host.get_connection_parameters(CONNECTION)
    return str(params.hostname or ""), int(params.port or SSH_PORT)


def _addresses(host: Any) -> tuple[str, ...]:
    hostname, port = _endpoint(host)
    return (address(hostname, port), f"{hostname}:{port}")


def trust(
    hosts: Iterable[Any], *, replace: bool, timeout: float, workers: int
) -> tuple[str, list[Enrolled]]:
    """Read and record each OLT's host key; the known_hosts file and what was done."""
    path = host_key_settings().path
    known = read(path)
    chosen = list(hosts)
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        fetched = list(pool.map(lambda host: _fetch(host, known, timeout), chosen))
    offered = [(entry.name, key) for entry, key in fetched if key is not None]
    done = iter(record(path, offered, replace=replace))
    results = []
    for entry, key in fetched:
        if key is not None:
            item = next(done)
            entry.status = item.status
            entry.previous = [fingerprint(old) for old in item.previous]
        results.append(entry)
    return str(path), results


def _fetch(host: Any, known: Any, timeout: float) -> tuple[Enrolled, Any]:
    hostname, port = _endpoint(host)
    entry = Enrolled(host.name, address(hostname, port), known_name(hostname, port))
    if not hostname:
        entry.message = "the inventory gives no address"
        return entry, None
    prefer = [key.get_name() for key in recorded(known, entry.name)]
    try:
        key = offered_key(hostname, port, timeout, prefer)
    except Exception as exc:  # noqa: BLE001 - sockets and paramiko each have their own errors
        cause = explain(exc, hostname, port, None, timeout)
        entry.message = str(cause) if cause else f"{type(exc).__name__}: {exc}"
        return entry, None
    entry.key = fingerprint(key)
    return entry, key
