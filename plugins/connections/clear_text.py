"""Logins whose password goes over the network unencrypted, said once per run.

A device reached without TLS (a concentrator whose inventory says `tls: false`) gets its
password readable by anyone on the management network at every login. Said at every login,
a run over hundreds of sessions would bury it; said when a run starts, it would name hosts
the run never logs in to (`inventory-check` touches no device). So each such login notes its
host in the run it belongs to, and the run says it once, when it ends, naming them all
(`notice`; a worker says it for its shard of a distributed run). The run is a context
variable: two runs in one process (the scheduler, a worker, the Python API) each note into
their own. A login outside any run (a script of one's own) is said once per host and process.
"""

from __future__ import annotations

import logging
import threading

from ispflow.store import run_context

log = logging.getLogger(__name__)

_SHARED = "clear_text_logins"  # the run's set of host names, in its shared objects
NAMED = 10  # hosts a notice names before it counts the rest
_outside_runs: set[str] = set()
_outside_lock = threading.Lock()


def note(host: str) -> None:
    """`host` is being logged in to without encryption (noted as the login starts: a login
    refused has sent the password all the same)."""
    context = run_context.current()
    if context is not None:
        context.share(_SHARED, set).add(host)  # set.add is atomic: no lock
        return
    with _outside_lock:
        if host in _outside_runs:
            return
        _outside_runs.add(host)
    log.warning(_text([host]))


def notice(context: run_context.RunContext) -> str | None:
    """What the run says about its clear-text logins, or None if it had none."""
    hosts = sorted(context.shared.get(_SHARED) or ())
    return _text(hosts) if hosts else None


def _text(hosts: list[str]) -> str:
    named = ", ".join(hosts[:NAMED])
    if len(hosts) > NAMED:
        named += f" and {len(hosts) - NAMED} more"
    return (
        f"{named}: login without TLS (`tls: false`): the password travels in clear text, "
        "readable by anyone on the management network; turn on the device's TLS service and "
        "drop `tls: false` (docs/ppp.md, Connection)"
    )
