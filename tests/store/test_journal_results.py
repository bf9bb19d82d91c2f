"""The journal's copy of a run's readings goes when the raw readings do: a prune drops the
results of the steps that stored them, keeps every other result and each host's status, and
marks the run; the report says why, and such a run is not resumed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from ispflow.core.errors import UsageError
from ispflow.core.outcome import StepOutcome
from ispflow.engine.api import run_runbook
from ispflow.engine.reports.text import render_text
from ispflow.store.db import Database
from ispflow.store.journal import Journal
from ispflow.store.readings import ReadingsWriter
from ispflow.store.schema import reading_batches, step_results
from ispflow.store.signal_retention import prune

NOW = datetime(2026, 12, 6, 12, 15, tzinfo=UTC)
OLD = NOW - timedelta(days=20)  # behind the default 14 raw days
RECENT = NOW - timedelta(hours=2)
OLTS = ("olt-a", "olt-b")


def readings(olt: str) -> list[dict[str, Any]]:
    return [
        {"port": "0/1/3", "onu_id": n, "serial": f"HWTC0000000{n}", "rx_dbm": -20.5 - n,
         "signal": "good", "olt": olt}
        for n in range(3)
    ]  # fmt: skip


def audit(journal: Journal, db: Database, reads: dict[str, list[datetime]]) -> str:
    """A finished two-step audit: step 0 reads (and stores, at the times `reads` gives per
    OLT) each OLT's signal, step 1 analyses it. Hosts not in `reads` stored nothing."""
    run_id = journal.start_run(
        runbook="signal-audit",
        runbook_path=None,
        vars={},
        hosts=list(OLTS),
        steps=["read signal", "find faults"],
        options={"views": {"0": {"task": "onu.optical"}, "1": {"task": "signal.analyze"}}},
        dry_run=False,
    )
    writer = ReadingsWriter(db, prune=False)
    try:
        for olt, times in reads.items():
            for at in times:
                writer.wait(writer.submit(olt, readings(olt), run_id, read_at=at, step_index=0))
    finally:
        writer.close()
    for olt in OLTS:
        for step, result in ((0, readings(olt)), (1, {"findings": [f"{olt}: pon 0/1/3 ok"]})):
            journal.wait_durable(
                journal.record(
                    run_id,
                    StepOutcome(
                        host=olt,
                        step_index=step,
                        step_name=("read signal", "find faults")[step],
                        status="ok",
                        result=result,
                        started_at=NOW,
                        finished_at=NOW,
                    ),
                )
            )
    journal.finish_run(run_id, "ok")
    return run_id


def results(db: Database, run_id: str) -> dict[tuple[str, int], Any]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(step_results.c.host, step_results.c.step_index, step_results.c.result).where(
                step_results.c.run_id == run_id
            )
        )
        return {(host, step): result for host, step, result in rows}


def test_a_prune_drops_the_read_results_of_runs_past_the_raw_window(
    db: Database, journal: Journal
) -> None:
    old = audit(journal, db, {"olt-a": [OLD], "olt-b": [OLD]})
    # Resumed two weeks later: olt-b was read again, and its newer readings are still raw.
    resumed = audit(journal, db, {"olt-a": [OLD], "olt-b": [OLD, RECENT]})
    recent = audit(journal, db, {"olt-a": [RECENT], "olt-b": [RECENT]})
    # A read that stored nothing in the history (store: false) keeps its results.
    unstored = audit(journal, db, {})
    before = {run: results(db, run) for run in (old, resumed, recent, unstored)}

    preview = prune(db, now=NOW, dry_run=True)
    assert preview.results_dropped == 3
    assert {run: results(db, run) for run in before} == before  # a dry run changes nothing

    done = prune(db, now=NOW)
    assert done.results_dropped == 3
    assert results(db, old) == {
        ("olt-a", 0): None,
        ("olt-b", 0): None,
        ("olt-a", 1): before[old][("olt-a", 1)],
        ("olt-b", 1): before[old][("olt-b", 1)],
    }
    assert results(db, resumed) == before[resumed] | {("olt-a", 0): None}
    assert results(db, recent) == before[recent]
    assert results(db, unstored) == before[unstored]

    run = journal.load_run(old)
    assert run.results_dropped() == (NOW.date().isoformat(), "2026-11-22")
    assert [(o.host, o.step_index, o.status) for o in run.outcomes] == [
        ("olt-a", 0, "ok"), ("olt-a", 1, "ok"), ("olt-b", 0, "ok"), ("olt-b", 1, "ok"),
    ]  # fmt: skip
    assert journal.load_run(recent).results_dropped() is None
    assert journal.load_run(unstored).results_dropped() is None
    report = " ".join(render_text(run).split())
    assert "the results of the steps that read them were dropped from this run's record" in report

    # The batches went with their readings; a second prune finds nothing to do.
    with db.engine.connect() as conn:
        left = conn.execute(select(reading_batches.c.run_id, reading_batches.c.olt)).all()
    assert sorted(left) == sorted([(resumed, "olt-b"), (recent, "olt-a"), (recent, "olt-b")])
    # With no batch behind the bound (every prune after an audit, bar one a day) the journal
    # is not read at all, however many runs it holds.
    statements: list[str] = []
    listen = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        assert prune(db, now=NOW).results_dropped == 0
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert statements and not [sql for sql in statements if "step_results" in sql]
    assert results(db, resumed)[("olt-b", 0)] == before[resumed][("olt-b", 0)]


def test_a_run_whose_read_results_were_dropped_is_not_resumed(
    db: Database, journal: Journal, store_url: str
) -> None:
    old = audit(journal, db, {"olt-a": [OLD], "olt-b": [OLD]})
    prune(db, now=NOW)
    with pytest.raises(UsageError, match=f"run {old} cannot be continued.*start a new run"):
        run_runbook(None, resume=old, db=store_url)
    with pytest.raises(UsageError, match="cannot be continued"):
        run_runbook(None, rerun_failed=old, db=store_url)
