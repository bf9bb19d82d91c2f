"""MikroTik concentrators read through NAPALM: the `ros` driver (napalm-ros) over the API.

The NAPALM session is nornir-napalm's `napalm` connection, opened with the same address,
port, login and TLS settings the host's `routeros_api` connection uses (see
connection.py beside this module), so a concentrator is described once in the inventory.
TLS there (on unless `extras.tls` is false; `tls_verify`, `ca_file`) becomes napalm-ros's
`ssl_wrapper`. The session is closed again after each read unless it was already open.

`mask_config` hides what a RouterOS export may still carry after RouterOS's own hiding of
sensitive values: passwords, secrets, keys and passphrases, and SNMP community names.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from nornir.core.inventory import Host
from nornir.core.task import Task

from ispflow.core.errors import ReportedError
from ispflow.plugins.concentrator.mikrotik.connection import CONNECTION_NAME as API_CONNECTION
from ispflow.plugins.concentrator.mikrotik.connection import (
    DEFAULT_TIMEOUT_S,
    RouterOsApi,
    default_port,
    tls_failure,
    tls_wrapper,
)
from ispflow.plugins.connections import clear_text

NAPALM_CONNECTION = "napalm"  # nornir-napalm's connection plugin
NAPALM_DRIVER = "ros"  # napalm-ros
MASK = "***"
# An export's comment lines (`# by RouterOS 7.16.2`, `# model = …`): not configuration.
CONFIG_STRUCTURE = re.compile(r"#.*")


class ConcentratorConnectError(ConnectionError, ReportedError):
    """The concentrator could not be reached or turned the login down; says which and where
    (host name and address), never with the password."""

    def __init__(self, host: str, address: str, status: str, reason: str) -> None:
        super().__init__(f"{host} ({address}): {status}: {reason}")
        self.host = host
        self.address = address
        self.status = status  # "unreachable" | "login refused"


# -- opening and closing -----------------------------------------------------------------
def napalm_parameters(host: Host) -> dict[str, Any]:
    """Arguments for `host.open_connection("napalm", ...)` from the host's routeros_api
    settings: hostname, login, port, and napalm-ros's optional args (port, ssl_wrapper)."""
    params = host.get_connection_parameters(API_CONNECTION)
    extras = dict(params.extras or {})
    port = int(params.port or default_port(extras))
    optional: dict[str, Any] = {"port": port}
    wrapper = tls_wrapper(params.hostname, extras)
    if wrapper is not None:
        optional["ssl_wrapper"] = wrapper
    return {
        "hostname": params.hostname,
        "username": params.username,
        "password": params.password,
        "port": port,
        "platform": NAPALM_DRIVER,
        "extras": {
            "timeout": float(extras.get("timeout", DEFAULT_TIMEOUT_S)),
            "optional_args": optional,
        },
    }


def open_napalm(task: Task) -> Any:
    """The host's NAPALM `ros` driver, logged in (the open one if there is one)."""
    host = task.host
    if NAPALM_CONNECTION in host.connections:
        return host.connections[NAPALM_CONNECTION].connection
    params = napalm_parameters(host)
    if "ssl_wrapper" not in params["extras"]["optional_args"]:
        clear_text.note(host.name, RouterOsApi.clear_text_notice)
    try:
        plugin = host.open_connection(
            NAPALM_CONNECTION,
            task.nornir.config,
            default_to_host_attributes=False,
            **params,
        )
    except Exception as exc:  # napalm wraps librouteros's and the socket's errors
        raise _connect_error(host, params, exc) from None
    return plugin.connection


def close_napalm(task: Task) -> None:
    try:
        task.host.close_connection(NAPALM_CONNECTION)
    except Exception:  # noqa: BLE001 - a session that broke is closed all the same
        task.host.connections.pop(NAPALM_CONNECTION, None)


@contextmanager
def napalm_session(task: Task) -> Iterator[Any]:
    """The NAPALM driver for this block; closed after it unless it was open before."""
    opened_here = NAPALM_CONNECTION not in task.host.connections
    device = open_napalm(task)
    try:
        yield device
    finally:
        if opened_here:
            close_napalm(task)


def _connect_error(host: Host, params: dict[str, Any], exc: BaseException) -> Exception:
    from librouteros.exceptions import FatalError, MultiTrapError, TrapError

    address = f"{params['hostname']}:{params['port']}"
    cause = _innermost(exc)
    if isinstance(cause, TrapError | MultiTrapError | FatalError):
        status = "login refused"
        reason = f"user {params['username']!r}: {cause}"
    elif (problem := tls_failure(cause)) is not None:
        status, reason = "connection failed", problem
    elif isinstance(cause, TimeoutError):
        status, reason = "unreachable", f"no answer in {params['extras']['timeout']:g} s"
    elif isinstance(cause, OSError):
        status, reason = "unreachable", cause.strerror or type(cause).__name__
    else:
        status, reason = "connection failed", str(cause).strip() or type(cause).__name__
    reason = _without(reason, params.get("password"))
    return ConcentratorConnectError(host.name, address, status, reason)


def _innermost(exc: BaseException) -> BaseException:
    """The error under napalm's ConnectionException (raised while handling it)."""
    seen, visited = exc, {id(exc)}
    while (inner := seen.__cause__ or seen.__context__) is not None and id(inner) not in visited:
        seen = inner
        visited.add(id(inner))
    return seen


def _without(text: str, secret: str | None) -> str:
    return text.replace(secret, MASK) if secret else text


# -- reads -------------------------------------------------------------------------------
def concentrator_facts(task: Task) -> dict[str, Any]:
    """NAPALM's facts, interfaces, ARP table and users of the host's concentrator."""
    with napalm_session(task) as device:
        return {
            "facts": device.get_facts(),
            "interfaces": device.get_interfaces(),
            "arp": device.get_arp_table(),
            "users": device.get_users(),
        }


def concentrator_config(task: Task, *, sanitized: bool = True) -> str:
    """The running configuration (a terse RouterOS export). Sanitized: RouterOS leaves the
    sensitive values out, and what else could be secret is masked (`mask_config`)."""
    with napalm_session(task) as device:
        running = device.get_config(retrieve="running", sanitized=sanitized)["running"]
    return mask_config(running) if sanitized else running


def session_interface(name: str) -> bool:
    """A PPPoE session's own dynamic interface (`<pppoe-LOGIN>`), not a port or VLAN."""
    return name.startswith("<pppoe-") and name.endswith(">")


# -- masking -----------------------------------------------------------------------------
# A property whose value is a secret: any name ending in password, secret, passphrase, key or
# psk (password=, authentication-password=, wpa2-pre-shared-key=, private-key=...), but not
# the public half of a key pair.
_SECRET_PROPERTY = re.compile(
    r"(?<![\w-])(?!public-key=)([\w-]*(?:password|secret|passphrase|key|psk))="
    r'("(?:[^"\\]|\\.)*"|[^\s\]]+)'
)
_NAME_PROPERTY = re.compile(r'(?<![\w-])(name=)("(?:[^"\\]|\\.)*"|[^\s\]]+)')
_VERBS = {"add", "set", "remove", "print", "edit", "enable", "disable", "comment"}
_COMMUNITY_MENU = "/snmp community"


def mask_config(text: str) -> str:
    """A RouterOS export with every secret value, and the SNMP community names, as ***."""
    section = ""
    out = []
    for line in text.splitlines():
        if line.startswith("/"):
            section = _menu(line)
        masked = _SECRET_PROPERTY.sub(lambda m: f"{m.group(1)}={MASK}", line)
        if section == _COMMUNITY_MENU and not line.lstrip().startswith("#"):
            masked = _NAME_PROPERTY.sub(lambda m: f"{m.group(1)}{MASK}", masked)
        out.append(masked)
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def _menu(line: str) -> str:
    """`/snmp community set ...` (terse) or `/snmp community` (a section line) -> the menu."""
    words = []
    for word in line.split():
        if word in _VERBS or word.startswith("[") or "=" in word:
            break
        words.append(word)
    return " ".join(words)
