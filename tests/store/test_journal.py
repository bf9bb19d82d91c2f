"""The run journal: durable results from many threads, group commit, resume and reading back."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select, update

from ispflow.core.outcome import StepOutcome
from ispflow.store.db import Database, StoreError
from ispflow.store.journal import Journal
from ispflow.store.schema import runs

HOSTS = [f"olt-{i:03d}" for i in range(40)]


def start(journal: Journal, **overrides: Any) -> str:
    fields: dict[str, Any] = {
        "runbook": "onu-authorize",
        "runbook_path": "/srv/runbooks/onu-authorize.yaml",
        "vars": {"contract": "C-1001", "password": "***"},
        "hosts": HOSTS,
        "steps": ["find", "authorize", "read signal"],
        "options": {"workers": 20, "tags": ["onu"]},
        "dry_run": False,
    }
    return journal.start_run(**(fields | overrides))


def outcome(host: str, step: int, status: str = "ok", **fields: Any) -> StepOutcome:
    now = datetime(2026, 11, 24, 11, 3, 55, 120000 + step, tzinfo=UTC)
    defaults: dict[str, Any] = {
        "step_name": f"step-{step}",
        "status": status,
        "changed": status == "changed",
        "result": {"host": host, "onu": {"id": step, "serial": "HWTC1A2B3C4D"}, "rx": -19.5},
        "started_at": now,
        "finished_at": now + timedelta(milliseconds=250),
        "attempts": 1,
    }
    return StepOutcome(host=host, step_index=step, **(defaults | fields))


def record_from_threads(journal: Journal, run_id: str, outcomes: list[StepOutcome], n: int) -> None:
    """Each of `n` threads records its share and waits for each to be durable, as workers do."""
    errors: list[BaseException] = []

    def worker(share: list[StepOutcome]) -> None:
        try:
            for item in share:
                journal.wait_durable(journal.record(run_id, item))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(outcomes[i::n],)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


def test_round_trip_from_twenty_threads(journal: Journal) -> None:
    run_id = start(journal)
    assert len(run_id) == 20 and run_id[8] == "T" and run_id[15] == "-"
    for step in range(3):
        journal.plan_step(run_id, step, f"step-{step}", HOSTS)
    outcomes = [
        outcome(host, step, status=("changed" if step == 1 else "ok"))
        for host in HOSTS
        for step in range(3)
    ]
    outcomes[5] = outcome(HOSTS[1], 2, "failed", error="ONT not found\n  at line 3", attempts=3)
    outcomes.append(outcome(HOSTS[1], 1, "ok", rollback=True, result=None))
    outcomes[6] = outcome(HOSTS[2], 0, "ok", result={"name": "José Conceição", "ports": [1, 2]})

    record_from_threads(journal, run_id, outcomes, 20)

    loaded = journal.load_run(run_id)
    assert loaded.outcomes == sorted(outcomes, key=lambda o: (o.host, o.step_index, o.rollback))
    assert loaded.status == "running" and loaded.finished_at is None
    assert loaded.vars == {"contract": "C-1001", "password": "***"}
    assert loaded.options == {"workers": 20, "tags": ["onu"]}
    assert (loaded.hosts, loaded.steps) == (HOSTS, ["find", "authorize", "read signal"])
    assert loaded.started_at.tzinfo is not None
    assert loaded.outcomes[0].started_at.utcoffset() == timedelta(0)

    journal.finish_run(run_id, "failed", "1 of 40 hosts failed")
    done = journal.load_run(run_id)
    assert (done.status, done.message) == ("failed", "1 of 40 hosts failed")
    assert done.finished_at is not None and done.finished_at >= done.started_at


def test_group_commit_takes_many_results_per_transaction(
    journal: Journal, db: Database, record_property: Any
) -> None:
    run_id = start(journal)
    outcomes = [outcome(f"olt-{i:04d}", step) for i in range(400) for step in range(5)]
    commits: list[int] = []
    event.listen(db.engine, "commit", lambda conn: commits.append(1))

    record_from_threads(journal, run_id, outcomes, 20)

    ratio = len(outcomes) / len(commits)
    record_property("results_per_commit", round(ratio, 1))
    print(
        f"\n{db.dialect_name}: {len(outcomes)} results in {len(commits)} commits ({ratio:.1f} each)"
    )
    assert len(commits) <= len(outcomes) / 8, len(commits)
    assert journal.run_counts([run_id])[run_id] == {"ok": 2000}


def test_completed_steps_leave_out_pending_aborted_and_rollback(journal: Journal) -> None:
    run_id = start(journal)
    journal.plan_step(run_id, 0, "step-0", HOSTS[:4])
    journal.plan_step(run_id, 1, "step-1", HOSTS[:4])
    for item in [
        outcome(HOSTS[0], 0, "ok"),
        outcome(HOSTS[1], 0, "changed"),
        outcome(HOSTS[2], 0, "failed"),
        outcome(HOSTS[3], 0, "skipped"),
        outcome(HOSTS[0], 1, "aborted"),
        outcome(HOSTS[1], 1, "ok", rollback=True),
    ]:
        journal.record(run_id, item)
    journal.flush()
    done = journal.completed_steps(run_id)
    assert sorted(done) == [(HOSTS[0], 0), (HOSTS[1], 0), (HOSTS[2], 0), (HOSTS[3], 0)]
    assert done[(HOSTS[2], 0)].status == "failed"
    assert journal.run_counts([run_id, "nope"]) == {
        run_id: {"ok": 2, "changed": 1, "failed": 1, "skipped": 1, "aborted": 1, "pending": 3},
        "nope": {},
    }


def test_plan_step_keeps_results_already_there(journal: Journal) -> None:
    run_id = start(journal)
    journal.wait_durable(journal.record(run_id, outcome(HOSTS[0], 0, "changed")))
    journal.plan_step(run_id, 0, "step-0", HOSTS[:2])
    statuses = {(o.host, o.status) for o in journal.load_run(run_id).outcomes}
    assert statuses == {(HOSTS[0], "changed"), (HOSTS[1], "pending")}


def test_the_later_of_two_results_in_one_batch_wins(journal: Journal) -> None:
    run_id = start(journal)
    # Straight to the batch writer: through record() the two might land in separate batches.
    journal._write_results(
        [
            (run_id, outcome("olt-1", 0, "failed")),
            (run_id, outcome("olt-1", 0, "ok")),
        ]
    )
    assert [o.status for o in journal.load_run(run_id).outcomes] == ["ok"]


def test_the_writer_keeps_the_heartbeat_fresh(journal: Journal, db: Database) -> None:
    run_id = start(journal)
    journal.wait_durable(journal.record(run_id, outcome("olt-1", 0)))
    with db.engine.connect() as conn:
        row = conn.execute(select(runs).where(runs.c.id == run_id)).one()
    assert row.heartbeat_at > row.started_at


def test_a_run_whose_process_died_reads_as_interrupted(
    journal: Journal, db: Database, store_url: str, tmp_path: Path
) -> None:
    child = textwrap.dedent(
        """
        import os, sys
        from ispflow.core.outcome import StepOutcome
        from ispflow.store.db import open_database
        from ispflow.store.journal import Journal

        journal = Journal(open_database(sys.argv[1]))
        run_id = journal.start_run(runbook="crash", runbook_path=None, vars={}, hosts=["a"],
                                   steps=["one"], options={}, dry_run=False)
        journal.plan_step(run_id, 0, "one", ["a"])
        journal.wait_durable(journal.record(run_id, StepOutcome("a", 0, "one", status="ok")))
        print(run_id, flush=True)
        os._exit(0)  # gone without finish_run, as after kill -9
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", child, store_url], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    crashed = done.stdout.strip()
    alive = start(journal, runbook="still-going")

    loaded = journal.load_run(crashed)
    assert loaded.status == "interrupted"
    assert [(o.host, o.status) for o in loaded.outcomes] == [("a", "ok")]
    with db.engine.connect() as conn:
        assert conn.execute(select(runs.c.status).where(runs.c.id == crashed)).scalar() == "running"
    assert journal.load_run(alive).status == "running"
    assert [r.run_id for r in journal.list_runs(status="interrupted")] == [crashed]
    assert [r.run_id for r in journal.list_runs(status="running")] == [alive]

    reopened = journal.reopen_run(crashed)
    assert reopened.status == "running" and reopened.outcomes == loaded.outcomes
    with db.engine.connect() as conn:
        row = conn.execute(select(runs).where(runs.c.id == crashed)).one()
    assert (row.pid, row.status) == (os.getpid(), "running")


def test_liveness_needs_the_same_machine_and_the_same_process(
    journal: Journal, db: Database
) -> None:
    elsewhere = start(journal)
    reused = start(journal)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        with db.engine.begin() as conn:
            conn.execute(
                update(runs).where(runs.c.id == elsewhere).values(machine="other-host", pid=1)
            )
            # A live process that started after the run last showed signs of life: a reused pid.
            an_hour_ago = datetime.now(UTC) - timedelta(hours=1)
            conn.execute(
                update(runs)
                .where(runs.c.id == reused)
                .values(pid=other.pid, started_at=an_hour_ago, heartbeat_at=an_hour_ago)
            )
        assert journal.load_run(elsewhere).status == "running"
        if Path("/proc/self/stat").exists():
            assert journal.load_run(reused).status == "interrupted"
        with db.engine.begin() as conn:
            conn.execute(
                update(runs).where(runs.c.id == reused).values(heartbeat_at=datetime.now(UTC))
            )
        assert journal.load_run(reused).status == "running"
        with pytest.raises(StoreError, match="still running"):
            journal.reopen_run(reused)
    finally:
        other.kill()
        other.wait()


def test_unknown_and_ambiguous_ids(journal: Journal) -> None:
    with pytest.raises(StoreError, match="20991231T000000-dead"):
        journal.load_run("20991231T000000-dead")
    with pytest.raises(StoreError, match="20991231T000000-dead"):
        journal.reopen_run("20991231T000000-dead")
    with pytest.raises(StoreError, match="20991231T000000-dead"):
        journal.finish_run("20991231T000000-dead", "ok")

    first, second = start(journal), start(journal)
    prefix = next(first[:n] for n in range(1, len(first)) if not second.startswith(first[:n]))
    assert journal.load_run(prefix).run_id == first
    with pytest.raises(StoreError, match="ambiguous"):
        journal.load_run(first[:4])
    with pytest.raises(StoreError, match="no run"):
        journal.load_run("2%")  # LIKE wildcards are taken literally


def test_list_runs_newest_first(journal: Journal) -> None:
    ids = [start(journal, runbook=f"book-{i}") for i in range(3)]
    journal.finish_run(ids[1], "ok")
    listed = journal.list_runs()
    assert [r.run_id for r in listed] == ids[::-1]
    assert all(r.outcomes == [] for r in listed)
    assert [r.run_id for r in journal.list_runs(limit=1)] == [listed[0].run_id]
    assert [r.run_id for r in journal.list_runs(status="ok")] == [ids[1]]


def test_a_result_the_database_refuses_is_reported_not_lost(journal: Journal) -> None:
    run_id = start(journal)
    bad = journal.record("no-such-run", outcome("olt-x", 0))
    good = journal.record(run_id, outcome("olt-y", 0))
    with pytest.raises(StoreError, match="no-such-run") as error:
        journal.wait_durable(bad)
    assert "olt-x" in str(error.value)
    journal.wait_durable(good)
    assert [o.host for o in journal.load_run(run_id).outcomes] == ["olt-y"]

    journal.record("no-such-run", outcome("olt-z", 0))
    with pytest.raises(StoreError, match="olt-z"):
        journal.flush()
    journal.flush()  # reported once


def test_results_that_are_not_json_are_stored_as_repr(journal: Journal) -> None:
    class Device:
        def __repr__(self) -> str:
            return "<Device olt-1>"

    loop: list[Any] = [1]
    loop.append(loop)
    result = {
        "device": Device(),
        "rx": float("nan"),
        "when": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "pair": (1, 2),
        "loop": loop,
        "text": "nul\x00byte, lone \ud800 surrogate",
    }
    run_id = start(journal, vars={"file": Path("/tmp/x.csv")})
    journal.wait_durable(
        journal.record(run_id, outcome("olt-1", 0, result=result, error="bad\x00byte"))
    )
    stored = journal.load_run(run_id)
    assert stored.vars == {"file": "/tmp/x.csv"}
    assert stored.outcomes[0].result == {
        "device": "<Device olt-1>",
        "rx": "nan",
        "when": "2026-01-02T03:04:05+00:00",
        "pair": [1, 2],
        "loop": [1, "<cycle>"],
        "text": "nul\x00byte, lone \\ud800 surrogate",
    }
    assert stored.outcomes[0].error == "bad\\x00byte"


def test_close_writes_what_is_queued(db: Database) -> None:
    journal = Journal(db, flush_interval=10)
    run_id = start(journal)
    for host in HOSTS:
        journal.record(run_id, outcome(host, 0))
    journal.close()
    with pytest.raises(StoreError, match="closed"):
        journal.record(run_id, outcome("late", 0))
    assert len(Journal(db).load_run(run_id).outcomes) == len(HOSTS)
