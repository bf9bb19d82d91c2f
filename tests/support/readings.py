"""Readings written straight into the table, with the batch rows the store's writer keeps."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import Connection, insert

from ispflow.store import reading_batches
from ispflow.store.schema import optical_readings, runs


def insert_readings(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT `rows` (optical_readings columns) and record a batch per run, OLT and read_at,
    as `ReadingsWriter` does, so the runs find them."""
    conn.execute(insert(optical_readings), list(rows))
    batches = Counter(
        (row["run_id"], row["olt"], row["read_at"]) for row in rows if row.get("run_id")
    )
    reading_batches.record(conn, [(*key, n, None) for key, n in batches.items()])


def add_run(
    conn: Connection, run_id: str, started_at: datetime, runbook: str = "signal-audit"
) -> None:
    """A finished run of `runbook` in the runs table, as readings name it."""
    conn.execute(
        insert(runs).values(
            id=run_id,
            runbook=runbook,
            vars={},
            status="ok",
            options={},
            hosts=[],
            steps=[],
            started_at=started_at,
        )
    )


def assert_same_roll_ups(got: dict, want: dict) -> None:
    """Two sets of roll-ups by (ONU, bucket): the same buckets, the same values (floats to
    rounding)."""
    assert got.keys() == want.keys()
    for key, values in want.items():
        for name, value in values.items():
            if isinstance(value, float):
                assert got[key][name] == pytest.approx(value, abs=1e-9), (key, name)
            else:
                assert got[key][name] == value, (key, name)
