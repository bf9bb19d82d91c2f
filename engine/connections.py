"""Rules every device connection of a run obeys, whatever task opens it.

* On a dry run no connection may be opened: a task that forgets to honour ``dry_run`` gets
  :class:`DryRunViolation` instead of touching the device.
* Connection set-ups are limited separately from the worker count: at most ``max_connecting``
  at once and, optionally, ``rate`` new ones per second, so 500 workers do not open 500 SSH
  sessions in the same second (an OLT's AAA and sshd fall over under such a storm).
* A login that sends its password unencrypted (a connection plugin's
  ``sends_password_in_clear(extras)`` says so, and its ``clear_text_notice`` why) is noted
  for the run, which names such hosts once when it ends (plugins/connections/clear_text.py).
* A run may log in to the hosts of its first step while it records itself in the store
  (:class:`EarlyLogins`, for steps that change nothing): the task that then opens that
  connection gets the session already made, or the error that login met, and never logs in a
  second time for it.

Nornir opens every connection through ``Host.open_connection``; the engine wraps that method
once, and the wrapper reads the rules of the run the calling thread belongs to.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager, suppress
from typing import Any

from nornir.core.configuration import Config
from nornir.core.inventory import Host
from nornir.core.plugins.connections import ConnectionPluginRegister


class DryRunViolation(RuntimeError):
    """A task tried to open a device connection during a dry run."""


class ConnectLimiter:
    def __init__(self, max_connecting: int = 10, rate: float | None = None) -> None:
        self._slots = threading.BoundedSemaphore(max(1, max_connecting))
        self._interval = 1.0 / rate if rate else 0.0
        self._next_at = 0.0
        self._lock = threading.Lock()

    @contextmanager
    def slot(self) -> Iterator[None]:
        with self._slots:
            if self._interval:
                with self._lock:
                    now = time.monotonic()
                    start = max(now, self._next_at)
                    self._next_at = start + self._interval
                if start > now:
                    time.sleep(start - now)
            yield


class EarlyLogins:
    """Logins started before their task asks for them, each in a thread of its own: a run
    logs in to the first hosts of a step that changes nothing while it records itself in the
    store, so the two waits overlap. A login's session goes to the host's connections only
    when the task opens that connection (until then it belongs to no one); the task gets the
    login's error instead if it failed. `close_unused` ends what no task took."""

    def __init__(self) -> None:
        self._logins: dict[tuple[str, str], Future[Any]] = {}
        self._dropped: list[Future[Any]] = []
        self._lock = threading.Lock()

    def start(
        self, host: Host, connection: str, configuration: Config, limiter: ConnectLimiter | None
    ) -> None:
        """Log in to `host` with `connection`, under the run's connection limits."""
        login: Future[Any] = Future()
        with self._lock:
            self._logins[(host.name, connection)] = login

        def log_in() -> None:
            apply(dry_run=False, limiter=limiter)
            try:
                login.set_result(_opened(host, connection, configuration))
            except BaseException as exc:  # the task that opens it gets it, as its own
                login.set_exception(exc)

        threading.Thread(target=log_in, name=f"ispflow-login-{host.name}", daemon=True).start()

    def take(self, host: Host, connection: str) -> Future[Any] | None:
        """The login started for `host` and `connection`, once; None if there is none."""
        with self._lock:
            return self._logins.pop((host.name, connection), None)

    def close_later(self, login: Future[Any]) -> None:
        """A login taken but not used: `close_unused` closes its session."""
        with self._lock:
            self._dropped.append(login)

    def close_unused(self) -> None:
        """Close the sessions of the logins no task took, as each login ends (a login still
        under way is not waited for)."""
        with self._lock:
            left = [*self._logins.values(), *self._dropped]
            self._logins, self._dropped = {}, []
        for login in left:
            login.add_done_callback(_close_session)


def _close_session(login: Future[Any]) -> None:
    if login.exception() is not None:
        return  # no one asked for it: nothing to report
    with suppress(Exception):  # a session being dropped either way
        login.result().close()


def _opened(host: Host, connection: str, configuration: Config) -> Any:
    """`connection` to `host`, opened as ``Host.open_connection`` opens it, under this
    thread's limits, but not yet among the host's connections."""
    params = host.get_connection_parameters(connection)
    plugin = ConnectionPluginRegister.get_plugin(connection)()

    def open_it() -> Any:
        plugin.open(
            hostname=params.hostname,
            username=params.username,
            password=params.password,
            port=params.port,
            platform=params.platform,
            extras=params.extras,
            configuration=configuration,
        )
        return plugin

    limiter = _rules.limiter
    if limiter is None:
        return open_it()
    with limiter.slot():
        return open_it()


class _RunRules(threading.local):
    dry_run: bool = False
    limiter: ConnectLimiter | None = None
    early: EarlyLogins | None = None


_rules = _RunRules()
_original_open = Host.open_connection
_installed = False
_install_lock = threading.Lock()


def _guarded_open(self: Host, connection: str, *args: Any, **kwargs: Any) -> Any:
    if _rules.dry_run:
        raise DryRunViolation(
            f"dry run: the task tried to open a '{connection}' connection to {self.name}; "
            "nothing was sent"
        )
    early = _rules.early
    login = early.take(self, connection) if early is not None else None
    if login is not None:
        if connection in self.connections:  # as Nornir does: open is refused, not replaced
            early.close_later(login)
            return _original_open(self, connection, *args, **kwargs)
        self.connections[connection] = login.result()
        return self.connections[connection]
    _note_clear_text(self, connection)
    limiter = _rules.limiter
    if limiter is None:
        return _original_open(self, connection, *args, **kwargs)
    with limiter.slot():
        return _original_open(self, connection, *args, **kwargs)


def sends_password_in_clear(host: Host, connection: str) -> bool:
    """Would opening `connection` to `host` send its password unencrypted (as far as the
    plugin says)? Settings the plugin cannot use count as yes: opening says what is wrong."""
    plugin = ConnectionPluginRegister.available.get(connection)
    says = getattr(plugin, "sends_password_in_clear", None)
    if says is None:
        return False
    try:
        return bool(says(host.get_connection_parameters(connection).extras or {}))
    except ValueError:
        return True


def _note_clear_text(host: Host, connection: str) -> None:
    plugin = ConnectionPluginRegister.available.get(connection)
    says = getattr(plugin, "sends_password_in_clear", None)
    if says is None:
        return
    try:
        clear = says(host.get_connection_parameters(connection).extras or {})
    except ValueError:
        return  # settings it cannot use: opening the connection says so
    if clear:
        from ispflow.plugins.connections import clear_text

        clear_text.note(host.name, getattr(plugin, "clear_text_notice", None))


def install() -> None:
    """Wrap ``Host.open_connection`` (idempotent)."""
    global _installed
    with _install_lock:
        if not _installed:
            Host.open_connection = _guarded_open  # type: ignore[method-assign]
            _installed = True


def apply(
    *, dry_run: bool, limiter: ConnectLimiter | None, early: EarlyLogins | None = None
) -> None:
    """Apply a run's connection rules to the calling worker thread (set before every step,
    so a thread reused by a later run never keeps an earlier run's rules)."""
    _rules.dry_run = dry_run
    _rules.limiter = limiter
    _rules.early = early
