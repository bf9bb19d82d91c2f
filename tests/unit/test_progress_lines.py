"""Off a terminal (cron, CI), a long step shows it is moving: a line every few seconds with
the hosts done and the hosts still at work."""

from __future__ import annotations

import io
import re
import time
from types import SimpleNamespace
from typing import Any

import pytest
from rich.console import Console

from ispflow.core.errors import UsageError
from ispflow.engine.api import PROGRESS_EVERY_ENV, progress_every
from ispflow.plugins.processors.progress import RunProgress


def host(name: str) -> Any:
    return SimpleNamespace(name=name)


def result(status: str) -> Any:
    return [SimpleNamespace(result=SimpleNamespace(status=status))]


def test_a_tick_names_counts_and_the_hosts_still_running() -> None:
    out = io.StringIO()
    progress = RunProgress(Console(file=out, width=200), live=False, every=0, header="where")
    progress.begin("read signal", 8)
    for index in range(1, 9):
        progress.task_instance_started(None, host(f"olt-{index:02d}"))  # type: ignore[arg-type]
    progress.task_instance_completed(None, host("olt-03"), result("ok"))  # type: ignore[arg-type]
    progress.task_instance_completed(None, host("olt-05"), result("failed"))  # type: ignore[arg-type]
    progress.tick()
    progress.end()
    # Seconds are whatever the clock says; the rest is exact.
    lines = [re.sub(r"\b\d+ s\b", "N s", line) for line in out.getvalue().splitlines()]
    assert lines[0] == "where"
    assert lines[1] == (
        "step 'read signal': 2/8 hosts done, ok=1 failed=1 (N s); running: "
        "olt-01 N s, olt-02 N s, olt-04 N s, olt-06 N s, olt-07 N s and 1 more"
    )
    assert lines[2].startswith("step 'read signal': 8 hosts, ok=1 failed=1 (")
    assert len(lines) == 3  # every=0: no ticker of its own


@pytest.mark.parametrize(("text", "seconds"), [("", 5.0), ("0", 0.0), ("0.5", 0.5)])
def test_the_interval_comes_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, text: str, seconds: float
) -> None:
    monkeypatch.setenv(PROGRESS_EVERY_ENV, text)
    assert progress_every() == seconds


@pytest.mark.parametrize("text", ["-1", "soon", "nan"])
def test_a_bad_interval_is_a_usage_error(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv(PROGRESS_EVERY_ENV, text)
    with pytest.raises(UsageError, match=f"{PROGRESS_EVERY_ENV}='{text}': give seconds"):
        progress_every()


def test_stop_ends_the_lines_of_a_step_cut_short() -> None:
    out = io.StringIO()
    progress = RunProgress(Console(file=out, width=200), live=False, every=0.01)
    progress.begin("read signal", 1)
    progress.task_instance_started(None, host("olt-01"))  # type: ignore[arg-type]
    for _ in range(500):  # the ticker's first line, within 5 s
        if "running: olt-01" in out.getvalue():
            break
        time.sleep(0.01)
    assert "running: olt-01" in out.getvalue()
    ticker = progress._ticker
    progress.stop()  # as the engine does when a run ends with the step unfinished
    assert ticker is not None and not ticker.is_alive()
    printed = out.getvalue()
    time.sleep(0.05)
    assert out.getvalue() == printed
