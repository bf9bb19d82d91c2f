"""End to end: runbooks run through the real `ispflow` command over a Nornir inventory.

Each test runs on SQLite and on PostgreSQL (the `cli` fixture); the tasks leave a trace file
so a test can count exactly what ran where.
"""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET
from pathlib import Path

from tests.conftest import Cli

RECORD = "tests.support.tasks:record"


def write(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text).lstrip())
    return path


def trace_lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def as_json(proc) -> dict:
    assert proc.stdout.strip(), proc.stderr
    return json.loads(proc.stdout)


def two_steps(tmp_path: Path, extra_step1: str = "", extra_step2: str = "", top: str = "") -> Path:
    trace = tmp_path / "trace.txt"
    return write(
        tmp_path / "book.yaml",
        f"""
        name: two-steps
        description: record twice
        {top}
        vars:
          fail_on: {{type: list, default: []}}
        steps:
          - name: first
            task: {RECORD}
            with: {{trace: "{trace}", label: first}}
            {extra_step1}
          - name: second
            task: {RECORD}
            with: {{trace: "{trace}", label: second, fail_on: "{{{{ fail_on }}}}"}}
            {extra_step2}
        """,
    )


def test_all_hosts_all_steps_json_report(cli: Cli, tmp_path: Path) -> None:
    book = two_steps(tmp_path)
    proc = cli("run", str(book), "--output", "json", "--quiet")
    assert proc.returncode == 0, proc.stderr
    report = as_json(proc)
    assert report["status"] == "ok"
    assert len(report["hosts"]) == 6
    assert report["counts"] == {"changed": 12}
    first = [r for r in report["results"] if r["step"] == "first"]
    assert {r["host"] for r in first} == set(report["hosts"])
    assert all(r["started_at"] and r["duration"] is not None for r in report["results"])
    lines = trace_lines(tmp_path / "trace.txt")
    assert sorted(lines) == sorted(f"{h} {s}" for h in report["hosts"] for s in ("first", "second"))


def test_failed_host_stops_alone_and_exit_code_1(cli: Cli, tmp_path: Path) -> None:
    book = two_steps(tmp_path, extra_step2="")
    write(tmp_path / "third.yaml", "")
    proc = cli("run", str(book), "-e", "fail_on=olt-03", "--output", "json", "-q")
    assert proc.returncode == 1, proc.stderr
    report = as_json(proc)
    assert report["status"] == "failed"
    assert report["failed_hosts"] == ["olt-03"]
    failed = [r for r in report["results"] if r["status"] == "failed"]
    assert len(failed) == 1 and "second refused by olt-03" in failed[0]["error"]
    assert len(trace_lines(tmp_path / "trace.txt")) == 11


def test_failure_in_first_step_skips_later_steps_for_that_host(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    book = write(
        tmp_path / "b.yaml",
        f"""
        name: stop-early
        steps:
          - name: a
            task: {RECORD}
            with: {{trace: "{trace}", label: a, fail_on: [olt-02]}}
          - name: b
            task: {RECORD}
            with: {{trace: "{trace}", label: b}}
        """,
    )
    proc = cli("run", str(book), "-q")
    assert proc.returncode == 1
    lines = trace_lines(trace)
    assert "olt-02 b" not in lines and "olt-01 b" in lines
    assert "olt-02" in proc.stdout  # the summary names the failed host


def test_on_failure_continue_keeps_the_host_going(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    book = write(
        tmp_path / "b.yaml",
        f"""
        name: tolerant
        steps:
          - name: a
            task: {RECORD}
            with: {{trace: "{trace}", label: a, fail_on: [olt-02]}}
            on_failure: continue
          - name: b
            task: {RECORD}
            with: {{trace: "{trace}", label: b}}
        """,
    )
    proc = cli("run", str(book), "-q", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    assert "olt-02 b" in trace_lines(trace)
    report = as_json(proc)
    assert report["counts"]["failed"] == 1 and report["status"] == "ok"


def test_failure_budget_aborts_rollout(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    book = write(
        tmp_path / "b.yaml",
        f"""
        name: canary
        max_fail_percent: 20
        steps:
          - name: push
            task: {RECORD}
            serial: 1
            with: {{trace: "{trace}", label: push, fail_on: [olt-01, olt-02]}}
          - name: after
            task: {RECORD}
            with: {{trace: "{trace}", label: after}}
        """,
    )
    proc = cli("run", str(book), "-q", "-o", "json")
    assert proc.returncode == 3, proc.stderr
    report = as_json(proc)
    assert report["status"] == "aborted"
    assert "max_fail_percent" in report["message"]
    # olt-01 fails (17%), olt-02 fails (33% > 20%): nothing after that is touched.
    assert trace_lines(trace) == []
    aborted = {r["host"] for r in report["results"] if r["status"] == "aborted"}
    assert aborted == {"olt-03", "olt-04", "olt-05", "olt-06"}


def test_rollback_runs_newest_first_only_where_a_later_step_failed(
    cli: Cli, tmp_path: Path
) -> None:
    trace = tmp_path / "trace.txt"
    book = write(
        tmp_path / "b.yaml",
        f"""
        name: with-rollback
        steps:
          - name: add onu
            task: {RECORD}
            with: {{trace: "{trace}", label: add}}
            rollback:
              name: delete onu
              task: {RECORD}
              with: {{trace: "{trace}", label: undo-add}}
          - name: add service-port
            task: {RECORD}
            with: {{trace: "{trace}", label: sp}}
            rollback:
              - name: undo service-port
                task: {RECORD}
                with: {{trace: "{trace}", label: undo-sp}}
          - name: verify
            task: {RECORD}
            with: {{trace: "{trace}", label: verify, fail_on: [olt-05]}}
        """,
    )
    proc = cli("run", str(book), "-q", "-o", "json")
    assert proc.returncode == 1
    lines = trace_lines(trace)
    undo = [line for line in lines if "undo" in line]
    assert undo == ["olt-05 undo-sp", "olt-05 undo-add"]
    report = as_json(proc)
    rolled = [r for r in report["results"] if r["rollback"]]
    assert {r["step"] for r in rolled} == {"delete onu", "undo service-port"}


def test_retries_with_backoff_then_success(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    book = write(
        tmp_path / "b.yaml",
        f"""
        name: flaky
        targets: olt-01
        steps:
          - name: wait for onu
            task: tests.support.tasks:flaky
            with: {{trace: "{trace}", succeed_on_attempt: 3}}
            retries: 3
            delay: 0.01
            backoff: 2
        """,
    )
    proc = cli("run", str(book), "-q", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    result = as_json(proc)["results"][0]
    assert result["attempts"] == 3 and result["result"] == {"attempt": 3}
    assert trace_lines(trace) == ["olt-01"] * 3


def test_retries_exhausted_reports_attempts(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    book = write(
        tmp_path / "b.yaml",
        f"""
        name: flaky
        targets: olt-01
        steps:
          - task: tests.support.tasks:flaky
            with: {{trace: "{trace}", succeed_on_attempt: 5}}
            retries: 1
        """,
    )
    proc = cli("run", str(book), "-q", "-o", "json")
    assert proc.returncode == 1
    error = as_json(proc)["results"][0]["error"]
    assert "attempt 2 failed" in error and "after 2 attempts" in error


def test_timeout_really_stops_the_task(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    book = write(
        tmp_path / "b.yaml",
        f"""
        name: slow
        targets: "olt-01,olt-02"
        steps:
          - name: slow read
            task: tests.support.tasks:slow
            with: {{seconds: 3, trace: "{trace}"}}
            timeout: 0.2
        """,
    )
    proc = cli("run", str(book), "-q", "-o", "json")
    assert proc.returncode == 1
    results = as_json(proc)["results"]
    assert all("timed out after 0.2 s" in r["error"] for r in results)
    # The interrupted tasks never reached their end, even though the process lived on.
    assert trace_lines(trace) == []


def test_assert_with_fail_msg_and_register(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    book = write(
        tmp_path / "b.yaml",
        f"""
        name: asserts
        targets: "site=poa"
        steps:
          - name: read
            task: {RECORD}
            with: {{trace: "{trace}", label: read, value: "{{{{ host.name[-1] | int * -10 }}}}"}}
            register: reading
          - name: check
            task: core.echo
            with: {{rx: "{{{{ reading.value }}}}"}}
            assert:
              that: ["result.rx > -25"]
              fail_msg: "rx {{{{ result.rx }}}} dBm on {{{{ host.name }}}} is too low"
        """,
    )
    proc = cli("run", str(book), "-q", "-o", "json")
    assert proc.returncode == 1
    report = as_json(proc)
    assert report["hosts"] == ["olt-01", "olt-02", "olt-03"]
    failed = {r["host"]: r["error"] for r in report["results"] if r["status"] == "failed"}
    assert failed == {"olt-03": "rx -30 dBm on olt-03 is too low"}


def test_dry_run_contacts_nothing(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    book = write(
        tmp_path / "b.yaml",
        f"""
        name: dry
        steps:
          - name: aware
            task: {RECORD}
            with: {{trace: "{trace}", label: x}}
          - name: unaware
            task: tests.support.tasks:no_dry_run
            with: {{trace: "{trace}"}}
          - name: sloppy
            task: tests.support.tasks:sloppy_connect
        """,
    )
    proc = cli("run", str(book), "--dry-run", "-q", "-o", "json", "--limit", "olt-01")
    report = as_json(proc)
    assert not trace.exists()
    by_step = {r["step"]: r for r in report["results"]}
    assert by_step["aware"]["result"] == {"commands": ["would record x on olt-01"]}
    assert by_step["unaware"]["result"]["not_called"] is True
    assert "tried to open a 'netmiko' connection" in by_step["sloppy"]["error"]
    assert report["dry_run"] is True
    assert proc.returncode == 1


def test_unsafe_value_never_reaches_the_device(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    book = write(
        tmp_path / "b.yaml",
        f"""
        name: guarded
        vars:
          desc: {{type: str, required: true}}
        targets: olt-01
        steps:
          - name: describe onu
            task: tests.support.tasks:render_and_record
            with: {{trace: "{trace}", description: "{{{{ desc }}}}"}}
        """,
    )
    proc = cli("run", str(book), "-e", "desc=joao\nundo ont 0", "-q", "-o", "json")
    assert proc.returncode == 1
    error = as_json(proc)["results"][0]["error"]
    assert "refused before contacting the device" in error
    assert "description" in error and "from var 'desc'" in error
    assert not trace.exists()
    ok = cli("run", str(book), "-e", "desc=Joao da Silva", "-q", "-o", "json")
    assert ok.returncode == 0, ok.stderr
    assert trace_lines(trace) == ['olt-01 ont description "Joao da Silva"']


def test_loop_over_csv_items_with_when_per_item(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    (tmp_path / "onus.csv").write_text(
        "olt,serial,vlan\nolt-01,HWTC00000001,100\nolt-02,ZTEG00000002,200\nolt-01,HWTC00000003,100\n"
    )
    book = write(
        tmp_path / "b.yaml",
        f"""
        name: bulk
        steps:
          - name: authorize
            task: {RECORD}
            items: onus.csv
            when: item.olt == host.name
            with: {{trace: "{trace}", label: "{{{{ item.serial }}}}/{{{{ item.vlan }}}}"}}
            register: done
        """,
    )
    proc = cli("run", str(book), "-q", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    assert sorted(trace_lines(trace)) == [
        "olt-01 HWTC00000001/100",
        "olt-01 HWTC00000003/100",
        "olt-02 ZTEG00000002/200",
    ]
    statuses = {r["host"]: r["status"] for r in as_json(proc)["results"]}
    assert statuses["olt-01"] == "changed" and statuses["olt-03"] == "skipped"


def test_missing_csv_is_an_error_before_any_host(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    book = write(
        tmp_path / "b.yaml",
        f"""
        name: bulk
        steps:
          - task: {RECORD}
            items: nowhere.csv
            with: {{trace: "{trace}"}}
        """,
    )
    proc = cli("run", str(book), "-q")
    assert proc.returncode == 2
    assert "b.yaml:3:5" in proc.stderr and "nowhere.csv" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_include_with_its_own_vars(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    write(
        tmp_path / "read-signal.yaml",
        f"""
        name: read-signal
        vars:
          serial: {{type: serial, required: true}}
          threshold: {{type: float, default: -27}}
        steps:
          - name: read
            task: {RECORD}
            with: {{trace: "{trace}", label: "signal {{{{ serial }}}} {{{{ threshold }}}}"}}
        """,
    )
    book = write(
        tmp_path / "b.yaml",
        f"""
        name: authorize-then-read
        vars:
          serial: {{type: serial, required: true}}
        targets: olt-01
        steps:
          - name: authorize
            task: {RECORD}
            with: {{trace: "{trace}", label: "auth {{{{ serial }}}}"}}
          - include: read-signal.yaml
            vars: {{serial: "{{{{ serial }}}}"}}
        """,
    )
    proc = cli("run", str(book), "-e", "serial=hwtc1a2b3c4d", "-q", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    assert trace_lines(trace) == ["olt-01 auth HWTC1A2B3C4D", "olt-01 signal HWTC1A2B3C4D -27.0"]
    assert as_json(proc)["steps"] == ["authorize", "read-signal / read"]


def test_limit_tags_and_skip_tags(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    book = write(
        tmp_path / "b.yaml",
        f"""
        name: tagged
        steps:
          - {{name: a, task: {RECORD}, with: {{trace: "{trace}", label: a}}, tags: [read]}}
          - {{name: b, task: {RECORD}, with: {{trace: "{trace}", label: b}}, tags: [write]}}
          - {{name: c, task: {RECORD}, with: {{trace: "{trace}", label: c}}, tags: always}}
        """,
    )
    proc = cli("run", str(book), "--limit", "site=cwb&vendor=zte", "--tags", "read", "-q")
    assert proc.returncode == 0, proc.stderr
    assert sorted(trace_lines(trace)) == ["olt-04 a", "olt-04 c", "olt-06 a", "olt-06 c"]
    trace.unlink()
    proc = cli("run", str(book), "--limit", "olt-01", "--skip-tags", "write,always", "-q")
    assert trace_lines(trace) == ["olt-01 a"]


def test_unknown_and_bad_vars_are_usage_errors(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    book = write(
        tmp_path / "b.yaml",
        f"""
        name: typed
        vars:
          serial: {{type: serial, required: true}}
          vlan: {{type: int, min: 1, max: 4094, default: 100}}
        steps:
          - task: {RECORD}
            with: {{trace: "{trace}", label: "{{{{ serial }}}} {{{{ vlan }}}}"}}
        """,
    )
    proc = cli("run", str(book), "-e", "serail=HWTC1A2B3C4D", "-e", "vlan=5000", "-q")
    assert proc.returncode == 2
    assert "did you mean 'serial'" in proc.stderr
    assert "4094" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not trace.exists()


def test_secrets_never_in_reports(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    book = write(
        tmp_path / "b.yaml",
        f"""
        name: secretive
        vars:
          token: {{type: str, secret: true, required: true}}
        targets: olt-01
        steps:
          - task: {RECORD}
            with: {{trace: "{trace}", label: x, value: "token={{{{ token }}}} pass={{{{ 'x' }}}}"}}
          - task: tests.support.tasks:leak_password
        """,
    )
    proc = cli("run", str(book), "-e", "token=Hunter2xyz", "-o", "json", "-q")
    assert proc.returncode == 0, proc.stderr
    assert "Hunter2xyz" not in proc.stdout and "s3cr3t-Pass" not in proc.stdout
    report = as_json(proc)
    assert report["vars"]["token"] == "********"
    assert report["results"][0]["result"]["value"] == "token=******** pass=x"
    shown = cli("runs", "show", report["run_id"], "-o", "json")
    assert "Hunter2xyz" not in shown.stdout and "s3cr3t-Pass" not in shown.stdout


def test_junit_and_html_reports_to_files(cli: Cli, tmp_path: Path) -> None:
    book = two_steps(tmp_path)
    junit = tmp_path / "out.xml"
    proc = cli("run", str(book), "-e", "fail_on=[olt-02]", "-o", "junit", "--out", str(junit), "-q")
    assert proc.returncode == 1
    suite = ET.parse(junit).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    assert suite is not None
    assert int(suite.get("tests")) == 12 and int(suite.get("failures")) == 1
    html = tmp_path / "out.html"
    run_id = json.loads(cli("runs", "-o", "json").stdout)[0]["run_id"]
    proc = cli("runs", "show", run_id, "-o", "html", "--out", str(html))
    assert proc.returncode == 0, proc.stderr
    page = html.read_text()
    assert "olt-02" in page and "second refused by olt-02" in page


def test_runs_list_and_show(cli: Cli, tmp_path: Path) -> None:
    book = two_steps(tmp_path)
    first = as_json(cli("run", str(book), "-o", "json", "-q"))
    listed = cli("runs")
    assert listed.returncode == 0 and first["run_id"] in listed.stdout
    shown = cli("runs", "show", first["run_id"][:15], "-o", "json")
    assert shown.returncode == 0, shown.stderr
    assert as_json(shown)["counts"] == {"changed": 12}
    missing = cli("runs", "show", "nope")
    assert missing.returncode == 2 and "nope" in missing.stderr


def test_vars_from_file_and_progress_lines_without_a_terminal(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    (tmp_path / "vars.yaml").write_text("label: from-file\nvlan: 300\n")
    book = write(
        tmp_path / "b.yaml",
        f"""
        name: file-vars
        vars:
          label: str
          vlan: {{type: int, max: 4094}}
        targets: site=poa
        steps:
          - name: write it
            task: {RECORD}
            with: {{trace: "{trace}", label: "{{{{ label }}}}-{{{{ vlan + 1 }}}}"}}
        """,
    )
    proc = cli("run", str(book), "-e", "@vars.yaml", "-e", "vlan=7")
    assert proc.returncode == 0, proc.stderr
    assert sorted(trace_lines(trace)) == [
        "olt-01 from-file-8",
        "olt-02 from-file-8",
        "olt-03 from-file-8",
    ]
    # Not a terminal: one line per finished step on stderr, the summary on stdout.
    assert "step 'write it': 3 hosts, changed=3" in proc.stderr
    assert "changed=3" in proc.stdout and "hosts=3" in proc.stdout


def test_on_failure_abort_stops_every_host(cli: Cli, tmp_path: Path) -> None:
    trace = tmp_path / "trace.txt"
    book = write(
        tmp_path / "b.yaml",
        f"""
        name: commit
        steps:
          - name: commit
            task: {RECORD}
            serial: 1
            on_failure: abort
            with: {{trace: "{trace}", label: commit, fail_on: [olt-02]}}
        """,
    )
    proc = cli("run", str(book), "-q", "-o", "json")
    assert proc.returncode == 3
    report = as_json(proc)
    assert "on_failure: abort" in report["message"]
    assert trace_lines(trace) == ["olt-01 commit"]
    assert {r["host"] for r in report["results"] if r["status"] == "aborted"} == {
        "olt-03", "olt-04", "olt-05", "olt-06",
    }  # fmt: skip


def test_ctrl_c_aborts_the_run_and_it_can_be_resumed(cli: Cli, tmp_path: Path) -> None:
    import signal
    import time

    trace = tmp_path / "trace.txt"
    book = write(
        tmp_path / "b.yaml",
        f"""
        name: long
        steps:
          - name: slow
            task: {RECORD}
            serial: 1
            with: {{trace: "{trace}", label: slow, sleep: 0.4}}
        """,
    )
    proc = cli.popen("run", str(book), "-q")
    deadline = time.monotonic() + 30
    while len(trace_lines(trace)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 3, stderr
    assert "Traceback" not in stderr
    run = json.loads(cli("runs", "-o", "json").stdout)[0]
    assert run["status"] == "aborted"
    assert f"resume with `ispflow run --resume {run['run_id']}`" in stderr, stderr
    resumed = cli("run", "--resume", run["run_id"], "-q")
    assert resumed.returncode == 0, resumed.stderr
    lines = trace_lines(trace)
    assert sorted(set(lines)) == [f"olt-{i:02d} slow" for i in range(1, 7)]
    assert len(lines) == 6  # nothing ran twice
