"""Malformed runbooks: every problem is reported as file:line:col, all at once, no traceback."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ispflow.engine.errors import RunbookError
from ispflow.engine.loader import load_runbook

GOOD_STEP = "  - {name: s, task: core.echo, with: {a: 1}}\n"


def load_problems(tmp_path: Path, text: str | bytes, name: str = "book.yaml") -> list[str]:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text).lstrip("\n"))
    with pytest.raises(RunbookError) as caught:
        load_runbook(path)
    return [str(p).replace(str(tmp_path) + "/", "") for p in caught.value.problems]


CASES = [
    pytest.param(
        "name: x\nsteps:\n  - task: core.echo\n   with: {}\n",
        "book.yaml:4:",
        "YAML syntax error",
        id="bad-indent",
    ),
    pytest.param("- just\n- a list\n", "book.yaml:1:1", "a runbook is a mapping", id="top-list"),
    pytest.param("", "book.yaml:1:1", "a runbook is a mapping", id="empty-file"),
    pytest.param(
        "name: x\nstpes:\n" + GOOD_STEP,
        "book.yaml:2:1",
        "did you mean 'steps'",
        id="unknown-top-key",
    ),
    pytest.param(
        "name: x\nsteps:\n  - task: core.echo\n    regster: r\n",
        "book.yaml:4:5",
        "unknown step key 'regster' (did you mean 'register'?)",
        id="unknown-step-key",
    ),
    pytest.param(
        "name: x\nsteps:\n  - task: core.ecko\n",
        "book.yaml:3:11",
        "unknown task 'core.ecko' (did you mean 'core.echo'?)",
        id="unknown-task",
    ),
    pytest.param(
        "name: x\nsteps:\n  - task: core.echo\n    retries: three\n",
        "book.yaml:4:14",
        "'retries' must be a whole number",
        id="wrong-type",
    ),
    pytest.param(
        "name: x\nsteps:\n  - task: core.echo\n    timeout: -1\n",
        "book.yaml:4:14",
        "'timeout' must be at least",
        id="negative-timeout",
    ),
    pytest.param(
        "name: x\nvars:\n  serial: {type: serial}\nsteps:\n  - task: core.echo\n    with: {s: '{{ serail }}'}\n",
        "book.yaml:6:15",
        "undefined variable 'serail' (did you mean 'serial'?)",
        id="undefined-var",
    ),
    pytest.param(
        "name: x\ntargets: 'role=='\nsteps:\n" + GOOD_STEP,
        "book.yaml:2:",
        "bad host filter",
        id="bad-filter",
    ),
    pytest.param(
        "name: x\nname: y\nsteps:\n" + GOOD_STEP,
        "book.yaml:2:1",
        "duplicate key",
        id="duplicate-key",
    ),
    pytest.param(
        "name: x\nsteps:\n  - task: core.pause\n    with: {secs: 3}\n",
        "book.yaml:4:5",
        "has no argument 'secs' (did you mean 'seconds'?)",
        id="unknown-task-arg",
    ),
    pytest.param(
        "name: x\nsteps:\n  - task: core.pause\n",
        "book.yaml:3:5",
        "needs argument 'seconds'",
        id="missing-task-arg",
    ),
    pytest.param(
        "name: x\nsteps:\n  - task: core.echo\n    with: {a: '{{ foo }'}\n",
        "book.yaml:4:15",
        "with.a",
        id="jinja-syntax",
    ),
    pytest.param(
        "name: x\nvars:\n  vlan: {type: integer}\nsteps:\n" + GOOD_STEP,
        "book.yaml:3:",
        "did you mean 'int'",
        id="bad-var-type",
    ),
    pytest.param(
        "name: x\nsteps:\n  - task: core.echo\n    on_failure: abrt\n",
        "book.yaml:4:17",
        "did you mean 'abort'",
        id="bad-choice",
    ),
    pytest.param(
        "name: x\nsteps:\n  - include: nowhere.yaml\n",
        "book.yaml:3:14",
        "nowhere.yaml",
        id="missing-include",
    ),
    pytest.param("name: x\nsteps: []\n", "book.yaml:2:8", "non-empty list", id="no-steps"),
    pytest.param(
        "name: x\nsteps:\n  - task: core.echo\n    when: 'a ==== b'\n",
        "book.yaml:4:11",
        "when",
        id="bad-when",
    ),
    pytest.param(
        "name: x\nsteps:\n  - task: core.echo\n    assert: 'result.x >'\n",
        "book.yaml:4:13",
        "assert",
        id="bad-assert",
    ),
    pytest.param(
        "name: x\nsteps:\n  - task: core.echo\n    workers: 2\n    serial: 1\n",
        "book.yaml:5:5",
        "either 'workers' or 'serial'",
        id="workers-and-serial",
    ),
    pytest.param(
        "name: x\nvars:\n  host: str\nsteps:\n" + GOOD_STEP,
        "book.yaml:3:3",
        "reserved",
        id="reserved-var",
    ),
    pytest.param(b"name: \xff\xfe\nsteps: []\n", "book.yaml:1:1", "not UTF-8", id="not-utf8"),
    pytest.param(
        "name: x\nsteps:\n  - task: core.echo\n    rollback:\n      task: core.echo\n      rollback: {task: core.echo}\n",
        "book.yaml:6:7",
        "cannot have its own 'rollback'",
        id="nested-rollback",
    ),
    pytest.param(
        "name: x\nsteps:\n  - task: core.echo\n    with: {a: '{{ item }}'}\n",
        "book.yaml:4:15",
        "undefined variable 'item'",
        id="item-outside-loop",
    ),
    pytest.param(
        "name: x\nsteps:\n  - task: core.echo\n    with: {a: \"{{ ''.__class__ }}\"}\n    register: r\n  - task: core.echo\n    with: {a: '{{ r.x }}'}\n    register: r2\n  - task: core.echo\n    with: {b: '{{ r3 }}'}\n",
        "book.yaml:10:15",
        "undefined variable 'r3' (did you mean 'r'",
        id="register-order",
    ),
    pytest.param(
        "name: x\nsteps:\n  - task: core.echo\n    tally: [signal]\n",
        "book.yaml:4:",
        "'tally' must name one key",
        id="tally-not-a-key",
    ),
]


@pytest.mark.parametrize(("text", "where", "message"), CASES)
def test_malformed_runbook_reports_file_line_col(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    problems = load_problems(tmp_path, text)
    assert any(p.startswith(where) and message in p for p in problems), problems


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    problems = load_problems(
        tmp_path,
        """
        name: many
        max_fail_percent: 150
        steps:
          - task: core.nope
          - task: core.echo
            when: "{{ undefined_thing }}"
            tags: {a: 1}
        """,
    )
    assert len(problems) == 4, problems
    assert problems[0].startswith("book.yaml:2:19")


def test_include_checks_vars_of_the_included_runbook(tmp_path: Path) -> None:
    (tmp_path / "child.yaml").write_text(
        "name: child\nvars:\n  serial: {type: serial, required: true}\nsteps:\n" + GOOD_STEP
    )
    problems = load_problems(
        tmp_path, "name: p\nsteps:\n  - include: child.yaml\n    vars: {seral: x}\n"
    )
    assert any("book.yaml:4:12" in p and "did you mean 'serial'" in p for p in problems), problems
    assert any("needs var 'serial'" in p for p in problems), problems


def test_include_loop_is_refused(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text("name: a\nsteps:\n  - include: b.yaml\n")
    (tmp_path / "b.yaml").write_text("name: b\nsteps:\n  - include: a.yaml\n")
    with pytest.raises(RunbookError) as caught:
        load_runbook(tmp_path / "a.yaml")
    assert "include loop: a.yaml -> b.yaml -> a.yaml" in str(caught.value)


def test_valid_runbook_compiles_everything(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(
        textwrap.dedent(
            """
            name: ok
            description: fine
            vars:
              vlan: {type: int, min: 1, max: 4094, default: 100}
            targets: role=olt
            max_fail_percent: 10
            steps:
              - name: a
                task: core.echo
                with: {vlan: "{{ vlan }}", fixed: 1}
                register: a
                retries: 2
                delay: 1
                timeout: 30
                serial: true
                tags: [write]
                rollback: {name: undo a, task: core.echo}
              - name: b
                task: core.echo
                loop: [1, 2]
                when: item > 1 and a.vlan == vlan
                assert: ["result.n == item"]
                with: {n: "{{ item }}"}
            """
        )
    )
    book = load_runbook(path)
    first, second = book.steps
    assert (first.retries, first.delay, first.timeout, first.workers) == (2, 1.0, 30.0, 1)
    assert first.arg_sources["vlan"] == frozenset({"vlan"})
    assert first.args.render({"vlan": 7}) == {"vlan": 7, "fixed": 1}
    assert [s.name for s in book.rollback_steps] == ["undo a"]
    assert book.rollback_steps[0].index == 1 and second.index == 2
    assert second.loop is not None and second.assertion is not None


def test_validate_command_exit_codes_and_no_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: x\nsteps:\n  - task: core.ecko\n")
    proc = subprocess.run(
        [sys.executable, "-m", "ispflow", "validate", str(bad)], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert f"{bad}:3:11: unknown task 'core.ecko'" in proc.stderr
    assert "Traceback" not in proc.stderr
    good = subprocess.run(
        [sys.executable, "-m", "ispflow", "validate", "inventory-check"],
        capture_output=True,
        text=True,
    )
    assert good.returncode == 0, good.stderr
    assert "ok" in good.stdout
