"""A store that fails once a run has started: exit 4 with what ran (from memory) when hosts
ran, exit 2 ("nothing was run") only when none had. The store's failure is simulated here;
tests/lab/test_store_lost.py takes a real PostgreSQL database away under a real run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from nornir.core.task import Result, Task
from typer.testing import CliRunner

from ispflow import EXIT_STORE_LOST, EXIT_USAGE, run_runbook
from ispflow.cli.app import app
from ispflow.engine.executor import StoreLost
from ispflow.store.errors import StoreError
from ispflow.store.journal import Journal

HOSTS = 6  # the `inventory` fixture's


def changes_something(task: Task) -> Result:
    """Stands in for a device change; names what it changed like the ONU tasks do."""
    return Result(host=task.host, result={"serial": f"SN-{task.host.name}"}, changed=True)


@pytest.fixture
def book(tmp_path: Path) -> Path:
    path = tmp_path / "lost.yaml"
    path.write_text(
        "name: lost\nsteps:\n"
        "  - name: change\n    task: tests.e2e.test_store_lost_exit:changes_something\n"
        "  - name: after\n    task: core.noop\n"
    )
    return path


def _store_fails_in(monkeypatch: pytest.MonkeyPatch, method: str) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise StoreError("the database went away")

    monkeypatch.setattr(Journal, method, fail)


def _run(book: Path, inventory: Path, tmp_path: Path, *extra: str) -> Any:
    db = f"sqlite:///{tmp_path / 'ispflow.db'}"
    args = ["run", str(book), "--inventory", str(inventory), "--db", db, "-q", *extra]
    return CliRunner().invoke(app, args)


def test_store_failing_after_hosts_ran_exits_4_with_the_summary(
    book: Path, inventory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_fails_in(monkeypatch, "finish_run")

    done = _run(book, inventory, tmp_path, "-o", "json")

    assert done.exit_code == EXIT_STORE_LOST, done.output + done.stderr
    report = json.loads(done.stdout)
    run_id = report["run_id"]
    assert report["status"] == "interrupted"
    assert "the database went away" in report["message"]
    assert [r["status"] for r in report["results"]] == ["changed", "ok"] * HOSTS
    lines = done.stderr.splitlines()
    start = lines.index("Done before the store failed (from memory; the store may lack it):")
    changed = [line.strip() for line in lines[start + 1 : start + 1 + HOSTS]]
    hosts = [r["host"] for r in report["results"] if r["step"] == "change"]
    assert changed == [f"{h} · change · changed · serial SN-{h}" for h in hosts]
    assert "error: the store failed after work was done: the database went away" in done.stderr
    assert f"`ispflow run --resume {run_id}`" in done.stderr


def test_store_failing_before_any_host_ran_exits_2(
    book: Path, inventory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_fails_in(monkeypatch, "plan_step")

    done = _run(book, inventory, tmp_path)

    assert done.exit_code == EXIT_USAGE, done.output + done.stderr
    assert "nothing was run: the database went away" in done.stderr
    assert done.stdout == ""


def test_the_python_api_raises_store_lost_with_what_ran(
    book: Path, inventory: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _store_fails_in(monkeypatch, "finish_run")
    db = f"sqlite:///{tmp_path / 'ispflow.db'}"

    with pytest.raises(StoreError) as raised:  # callers that catch StoreError still do
        run_runbook(book, inventory=inventory, db=db)

    lost = raised.value
    assert isinstance(lost, StoreLost)
    assert lost.outcome.status == "interrupted"
    assert [(o.step_name, o.status) for o in lost.ran] == [
        ("change", "changed"),
        ("after", "ok"),
    ] * HOSTS
    assert str(lost.cause) == "the database went away"
