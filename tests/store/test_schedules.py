"""Schedules in the store: intervals, what is due, the next slot, and one lease holder."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta

import pytest

from ispflow.store import schedules
from ispflow.store.db import Database, StoreError

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("30m", 1800), ("2h", 7200), ("1d", 86400), ("1h30m", 5400), (" 2H ", 7200)],
)
def test_parse_every(text: str, seconds: int) -> None:
    assert schedules.parse_every(text) == seconds
    assert schedules.parse_every(schedules.format_every(seconds)) == seconds


@pytest.mark.parametrize("text", ["", "30", "m", "30x", "1.5h", "-5m", "0s", "0h0m", "30 minutes"])
def test_parse_every_refuses_what_is_not_an_interval(text: str) -> None:
    with pytest.raises(ValueError, match="is not an interval"):
        schedules.parse_every(text)


def test_next_after_stays_on_the_grid() -> None:
    every = 1800
    assert schedules.next_after(T0, every, T0) == T0 + timedelta(minutes=30)
    assert schedules.next_after(T0, every, T0 + timedelta(minutes=5)) == T0 + timedelta(minutes=30)
    # A run that took 95 minutes skips the slots it overran instead of piling them up.
    assert schedules.next_after(T0, every, T0 + timedelta(minutes=95)) == T0 + timedelta(hours=2)
    assert schedules.next_after(T0, every, T0 + timedelta(hours=2)) == T0 + timedelta(hours=2.5)
    later = T0 + timedelta(hours=1)
    assert schedules.next_after(later, every, T0) == later


def _add(db: Database, name: str = "close", every: int = 1800, **kw: object) -> schedules.Schedule:
    kw.setdefault("first_run_at", T0)
    return schedules.add(db, name=name, runbook="ticket-auto-close", every_seconds=every, **kw)  # type: ignore[arg-type]


def test_add_list_enable_disable_remove(db: Database) -> None:
    added = _add(db, vars={"days": "5"}, options={"limit": "local"})
    assert (added.name, added.vars, added.options, added.enabled) == (
        "close",
        {"days": "5"},
        {"limit": "local"},
        True,
    )
    assert added.next_run_at == T0 and added.last_run_id is None
    with pytest.raises(StoreError, match="already exists"):
        _add(db)
    _add(db, name="later", first_run_at=T0 + timedelta(hours=1))
    assert [s.name for s in schedules.list_schedules(db)] == ["close", "later"]
    assert not schedules.set_enabled(db, "close", False).enabled
    assert schedules.due(db, T0 + timedelta(days=1)) == [schedules.get(db, "later")]
    enabled = schedules.set_enabled(db, "close", True)
    assert enabled.enabled and enabled.next_run_at > T0  # due now, not at its missed time
    schedules.remove(db, "later")
    with pytest.raises(schedules.ScheduleNotFound):
        schedules.remove(db, "later")
    with pytest.raises(schedules.ScheduleNotFound):
        schedules.set_enabled(db, "later", True)
    assert [s.name for s in schedules.list_schedules(db)] == ["close"]


def test_add_refuses_bad_names_and_intervals(db: Database) -> None:
    with pytest.raises(StoreError, match="schedule name"):
        _add(db, name="two words")
    with pytest.raises(StoreError, match="1 second"):
        _add(db, every=0)
    assert schedules.list_schedules(db) == []


def test_due_and_finish(db: Database) -> None:
    close = _add(db)
    assert schedules.due(db, T0 - timedelta(seconds=1)) == []
    assert [s.name for s in schedules.due(db, T0)] == ["close"]
    now = T0 + timedelta(minutes=1)
    assert schedules.take(db, close, "a:1", 60, now=now)
    assert schedules.due(db, now) == []  # leased
    finished_at = T0 + timedelta(minutes=40)
    assert schedules.finish(db, close, None, "ok", owner="a:1", started_at=now, now=finished_at)
    after = schedules.get(db, "close")
    assert after.next_run_at == T0 + timedelta(hours=1)
    assert (after.last_run_at, after.last_status, after.locked_by, after.locked_until) == (
        now,
        "ok",
        None,
        None,
    )
    assert schedules.due(db, finished_at) == []
    assert [s.name for s in schedules.due(db, T0 + timedelta(hours=1))] == ["close"]


def test_finish_records_the_run_id(db: Database) -> None:
    from ispflow.store.journal import Journal

    journal = Journal(db)
    try:
        run_id = journal.start_run(
            runbook="ticket-auto-close",
            runbook_path=None,
            vars={},
            hosts=["local"],
            steps=[],
            options={},
            dry_run=False,
        )
        journal.finish_run(run_id, "ok")
    finally:
        journal.close()
    close = _add(db)
    assert schedules.take(db, close, "a:1", 60, now=T0)
    assert schedules.finish(db, close, run_id, "ok", owner="a:1", now=T0)
    assert schedules.get(db, "close").last_run_id == run_id


def test_lease_renew_expire_and_release(db: Database) -> None:
    close = _add(db)
    assert schedules.take(db, close, "a:1", 60, now=T0)
    assert not schedules.take(db, close, "b:2", 60, now=T0 + timedelta(seconds=59))
    assert schedules.renew(db, close, "a:1", 60, now=T0 + timedelta(seconds=50))
    assert not schedules.take(db, close, "b:2", 60, now=T0 + timedelta(seconds=100))
    # a:1 stopped renewing: once the lease lapses the schedule can be taken again.
    assert schedules.take(db, close, "b:2", 60, now=T0 + timedelta(seconds=111))
    assert schedules.get(db, "close").locked_by == "b:2"
    assert not schedules.renew(db, close, "a:1", 60, now=T0 + timedelta(seconds=112))
    assert not schedules.finish(db, close, None, "ok", owner="a:1", now=T0 + timedelta(seconds=113))
    schedules.release(db, close, "b:2")
    assert schedules.get(db, "close").locked_by is None
    assert schedules.take(db, close, "c:3", 60, now=T0 + timedelta(seconds=114))


def test_disabled_schedule_is_not_taken(db: Database) -> None:
    close = _add(db, enabled=False)
    assert not schedules.take(db, close, "a:1", 60, now=T0)


def test_one_winner_out_of_eight_threads(db: Database) -> None:
    close = _add(db)
    barrier = threading.Barrier(8)
    won: list[str] = []

    def contender(owner: str) -> None:
        barrier.wait()
        if schedules.take(db, close.id, owner, 60):
            won.append(owner)

    threads = [threading.Thread(target=contender, args=(f"t:{i}",)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(won) == 1
    assert schedules.get(db, "close").locked_by == won[0]


def test_one_winner_out_of_three_processes(db: Database, store_url: str) -> None:
    close = _add(db)
    child = textwrap.dedent(
        """
        import sys
        from ispflow.store import schedules
        from ispflow.store.db import open_database

        database = open_database(sys.argv[1])
        print("ready", flush=True)
        sys.stdin.readline()
        won = schedules.take(database, int(sys.argv[2]), sys.argv[3], 60)
        print("won" if won else "lost", flush=True)
        database.close()
        """
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", child, store_url, str(close.id), f"p:{i}"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(3)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    answers = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        answers.append(out.strip())
    assert sorted(answers) == ["lost", "lost", "won"]
    winner = f"p:{answers.index('won')}"
    assert schedules.get(db, "close").locked_by == winner
