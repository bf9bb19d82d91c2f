"""`ispflow readings prune` run as a user would, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from ispflow.store.db import open_database
from ispflow.store.schema import optical_daily, optical_hourly, optical_readings
from tests.conftest import Cli

DAYS = 20


def latest() -> datetime:
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)


def fill(url: str) -> int:
    """Two readings a day for DAYS days up to three hours ago; how many."""
    last = latest()
    rows = [
        {
            "olt": "olt-a",
            "frame": 0,
            "slot": 1,
            "port": 3,
            "onu_index": onu,
            "serial": None,
            "contract": "Associação São João" if onu else "",
            "rx_dbm": -21.0 - onu,
            "state": "online",
            "signal_class": "good",
            "read_at": last - timedelta(days=day),
        }  # fmt: skip
        for day in range(DAYS)
        for onu in (0, 1)
    ]
    with open_database(url) as db, db.engine.begin() as conn:
        conn.execute(insert(optical_readings), rows)
    return len(rows)


def counts(url: str) -> tuple[int, int, int]:
    with open_database(url) as db, db.engine.connect() as conn:
        return tuple(  # type: ignore[return-value]
            conn.execute(select(func.count()).select_from(table)).scalar()
            for table in (optical_readings, optical_hourly, optical_daily)
        )


def test_help_teaches(sqlite_cli: Cli) -> None:
    shown = sqlite_cli("readings", "prune", "--help")
    assert shown.returncode == 0, shown.stderr
    for words in ("--raw-days", "--rollup-days", "--dry-run", "ispflow readings prune -n"):
        assert words.replace(" -n", " --dry-run") in shown.stdout or words in shown.stdout
    assert "hourly" in shown.stdout and "Safe to interrupt" in shown.stdout
    assert "readings" in sqlite_cli("--help").stdout


def test_dry_run_then_prune(cli: Cli) -> None:
    total = fill(cli.db)
    dry = cli("readings", "prune", "--raw-days", "7", "--dry-run", "-o", "json")
    assert dry.returncode == 0, dry.stderr
    preview = json.loads(dry.stdout)
    assert preview["dry_run"] is True
    assert preview["hourly_rolled_up"] == total
    assert counts(cli.db) == (total, 0, 0)

    done = cli("readings", "prune", "--raw-days", "7")
    assert done.returncode == 0, done.stderr
    assert f"Rolled up: {total} ONU-hours" in done.stdout
    edge = (datetime.now(UTC) - timedelta(days=7)).date()
    assert f"Dropped raw readings from before {edge:%Y-%m-%d}" in done.stdout
    raw, hourly, daily = counts(cli.db)
    today = datetime.now(UTC).date()
    closed_days = sum((latest() - timedelta(days=day)).date() < today for day in range(DAYS))
    assert raw < total and hourly == total and daily == 2 * closed_days

    again = cli("readings", "prune", "--raw-days", "7", "-o", "json")
    assert json.loads(again.stdout)["hourly_rolled_up"] == 0


def test_bad_days_are_refused_and_nothing_changes(cli: Cli) -> None:
    total = fill(cli.db)
    for args, words in (
        (("--raw-days", "-1"), "history.raw_days"),
        (("--raw-days", "0"), "from 1 to 36,525"),
        (("--raw-days", "999999999", "--rollup-days", "999999999"), "a century"),
        (("--raw-days", "30", "--rollup-days", "10"), "roll-ups must outlive"),
        (("--raw-days", "seven"), "Invalid value"),
    ):
        refused = cli("readings", "prune", *args)
        assert refused.returncode == 2, (args, refused.stdout)
        assert words in refused.stderr, (args, refused.stderr)
    assert counts(cli.db) == (total, 0, 0)
