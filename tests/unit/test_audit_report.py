"""The signal audit report: aggregates, JSON and HTML from a store filled by hand."""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert, select
from typer.testing import CliRunner

from ispflow.engine.reports.audit import (
    TABLE_LIMIT,
    Reading,
    aggregate,
    build_audit,
    render_audit_html,
    render_audit_json,
)
from ispflow.store.db import Database, StoreError, open_database
from ispflow.store.schema import (
    contracts,
    cto_ports,
    ctos,
    customers,
    runs,
    step_results,
)
from tests.support.readings import insert_readings

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
HOSTILE = "C-<script>alert(1)</script>&\"'"
RUN = "20261124T110000-aaaa"


def _run(conn, run_id: str, started: datetime, runbook: str = "onu-signal") -> None:
    conn.execute(
        insert(runs).values(
            id=run_id,
            runbook=runbook,
            vars={},
            status="ok",
            options={},
            hosts=["olt-a", "olt-b", "olt-c"],
            steps=["read signal"],
            started_at=started,
            finished_at=started + timedelta(seconds=3),
        )
    )


def _reading(run_id: str, olt: str, port: int, onu: int, rx: float | None, cls: str, **more):
    return {
        "run_id": run_id,
        "olt": olt,
        "frame": 0,
        "slot": 1,
        "port": port,
        "onu_index": onu,
        "rx_dbm": rx,
        "state": "offline" if rx is None else "online",
        "signal_class": cls,
        "read_at": T0,
        # executemany takes its columns from the first row: every row names them all.
        "contract": more.get("contract"),
        "serial": more.get("serial"),
    }


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Database]:
    db = open_database(f"sqlite:///{tmp_path / 'audit.db'}")
    with db.writing() as conn:
        conn.execute(insert(customers).values(id=1, name="Ana", name_search="ana"))
        conn.execute(insert(ctos).values(id=1, code="CTO-9", ports_total=8))
        conn.execute(insert(cto_ports).values(id=1, cto_id=1, number=1))
        conn.execute(insert(cto_ports).values(id=2, cto_id=1, number=2))
        conn.execute(insert(contracts).values(code=HOSTILE, customer_id=1, cto_port_id=1))
        conn.execute(insert(contracts).values(code="C-2", customer_id=1, cto_port_id=2))
        # Two older runs for the trend, one of another runbook that must not count.
        _run(conn, "20261122T100000-0001", T0)
        _run(conn, "20261123T100000-0002", T0 + timedelta(days=1))
        _run(conn, "20261123T120000-0003", T0 + timedelta(days=1, hours=2), "onu-autofind")
        _run(conn, RUN, T0 + timedelta(days=4))
        rows = [
            _reading("20261122T100000-0001", "olt-a", 0, 1, -20.0, "good"),
            _reading("20261122T100000-0001", "olt-a", 0, 2, -22.0, "good"),
            _reading("20261123T100000-0002", "olt-a", 0, 1, -24.0, "good"),
            _reading("20261123T100000-0002", "olt-a", 0, 2, None, "offline"),
            _reading("20261123T120000-0003", "olt-a", 0, 1, -40.0, "critical"),
            # The run under audit: olt-a PON 0/1/0 on CTO-9; olt-b PON 0/1/3 has no CTO.
            _reading(RUN, "olt-a", 0, 1, -21.0, "good", contract=HOSTILE, serial="HWTC0001"),
            _reading(RUN, "olt-a", 0, 2, -29.0, "critical", contract="C-2"),
            _reading(RUN, "olt-b", 3, 1, -19.0, "good"),
            _reading(RUN, "olt-b", 3, 2, -23.0, "warning"),
            _reading(RUN, "olt-b", 3, 3, None, "offline"),
            _reading(RUN, "olt-b", 3, 4, None, "offline"),
        ]
        # Each run's readings are read as it runs.
        starts = dict(conn.execute(select(runs.c.id, runs.c.started_at)).all())
        for row in rows:
            row["read_at"] = starts[row["run_id"]] + timedelta(seconds=1)
        insert_readings(conn, rows)
        conn.execute(
            insert(step_results).values(
                run_id=RUN,
                host="olt-a",
                step_index=0,
                step_name="reconcile",
                status="ok",
                result=[
                    {"kind": "missing_onu", "severity": "critical", "serial": HOSTILE},
                    {"kind": "stale_contract", "contract": "C-2"},
                    {"not": "a finding"},
                ],
            )
        )
    yield db
    db.close()


def test_aggregates(store: Database) -> None:
    audit = build_audit(store, "20261124T11", trend_runs=10)

    assert audit.run["run_id"] == RUN
    assert audit.devices == 3
    assert audit.olts_read == 2
    assert audit.onus_read == 6
    assert audit.classes["good"] == 2
    assert audit.classes["offline"] == 2
    assert audit.classes["critical"] == 1
    assert audit.classes["warning"] == 1
    assert audit.mean_rx == pytest.approx((-21 - 29 - 19 - 23) / 4, abs=0.01)

    olt_a, olt_b = audit.rx_by_olt
    assert (olt_a.name, olt_a.count, olt_a.online) == ("olt-a", 2, 2)
    assert (olt_a.minimum, olt_a.median, olt_a.maximum) == (-29.0, -25.0, -21.0)
    assert (olt_b.count, olt_b.online, olt_b.mean) == (4, 2, -21.0)
    assert [s.name for s in audit.rx_by_pon] == ["olt-a 0/1/0", "olt-b 0/1/3"]

    # The PON without CTOs has two offline ONUs, so it ranks before CTO-9 (one critical).
    first, second = audit.worst
    assert (first.kind, first.name, first.bad, first.count) == ("pon", "olt-b 0/1/3", 2, 4)
    assert (second.kind, second.name, second.bad, second.mean_rx) == ("cto", "CTO-9", 1, -25.0)

    # Oldest first, the other runbook left out; shares are of all readings, offline included.
    assert [p.run_id for p in audit.trend] == ["20261122T100000-0001", "20261123T100000-0002", RUN]
    assert [p.mean_rx for p in audit.trend] == [-21.0, -24.0, -23.0]
    assert [p.good_share for p in audit.trend] == [1.0, 0.5, round(2 / 6, 4)]

    assert audit.findings_total == 2
    assert audit.findings_by_severity == {"critical": 1, "unrated": 1}
    assert audit.findings[0].kind == "missing_onu"


def test_trend_limit(store: Database) -> None:
    audit = build_audit(store, RUN, trend_runs=2)
    assert [p.run_id for p in audit.trend] == ["20261123T100000-0002", RUN]


def test_unknown_run(store: Database) -> None:
    with pytest.raises(StoreError):
        build_audit(store, "1999")


def test_json_is_the_aggregates(store: Database) -> None:
    data = json.loads(render_audit_json(build_audit(store, RUN)))
    assert data["onus_read"] == 6
    assert data["worst"][0]["name"] == "olt-b 0/1/3"
    assert "readings" not in data
    assert data["findings"][0]["severity"] == "critical"


def test_html_escapes_and_draws(store: Database) -> None:
    page = render_audit_html(build_audit(store, RUN))

    assert "<script>alert(1)</script>" not in page
    assert "C-&lt;script&gt;alert(1)&lt;/script&gt;&amp;&#34;&#39;" in page
    assert page.count("<script>") == 1  # only the page's own
    assert 'http-equiv="Content-Security-Policy"' in page
    assert_scripts_pinned(page)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    for key in ("rx-olt", "rx-pon", "worst", "trend-rx", "trend-good", "findings"):
        assert f'id="plot-{key}"' in page
    assert page.count("<svg ") == 6
    assert 'id="readings-table" class="sortable"' in page
    assert 'id="findings-table" class="sortable"' in page
    assert ">HWTC0001<" in page
    assert ">CTO-9<" in page


def test_html_without_readings(store: Database) -> None:
    with store.writing() as conn:
        _run(conn, "20261125T100000-0004", T0 + timedelta(days=5))
    audit = build_audit(store, "20261125")
    assert audit.onus_read == 0
    assert len(audit.trend) == 3  # the empty run itself is not a point
    page = render_audit_html(audit)
    assert "This run stored no optical readings." in page


def test_big_run_stays_small(store: Database) -> None:
    run_audit = build_audit(store, RUN)
    readings = [
        Reading(
            f"olt-{i % 8}",
            f"0/1/{i // 8 % 16}",
            i % 128,
            None,
            f"C-{i}",
            None,
            -15 - i % 20,
            "good",
        )
        for i in range(10_000)
    ]
    big = aggregate(_outcome(store), readings, run_audit.trend)
    page = render_audit_html(big)
    assert big.onus_read == 10_000
    table = page.split('id="readings-table"', 1)[1].split("</table>", 1)[0]
    assert table.count("<tr>") == TABLE_LIMIT + 1  # the header row and the capped rows
    assert f"the worst {TABLE_LIMIT:,} of 10,000 readings" in page
    assert len(big.rx_by_pon) == 128
    assert 'id="plot-rx-pon"' not in page  # listed in the JSON, not plotted
    assert len(page) < 3_000_000


def _outcome(store: Database):
    from ispflow.store.journal import Journal

    journal = Journal(store)
    try:
        return journal.load_run(RUN)
    finally:
        journal.close()


def test_cli(store: Database, tmp_path: Path) -> None:
    from ispflow.cli.app import app

    url = str(store.engine.url)
    target = tmp_path / "out" / "audit.html"
    result = CliRunner().invoke(
        app, ["report", "20261124", "--html", str(target), "-o", "json", "--db", url]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["run"]["run_id"] == RUN
    assert "<svg" in target.read_text(encoding="utf-8")

    result = CliRunner().invoke(app, ["report", "2026", "--db", url])
    assert result.exit_code == 2


def assert_scripts_pinned(page: str) -> None:
    """The page's CSP runs its own script, by hash, and no other inline script."""
    policy = re.search(r'Content-Security-Policy" content="([^"]*)"', page)
    assert policy is not None
    script = re.search(r"<script>(.*?)</script>", page, re.DOTALL)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}'" in policy.group(1)
    assert "unsafe-inline'; img" not in policy.group(1)
    assert "script-src 'unsafe-inline'" not in policy.group(1)


def test_a_run_whose_readings_were_pruned_is_shown_by_its_day(
    store: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ispflow.store.signal_retention import prune

    monkeypatch.setenv("ISPFLOW_HISTORY_RAW_DAYS", "2")
    prune(store, now=T0 + timedelta(days=4, hours=2))  # the two older runs' readings go
    audit = build_audit(store, RUN)
    assert [p.run_id for p in audit.trend] == ["20261122T100000-0001", "20261123T100000-0002", RUN]
    # Their days' roll-ups: every ONU read that day (the other runbook's reading included).
    assert [p.mean_rx for p in audit.trend] == [-21.0, -32.0, -23.0]
    assert [p.good_share for p in audit.trend] == [None, None, round(2 / 6, 4)]
    assert [p.readings for p in audit.trend] == [2, 2, 6]
    assert "trend-rx" in render_audit_html(audit)
