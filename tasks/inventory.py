"""Checking an inventory against the devices themselves: the "test connection" button.

`inventory.probe` connects to a host the way every other task would, and says which of these
held: the address answers (TCP), the login is accepted, and the device is the vendor and model
the inventory says. OLTs are asked their version through their driver; concentrators what
their concentrator driver's `resource` reads. Each host gets one verdict: ok, unreachable,
host key unknown, host key changed (an OLT's SSH host key is not the one recorded: nothing was
sent), login refused, login failed, mismatch or error.
"""

from __future__ import annotations

import re
import socket
from typing import Any

from nornir.core.task import Result, Task

from ispflow.core.views import TaskView
from ispflow.plugins.concentrator.contract import ConcentratorDriver
from ispflow.plugins.concentrator.drivers import concentrator_driver_for
from ispflow.plugins.connections.olt_cli import default_port as olt_default_port
from ispflow.plugins.olt.drivers import driver_for
from ispflow.plugins.olt.parsing import DeviceError, ParseError
from ispflow.plugins.olt.session import CliSession, DeviceRefused
from ispflow.tasks.registry import task

OLT_CONNECTION = "olt_cli"


class ProbeFailed(Exception):
    def __init__(self, status: str, message: str, **found: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.found = found


@task(
    "inventory.probe",
    view=TaskView(
        columns=("status", "address", "vendor", "model", "os_version", "uptime", "message")
    ),
)
def probe(task: Task, timeout: float = 5.0, disconnect: bool = True, facts: bool = True) -> Result:
    """Reach the host, log in, and compare its vendor and model with the inventory's; with
    `facts`, also read what is worth a look: OLT boards not in service, a concentrator's
    serial, interfaces down or disabled and user accounts (through NAPALM)."""
    host = task.host
    role = host.get("role")
    expected = {"vendor": host.get("vendor"), "model": host.get("model")}
    concentrator: ConcentratorDriver | None = None
    if role == "concentrator":
        try:
            concentrator = concentrator_driver_for(host)
        except ValueError as exc:
            # No driver, so no port or connection to try: the verdict says why.
            address = f"{host.hostname}:{host.port}" if host.port else str(host.hostname)
            unknown = {"address": address, "role": role}
            unknown |= {"expected": expected, "status": "error", "message": str(exc)}
            return Result(host=host, result=unknown, failed=True)
    connection = concentrator.connection if concentrator else OLT_CONNECTION
    port = host.port or _default_port(task, connection, concentrator)
    report: dict[str, Any] = {
        "address": f"{host.hostname}:{port}",
        "role": role,
        "expected": expected,
    }
    if task.is_dry_run():
        return Result(host=host, result={**report, "would": f"connect over {connection}"})
    try:
        _reach(host.hostname, port, timeout)
        found = _identify(task, connection, concentrator)
        report.update(found)
        _compare(expected, found)
        if facts:
            report.update(_facts(task, role))
    except ProbeFailed as failed:
        report.update(failed.found, status=failed.status, message=failed.message)
        return Result(host=host, result=report, failed=True)
    finally:
        if disconnect and connection in host.connections:
            _close(task, connection)
    return Result(host=host, result={**report, "status": "ok", "message": None})


def _facts(task: Task, role: str | None) -> dict[str, Any]:
    """The facts the check shows; a device that logged in but cannot give them fails."""
    try:
        if role == "concentrator":
            from ispflow.tasks.concentrator_facts import facts as concentrator_facts

            read = concentrator_facts(task).result
            keys = ("hostname", "serial", "os_version", "interfaces_disabled", "pppoe_sessions")
            # A port nobody plugged is down too; one with a comment is in use and should not be.
            interfaces = read.get("interfaces") or {}
            in_use_down = [
                name
                for name in read.get("interfaces_down") or []
                if (interfaces.get(name) or {}).get("description")
            ]
            return {
                **{k: read.get(k) for k in keys},
                "interfaces_down": in_use_down,
                "users": sorted(read.get("users") or {}),
            }
        from ispflow.tasks.olt_facts import facts as olt_facts

        read = olt_facts(task).result
        return {
            "os_version": read.get("os_version"),
            "patch": read.get("patch"),
            "boards": len(read.get("boards") or []),
            "boards_in_trouble": read.get("boards_in_trouble") or [],
        }
    except Exception as exc:  # noqa: BLE001 - each reader has its own family of errors
        raise ProbeFailed("error", f"facts not read: {_first_line(exc)}") from None


def _default_port(task: Task, connection: str, concentrator: ConcentratorDriver | None) -> int:
    """The port the connection uses when the inventory gives none (SSH's, or telnet's for an
    OLT with `transport: telnet`; a concentrator's driver says its own)."""
    extras = task.host.get_connection_parameters(connection).extras or {}
    if concentrator is None:
        return olt_default_port(extras)
    return concentrator.default_port(extras)


def _reach(hostname: str | None, port: int, timeout: float) -> None:
    if not hostname:
        raise ProbeFailed("unreachable", "unreachable: the inventory gives no address")
    try:
        with socket.create_connection((hostname, port), timeout=timeout):
            pass
    except TimeoutError:
        raise ProbeFailed(
            "unreachable", f"unreachable: {hostname}:{port} did not answer in {timeout:g} s"
        ) from None
    except socket.gaierror as exc:
        raise ProbeFailed("unreachable", f"unreachable: {hostname}: {exc.strerror}") from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise ProbeFailed("unreachable", f"unreachable: {hostname}:{port}: {reason}") from None


def _identify(
    task: Task, connection: str, concentrator: ConcentratorDriver | None
) -> dict[str, Any]:
    """Log in and ask the device what it is: vendor, model, software."""
    try:
        session = task.host.get_connection(connection, task.nornir.config)
    except Exception as exc:  # each connection library has its own family of errors
        from ispflow.plugins.connections.host_keys import HostKeyRefused

        if isinstance(exc, HostKeyRefused):
            raise ProbeFailed(exc.status, str(exc)) from None
        if _refused(exc, concentrator.login_refused if concentrator else ()):
            raise ProbeFailed("login refused", f"login refused: {_first_line(exc)}") from None
        raise ProbeFailed("login failed", f"login failed: {_first_line(exc)}") from None
    try:
        if concentrator is not None:
            return _concentrator_identity(session, concentrator)
        return _olt_identity(task, session)
    except ProbeFailed:
        raise
    except Exception as exc:  # the session broke after the login
        raise ProbeFailed("error", f"the session failed: {_first_line(exc)}") from None


def _olt_identity(task: Task, connection: Any) -> dict[str, Any]:
    driver = driver_for(task.host)
    lines = driver.version()
    try:
        command, output = CliSession(connection, driver).run(lines)[-1]
        records = driver.parse(command, output)
    except (DeviceRefused, DeviceError, ParseError):
        records = []  # another vendor's CLI refusing this one's command
    if not records:
        raise ProbeFailed(
            "mismatch",
            f"vendor mismatch: expected {driver.vendor}, the device does not answer "
            f"'{lines[-1]}' as a {driver.vendor} OLT does",
        )
    return _identity(records[0])


def _concentrator_identity(session: Any, driver: ConcentratorDriver) -> dict[str, Any]:
    [answer] = session.run([driver.resource()])
    found = None if answer.error else driver.identity(answer.rows)
    if found is None:
        raise ProbeFailed(
            "mismatch", f"vendor mismatch: expected {driver.vendor}, {driver.identity_mismatch()}"
        )
    return _identity(found)


def _identity(record: dict[str, Any]) -> dict[str, Any]:
    return {key: record.get(key) for key in ("vendor", "model", "software", "uptime")}


def _compare(expected: dict[str, Any], found: dict[str, Any]) -> None:
    vendor, model = expected.get("vendor"), expected.get("model")
    if vendor and found.get("vendor") and str(vendor).lower() != str(found["vendor"]).lower():
        raise ProbeFailed(
            "mismatch", f"vendor mismatch: expected {vendor}, device says {found['vendor']}"
        )
    if model and found.get("model") and not same_model(str(model), str(found["model"])):
        raise ProbeFailed(
            "mismatch", f"model mismatch: expected {model}, device says {found['model']}"
        )


def same_model(expected: str, seen: str) -> bool:
    """Model names as people write them: case, spaces and dashes aside, and a vendor prefix
    allowed on either side ("ZXA10 C320" is a "C320")."""
    a, b = _plain(expected), _plain(seen)
    return bool(a and b) and (a == b or a.endswith(b) or b.endswith(a))


def _plain(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _refused(exc: BaseException, also: tuple[type[BaseException], ...] = ()) -> bool:
    """A login the device turned down, as opposed to one that never got that far; `also`:
    what the concentrator driver's connection raises for one."""
    from netmiko.exceptions import NetmikoAuthenticationException
    from paramiko.ssh_exception import AuthenticationException

    refused = (NetmikoAuthenticationException, AuthenticationException, *also)
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, refused):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _close(task: Task, connection: str) -> None:
    try:
        task.host.close_connection(connection)
    except Exception:  # noqa: BLE001 - a session that broke is closed all the same
        task.host.connections.pop(connection, None)
