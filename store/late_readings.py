"""Readings written into an hour (or day) already rolled up: added to its roll-ups.

A prune rolls each hour up once, `GRACE` after it ends, and never sums it again; the raw
readings go later. A reading stamped in such an hour but written only now (by a worker whose
clock runs behind, or brought in with the time it was taken) would be in no roll-up, and
gone with the raw readings: the ONU's trend would never show it. So when a batch of readings
lands behind a roll-up mark, the batch's own summary is merged into that hour's row (and the
day's, when the day is rolled up too): the lower minimum, the higher maximum, the samples
added, the average weighted by the samples with light. The bucket keeps its serial and
contract (a roll-up does not say when its newest reading was, so a late batch fills them only
where the bucket has none). The batch is summed from its rows as they are written, not read
back (on SQLite that read would walk the OLT's whole history), so nothing is counted twice,
and the merge holds whether or not the hour's other raw readings are still kept.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, case, select

from ispflow.store.schema import optical_rollup_marks
from ispflow.store.signal_rollups import ONU_COLUMNS, TABLES, Granularity, floor, upsert_for

# Rows per INSERT: 14 values each, well inside both databases' limit on parameters.
ROWS_PER_STATEMENT = 1_000
Place = tuple[str, int, int, int, int]  # OLT, frame, slot, port, ONU id


class LateSummary:
    """Per ONU place, one batch's readings summed the way a roll-up sums them."""

    def __init__(self) -> None:
        self.places: dict[Place, dict[str, Any]] = {}

    def add(self, place: Place, serial: str | None, contract: str | None, rx: float | None) -> None:
        summed = self.places.setdefault(
            place,
            {"rx_min": None, "rx_max": None, "rx_total": 0.0, "samples": 0, "offline_samples": 0,
             "rx_samples": 0, "serial": None, "contract": None},
        )  # fmt: skip
        summed["samples"] += 1
        summed["serial"], summed["contract"] = serial, contract  # one read time: the last row's
        if rx is None:
            summed["offline_samples"] += 1
            return
        summed["rx_samples"] += 1
        summed["rx_total"] += rx
        summed["rx_min"] = rx if summed["rx_min"] is None else min(summed["rx_min"], rx)
        summed["rx_max"] = rx if summed["rx_max"] is None else max(summed["rx_max"], rx)

    def rows(self, bucket: datetime) -> list[dict[str, Any]]:
        return [
            {
                **dict(zip(ONU_COLUMNS, place, strict=True)),
                "bucket": bucket,
                "serial": s["serial"],
                "contract": s["contract"],
                "rx_min": s["rx_min"],
                "rx_avg": s["rx_total"] / s["rx_samples"] if s["rx_samples"] else None,
                "rx_max": s["rx_max"],
                "samples": s["samples"],
                "offline_samples": s["offline_samples"],
                "rx_samples": s["rx_samples"],
            }
            for place, s in self.places.items()
        ]


def late_grains(
    conn: Connection, read_times: Iterable[datetime]
) -> dict[datetime, list[Granularity]]:
    """For each read time behind a roll-up mark, the grains ("hour", "day") whose roll-ups it
    must join; read times not behind any are left out (the usual case: none)."""
    m = optical_rollup_marks.c
    found = conn.execute(select(m.granularity, m.rolled_through))
    marks = {row.granularity: row.rolled_through for row in found}
    hours, days = marks.get("hour"), marks.get("day")
    if hours is None:
        return {}
    late: dict[datetime, list[Granularity]] = {}
    for at in read_times:
        if floor(at, "hour") >= hours:
            continue
        # Days are rolled up from hours only through the hour mark: a day behind its mark is
        # always behind the hour mark too.
        behind_day = days is not None and floor(at, "day") < days
        late[at] = ["hour", "day"] if behind_day else ["hour"]
    return late


def merge(conn: Connection, granularity: Granularity, at: datetime, summed: LateSummary) -> int:
    """Merge a batch's summary into the roll-up of `at`'s bucket; ONU buckets written."""
    rows = summed.rows(floor(at, granularity))
    table = TABLES[granularity]
    insert = upsert_for(conn.dialect.name)
    written = 0
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        statement = insert(table).values(rows[start : start + ROWS_PER_STATEMENT])
        old, new = table.c, statement.excluded
        lit = old.rx_samples + new.rx_samples
        statement = statement.on_conflict_do_update(
            index_elements=[*ONU_COLUMNS, "bucket"],
            set_={
                "serial": case((old.serial.is_(None), new.serial), else_=old.serial),
                "contract": case((old.contract.is_(None), new.contract), else_=old.contract),
                "rx_min": _either(old.rx_min, new.rx_min, lower=True),
                "rx_max": _either(old.rx_max, new.rx_max, lower=False),
                "rx_avg": case(
                    (lit == 0, None),
                    else_=(
                        case((old.rx_samples == 0, 0.0), else_=old.rx_avg * old.rx_samples)
                        + case((new.rx_samples == 0, 0.0), else_=new.rx_avg * new.rx_samples)
                    )
                    / lit,
                ),
                "samples": old.samples + new.samples,
                "offline_samples": old.offline_samples + new.offline_samples,
                "rx_samples": lit,
            },
        )
        written += conn.execute(statement.execution_options(preserve_rowcount=True)).rowcount
    return written


def _either(a: Any, b: Any, *, lower: bool) -> Any:
    """The lower (or higher) of two values either of which may be NULL, the same on both
    databases: SQLite's two-argument min() is NULL when either is."""
    first = a < b if lower else a > b
    return case((a.is_(None), b), (b.is_(None), a), (first, a), else_=b)
