"""What the text report shows of each step's results: the task's view (or `show:`), the rows
worth a look first, bounded unless verbose; loops per item; step numbers as counted."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ispflow.core.outcome import RunOutcome, StepOutcome
from ispflow.core.views import TaskView, counted, grouped, sizes
from ispflow.engine.loader import RunbookError, load_runbook
from ispflow.engine.reports.text import render_text
from ispflow.engine.reports.views import ROWS_SHOWN, step_views

T0 = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


def outcome(host: str, index: int, result: Any, status: str = "ok", **extra: Any) -> StepOutcome:
    return StepOutcome(
        host=host,
        step_index=index,
        step_name=extra.pop("name", f"step {index}"),
        status=status,  # type: ignore[arg-type]
        result=result,
        started_at=T0,
        finished_at=T0 + timedelta(seconds=1),
        attempts=1,
        **extra,
    )


def run_of(outcomes: list[StepOutcome], views: dict[str, Any], **options: Any) -> RunOutcome:
    return RunOutcome(
        run_id="20261201T030000-abcd",
        runbook="test",
        runbook_path=None,
        vars={},
        status="ok",
        started_at=T0,
        finished_at=T0 + timedelta(seconds=2),
        hosts=sorted({o.host for o in outcomes}),
        steps=sorted({o.step_name for o in outcomes}),
        outcomes=outcomes,
        options={"views": views, **options},
    )


def reading(onu_id: int, rx: float | None, signal: str) -> dict[str, Any]:
    return {
        "port": "0/1/0",
        "onu_id": onu_id,
        "serial": f"HWTC{onu_id:08X}",
        "rx_dbm": rx,
        "tx_dbm": 2.1,
        "signal": signal,
    }


def signal_run(count: int, **views: Any) -> RunOutcome:
    """`count` readings on each of two OLTs: good ones, and near the end one of each bad class."""
    outcomes = []
    for host in ("olt-a", "olt-b"):
        readings = [reading(i, -20.0 - i / 10, "good") for i in range(count - 3)]
        readings += [
            reading(count - 3, -26.1, "warning"),
            reading(count - 2, -29.5, "critical"),
            reading(count - 1, None, "offline"),
        ]
        outcomes.append(outcome(host, 0, readings, name="read signal"))
    return run_of(outcomes, {"0": {"task": "onu.optical", "show": None, **views}})


def view_header(text: str) -> list[str]:
    """The column names of the first step's view table."""
    lines = text.splitlines()
    title = next(i for i, line in enumerate(lines) if re.match(r"\d+\. ", line))
    return next(line for line in lines[title:] if line.strip().startswith("host")).split()


def table_lines(text: str) -> list[str]:
    """The rows of the first step's view table: the lines after its header rule."""
    lines = text.splitlines()
    title = next(i for i, line in enumerate(lines) if re.match(r"\d+\. ", line))
    start = next(i for i in range(title, len(lines)) if lines[i].strip().startswith("───"))
    rows = []
    for line in lines[start + 1 :]:
        if not line.strip() or line.lstrip().startswith("…"):
            break
        rows.append(line)
    return rows


def test_readings_show_the_worst_first_bounded_with_the_rest_counted() -> None:
    text = render_text(signal_run(20))
    assert "1. read signal" in text
    rows = table_lines(text)
    assert len(rows) == ROWS_SHOWN
    # Offline on both OLTs, then critical, then warning; then the weakest good ones.
    assert [r.split()[-1] for r in rows[:6]] == ["offline"] * 2 + ["critical"] * 2 + ["warning"] * 2
    assert rows[2].split()[0] == "olt-a" and "-29.5" in rows[2]
    assert f"… and {2 * 20 - ROWS_SHOWN} more (-v shows all)" in text
    assert view_header(text) == ["host", "port", "onu_id", "serial", "rx_dbm", "signal"]


def test_the_rows_shown_are_those_a_stable_sort_of_every_host_puts_first() -> None:
    """Taken host by host, then from those, the rows shown are the same, in the same order
    (ties in the run's host order, then by place), as sorting every row would give."""
    outcomes = []
    for number, host in enumerate(("olt-c", "olt-a", "olt-b", "olt-d")):
        readings = [reading(i, -20.0 - (i % 7) / 10, "good") for i in range(40)]
        readings += [reading(40 + i, -29.5, "critical") for i in range(number + 2)]
        readings.append(reading(60, None, "offline"))
        outcomes.append(outcome(host, 0, readings, name="read signal"))
    run = run_of(outcomes, {"0": {"task": "onu.optical", "show": None}})
    [view] = step_views(run)
    in_host_order = sorted(run.outcomes, key=lambda o: run.hosts.index(o.host))
    every = [(o.host, r) for o in in_host_order for r in o.result]
    everything = sorted(every, key=lambda pair: view_order(pair[1]))
    expected = [(host, str(row["onu_id"])) for host, row in everything[:ROWS_SHOWN]]
    assert [(row["host"], row["onu_id"]) for row in view.rows] == expected
    assert view.more == len(every) - ROWS_SHOWN
    [verbose] = step_views(run, verbose=True)
    assert [(r["host"], r["onu_id"]) for r in verbose.rows] == [
        (host, str(row["onu_id"])) for host, row in everything
    ]


def view_order(row: dict[str, Any]) -> Any:
    from ispflow.tasks.signal import READINGS_VIEW

    assert READINGS_VIEW.order is not None
    return READINGS_VIEW.order(row)


def test_verbose_shows_every_row() -> None:
    text = render_text(signal_run(20), verbose=True)
    assert len(table_lines(text)) == 40
    assert "more (-v shows all)" not in text
    assert all(f"HWTC{i:08X}" in text for i in range(20))


def test_show_chooses_the_columns_in_its_order() -> None:
    text = render_text(signal_run(4, show=["rx_dbm", "serial", "tx_dbm"]))
    assert view_header(text) == ["host", "rx_dbm", "serial", "tx_dbm"]
    # The task's order still applies: the offline ONUs first, with no reading shown as —.
    assert table_lines(text)[0].split()[1] == "—"


def test_show_works_for_a_task_without_a_view() -> None:
    run = run_of(
        [outcome("olt-a", 0, [{"name": "x", "value": 1}, {"name": "y", "value": 2}])],
        {"0": {"task": "mypackage.tasks:custom", "show": ["name", "value"]}},
    )
    assert [r.split() for r in table_lines(render_text(run))] == [
        ["olt-a", "x", "1"],
        ["olt-a", "y", "2"],
    ]


def test_a_step_without_view_or_show_prints_counts_only() -> None:
    run = run_of(
        [outcome("olt-a", 0, {"contract": "C-1", "port": "0/1/0"}, name="what to install")],
        {"0": {"task": "core.set", "show": None}},
    )
    assert step_views(run) == []
    assert "what to install" not in render_text(run)


def test_a_run_recorded_without_views_still_renders() -> None:
    run = signal_run(4)
    run.options = {}
    text = render_text(run)
    assert "read signal" not in text and "ok=2" in text


def test_a_looped_step_has_a_row_per_item_with_the_reason_of_a_failure() -> None:
    entries = [
        {
            "item": {"contract": "C-1035"},
            "status": "changed",
            "changed": True,
            "result": {"port": "0/1/1", "onu_id": 16, "serial": "TPLG203B9502", "rx_dbm": -20.2},
        },
        {
            "item": {"olt": "olt-a", "port": "0/1/3", "serial": "HWTC00000002", "vlan": 5000},
            "status": "failed",
            "changed": False,
            "result": None,
            "error": "ValueError: VLAN 5000 is out of range 1-4094\nmore",
        },
        {"item": {"contract": "C-9"}, "status": "skipped", "changed": False, "result": None},
    ]
    run = run_of(
        [outcome("olt-a", 0, entries, status="failed", name="install from file")],
        {"0": {"task": "onu.install", "show": None}},
    )
    [view] = step_views(run)
    assert view.columns[:5] == ["host", "item", "status", "port", "onu_id"]
    assert [(r["item"], r["status"], r["port"]) for r in view.rows] == [
        ("C-1035", "changed", "0/1/1"),
        (
            "olt-a 0/1/3 HWTC00000002 5000",
            "failed: ValueError: VLAN 5000 is out of range 1-4094",
            "—",
        ),
        ("C-9", "skipped", "—"),
    ]
    assert "failed:" in render_text(run).split("1. install from file")[1]


def test_local_steps_print_their_headline_and_no_host_column() -> None:
    result = {
        "readings": 256,
        "findings": [
            {"key": "signal:onu:HWTC1", "kind": "onu_down", "severity": "major",
             "olt": "olt-a", "port": "0/1/0", "serial": "HWTC1", "signal": "offline"},
            {"key": "signal:pon:olt-a:0/1/1", "kind": "pon_down", "severity": "critical",
             "olt": "olt-a", "port": "0/1/1"},
        ],
        "tickets": {
            "opened": ["20261201000001"], "updated": [], "closed": ["20261130000007"],
            "orders": {
                "signal:onu:HWTC1": "opened 20261201000001",
                "signal:pon:olt-a:0/1/1": "open 20261129000003",
                "signal:cto:CTO-1": "closed 20261130000007",
            },
        },
    }  # fmt: skip
    run = run_of(
        [outcome("local", 0, result, status="changed", name="find faults")],
        {"0": {"task": "signal.analyze", "show": None}},
    )
    text = render_text(run)
    assert "256 readings · 2 faults · service orders: 1 opened, 0 commented, 1 closed" in text
    left_out = render_text(run_of(
        [outcome("local", 0, {**result, "out_of_service": 3}, status="changed", name="find")],
        {"0": {"task": "signal.analyze", "show": None}},
    ))  # fmt: skip
    assert "256 readings · 2 faults · 3 ONU(s) of no customer left out · service" in left_out
    rows = [r.split() for r in table_lines(text)]
    assert rows[0][:3] == ["critical", "pon_down", "olt-a"]
    assert rows[0][-2:] == ["open", "20261129000003"]
    assert rows[1][:2] == ["major", "onu_down"] and rows[1][-2:] == ["opened", "20261201000001"]
    assert rows[2][:3] == ["—", "cleared", "cto:CTO-1"]
    assert rows[2][-2:] == ["closed", "20261130000007"]
    assert "host" not in text.split("find faults")[1].splitlines()[2]


def test_headlines_of_many_hosts_are_bounded() -> None:
    outcomes = [
        outcome(f"olt-{i:02d}", 0, {"installed": [], "unmatched": [{"serial": f"S{i}"}]})
        for i in range(12)
    ]
    run = run_of(outcomes, {"0": {"task": "provision.auto", "show": None}})
    [view] = step_views(run)
    assert view.headlines[:2] == ["olt-00: 1 unmatched", "olt-01: 1 unmatched"]
    assert view.headlines[-1] == "… and 4 more hosts"
    assert len(step_views(run, verbose=True)[0].headlines) == 12


def test_a_result_of_another_shape_is_said_not_raised() -> None:
    run = run_of(
        [outcome("local", 0, {"findings": "not a list", "readings": "x"})],
        {"0": {"task": "signal.analyze", "show": None}},
    )
    [view] = step_views(run)
    assert view.rows == [] and view.headlines[0].startswith("result not shown: ")


def test_steps_are_numbered_as_counted_not_by_index() -> None:
    # Index 2 is the rollback of step 2: the runbook's third step has index 3.
    outcomes = [
        outcome("olt-a", 0, None, name="first"),
        outcome("olt-a", 1, None, name="second"),
        outcome("olt-a", 3, [reading(1, None, "offline")], status="failed", name="third",
                error="it broke"),
        outcome("olt-a", 2, None, status="changed", name="undo second", rollback=True),
    ]  # fmt: skip
    run = run_of(outcomes, {"3": {"task": "onu.optical", "show": None}}, step_indexes=[0, 1, 3])
    text = render_text(run, verbose=True)
    assert "olt-a · step 3: third" in text
    assert "3. third" in text
    per_step = text.split("Per step")[1].splitlines()
    numbers = [line.split()[0] for line in per_step if line.strip()[:1] not in ("", "#", "─")]
    assert numbers[:4] == ["1", "2", "3", "↩"]


def test_tally_counts_the_records_of_every_loop_item() -> None:
    entries = [
        {"item": {"contract": c}, "status": "ok", "changed": False, "result": [reading(i, r, s)]}
        for i, (c, r, s) in enumerate(
            [("C-1", -20.0, "good"), ("C-2", -29.0, "critical"), ("C-3", -21.0, "good")]
        )
    ]
    run = run_of(
        [outcome("olt-a", 0, entries, name="read contracts from file")],
        {"0": {"task": "onu.optical", "show": None}},
        tally={"0": "signal"},
    )
    assert "signal (read contracts from file): 2 good · 1 critical" in render_text(run)


def test_view_helpers() -> None:
    result = {"installed": [{"serial": "A"}], "failed": [{"serial": "B", "reason": "r"}],
              "unmatched": [], "note": "x"}  # fmt: skip
    rows = grouped("installed", "failed", "unmatched")(result)
    assert rows == [
        {"serial": "A", "status": "installed"},
        {"serial": "B", "reason": "r", "status": "failed"},
    ]
    assert counted("installed", "failed", "unmatched")(result) == "1 installed · 1 failed"
    assert counted("unmatched")(result) is None
    counts = sizes(("findings", "finding", "findings"), ("pools", "pool", "pools"))
    assert counts({"findings": [1, 2]}) == "2 findings"
    assert counts({"findings": [1], "pools": 0}) == "1 finding · 0 pools"
    assert TaskView(columns=("a",), records="rows").rows_of({"rows": [{"a": 1}, "junk"]}) == [
        {"a": 1}
    ]


def test_show_is_checked_when_the_runbook_loads(tmp_path: Path) -> None:
    path = tmp_path / "rb.yaml"
    path.write_text(
        "name: rb\ntargets: all\nsteps:\n"
        "  - task: onu.optical\n    show: [serial, rx_dbm, serial]\n"
        "  - task: onu.optical\n    show: [rx dbm]\n"
        "  - task: onu.optical\n    show: {a: 1}\n"
    )
    with pytest.raises(RunbookError) as caught:
        load_runbook(path)
    problems = str(caught.value)
    assert f"{path}:7:11" in problems and f"{path}:9:11" in problems
    assert problems.count("'show' must list keys of the result records") == 2
    path.write_text("name: rb\ntargets: all\nsteps:\n  - task: onu.optical\n    show: rx_dbm\n")
    assert load_runbook(path).steps[0].show == ("rx_dbm",)
    path.write_text(
        "name: rb\ntargets: all\nsteps:\n  - task: onu.optical\n    show: [serial, rx_dbm, serial]\n"
    )
    assert load_runbook(path).steps[0].show == ("serial", "rx_dbm")


def test_values_are_shown_as_text_never_as_markup_and_long_ones_are_cut() -> None:
    rows = [
        {"contract": "C-1", "status": "[red]bloqueado[/red] por inadimplência", "error": None},
        {"contract": "C-2", "status": "x" * 500 + "\nsecond line", "error": ""},
    ]
    run = run_of([outcome("bras-01", 0, rows)], {"0": {"task": "ppp.block", "show": None}})
    text = render_text(run)
    assert "[red]bloqueado[/red] por inadimplência" in text
    assert "second line" not in text and "error" not in view_header(text)
    [view] = step_views(run)
    assert view.rows[1]["status"] == "x" * 119 + "…"
