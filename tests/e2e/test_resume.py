"""The journal: a run killed mid-way resumes without repeating anything; failed hosts re-run."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from tests.conftest import Cli
from tests.e2e.test_run import RECORD, as_json, trace_lines, write


def crashing_book(tmp_path: Path) -> Path:
    trace = tmp_path / "trace.txt"
    flag = tmp_path / "crashed.flag"
    return write(
        tmp_path / "crash.yaml",
        f"""
        name: crash-midway
        vars:
          fail_on: {{type: list, default: []}}
        steps:
          - name: one
            task: {RECORD}
            with: {{trace: "{trace}", label: one}}
            register: first
          - name: two
            task: {RECORD}
            serial: 1
            with: {{trace: "{trace}", label: two, crash_on: olt-04, crash_flag: "{flag}"}}
          - name: three
            task: {RECORD}
            with:
              trace: "{trace}"
              label: "three after {{{{ first.label }}}}"
              fail_on: "{{{{ fail_on }}}}"
        """,
    )


def test_killed_run_resumes_and_every_host_step_runs_exactly_once(cli: Cli, tmp_path: Path) -> None:
    book = crashing_book(tmp_path)
    trace = tmp_path / "trace.txt"
    crashed = cli("run", str(book), "-q")
    assert crashed.returncode == -9  # SIGKILL in the middle of step 'two'
    before = trace_lines(trace)
    assert Counter(line.split()[1] for line in before) == {"one": 6, "two": 3}

    runs = json.loads(cli("runs", "-o", "json").stdout)
    assert runs[0]["status"] == "interrupted"
    run_id = runs[0]["run_id"]

    resumed = cli("run", "--resume", run_id, "-q", "-o", "json")
    assert resumed.returncode == 0, resumed.stderr
    report = as_json(resumed)
    assert report["run_id"] == run_id and report["status"] == "ok"
    lines = trace_lines(trace)
    counts = Counter(lines)
    hosts = [f"olt-{i:02d}" for i in range(1, 7)]
    expected = [f"{h} one" for h in hosts] + [f"{h} two" for h in hosts]
    expected += [f"{h} three after one" for h in hosts]  # registered values survive the crash
    assert sorted(counts) == sorted(expected)
    assert set(counts.values()) == {1}, counts
    assert len(report["results"]) == 18
    listed = json.loads(cli("runs", "-o", "json").stdout)
    assert listed[0]["status"] == "ok"


def test_rerun_failed_runs_only_failed_hosts_from_their_failed_step(
    cli: Cli, tmp_path: Path
) -> None:
    trace = tmp_path / "trace.txt"
    book = write(
        tmp_path / "b.yaml",
        f"""
        name: rerun
        vars:
          broken: {{type: list, default: []}}
        steps:
          - name: one
            task: {RECORD}
            with: {{trace: "{trace}", label: one}}
          - name: two
            task: {RECORD}
            with: {{trace: "{trace}", label: two, fail_on: "{{{{ broken }}}}"}}
          - name: three
            task: {RECORD}
            with: {{trace: "{trace}", label: three}}
        """,
    )
    first = cli("run", str(book), "-e", "broken=olt-02,olt-05", "-q", "-o", "json")
    assert first.returncode == 1
    run_id = as_json(first)["run_id"]
    trace.unlink()
    again = cli("run", "--rerun-failed", run_id, "-e", "broken=", "-q", "-o", "json")
    assert again.returncode == 0, again.stderr
    report = as_json(again)
    assert report["parent_run_id"] == run_id and report["hosts"] == ["olt-02", "olt-05"]
    assert sorted(trace_lines(trace)) == [
        "olt-02 three",
        "olt-02 two",
        "olt-05 three",
        "olt-05 two",
    ]


def test_resume_needs_secret_vars_again(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    book = write(
        tmp_path / "b.yaml",
        f"""
        name: secret-resume
        vars:
          token: {{type: str, secret: true, required: true}}
        steps:
          - task: {RECORD}
            with: {{trace: "{trace}", label: x, fail_on: [olt-01]}}
        """,
    )
    first = cli("run", str(book), "-e", "token=abc123", "-q", "-o", "json")
    run_id = as_json(first)["run_id"]
    proc = cli("run", "--rerun-failed", run_id, "-q")
    assert proc.returncode == 2 and "-e token=" in proc.stderr
