"""Logins whose password goes over the network unencrypted, said once per run.

A device reached without TLS (a concentrator whose inventory says `tls: false`) or over
telnet (an OLT whose inventory says `transport: telnet`) gets its password readable by anyone
on the management network at every login. Said at every login,
a run over hundreds of sessions would bury it; said when a run starts, it would name hosts
the run never logs in to (`inventory-check` touches no device). So each such login notes its
host in the run it belongs to, and the run says it once, when it ends, naming them all
(`notices`; a worker says it for its shard of a distributed run), one line per cause: the
connection plugin's `clear_text_notice` says what makes its logins clear text and what to do.
The run is a context variable: two runs in one process (the scheduler, a worker, the Python
API) each note into their own. A login outside any run (a script of one's own) is said once
per host and process.
"""

from __future__ import annotations

import logging
import threading

from ispflow.store import run_context

log = logging.getLogger(__name__)

_SHARED = "clear_text_logins"  # the run's (host, why) pairs, in its shared objects
NAMED = 10  # hosts a notice names before it counts the rest
# What a notice says when the connection plugin does not say it itself.
UNENCRYPTED = (
    "login without encryption: the password travels in clear text, readable by anyone on the "
    "management network"
)
_outside_runs: set[tuple[str, str]] = set()
_outside_lock = threading.Lock()


def note(host: str, why: str | None = None) -> None:
    """`host` is being logged in to without encryption, for the reason `why` (the
    connection's `clear_text_notice`; noted as the login starts: a login refused has sent
    the password all the same)."""
    pair = (host, why or UNENCRYPTED)
    context = run_context.current()
    if context is not None:
        context.share(_SHARED, set).add(pair)  # set.add is atomic: no lock
        return
    with _outside_lock:
        if pair in _outside_runs:
            return
        _outside_runs.add(pair)
    log.warning(_text([host], pair[1]))


def notices(context: run_context.RunContext) -> list[str]:
    """What the run says about its clear-text logins: a line per cause, naming its hosts."""
    by_cause: dict[str, list[str]] = {}
    for host, why in sorted(context.shared.get(_SHARED) or ()):
        by_cause.setdefault(why, []).append(host)
    return [_text(hosts, why) for why, hosts in sorted(by_cause.items())]


def _text(hosts: list[str], why: str) -> str:
    named = ", ".join(hosts[:NAMED])
    if len(hosts) > NAMED:
        named += f" and {len(hosts) - NAMED} more"
    return f"{named}: {why}"
