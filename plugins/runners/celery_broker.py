"""What the coordinator and `ispflow worker` ask the broker itself: is it there, does a queue
still hold messages, and (Redis) did it restart since the run began. A Redis without
persistence loses every queued message when it restarts; the coordinator learns it here
instead of waiting for workers that will never see those messages."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from ispflow.core.errors import UsageError
from ispflow.plugins.runners.celery_settings import CelerySettings, without_password

# Seconds to reach the broker before a command gives up: a broker that is there answers in
# milliseconds; one that is not should not hold the user for kombu's minutes of retries.
CONNECT_TIMEOUT_S = 3.0
CONNECT_RETRIES = 1
# The coordinator asks the broker about its queues at most this often.
PROBE_EVERY_S = 1.0


def transport_options() -> dict[str, Any]:
    """Bounds for connecting (Redis: `socket_connect_timeout`); not for reading, since a
    worker's blocking read waits on the socket by design."""
    return {"socket_connect_timeout": CONNECT_TIMEOUT_S}


def check_reachable(app: Any, settings: CelerySettings) -> None:
    """Raise UsageError, in one line, when the broker does not answer within a few seconds."""
    BrokerWatch(app).check(settings)


def _connect(conn: Any) -> None:
    conn.ensure_connection(
        max_retries=CONNECT_RETRIES,
        interval_start=0.5,
        interval_step=0.5,
        interval_max=0.5,
        timeout=CONNECT_TIMEOUT_S,
    )


def unreachable(settings: CelerySettings, exc: BaseException) -> UsageError:
    what = _broker_kind(settings.broker)
    return UsageError(
        f"the Celery broker {settings.shown()} is not reachable ({reason(exc)}); "
        f"start {what} or set ISPFLOW_BROKER_URL"
    )


def reason(exc: BaseException) -> str:
    """The socket's own words when there are some ("Connection refused"), else the error's;
    never a URL with a password."""
    words = str(exc) or type(exc).__name__
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            words = current.strerror
            break
        current = current.__cause__ or current.__context__
    return without_password(words.strip().rstrip("."))


def _broker_kind(url: str) -> str:
    scheme = url.split("://", 1)[0].lower()
    if scheme.startswith(("redis", "rediss", "sentinel")):
        return "Redis"
    if scheme.startswith(("amqp", "pyamqp", "amqps")):
        return "RabbitMQ"
    return "the broker"


@dataclasses.dataclass(frozen=True)
class Restart:
    """The broker came up again at `at`: what was queued before then is gone."""

    at: datetime


class BrokerWatch:
    """The coordinator's view of the broker while it waits for a run's shards."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.restarts: list[Restart] = []
        self.error: str | None = None  # why the broker did not answer the last question
        self._server: str | None = None
        self._sizes: dict[str, tuple[float, int | None]] = {}

    def check(self, settings: CelerySettings) -> None:
        """Before the run: the broker answers (else UsageError), and which server it is."""
        try:
            with self.app.connection_for_write() as conn:
                _connect(conn)
                self._note_server(conn.default_channel)
        except Exception as exc:  # noqa: BLE001 - kombu, redis-py and amqp raise their own
            raise unreachable(settings, exc) from None

    def queue_size(self, queue: str) -> int | None:
        """Messages waiting in `queue` (not those a worker holds); None when the broker
        cannot say (see `error`)."""
        now = time.monotonic()
        known = self._sizes.get(queue)
        if known and now - known[0] < PROBE_EVERY_S:
            return known[1]
        size = self._probe(queue)
        self._sizes[queue] = (now, size)
        return size

    def _probe(self, queue: str) -> int | None:
        try:
            with self.app.connection_for_write() as conn:
                _connect(conn)
                channel = conn.channel()
                try:
                    self._note_server(channel)
                    size = _size(channel, queue)
                finally:
                    channel.close()
        except Exception as exc:  # noqa: BLE001 - a broker that cannot answer says nothing
            self.error = reason(exc)
            return None
        self.error = None
        return size

    def _note_server(self, channel: Any) -> None:
        """Redis only: its run_id changes on every start, and its uptime dates the start."""
        client = getattr(channel, "client", None)
        if client is None or not hasattr(client, "info"):
            return
        info = client.info("server")
        server = str(info.get("run_id") or "")
        if self._server and server and server != self._server:
            uptime = timedelta(seconds=int(info.get("uptime_in_seconds", 0)))
            self.restarts.append(Restart((datetime.now(UTC) - uptime).replace(microsecond=0)))
        self._server = server or self._server

    def restarted_since(self, moment: datetime) -> Restart | None:
        """The latest restart at or after `moment` (to the second: Redis counts whole ones)."""
        floor = moment.replace(microsecond=0) - timedelta(seconds=1)
        return next((r for r in reversed(self.restarts) if r.at >= floor), None)


def _size(channel: Any, queue: str) -> int:
    from kombu.exceptions import ChannelError

    try:
        return int(channel.queue_declare(queue=queue, passive=True).message_count)
    except ChannelError:  # no such queue: nothing waits in it
        return 0


def workers_listening(app: Any, queue: str, timeout: float = 1.0) -> list[str] | None:
    """The workers that answer now and take `queue`; None when the broker cannot ask them."""
    try:
        replies = app.control.inspect(timeout=timeout).active_queues() or {}
    except Exception:  # noqa: BLE001 - best effort: the store's claims say who was there
        return None
    return sorted(
        worker
        for worker, queues in replies.items()
        if any(q.get("name") == queue for q in queues or ())
    )
