"""What the coordinator tells the user about a shard no worker ran: that it sent the shard
again, or why it gave up. A user reading "start a worker" while two were running would go
looking in the wrong place, so the words tell apart a queue nobody listens on, a message the
broker lost, and a broker that cannot be reached."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Literal

from ispflow.plugins.runners.celery_broker import Restart

Kind = Literal["waiting", "lost", "unsent"]


@dataclasses.dataclass(frozen=True)
class Waited:
    """One shard's wait: what was sent, what became of it, and the broker's part in it."""

    shard: str
    step: str
    queue: str
    sends: int
    lost: int
    seconds: float
    broker: str  # without its password
    restart: Restart | None = None
    broker_error: str | None = None


@dataclasses.dataclass(frozen=True)
class Seen:
    """Workers of a queue: those that claimed a shard of it in this run (from the store),
    those answering now that take it (from the broker; None when they could not be asked),
    and those that claimed shards of other queues only (workers were there, elsewhere)."""

    claimed: list[str]
    listening: list[str] | None = None
    elsewhere: list[str] = dataclasses.field(default_factory=list)

    @property
    def anyone(self) -> bool:
        return bool(self.claimed or self.listening)


def node_names(workers: Iterable[str]) -> list[str]:
    """Workers as Celery names them: `ispflow-12@pop:3456` (one process) is `ispflow-12@pop`."""
    return sorted({re.sub(r":\d+$", "", w) for w in workers})


def resent_notice(waited: Waited, limit: int) -> str:
    text = (
        f"shard '{waited.shard}' of step '{waited.step}' sent again to queue '{waited.queue}' "
        f"(send {waited.sends} of {limit}): no worker claimed it and the queue held no "
        "message for it"
    )
    if waited.restart:
        text += f"; the broker restarted at {_when(waited.restart)}"
    return text


def give_up_reason(kind: Kind, waited: Waited, seen: Seen, run_id: str) -> str:
    parts = [_headline(kind, waited), _history(kind, waited), _workers(kind, waited, seen)]
    parts.append(f"resume with ispflow run --resume {run_id} --runner celery")
    return "; ".join(p for p in parts if p)


def _headline(kind: Kind, w: Waited) -> str:
    if kind == "lost":
        return (
            f"shard '{w.shard}' of step '{w.step}' was sent {w.sends} times to queue "
            f"'{w.queue}' and never claimed"
        )
    if kind == "unsent":
        return (
            f"shard '{w.shard}' of step '{w.step}' could not be sent to queue '{w.queue}' for "
            f"{w.seconds:g} s: the Celery broker {w.broker} is not reachable ({w.broker_error})"
        )
    return (
        f"no worker took shard '{w.shard}' of step '{w.step}' from queue '{w.queue}' within "
        f"{w.seconds:g} s"
    )


def _history(kind: Kind, w: Waited) -> str:
    said = []
    if w.restart:
        said.append(f"the broker restarted at {_when(w.restart)} and lost what was queued")
    elif kind == "lost":
        said.append(
            "each time its message left the queue unclaimed: the broker lost it (a restart, "
            "a purge), or a worker took it and stopped before starting the shard"
        )
    if kind == "waiting" and w.lost:
        said.insert(0, f"it was sent {w.sends} times, {w.lost} of its messages lost")
    if kind != "unsent" and w.broker_error:
        said.append(f"the broker {w.broker} does not answer now ({w.broker_error})")
    return "; ".join(said)


def _workers(kind: Kind, w: Waited, seen: Seen) -> str:
    start = f"ispflow worker --queues {w.queue}"
    if not seen.anyone:
        text = f"no worker took a shard of queue '{w.queue}' in this run"
        if seen.listening is not None:
            text = f"no worker listens on queue '{w.queue}': none took a shard of it in this run"
            text += " and none of those answering now takes it"
        if seen.elsewhere:
            text += f" (workers seen on other queues: {', '.join(seen.elsewhere)})"
        return f"{text}; start one: {start}"
    names = sorted(set(seen.claimed) | set(seen.listening or ()))
    text = f"workers seen on queue '{w.queue}': {', '.join(names)}"
    if seen.listening is not None:
        now = ", ".join(seen.listening) or "none"
        text += f" (answering now: {now})"
    if kind == "waiting":
        text += f"; they are busy or gone (start another: {start})"
    return text


def _when(restart: Restart) -> str:
    return f"{restart.at:%Y-%m-%d %H:%M:%S} UTC"
