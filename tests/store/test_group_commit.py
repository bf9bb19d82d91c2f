"""The group-commit writer on its own, with a stand-in for the database."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

from ispflow.store.errors import StoreError
from ispflow.store.group_commit import GroupCommitWriter


class Refused(Exception):
    pass


class FakeStore:
    """Records each batch; the first one blocks until released, so others queue behind it."""

    def __init__(self, error: type[Exception] = IntegrityError) -> None:
        self.batches: list[list[str]] = []
        self.writing = threading.Event()
        self.release = threading.Event()
        self.error = error

    def write(self, items: Sequence[str]) -> None:
        self.batches.append(list(items))
        if len(self.batches) == 1:
            self.writing.set()
            self.release.wait(5)
        if "bad" in items:
            raise self.error("INSERT …", {}, Refused("refused by the database"))


def writer(store: FakeStore, **options: float) -> GroupCommitWriter[str]:
    return GroupCommitWriter(
        store.write,
        lambda item: f"item {item}",
        flush_interval=options.get("flush_interval", 0.05),
        max_batch=int(options.get("max_batch", 100)),
    )


def test_a_refused_item_does_not_sink_its_batch() -> None:
    store = FakeStore()
    queue = writer(store)
    first = queue.submit("first")
    store.writing.wait(5)
    tickets = {item: queue.submit(item) for item in ("a", "bad", "b")}
    store.release.set()
    queue.wait(first)
    queue.wait(tickets["a"])
    with pytest.raises(StoreError, match="could not store item bad: refused by the database"):
        queue.wait(tickets["bad"])
    queue.wait(tickets["b"])
    assert store.batches == [["first"], ["a", "bad", "b"], ["a"], ["bad"], ["b"]]
    assert (queue.batches, queue.items) == (3, 3)
    queue.close()


def test_a_database_that_is_down_fails_the_whole_batch_once() -> None:
    store = FakeStore(OperationalError)
    queue = writer(store)
    queue.submit("first")
    store.writing.wait(5)
    for item in ("a", "bad"):
        queue.submit(item)
    store.release.set()
    with pytest.raises(StoreError, match=r"item a \(and 1 more\)"):
        queue.flush()
    assert store.batches == [["first"], ["a", "bad"]]
    queue.close()


@pytest.mark.timeout(60)  # twenty waits on an hour-long interval would never end
def test_one_waiting_caller_is_not_delayed_by_the_flush_interval() -> None:
    store = FakeStore()
    store.release.set()
    queue = writer(store, flush_interval=3600.0)
    for i in range(20):
        queue.wait(queue.submit(str(i)))
    assert [item for batch in store.batches for item in batch] == [str(i) for i in range(20)]
    queue.close()


def test_a_stopped_writer_is_reported_to_waiters() -> None:
    class Fatal(BaseException):
        pass

    def write(items: Sequence[str]) -> None:
        raise Fatal("writer thread died")

    queue: GroupCommitWriter[str] = GroupCommitWriter(write, str, flush_interval=0.01, max_batch=10)
    ticket = queue.submit("x")
    with pytest.raises(StoreError, match="writer stopped"):
        queue.wait(ticket)
    with pytest.raises(StoreError, match="writer stopped"):
        queue.close()
