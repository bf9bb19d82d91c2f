"""Rules every device connection of a run obeys, whatever task opens it.

* On a dry run no connection may be opened: a task that forgets to honour ``dry_run`` gets
  :class:`DryRunViolation` instead of touching the device.
* Connection set-ups are limited separately from the worker count: at most ``max_connecting``
  at once and, optionally, ``rate`` new ones per second, so 500 workers do not open 500 SSH
  sessions in the same second (an OLT's AAA and sshd fall over under such a storm).
* A login that sends its password unencrypted (a connection plugin's
  ``sends_password_in_clear(extras)`` says so, and its ``clear_text_notice`` why) is noted
  for the run, which names such hosts once when it ends (plugins/connections/clear_text.py).

Nornir opens every connection through ``Host.open_connection``; the engine wraps that method
once, and the wrapper reads the rules of the run the calling thread belongs to.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

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


class _RunRules(threading.local):
    dry_run: bool = False
    limiter: ConnectLimiter | None = None


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
    _note_clear_text(self, connection)
    limiter = _rules.limiter
    if limiter is None:
        return _original_open(self, connection, *args, **kwargs)
    with limiter.slot():
        return _original_open(self, connection, *args, **kwargs)


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


def apply(*, dry_run: bool, limiter: ConnectLimiter | None) -> None:
    """Apply a run's connection rules to the calling worker thread (set before every step,
    so a thread reused by a later run never keeps an earlier run's rules)."""
    _rules.dry_run = dry_run
    _rules.limiter = limiter
