"""Shards of distributed runs in the store: planning, one claimant, leases that lapse, giving
up; and the per-PON lock across processes on PostgreSQL."""

from __future__ import annotations

import threading
import time

import pytest

from ispflow.store import shards
from ispflow.store.db import Database
from ispflow.store.journal import Journal


@pytest.fixture
def run_id(journal: Journal) -> str:
    return journal.start_run(
        runbook="audit", runbook_path=None, vars={}, hosts=["a", "b", "c"], steps=["one"],
        options={}, dry_run=False,
    )  # fmt: skip


def test_plan_claim_renew_finish(db: Database, run_id: str) -> None:
    planned = shards.plan(
        db,
        run_id,
        0,
        False,
        [("site-poa", "site-poa", ["a", "b"]), ("site-cwb", "site-cwb", ["c"])],
    )
    assert [(s.name, s.hosts, s.status) for s in planned] == [
        ("site-poa", ("a", "b"), "queued"),
        ("site-cwb", ("c",), "queued"),
    ]
    poa = planned[0]
    assert shards.claim(db, poa.id, "w1:1", 30)
    assert not shards.claim(db, poa.id, "w2:2", 30)  # held: a second copy does nothing
    assert shards.renew(db, poa.id, "w1:1", 30)
    assert not shards.renew(db, poa.id, "w2:2", 30)
    assert shards.finish(db, poa.id, "w1:1", attempt={"ran": ["a", "b"], "already_done": []})
    done = shards.get(db, poa.id)
    assert done is not None and done.status == "done" and done.attempts == 1
    assert done.history == ({"worker": "w1:1", "ran": ["a", "b"], "already_done": []},)
    assert not shards.claim(db, poa.id, "w2:2", 30)  # done stays done
    # Planned again (a resume): a done shard with the same hosts is left done.
    again = shards.plan(db, run_id, 0, False, [("site-poa", "site-poa", ["a", "b"])])
    assert [s.status for s in again if s.name == "site-poa"] == ["done"]


def test_one_claimant_of_many(db: Database, run_id: str) -> None:
    [shard] = shards.plan(db, run_id, 1, False, [("x", "q", ["a"])])
    winners = []

    def take(worker: str) -> None:
        if shards.claim(db, shard.id, worker, 30):
            winners.append(worker)

    threads = [threading.Thread(target=take, args=(f"w{n}",)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(winners) == 1


def test_a_lapsed_lease_is_requeued_and_taken_over(db: Database, run_id: str) -> None:
    [shard] = shards.plan(db, run_id, 0, False, [("x", "q", ["a"])])
    assert shards.claim(db, shard.id, "dead:1", 0.2)
    assert not shards.requeue_lapsed(db, shard.id)  # not lapsed yet
    time.sleep(0.3)
    assert shards.requeue_lapsed(db, shard.id)
    assert shards.claim(db, shard.id, "alive:2", 30)
    assert not shards.finish(db, shard.id, "dead:1")  # the dead one's word no longer counts
    assert shards.finish(db, shard.id, "alive:2", attempt={"ran": ["a"], "already_done": []})
    final = shards.get(db, shard.id)
    assert final is not None and final.attempts == 2 and final.worker == "alive:2"
    assert final.history == (
        {"worker": "dead:1", "lapsed": True},
        {"worker": "alive:2", "ran": ["a"], "already_done": []},
    )


def test_cancel_leaves_taken_shards_alone(db: Database, run_id: str) -> None:
    first, second = shards.plan(db, run_id, 0, False, [("x", "q", ["a"]), ("y", "q", ["b"])])
    assert shards.claim(db, first.id, "w:1", 30)
    assert shards.cancel(db, run_id, 0, False, "no worker for q") == 1
    assert not shards.claim(db, second.id, "late:2", 30)
    states = {s.name: (s.status, s.error) for s in shards.of_step(db, run_id, 0, False)}
    assert states == {"x": ("running", None), "y": ("failed", "no worker for q")}
    assert shards.get(db, first.id) is not None


def test_workers_by_queue_are_those_that_claimed_its_shards(db: Database, run_id: str) -> None:
    poa, other, cwb, _ = shards.plan(
        db,
        run_id,
        0,
        False,
        [
            ("p1", "site-poa", ["a"]),
            ("p2", "site-poa", ["b"]),
            ("c1", "site-cwb", ["c"]),
            ("i1", "ispflow", ["d"]),
        ],
    )
    assert shards.workers_by_queue(db, run_id) == {}
    assert shards.claim(db, poa.id, "w1:1", 30)
    assert shards.finish(db, poa.id, "w1:1", attempt={"ran": ["a"], "already_done": []})
    assert shards.claim(db, other.id, "w2:7", 30)  # running: holding it counts too
    assert shards.claim(db, cwb.id, "w3:3", 0.1)
    time.sleep(0.2)
    assert shards.requeue_lapsed(db, cwb.id)  # w3 died: it was there all the same
    assert shards.workers_by_queue(db, run_id) == {
        "site-poa": ["w1:1", "w2:7"],
        "site-cwb": ["w3:3"],
    }
