"""Seeded mutations of the shipped runbooks: loading each one gives a runbook or located problems.

No corpus is kept: every case is made here from runbooks/*.yaml and its number, so a failure
is reproduced by running its case id again. Whatever the mutation, the loader must either
load the runbook or raise RunbookError whose every problem has a file:line:col, and do so
quickly (pytest-timeout stops a case that hangs).
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from ispflow.core.paths import RUNBOOKS_DIR
from ispflow.engine.errors import RunbookError
from ispflow.engine.loader import load_runbook

SHIPPED = sorted(RUNBOOKS_DIR.glob("*.yaml"))
CASES = 320
LOCATION = re.compile(r"^.+:\d+:\d+: ")

pytestmark = pytest.mark.timeout(20)

# Values that broke (or could break) a loader: absurd numbers, empty text, Portuguese and
# other unicode, anchors and aliases, deep brackets, task paths, tags YAML cannot build.
SCALARS = (
    "9223372036854775807",
    "-9223372036854775809",
    "1e29",
    ".inf",
    "-.inf",
    ".nan",
    "-1",
    "0",
    "9" * 120,
    "1" * 5000,
    '""',
    "''",
    "inadimplência",
    "'Cliente em inadimplência: bloqueio de conexão'",
    "São José dos Pinhais — ação",
    "\u200b",
    "🙂",
    "~",
    "&a x",
    "*a",
    "*undefined",
    "[" * 40,
    "[" * 31 + "]" * 31,
    "{{",
    "'{{ x }'",
    "'{{ " + "(" * 30 + "1" + ")" * 30 + " }}'",
    "'" + "(" * 500 + "true" + ")" * 500 + "'",
    '\'{{ "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa!" is match("(a|a)*$") }}\'',
    "!!binary AAAA",
    "!!bool maybe",
    "!!python/object:os.system {}",
    "2024-13-45",
    "os:system",
    "..",
    "/etc/passwd",
    "'(a|a)*$'",
    "'(?:(?:a{1000}){1000}){1000}'",
    '"\\x00"',
    "{a: &r [1, *r]}",
    "|",
    ">-",
    "? x",
    "[a, {b: [c, {d: e}]}]",
)
WORDS = ("inadimplência", "ação", "Não", "pôr", "\u00a0", "\t", "\ufeff", "\r", "\x85", ": ", "- ")
INCLUDES = ("onu-signal", "read-signal", "/etc/passwd", "../../etc/hosts", "x.yaml", "'a\x00b'")
BOMB = "bomb:\n  a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"  {name}: &{name} [{', '.join([f'*{prev}'] * 9)}]\n"
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True)
)

Mutation = Callable[[random.Random, list[str]], list[str]]


def _index(rng: random.Random, lines: list[str]) -> int:
    return rng.randrange(len(lines)) if lines else 0


def delete_line(rng: random.Random, lines: list[str]) -> list[str]:
    if lines:
        del lines[_index(rng, lines)]
    return lines


def duplicate_line(rng: random.Random, lines: list[str]) -> list[str]:
    if lines:
        at = _index(rng, lines)
        lines.insert(at, lines[at])
    return lines


def swap_lines(rng: random.Random, lines: list[str]) -> list[str]:
    if len(lines) > 1:
        a, b = _index(rng, lines), _index(rng, lines)
        lines[a], lines[b] = lines[b], lines[a]
    return lines


def reindent(rng: random.Random, lines: list[str]) -> list[str]:
    if lines:
        at = _index(rng, lines)
        shift = rng.choice((-4, -2, -1, 1, 2, 3, 8))
        text = lines[at]
        lines[at] = " " * shift + text if shift > 0 else text[min(-shift, len(text)) :]
    return lines


def _values(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if ": " in line and not line.lstrip().startswith("#")]


def replace_scalar(rng: random.Random, lines: list[str]) -> list[str]:
    candidates = _values(lines)
    if candidates:
        at = rng.choice(candidates)
        key = lines[at].split(": ", 1)[0]
        lines[at] = f"{key}: {rng.choice(SCALARS)}"
    return lines


def anchor_and_alias(rng: random.Random, lines: list[str]) -> list[str]:
    candidates = _values(lines)
    if len(candidates) > 1:
        first, second = sorted(rng.sample(candidates, 2))
        key, value = lines[first].split(": ", 1)
        lines[first] = f"{key}: &a {value}"
        lines[second] = lines[second].split(": ", 1)[0] + ": *a"
    return lines


def deep_nesting(rng: random.Random, lines: list[str]) -> list[str]:
    candidates = _values(lines)
    if candidates:
        at = rng.choice(candidates)
        depth = rng.choice((10, 31, 33, 200, 3000))
        opener, closer = rng.choice((("[", "]"), ("{a: ", "}")))
        lines[at] = lines[at].split(": ", 1)[0] + ": " + opener * depth + closer * depth
    return lines


def insert_words(rng: random.Random, lines: list[str]) -> list[str]:
    if lines:
        at = _index(rng, lines)
        cut = rng.randrange(len(lines[at]) + 1)
        lines[at] = lines[at][:cut] + rng.choice(WORDS) + lines[at][cut:]
    return lines


def append_include(rng: random.Random, lines: list[str]) -> list[str]:
    return [*lines, f"  - include: {rng.choice(INCLUDES)}"]


def append_bomb(rng: random.Random, lines: list[str]) -> list[str]:
    return [*lines, *BOMB.splitlines()]


LINE_MUTATIONS: tuple[Mutation, ...] = (
    delete_line,
    duplicate_line,
    swap_lines,
    reindent,
    replace_scalar,
    replace_scalar,
    anchor_and_alias,
    deep_nesting,
    insert_words,
    append_include,
    append_bomb,
)


def mutate(case: int) -> tuple[str, bytes]:
    """The runbook of ``case`` and its mutated bytes; the same case always gives the same."""
    rng = random.Random(case)
    source = SHIPPED[case % len(SHIPPED)]
    lines = source.read_text(encoding="utf-8").splitlines()
    for _ in range(rng.randint(1, 3)):
        lines = rng.choice(LINE_MUTATIONS)(rng, lines)
    data = ("\n".join(lines) + "\n").encode("utf-8")
    if rng.random() < 0.15:  # random bytes somewhere, not always valid UTF-8
        at = rng.randrange(len(data) + 1)
        data = data[:at] + rng.randbytes(rng.randint(1, 16)) + data[at:]
    if rng.random() < 0.15:  # cut short, maybe inside a multi-byte character
        data = data[: rng.randrange(len(data) + 1)]
    return source.name, data


def test_there_are_shipped_runbooks_to_mutate() -> None:
    assert len(SHIPPED) >= 5


def test_mutations_are_reproducible() -> None:
    assert mutate(7) == mutate(7)
    assert len({mutate(case)[1] for case in range(40)}) > 30


@pytest.mark.parametrize("case", range(CASES))
def test_mutated_runbook_loads_or_reports_located_problems(tmp_path: Path, case: int) -> None:
    source, data = mutate(case)
    path = tmp_path / source
    path.write_bytes(data)
    try:
        load_runbook(path)
    except RunbookError as exc:
        assert exc.problems, f"case {case}: RunbookError without problems"
        for problem in exc.problems:
            text = str(problem)
            assert problem.location is not None, f"case {case}: no location: {text}"
            assert problem.location.line >= 1 and problem.location.col >= 1, text
            assert LOCATION.match(text), f"case {case}: {text}"
