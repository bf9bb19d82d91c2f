"""A real audit's readings name the step that read them, and when they leave the raw window
the run journal's copy goes with them: `runs show` says so, keeps every host's status, and
the run is not resumed."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from ispflow.store.db import open_database
from ispflow.store.signal_retention import prune
from tests.lab.conftest import RunningLab, step_results


def test_an_audit_past_the_raw_window_keeps_its_statuses_and_says_where_its_readings_went(
    lab: RunningLab,
) -> None:
    fleet = lab.run_json("onu-signal")
    run_id = fleet["run_id"]
    read = step_results(fleet, "read signal")
    assert len(read) == len(lab.fleet()["olts"]) and all(r["result"] for r in read)
    contract = lab.query(
        "SELECT c.code FROM contracts c JOIN onus o ON o.id = c.onu_id "
        "WHERE c.status = 'active' AND o.onu_index IS NOT NULL ORDER BY c.code LIMIT 1"
    )[0]["code"]
    one = lab.run_json("onu-signal", "-e", f"contract={contract}")
    # Each OLT's batch names the step that read it: the fleet read is step 0, one contract's
    # read step 1.
    steps = {
        (row["run_id"], row["step_index"])
        for row in lab.query("SELECT run_id, step_index FROM reading_batches")
    }
    assert steps == {(run_id, 0), (one["run_id"], 1)}

    later = datetime.now(UTC) + timedelta(days=20)
    database = open_database(lab.db_url)
    try:
        done = prune(database, now=later)
    finally:
        database.close()
    assert done.results_dropped == len(read) + 1

    shown = lab.cli("runs", "show", run_id)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    text = " ".join(shown.stdout.split())
    assert "the results of the steps that read them were dropped from this run's record" in text
    stored = lab.query(
        "SELECT host, status, result FROM step_results WHERE run_id = :run AND step_index = 0",
        run=run_id,
    )
    assert sorted(r["host"] for r in stored) == sorted(r["host"] for r in read)
    assert {(r["status"], r["result"]) for r in stored} == {("ok", None)}

    as_json = lab.cli("runs", "show", run_id, "-o", "json")
    dropped = json.loads(as_json.stdout)["results_dropped"]
    # On the prune's day, of what was read before the raw window's edge (14 days back).
    raw_edge = later.date() - timedelta(days=14)
    assert dropped == {"at": later.date().isoformat(), "before": raw_edge.isoformat()}
    assert (
        json.loads(lab.cli("runs", "show", one["run_id"], "-o", "json").stdout)["results_dropped"]
        == dropped
    )
    page = lab.cli("runs", "show", run_id, "-o", "html").stdout
    assert "were dropped from this run&#39;s record" in page

    page_file = lab.root / "audit.html"
    report = lab.cli("report", run_id, "--html", str(page_file))
    assert report.returncode == 0, report.stdout + report.stderr
    said = f"Readings stored before {raw_edge.isoformat()} have left the history's raw window"
    assert said in " ".join(report.stdout.split())
    assert said.replace("'", "&#39;") in page_file.read_text()

    resumed = lab.cli("run", "--resume", run_id)
    assert resumed.returncode == 2, resumed.stdout + resumed.stderr
    assert f"run {run_id} cannot be continued" in resumed.stdout + resumed.stderr
