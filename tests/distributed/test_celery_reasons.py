"""The coordinator's words for a shard no worker ran: a queue nobody listens on, a message the
broker lost while workers were there, a broker that cannot be reached; and the broker's
errors in one line, without the password. No broker needed."""

from __future__ import annotations

from datetime import UTC, datetime

from ispflow.plugins.runners.celery_broker import Restart, reason
from ispflow.plugins.runners.celery_reasons import (
    Seen,
    Waited,
    give_up_reason,
    node_names,
    resent_notice,
)

RESTART = Restart(datetime(2026, 12, 5, 20, 15, 3, tzinfo=UTC))


def waited(**changes: object) -> Waited:
    values: dict[str, object] = {
        "shard": "site-cwb",
        "step": "read signal",
        "queue": "site-cwb",
        "sends": 3,
        "lost": 3,
        "seconds": 120.0,
        "broker": "redis://:***@broker:6379/0",
    }
    return Waited(**(values | changes))  # type: ignore[arg-type]


def test_lost_while_workers_listened_names_them_and_the_restart() -> None:
    text = give_up_reason(
        "lost",
        waited(restart=RESTART),
        Seen(claimed=["ispflow-1@poa", "ispflow-2@poa"], listening=["ispflow-1@poa"]),
        "R1",
    )
    assert text.startswith(
        "shard 'site-cwb' of step 'read signal' was sent 3 times to queue 'site-cwb' and "
        "never claimed; the broker restarted at 2026-12-05 20:15:03 UTC and lost what was queued"
    )
    assert "workers seen on queue 'site-cwb': ispflow-1@poa, ispflow-2@poa" in text
    assert "(answering now: ispflow-1@poa)" in text
    assert "no worker listened" not in text and "start one" not in text
    assert text.endswith("resume with ispflow run --resume R1 --runner celery")


def test_lost_with_nobody_on_the_queue_says_so() -> None:
    text = give_up_reason("lost", waited(), Seen(claimed=[], listening=[]), "R1")
    assert "the broker lost it" in text
    assert (
        "no worker listens on queue 'site-cwb': none took a shard of it in this run and none "
        "of those answering now takes it; start one: ispflow worker --queues site-cwb"
    ) in text


def test_nobody_on_the_queue_but_workers_elsewhere_names_them() -> None:
    text = give_up_reason(
        "waiting", waited(sends=1, lost=0), Seen([], None, ["ispflow-1@poa"]), "R1"
    )
    assert (
        "no worker took a shard of queue 'site-cwb' in this run (workers seen on other "
        "queues: ispflow-1@poa); start one: ispflow worker --queues site-cwb"
    ) in text


def test_waiting_with_no_worker_ever_is_told_apart_from_workers_gone() -> None:
    never = give_up_reason("waiting", waited(sends=1, lost=0), Seen(claimed=[]), "R1")
    assert never.startswith(
        "no worker took shard 'site-cwb' of step 'read signal' from queue 'site-cwb' within 120 s"
    )
    assert "no worker took a shard of queue 'site-cwb' in this run" in never
    gone = give_up_reason(
        "waiting", waited(sends=2, lost=1), Seen(claimed=["ispflow-1@poa"], listening=[]), "R1"
    )
    assert "it was sent 2 times, 1 of its messages lost" in gone
    assert "workers seen on queue 'site-cwb': ispflow-1@poa (answering now: none)" in gone
    assert "busy or gone (start another: ispflow worker --queues site-cwb)" in gone


def test_an_unreachable_broker_is_named_without_asking_workers() -> None:
    text = give_up_reason(
        "unsent",
        waited(sends=1, lost=0, broker_error="Connection refused"),
        Seen(claimed=["ispflow-1@poa"]),
        "R1",
    )
    assert text.startswith(
        "shard 'site-cwb' of step 'read signal' could not be sent to queue 'site-cwb' for "
        "120 s: the Celery broker redis://:***@broker:6379/0 is not reachable "
        "(Connection refused)"
    )
    assert "answering now" not in text


def test_resent_notice_counts_the_sends() -> None:
    assert resent_notice(waited(sends=2, lost=1, restart=RESTART), 3) == (
        "shard 'site-cwb' of step 'read signal' sent again to queue 'site-cwb' (send 2 of 3): "
        "no worker claimed it and the queue held no message for it; the broker restarted at "
        "2026-12-05 20:15:03 UTC"
    )


def test_worker_processes_are_named_by_their_worker() -> None:
    assert node_names(["ispflow-1@poa:345", "ispflow-1@poa:346", "ispflow-2@cwb:9"]) == [
        "ispflow-1@poa",
        "ispflow-2@cwb",
    ]


def test_reason_is_the_socket_error_and_never_a_password() -> None:
    try:
        try:
            raise ConnectionRefusedError(111, "Connection refused")
        except OSError as exc:
            raise RuntimeError("Error 111 connecting to redis://:pw@h:1/0.") from exc
    except RuntimeError as exc:
        assert reason(exc) == "Connection refused"
    assert reason(RuntimeError("cannot reach redis://:pw@h:1/0.")) == (
        "cannot reach redis://:***@h:1/0"
    )
