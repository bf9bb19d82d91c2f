"""Hostile or absurd runbooks: each gives file:line:col problems, in bounded time, never a crash."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ispflow import parse_extra_vars
from ispflow.core.expressions import ExpressionError, Expressions
from ispflow.core.yaml_source import MAX_YAML_DEPTH, parse_yaml
from ispflow.engine import loader as loader_module
from ispflow.engine.errors import RunbookError
from ispflow.engine.loader import MAX_INCLUDES, load_runbook
from ispflow.engine.vartypes import VarError, VarErrors, coerce, resolve_vars, spec_from_mapping

# Each case is a bug that hung or crashed the loader: generous, but not "for ever".
pytestmark = pytest.mark.timeout(30)

LOCATED = re.compile(r"^book\.yaml:\d+:\d+: ")


def problems_of(tmp_path: Path, text: str, name: str = "book.yaml") -> list[str]:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RunbookError) as caught:
        load_runbook(path)
    problems = [str(p).replace(str(tmp_path) + "/", "") for p in caught.value.problems]
    assert problems
    return problems


def assert_located(problems: list[str], where: str, *words: str) -> None:
    assert any(p.startswith(where) and all(w in p for w in words) for p in problems), problems


def book(*steps: str, head: str = "name: x\n") -> str:
    return head + "steps:\n" + "".join(steps)


# -- YAML ------------------------------------------------------------------------------------
def test_ten_thousand_nested_brackets_are_refused_at_their_position(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "name: x\nsteps: " + "[" * 10_000 + "\n")
    assert_located(problems, "book.yaml:2:", f"nested deeper than {MAX_YAML_DEPTH} levels")


def test_nesting_up_to_the_limit_is_read() -> None:
    inner = MAX_YAML_DEPTH - 1  # the mapping holding x is the first level
    data, problems = parse_yaml("x: " + "[" * inner + "]" * inner, "f.yaml")
    assert problems == [] and data is not None


BILLION_LAUGHS = """\
name: x
steps:
  - task: core.echo
    with:
      a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]
      b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]
      c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]
      d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]
      e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]
      f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e]
      g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f]
      h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g]
      i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h]
"""


def test_alias_bomb_is_refused_without_expanding_it(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, BILLION_LAUGHS)
    assert_located(problems, "book.yaml:", "YAML limit", "alias counts as everything it repeats")


def test_many_small_aliases_are_counted(tmp_path: Path) -> None:
    head = "name: x\nv: &v 1\nw: [" + ", ".join(["*v"] * 1_500) + "]\n"
    text = book("  - task: core.echo\n", head=head)
    assert_located(problems_of(tmp_path, text), "book.yaml:3:", "more than 1000 aliases")


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    text = book("  - task: core.echo\n    with: {a: &a [1, *a]}\n")
    assert_located(problems_of(tmp_path, text), "book.yaml:4:", "recursive")


def test_a_few_aliases_still_work(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(
        book(
            "  - task: core.echo\n    with: &args {a: 1, b: [1, 2]}\n",
            "  - task: core.echo\n    with: *args\n",
        )
    )
    first, second = load_runbook(path).steps
    assert first.args.render({}) == second.args.render({}) == {"a": 1, "b": [1, 2]}


@pytest.mark.parametrize(
    ("text", "where", "message"),
    [
        pytest.param("name: x\nretries: " + "9" * 5000 + "\n", "book.yaml:2:10", "digits", id="5000-digits"),
        pytest.param("name: x\nwhen: 2024-13-45\n", "book.yaml:2:7", "month", id="bad-date"),
        pytest.param("name: x\nok: !!bool maybe\n", "book.yaml:2:5", "!!bool", id="bad-bool-tag"),
        pytest.param("name: x\nb: \x07\n", "book.yaml:2:4", "U+0007", id="control-character"),
        pytest.param("name: x\nsteps: [\n", "book.yaml:", "YAML syntax error", id="truncated"),
    ],
)  # fmt: skip
def test_values_yaml_cannot_build_are_located(
    tmp_path: Path, text: str, where: str, message: str
) -> None:
    assert_located(problems_of(tmp_path, text), where, message)


def test_too_big_a_file_is_refused_unread(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "name: x\n" + "# padding\n" * 60_000)
    assert_located(problems, "book.yaml:1:1", "too big", "KiB")


# -- expressions -----------------------------------------------------------------------------
def test_when_of_500_parentheses_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    when = "(" * 500 + "true" + ")" * 500
    text = book(f"  - task: core.echo\n    when: '{when}'\n")
    assert_located(problems_of(tmp_path, text), "book.yaml:4:11", "when:", "nested more than")


@pytest.mark.parametrize(
    "source",
    [
        "not " * 900 + "x",
        "- " * 900 + "x",
        " + ".join(["x"] * 200),
        "x" + ".a" * 200,
        "x" + " | lower" * 200,
        "[" * 100 + "]" * 100,
        "9" * 5000,
    ],
    ids=[
        "not-chain",
        "minus-chain",
        "long-sum",
        "long-getattr",
        "long-filter",
        "lists",
        "huge-int",
    ],
)
def test_expression_limits(source: str) -> None:
    with pytest.raises(ExpressionError):
        Expressions().compile_condition(source)


@pytest.mark.parametrize(
    "source",
    [
        "{% if x %}" * 300 + "{% endif %}" * 300,
        "{% for a in x %}" * 30 + "{% endfor %}" * 30,
        "{{ x }}" * 6000,
    ],
    ids=["deep-if", "deep-for", "too-many-parts"],
)
def test_template_limits(source: str) -> None:
    with pytest.raises(ExpressionError):
        Expressions().compile_value(source)


@pytest.mark.timeout(60)  # a filter run while compiling would backtrack for hours
def test_filters_and_tests_do_not_run_while_loading() -> None:
    slow = "'" + "a" * 40 + "!' is match('(a|a)*$')"
    compiled = Expressions().compile_condition(slow)
    assert not compiled.is_constant
    assert Expressions().compile_value("{{ 'abc' | upper }}").render({}) == "ABC"


def test_too_many_expressions_are_one_problem(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(loader_module, "MAX_EXPRESSIONS", 3)
    steps = [f"  - task: core.echo\n    with: {{a: '{{{{ {i} + 1 }}}}'}}\n" for i in range(6)]
    problems = problems_of(tmp_path, book(*steps))
    assert len([p for p in problems if "too many expressions" in p]) == 1, problems
    assert_located(problems, "book.yaml:", "at most 3")


# -- tasks -----------------------------------------------------------------------------------
def untyped_task(task, value=1):  # type: ignore[no-untyped-def]
    """A Nornir task without annotations: its first parameter is called 'task'."""
    return {"value": value}


def not_a_task(command: str) -> int:
    return len(command)


@pytest.mark.parametrize(
    ("task", "words"),
    [
        ("..", ("neither a registered task", "package.module:function")),
        ("os:system", ("is not a Nornir task", "first parameter is 'command'")),
        ("collections:OrderedDict", ("is a class",)),
        ("tests.unit.test_loader_limits:not_a_task", ("first parameter is 'command: str'",)),
        ("os.path.no_such_thing", ("has no function",)),
        ("no_such_package.mod:f", ("cannot import",)),
        ("a b:c", ("neither a registered task",)),
    ],
)
def test_task_paths_must_name_nornir_tasks(
    tmp_path: Path, task: str, words: tuple[str, ...]
) -> None:
    problems = problems_of(tmp_path, book(f"  - task: '{task}'\n"))
    assert_located(problems, "book.yaml:3:11", f"task '{task}'", *words)


@pytest.mark.parametrize(
    "task",
    ["core.echo", "tests.support.tasks:flaky", "tests.unit.test_loader_limits:untyped_task"],
)
def test_registered_tasks_and_nornir_task_paths_still_load(tmp_path: Path, task: str) -> None:
    path = tmp_path / "ok.yaml"
    path.write_text(book(f"  - task: '{task}'\n    with: {{}}\n"))
    try:
        load_runbook(path)
    except RunbookError as exc:
        # Only argument checks may complain (flaky needs its arguments), never the task itself.
        assert all("needs argument" in str(p) for p in exc.problems), exc.problems


# -- numbers ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("line", "key", "bound"),
    [
        ("workers: 9223372036854775807", "workers", "at most 1000"),
        ("workers: 0", "workers", "at least 1"),
        ("serial: 1001", "serial", "at most 1000"),
        ("retries: 1e29", "retries", "whole number from 0 to 100"),
        ("retries: -1", "retries", "at least 0"),
        ("retries: 101", "retries", "at most 100"),
        ("delay: .inf", "delay", "at most 3600"),
        ("delay: -.5", "delay", "at least 0"),
        ("delay: .nan", "delay", "at most 3600"),
        ("backoff: 1000", "backoff", "at most 10"),
        ("timeout: 0", "timeout", "at least 0.001"),
        ("timeout: 86401", "timeout", "at most 86400"),
        ("timeout: -.inf", "timeout", "at least 0.001"),
    ],
)
def test_step_numbers_have_sane_bounds(tmp_path: Path, line: str, key: str, bound: str) -> None:
    problems = problems_of(tmp_path, book(f"  - task: core.echo\n    {line}\n"))
    col = len(key) + 7
    assert_located(problems, f"book.yaml:4:{col}", f"'{key}'", bound)


@pytest.mark.parametrize(
    ("line", "bound"),
    [
        ("workers: 9223372036854775807", "at most 1000"),
        ("max_fail_percent: .nan", "at most 100"),
        ("max_fail_percent: -1", "at least 0"),
    ],
)
def test_runbook_numbers_have_sane_bounds(tmp_path: Path, line: str, bound: str) -> None:
    problems = problems_of(tmp_path, book("  - task: core.echo\n", head=f"name: x\n{line}\n"))
    assert_located(problems, "book.yaml:2:", bound)


def test_var_bounds_must_be_finite(tmp_path: Path) -> None:
    text = book("  - task: core.echo\n", head="name: x\nvars:\n  n: {type: int, max: .inf}\n")
    assert_located(problems_of(tmp_path, text), "book.yaml:3:", "finite")


# -- includes --------------------------------------------------------------------------------
def test_include_of_a_system_file_does_not_echo_it(tmp_path: Path) -> None:
    secret = tmp_path / "notes.txt"
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    for target in (str(secret), "/etc/passwd"):
        problems = problems_of(tmp_path, book(f"  - include: '{target}'\n"))
        assert_located(problems, "book.yaml:3:14", "is not a runbook")
        assert not any("root:" in p for p in problems), problems


def test_include_of_yaml_that_is_not_a_runbook_does_not_echo_it(tmp_path: Path) -> None:
    (tmp_path / "tokens.yaml").write_text("- s3cret-token-1\n- s3cret-token-2\n")
    (tmp_path / "map.yaml").write_text("api_key: s3cret-token-3\n")
    for target in ("tokens.yaml", "map.yaml"):
        problems = problems_of(tmp_path, book(f"  - include: {target}\n"))
        assert_located(problems, "book.yaml:3:14", f"include '{target}' is not a runbook")
        assert not any("s3cret" in p for p in problems), problems


def test_top_level_file_that_is_not_a_runbook_is_not_echoed(tmp_path: Path) -> None:
    problems = problems_of(tmp_path, "root:x:0:0:root:/root:/bin/bash\n")
    assert problems == ["book.yaml:1:1: a runbook is a mapping with 'name' and 'steps', not text"]


def test_include_fan_out_is_bounded(tmp_path: Path) -> None:
    # Each level includes the next one twice: 2**20 loads without a bound.
    for level in range(20):
        child = f"  - include: l{level + 1}.yaml\n" * 2 if level < 19 else "  - task: core.echo\n"
        (tmp_path / f"l{level}.yaml").write_text(book(child))
    with pytest.raises(RunbookError) as caught:
        load_runbook(tmp_path / "l0.yaml")
    messages = [str(p) for p in caught.value.problems]
    assert any(f"more than {MAX_INCLUDES} includes" in m for m in messages), messages[:3]


# -- var patterns ----------------------------------------------------------------------------
CATASTROPHIC = "a" * 40 + "!"


@pytest.mark.parametrize("pattern", ["(a+)+$", "(a|a)*$", "(a|aa)+$", "(\\w+\\s?)*$"])
def test_catastrophic_pattern_against_a_command_line_value(pattern: str) -> None:
    spec = spec_from_mapping("s", {"type": "str", "pattern": pattern})
    with pytest.raises(VarErrors) as caught:
        resolve_vars({"s": spec}, parse_extra_vars([f"s={CATASTROPHIC}"]))
    assert "var 's'" in str(caught.value)


def test_catastrophic_pattern_in_a_default_is_a_located_problem(tmp_path: Path) -> None:
    head = f"name: x\nvars:\n  s: {{type: str, pattern: '(a|a)*$', default: '{CATASTROPHIC}'}}\n"
    text = book("  - task: core.echo\n", head=head)
    assert_located(problems_of(tmp_path, text), "book.yaml:3:", "takes too long")


@pytest.mark.timeout(120)  # 200 items each given the whole time would take minutes
def test_list_items_share_one_pattern_time() -> None:
    spec = spec_from_mapping("s", {"type": "list", "pattern": "(a|a)*$"})
    with pytest.raises(VarError, match="takes too long"):
        coerce(spec, [CATASTROPHIC] * 200)


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ("(?:(?:a{1000}){1000}){1000}", "repeats too much"),
        ("(" * 30 + "a" + ")" * 30, "nests groups"),
        ("(?:ab){e<=1}", "literal brace"),
        ("[[:alpha:]]+", "inside [...]"),
        ("[a--b]", "inside [...]"),
        ("a{99999999999}", "not a valid regular expression"),
        ("(", "not a valid regular expression"),
        ("a" * 1001, "longer than 1000"),
    ],
)
def test_patterns_beyond_the_limits_are_refused(pattern: str, message: str) -> None:
    with pytest.raises(VarError, match=re.escape(message)):
        spec_from_mapping("s", {"type": "str", "pattern": pattern})


@pytest.mark.parametrize(
    ("pattern", "value", "ok"),
    [
        ("[A-Za-z0-9 ._-]{1,64}", "customer 1", True),
        ("\\d{1,2}/\\d{1,2}/\\d{1,3}", "0/1/10", True),
        ("\\d{1,2}/\\d{1,2}/\\d{1,3}", "0/1/1000", False),
        ("(?i)huawei|zte", "ZTE", True),
        ("[]a]+", "]a", True),
        ("\\{x\\}", "{x}", True),
        ("inadimpl[eê]ncia", "inadimplência", True),
    ],
)
def test_ordinary_patterns_match_as_before(pattern: str, value: str, ok: bool) -> None:
    spec = spec_from_mapping("s", {"type": "str", "pattern": pattern})
    if ok:
        assert coerce(spec, value) == value
    else:
        with pytest.raises(VarError, match="does not match"):
            coerce(spec, value)


# -- the command line --------------------------------------------------------------------------
def test_validate_prints_problems_literally(tmp_path: Path) -> None:
    path = tmp_path / "book.yaml"
    path.write_text(
        textwrap.dedent(
            """\
            name: "[bold]x[/bold] :x:"
            steps:
              - task: "core.echo:x: [bold]hi[/bold]"
            """
        )
    )
    env = {**os.environ, "COLUMNS": "300"}
    proc = subprocess.run(
        [sys.executable, "-m", "ispflow", "validate", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "task 'core.echo:x: [bold]hi[/bold]'" in proc.stderr
    assert "\u274c" not in proc.stderr
    assert "Traceback" not in proc.stderr


def test_validate_ok_line_is_literal(tmp_path: Path) -> None:
    path = tmp_path / "book.yaml"
    path.write_text('name: "[bold]x[/bold] :x:"\nsteps:\n  - task: core.echo\n')
    proc = subprocess.run(
        [sys.executable, "-m", "ispflow", "validate", str(path)],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "300"},
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "'[bold]x[/bold] :x:'" in proc.stdout
