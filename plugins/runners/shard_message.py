"""A shard's task message as a worker reads it: "shard N of run R is ready", nothing more.

Whoever can write to the broker can send a message; what a worker runs comes from the store
(`store.worker_runs`). A message that says anything the store does not (another run than the
shard's, another runbook, other vars or options, fields no coordinator sends) is refused
before the shard is claimed, so the genuine message still finds it queued. Fields that
older coordinators sent (the vars, the options) are checked like the others and never used.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# What a coordinator of this version sends, and what older ones also did.
SENT = ("shard_id", "run_id", "runbook")
OLDER = ("runbook_sha256", "given_vars", "options")
# Text from a message quoted in a log line, at most.
QUOTED = 80


def runbook_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def shard_refusal(message: Mapping[str, Any], shard: Any | None) -> str | None:
    """Why the message is not one for `shard` (None: it is), from the message alone."""
    unknown = sorted(set(message) - set(SENT) - set(OLDER))
    if unknown:
        return "it has fields no coordinator sends: " + ", ".join(quoted(k) for k in unknown)
    shard_id = message.get("shard_id")
    if not isinstance(shard_id, int) or isinstance(shard_id, bool):
        return f"its shard id {quoted(repr(shard_id))} is not a number"
    if shard is None:
        return "the store has no such shard"
    if message.get("run_id") != shard.run_id:
        return f"it names run {quoted(message.get('run_id'))}; the shard is of run {shard.run_id}"
    return None


def run_refusal(message: Mapping[str, Any], run: Any) -> str | None:
    """Why the message disagrees with the run as the store has it (`store.worker_runs`)."""
    if run.status != "running":
        return f"run {run.run_id} is {run.status}, not running"
    if "runbook" in message and message["runbook"] != run.runbook:
        return f"it names runbook {quoted(message['runbook'])}; the run's is {run.runbook}"
    if "runbook_sha256" in message and message["runbook_sha256"] != run.runbook_sha256:
        return "its runbook SHA-256 is not the run's"
    given = message.get("given_vars")
    if given is not None:
        if not isinstance(given, Mapping):
            return "its vars are not a mapping"
        for name, value in given.items():
            # Names only: a value may be a secret, and the run's values are never quoted.
            if name not in run.vars:
                return f"it gives var {quoted(name)}, which the run has not"
            if not _same(value, run.vars[name]):
                return f"its value of var {quoted(name)} is not the run's"
    options = message.get("options")
    if options is not None:
        if not isinstance(options, Mapping):
            return "its options are not a mapping"
        for name, value in options.items():
            if name not in run.options:
                return f"it gives option {quoted(name)}, which a shard does not take"
            if not _same(value, run.options[name]):
                return f"its option {quoted(name)} is not the run's"
    return None


def _same(a: Any, b: Any) -> bool:
    # As JSON, where True is not 1 and key order does not count.
    try:
        return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)
    except (TypeError, ValueError):
        return False


def quoted(value: Any) -> str:
    """A message's value for a log line: one printable line (else its repr), clipped."""
    text = value if isinstance(value, str) and value.isprintable() else repr(value)
    return text if len(text) <= QUOTED else text[: QUOTED - 1] + "…"
