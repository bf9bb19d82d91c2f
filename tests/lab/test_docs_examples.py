"""Every example in README.md and docs/*.md works as written.

Runbooks: every ```yaml block with `steps:` passes `ispflow validate`, its problems reported at
the doc's own lines.

Commands: every `ispflow …` line of a shell block (```, ```bash, ```console, ```sh; in a block
with `$ ` prompts, the prompted lines; an indented line is output or a picture) runs in one
folder where `ispflow lab up` started the default lab, file after file (README.md, then
docs/*.md by name) and in document order, as a new user's shell would run it: no ISPFLOW_*
variable set, so the store is ./ispflow.db and the inventory the lab's. Each line (with its
`&&`, `|`, `<` and `>`) exits 0, or N when its trailing comment says `(exit N)`.

What the markdown says about an example, in an HTML comment on the line before its fence:

    <!-- example: fragment -->                a part of a runbook: read as YAML, not validated
    <!-- example: not on the lab: REASON -->  commands the lab cannot serve (NetBox, Request
                                              Tracker, Celery workers, cron, a real device,
                                              values of one's own): each is skipped with REASON
    <!-- example: file NAME -->               a file the next commands read: written as NAME
                                              in the lab's folder when its turn comes
    <!-- example: output -->                  what a command printed, not commands

What the test does that the doc's text does not say:
- every `lab up` gets `--port` from this test process's range (other labs may hold 10201);
- a run id (`RUN_ID`, `20261124T110355-7f3a`, `20261124T1103`) is the newest run's, the one
  the examples before it made, and a service order's protocol (`20261130000042`) the newest
  order's, the one the example before it opened;
- `pip install` in a chain is the set-up this environment already has;
- a doc file that stopped the lab, or started one with other knobs, leaves the next file the
  default lab again (stopped, started, its store seeded afresh).
Run summaries are not read: their layout is not what these tests are about.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import pytest
from ruamel.yaml import YAML
from sqlalchemy import create_engine, text

from tests.conftest import ROOT, Cli
from tests.lab.conftest import free_base_port

DOCS = (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
SHELLS = ("", "bash", "console", "sh", "shell")
FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>```+|~~~+)(?P<lang>[\w+-]*)\s*$")
MARKER = re.compile(r"^\s*<!--\s*example:\s*(?P<what>.*?)\s*-->\s*$")
MARKERS = re.compile(r"fragment|output|file \S+|not on the lab: \S.*")
EXPECT = re.compile(r"\(exit (\d+)\)")
ENV_WORD = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
RUN_ID = re.compile(r"^(RUN_ID|\d{8}T\d{4,6}(-[0-9a-f]{4})?)$")
PROTOCOL = re.compile(r"^\d{14}$")
LAB_PORTS = 12  # the default lab's OLTs and concentrators, with room to spare
# What a run imports on its first line of work, besides what tests/support/forked_cli.py warms.
PLUGIN_GROUPS = (
    "ispflow.tasks",
    "nornir.plugins.inventory",
    "nornir.plugins.runners",
    "nornir.plugins.connections",
    "nornir.plugins.transform_function",
)


@dataclass(frozen=True)
class Block:
    path: Path
    line: int  # of the opening fence, from 1
    lang: str
    lines: tuple[str, ...]
    marker: str  # what `<!-- example: … -->` before the fence says, or ""

    @property
    def where(self) -> str:
        return f"{self.path.relative_to(ROOT)}:{self.line}"


@dataclass(frozen=True)
class Example:
    """One command line of a doc (or a file a block gives), in document order."""

    block: Block
    line: int
    text: str
    expect: int = 0
    skip: str = ""
    file: str = ""  # the block is this file's text

    @property
    def where(self) -> str:
        return f"{self.block.path.relative_to(ROOT)}:{self.line}"


def blocks(path: Path) -> Iterator[Block]:
    lines = path.read_text(encoding="utf-8").splitlines()
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            index += 1
            continue
        closing = re.compile(rf"^\s*{re.escape(opening['fence'])}\s*$")
        end = index + 1
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        indent = opening["indent"]
        body = tuple(line.removeprefix(indent) for line in lines[index + 1 : end])
        marker = MARKER.match(lines[index - 1]) if index else None
        yield Block(
            path, index + 1, opening["lang"].lower(), body, marker["what"] if marker else ""
        )
        index = end + 1


def split_comment(line: str) -> tuple[str, str]:
    """The command and its trailing `# comment` (a `#` that starts a word, outside quotes)."""
    quote = ""
    for at, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (at == 0 or line[at - 1].isspace()):
            return line[:at].rstrip(), line[at + 1 :].strip()
    return line.rstrip(), ""


def words(command: str) -> list[str]:
    """Shell words, with `&&`, `|`, `<` and `>` as words of their own."""
    lexer = shlex.shlex(command, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = ""
    return list(lexer)


def is_ispflow(command: str) -> bool:
    try:
        found = words(command)
    except ValueError:
        return False
    for segment in segments(found):
        program = [w for w in segment if not ENV_WORD.match(w)][:1]
        if program == ["ispflow"]:
            return True
    return False


def segments(found: list[str]) -> list[list[str]]:
    parts: list[list[str]] = [[]]
    for word in found:
        if word == "&&":
            parts.append([])
        else:
            parts[-1].append(word)
    return parts


def commands(block: Block) -> Iterator[Example]:
    if block.marker.startswith("file "):
        yield Example(block, block.line, "", file=block.marker.removeprefix("file ").strip())
        return
    if block.lang not in SHELLS or block.marker in ("output", "fragment"):
        return
    skip = block.marker.removeprefix("not on the lab:").strip() if block.marker else ""
    prompted = any(line.startswith("$ ") for line in block.lines)
    pending, first = "", 0
    for number, line in enumerate(block.lines, start=block.line + 1):
        if prompted and not pending:
            if not line.startswith("$ "):
                continue
            line = line.removeprefix("$ ")
        if not pending and line[:1].isspace():
            continue  # a command starts its line; an indented one is output or a picture
        if not pending:
            first = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        command, comment = split_comment(pending + line)
        pending = ""
        if not is_ispflow(command):
            continue
        expect = EXPECT.search(comment)
        yield Example(block, first, command, int(expect[1]) if expect else 0, skip)


def all_blocks() -> list[Block]:
    return [block for path in DOCS for block in blocks(path)]


BLOCKS = all_blocks()
RUNBOOKS = [
    b
    for b in BLOCKS
    if b.lang in ("yaml", "yml")
    and (b.marker == "fragment" or any(re.match(r"steps:", line) for line in b.lines))
]
COMMANDS = [example for block in BLOCKS for example in commands(block)]


def test_every_example_marker_is_one_the_tests_know() -> None:
    unknown = [
        f"{b.where}: {b.marker!r}" for b in BLOCKS if b.marker and not MARKERS.fullmatch(b.marker)
    ]
    assert not unknown, "markers are fragment, output, file NAME, not on the lab: REASON"


@pytest.mark.parametrize("block", RUNBOOKS, ids=[b.where for b in RUNBOOKS])
def test_runbook_example_validates(block: Block, tmp_path: Path) -> None:
    source = "\n".join(block.lines) + "\n"
    if block.marker == "fragment":
        YAML(typ="safe").load(source)
        pytest.skip(f"{block.where}: a fragment of a runbook, read as YAML only")
    example = tmp_path / "example.yaml"
    # Blank lines first, so that a problem's line is the doc's.
    example.write_text("\n" * block.line + source, encoding="utf-8")
    proc = Cli(tmp_path, f"sqlite:///{tmp_path / 'ispflow.db'}", None)("validate", str(example))
    problems = (proc.stdout + proc.stderr).replace(str(example), str(block.path.relative_to(ROOT)))
    if proc.returncode != 0:
        pytest.fail(problems, pytrace=False)


class NewUserCli(Cli):
    """The CLI as a new user's shell runs it: none of the ISPFLOW_* settings a test run or the
    machine may have, a home folder of its own."""

    def env(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("ISPFLOW_", "XDG_")) or key == "ISPFLOW_LOCK_DIR"
        }
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        env["HOME"] = str(self.cwd / "home")
        env["COLUMNS"] = "120"
        return env


@dataclass
class Outcome:
    code: int
    said: list[str] = field(default_factory=list)

    def add(self, what: str, proc: subprocess.CompletedProcess[str]) -> int:
        self.said.append(f"$ {what}\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
        self.code = proc.returncode
        return proc.returncode


class DocLab:
    """The folder and the one lab every doc's commands run in."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "home").mkdir(parents=True, exist_ok=True)
        self.cli = NewUserCli(root, "", None)
        self.port = str(free_base_port(LAB_PORTS))
        self.knobs: tuple[str, ...] | None = None  # None: no lab; (): the default one
        self.doc: Path | None = None

    def up(self, *knobs: str) -> subprocess.CompletedProcess[str]:
        proc = self.cli("lab", "up", *knobs, "--port", self.port)
        if proc.returncode == 0:
            self.knobs = knobs
        return proc

    def down(self) -> subprocess.CompletedProcess[str]:
        proc = self.cli("lab", "down")
        self.knobs = None
        return proc

    def turn_of(self, doc: Path) -> None:
        """A doc starts on the default lab, whatever the doc before it left."""
        if doc == self.doc:
            return
        self.doc = doc
        if self.knobs != ():
            self.down()
            proc = self.up()
            assert proc.returncode == 0, proc.stdout + proc.stderr

    def newest(self, sql: str) -> str:
        engine = create_engine(f"sqlite:///{self.root / 'ispflow.db'}")
        try:
            with engine.connect() as conn:
                value = conn.execute(text(sql)).scalar()
        finally:
            engine.dispose()
        assert value is not None, f"nothing for the example to name: {sql}"
        return str(value)

    def value(self, word: str) -> str:
        if RUN_ID.match(word):
            return self.newest("SELECT id FROM runs ORDER BY started_at DESC, id DESC LIMIT 1")
        if PROTOCOL.match(word):
            return self.newest("SELECT protocol FROM service_orders ORDER BY id DESC LIMIT 1")
        return word

    def run(self, command: str) -> Outcome:
        outcome = Outcome(0)
        for segment in segments(words(command)):
            if self.run_segment(segment, outcome) != 0:
                break  # `&&`
        return outcome

    def run_segment(self, segment: list[str], outcome: Outcome) -> int:
        env = {}
        while segment and ENV_WORD.match(segment[0]):
            name, _, value = segment.pop(0).partition("=")
            env[name] = value
        if segment[:2] == ["pip", "install"]:
            return 0  # this environment is installed already
        consumer = ""
        if "|" in segment:
            at = segment.index("|")
            segment, consumer = segment[:at], shlex.join(segment[at + 1 :])
        stdin = stdout = None
        for sign in ("<", ">"):
            if sign in segment:
                at = segment.index(sign)
                name = self.root / segment[at + 1]
                stdin, stdout = (name, stdout) if sign == "<" else (stdin, name)
                segment = segment[:at] + segment[at + 2 :]
        assert segment[:1] == ["ispflow"], f"not an ispflow command: {shlex.join(segment)}"
        args = [self.value(word) for word in segment[1:]]
        shown = shlex.join(["ispflow", *args])
        if args[:2] == ["lab", "up"]:
            return outcome.add(shown, self.up(*args[2:]))
        if args[:2] == ["lab", "down"]:
            return outcome.add(shown, self.down())
        if stdin is not None and not stdin.exists():
            missing = subprocess.CompletedProcess(shown, 1, "", f"{stdin.name}: no such file\n")
            return outcome.add(shown, missing)
        if env or stdin:
            with stdin.open("rb") if stdin else open(os.devnull, "rb") as given:
                proc = subprocess.run(
                    [sys.executable, "-m", "ispflow", *args],
                    cwd=self.root,
                    env=self.cli.env() | env,
                    stdin=given,
                    capture_output=True,
                    text=True,
                    timeout=120,
                )
        else:
            proc = self.cli(*args)
        if stdout is not None:
            stdout.write_text(proc.stdout, encoding="utf-8")
        if outcome.add(shown, proc) != 0 or not consumer:
            return proc.returncode
        piped = subprocess.run(
            ["bash", "-c", consumer],
            cwd=self.root,
            input=proc.stdout,
            capture_output=True,
            text=True,
            timeout=60,
        )
        return outcome.add(consumer, piped)


def warm_plugins() -> None:
    """Every run imports the task modules and each installed Nornir plugin (NAPALM's alone take
    most of a second): imported once here, a forked command finds them loaded."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for group in PLUGIN_GROUPS:
            for entry_point in metadata.entry_points(group=group):
                entry_point.load()


@pytest.fixture(scope="module")
def doc_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DocLab]:
    warm_plugins()
    lab = DocLab(tmp_path_factory.mktemp("new-user"))
    started = lab.up()
    assert started.returncode == 0, started.stdout + started.stderr
    try:
        yield lab
    finally:
        lab.down()


@pytest.mark.parametrize("example", COMMANDS, ids=[e.where for e in COMMANDS])
def test_command_example_runs_on_the_lab(example: Example, doc_lab: DocLab) -> None:
    if example.skip:
        pytest.skip(f"{example.where}: {example.text} (not on the lab: {example.skip})")
    doc_lab.turn_of(example.block.path)
    if example.file:
        content = "\n".join(example.block.lines) + "\n"
        (doc_lab.root / example.file).write_text(content, encoding="utf-8")
        return
    outcome = doc_lab.run(example.text)
    if outcome.code != example.expect:
        said = "\n".join(outcome.said)
        pytest.fail(
            f"{example.where}: exit {outcome.code}, the doc expects {example.expect}\n{said}",
            pytrace=False,
        )
