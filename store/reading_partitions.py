"""PostgreSQL: `optical_readings` partitioned by day of `read_at` (UTC), made as writes need them.

One partition per day, `optical_readings_pYYYYMMDD`, holds [that day 00:00 UTC, the next day),
plus `optical_readings_default` for anything else, so a reading is never refused for want of
a partition. Writers make today's and tomorrow's partition before they write; making one is
idempotent and serialised across processes by an advisory lock, and rows the default
partition already holds for that day are moved into it (PostgreSQL refuses a new partition
that the default partition holds rows for). Retention drops whole partitions
(`store.signal_retention`). SQLite has no partitions: nothing here runs there.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import weakref
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import Connection, text
from sqlalchemy.exc import SQLAlchemyError

from ispflow.store.db import Database

log = logging.getLogger(__name__)

PARENT = "optical_readings"
DEFAULT_PARTITION = f"{PARENT}_default"
_DAY_PARTITION = re.compile(rf"^{PARENT}_p(\d{{8}})$")
PARTITION_LOCK = int.from_bytes(
    hashlib.blake2b(b"ispflow.store.reading_partitions", digest_size=8).digest(),
    "big",
    signed=True,
)
# Making a partition locks the parent table briefly; a writer waits this long behind a long
# reader, then writes into the default partition and leaves the partition to the next write.
LOCK_TIMEOUT = "5s"

# Days whose partition this process has seen made, per engine: a write checks the catalogue
# once a day, not once per OLT.
_made: weakref.WeakKeyDictionary[object, set[date]] = weakref.WeakKeyDictionary()
_made_lock = threading.Lock()


def partition_name(day: date) -> str:
    return f"{PARENT}_p{day:%Y%m%d}"


def is_partition(name: str) -> bool:
    """Whether a table name is one of the readings' partitions (the schema check skips them)."""
    return name == DEFAULT_PARTITION or _DAY_PARTITION.match(name) is not None


def schema_object_included(name: str | None, type_: str, parent_names: object) -> bool:
    """For Alembic's `include_name`: the schema is everything but the day partitions."""
    return not (type_ == "table" and name is not None and is_partition(name))


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def day_partitions(conn: Connection) -> dict[date, str]:
    """The day partitions of `optical_readings` in the current schema, by day."""
    names = conn.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(:parent)"
        ),
        {"parent": PARENT},
    ).scalars()
    found = {}
    for name in names:
        match = _DAY_PARTITION.match(name)
        if match:
            found[datetime.strptime(match.group(1), "%Y%m%d").date()] = name
    return found


def ensure_days(conn: Connection, days: Iterable[date]) -> list[str]:
    """Make the day partitions of `days` that do not exist yet, in the caller's transaction
    (which then holds the lock that makes this safe from many processes); the names made."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PARTITION_LOCK})
    made = []
    for day in sorted(set(days)):
        name = partition_name(day)
        if conn.execute(text("SELECT to_regclass(:name)"), {"name": name}).scalar():
            continue
        _make(conn, day, name)
        made.append(name)
    return made


def _make(conn: Connection, day: date, name: str) -> None:
    bounds = {"lo": day_start(day), "hi": day_start(day + timedelta(days=1))}
    # Names come from partition_name (a fixed prefix and digits), never from input.
    held = conn.execute(
        text(
            f"SELECT EXISTS (SELECT 1 FROM {DEFAULT_PARTITION} "
            "WHERE read_at >= :lo AND read_at < :hi)"
        ),
        bounds,
    ).scalar()
    if not held:
        conn.exec_driver_sql(f"CREATE TABLE {name} PARTITION OF {PARENT} {_bounds_sql(day)}")
        return
    # The default partition holds rows of that day: they move to the new table first.
    conn.exec_driver_sql(f"CREATE TABLE {name} (LIKE {PARENT} INCLUDING DEFAULTS)")
    conn.execute(
        text(
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} "
            "WHERE read_at >= :lo AND read_at < :hi RETURNING *) "
            f"INSERT INTO {name} SELECT * FROM moved"
        ),
        bounds,
    )
    conn.exec_driver_sql(f"ALTER TABLE {PARENT} ATTACH PARTITION {name} {_bounds_sql(day)}")


def _bounds_sql(day: date) -> str:
    # DDL takes no parameters; the literals come from a date, never from input (and are run
    # as driver SQL: SQLAlchemy's text() would read ':00' as a parameter).
    lo, hi = day_start(day), day_start(day + timedelta(days=1))
    return f"FOR VALUES FROM ('{lo.isoformat()}') TO ('{hi.isoformat()}')"


def ensure_for_write(db: Database, read_at: Iterable[datetime]) -> None:
    """Before writing readings read at these times: their day's partition and the next day's
    exist (made once per process and day). A partition that cannot be made now (the parent is
    locked by a long reader, the role may not create tables) is logged and left: the rows go
    to the default partition, and the next write tries again."""
    if db.dialect_name != "postgresql":
        return
    wanted = set()
    for moment in read_at:
        day = moment.astimezone(UTC).date()
        wanted |= {day, day + timedelta(days=1)}
    with _made_lock:
        known = _made.setdefault(db.engine, set())
        missing = wanted - known
    if not missing:
        return
    try:
        with db.engine.begin() as conn:
            conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'")
            ensure_days(conn, missing)
    except SQLAlchemyError as exc:
        # The write goes on: its rows land in the default partition (and if the store is
        # down, the write says so itself).
        log.warning(
            "readings partitions for %s not made yet: %s",
            ", ".join(f"{day}" for day in sorted(missing)),
            getattr(exc, "orig", None) or exc,
        )
        return
    with _made_lock:
        known |= missing


READ_AT_INDEX = "ix_optical_readings_read_at_run_id"


def summarize_read_at(conn: Connection) -> None:
    """Bring the block range (BRIN) index on `read_at` and `run_id` up to date in every
    partition, so a read of an hour or a run skips the other block ranges: ranges written
    since the last vacuum have no summary yet and are read whole. Cheap: it reads only those
    ranges (the latest writes), and the partitions of past days have none left."""
    conn.execute(
        text(
            "SELECT brin_summarize_new_values(i.inhrelid::regclass) FROM pg_inherits i "
            "WHERE i.inhparent = to_regclass(:index)"
        ),
        {"index": READ_AT_INDEX},
    )


def forget_made(db: Database) -> None:
    """Forget which partitions this process made (after partitions were dropped)."""
    with _made_lock:
        _made.pop(db.engine, None)
