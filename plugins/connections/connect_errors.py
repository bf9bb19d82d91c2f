"""Why a device session could not start, said as a NOC would say it: which host:port, and
whether there were no credentials to send, nothing listens there, nothing answers, or the
login was refused."""

from __future__ import annotations

import os
import socket

from ispflow.core.errors import ReportedError


class ConnectFailed(ReportedError):
    """The session to a device did not start; the message names host:port and the cause."""


def missing_credentials(
    host: str | None,
    port: int,
    username: str | None,
    password: str | None,
    *,
    password_required: bool = True,
) -> ConnectFailed | None:
    """None when there is something to log in with. Some API users have an empty password
    (`password_required=False`); an OLT's SSH login may not."""
    wanted = (("username", username), ("password", password if password_required else "-"))
    missing = [name for name, value in wanted if not value]
    if not missing:
        return None
    secrets = os.environ.get("ISPFLOW_SECRETS")
    looked = (
        f"the inventory, the secrets file {secrets}"
        if secrets
        else "the inventory (no secrets file: ISPFLOW_SECRETS is not set)"
    )
    return ConnectFailed(
        f"no {' or '.join(missing)} for {host}:{port}: looked in {looked} and "
        "ISPFLOW_USERNAME/ISPFLOW_PASSWORD"
    )


def login_refused(
    host: str | None, port: int, username: str | None, detail: str = "authentication failed"
) -> ConnectFailed:
    return ConnectFailed(f"login refused at {host}:{port} for user '{username}' ({detail})")


def explain(
    exc: BaseException, host: str | None, port: int, username: str | None, timeout: float
) -> ConnectFailed | None:
    """The cause of a failed connect or SSH login, or None for an error this does not know."""
    where = f"{host}:{port}"
    if isinstance(exc, ConnectionRefusedError):
        return ConnectFailed(f"connection refused at {where}: nothing listens on that port")
    if isinstance(exc, socket.gaierror):
        return ConnectFailed(f"cannot resolve {host}: {exc.strerror or exc}")
    if isinstance(exc, TimeoutError):  # socket.timeout too
        return ConnectFailed(f"no answer from {where} in {timeout:g} s (connect timeout)")
    if isinstance(exc, OSError):
        return ConnectFailed(f"cannot reach {where}: {exc.strerror or exc}")
    from netmiko.exceptions import NetmikoAuthenticationException
    from paramiko.ssh_exception import SSHException

    if isinstance(exc, NetmikoAuthenticationException):
        return login_refused(host, port, username)
    if isinstance(exc, SSHException):  # netmiko's timeouts too
        text = str(exc).strip()
        detail = text.splitlines()[0] if text else type(exc).__name__
        return ConnectFailed(f"{where} did not answer as an SSH server should: {detail}")
    return None
