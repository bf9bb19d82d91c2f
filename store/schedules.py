"""Schedules: a runbook, its vars and options, run every so often by `ispflow scheduler`.

Any number of schedulers (on one machine or several sharing a PostgreSQL store) may watch
the same schedules: a scheduler runs one only after winning its lease with a conditional
UPDATE, renews the lease while the run goes on, and gives it back when the run is over. A
scheduler that dies stops renewing, so the lease lapses and another one can take over.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from ispflow.store.columns import utcnow
from ispflow.store.db import Database
from ispflow.store.errors import StoreError
from ispflow.store.liveness import this_machine
from ispflow.store.schema import schedules

__all__ = [
    "Schedule",
    "ScheduleNotFound",
    "add",
    "due",
    "finish",
    "format_every",
    "get",
    "list_schedules",
    "next_after",
    "owner_id",
    "parse_every",
    "release",
    "remove",
    "renew",
    "set_enabled",
    "take",
]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+)([smhd])")
_EVERY = re.compile(r"(?:\d+[smhd])+")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


class ScheduleNotFound(StoreError):
    """No schedule has that name."""


@dataclass(frozen=True)
class Schedule:
    id: int
    name: str
    runbook: str
    vars: dict[str, Any]
    options: dict[str, Any]
    every_seconds: int
    enabled: bool
    next_run_at: datetime
    last_run_at: datetime | None
    last_run_id: str | None
    last_status: str | None
    locked_by: str | None
    locked_until: datetime | None
    created_at: datetime
    updated_at: datetime

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            data[key] = value.isoformat() if isinstance(value, datetime) else value
        data["every"] = format_every(self.every_seconds)
        return data


def parse_every(text: str) -> int:
    """Seconds in an interval written as `90s`, `30m`, `2h`, `1d` or a sum like `1h30m`."""
    cleaned = (text or "").strip().lower().replace(" ", "")
    if not _EVERY.fullmatch(cleaned):
        raise ValueError(
            f"'{text}' is not an interval: use a whole number and a unit, "
            "s (seconds), m (minutes), h (hours) or d (days): 90s, 30m, 2h, 1d, 1h30m"
        )
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(cleaned))
    if seconds <= 0:
        raise ValueError(f"'{text}' is not an interval: it must be longer than 0 seconds")
    return seconds


def format_every(seconds: int) -> str:
    """The shortest `1d2h30m` form of an interval in seconds."""
    parts = []
    for unit in ("d", "h", "m", "s"):
        amount, seconds = divmod(seconds, _UNITS[unit])
        if amount:
            parts.append(f"{amount}{unit}")
    return "".join(parts) or "0s"


def next_after(anchor: datetime, every_seconds: int, now: datetime) -> datetime:
    """The first time after `now` on the grid anchor + k * every.

    Keeping to the grid means a run that overran its interval skips the runs it missed
    instead of starting them back to back, and the schedule does not drift later and later.
    """
    if anchor > now:
        return anchor
    elapsed = (now - anchor).total_seconds()
    steps = int(elapsed // every_seconds) + 1
    return anchor + timedelta(seconds=steps * every_seconds)


def owner_id() -> str:
    """Who holds a lease: this machine and process."""
    return f"{this_machine()}:{os.getpid()}"


# -- keeping schedules ----------------------------------------------------------------------
def add(
    db: Database,
    *,
    name: str,
    runbook: str,
    every_seconds: int,
    vars: dict[str, Any] | None = None,
    options: dict[str, Any] | None = None,
    enabled: bool = True,
    first_run_at: datetime | None = None,
) -> Schedule:
    """Store a new schedule; it is due at `first_run_at` (default: now)."""
    if not _NAME.fullmatch(name):
        raise StoreError(
            f"schedule name '{name}': use letters, digits, '.', '_' and '-' (at most 100)"
        )
    if every_seconds <= 0:
        raise StoreError("a schedule runs every 1 second or more")
    now = utcnow()
    row = {
        "name": name,
        "runbook": runbook,
        "vars": dict(vars or {}),
        "options": dict(options or {}),
        "every_seconds": every_seconds,
        "enabled": enabled,
        "next_run_at": first_run_at or now,
        "created_at": now,
        "updated_at": now,
    }
    try:
        with db.writing() as conn:
            conn.execute(insert(schedules).values(**row))
    except IntegrityError:
        if _find(db, name) is not None:
            raise StoreError(f"a schedule named '{name}' already exists") from None
        raise
    except SQLAlchemyError as exc:
        raise StoreError(f"could not add schedule '{name}': {_cause(exc)}") from exc
    return get(db, name)


def get(db: Database, name: str) -> Schedule:
    found = _find(db, name)
    if found is None:
        raise ScheduleNotFound(f"no schedule named '{name}'")
    return found


def get_by_id(db: Database, schedule_id: int) -> Schedule:
    """A schedule by its id (as a task message names it); ScheduleNotFound if gone."""
    return _schedule_by_id(db, schedule_id)


def list_schedules(db: Database) -> list[Schedule]:
    """Every schedule, soonest due first."""
    query = select(schedules).order_by(schedules.c.next_run_at, schedules.c.name)
    with _failing_as("list schedules"), db.engine.connect() as conn:
        return [_schedule(r) for r in conn.execute(query)]


def remove(db: Database, name: str) -> None:
    with _failing_as(f"remove schedule '{name}'"), db.writing() as conn:
        done = conn.execute(delete(schedules).where(schedules.c.name == name))
    if done.rowcount == 0:
        raise ScheduleNotFound(f"no schedule named '{name}'")


def set_enabled(db: Database, name: str, enabled: bool) -> Schedule:
    """Enable or disable a schedule. Enabling one whose time has passed makes it due now,
    not at the time it would have had: nothing piles up while it was off."""
    current = get(db, name)
    now = utcnow()
    values: dict[str, Any] = {"enabled": enabled, "updated_at": now}
    if enabled and not current.enabled and current.next_run_at < now:
        values["next_run_at"] = now
    with _failing_as(f"update schedule '{name}'"), db.writing() as conn:
        conn.execute(update(schedules).where(schedules.c.id == current.id).values(**values))
    return get(db, name)


# -- running them ---------------------------------------------------------------------------
def due(db: Database, now: datetime | None = None) -> list[Schedule]:
    """Enabled schedules whose time has come and that no live lease holds, oldest first."""
    now = now or utcnow()
    query = (
        select(schedules)
        .where(schedules.c.enabled.is_(True), schedules.c.next_run_at <= now, _free(now))
        .order_by(schedules.c.next_run_at, schedules.c.id)
    )
    with _failing_as("read due schedules"), db.engine.connect() as conn:
        return [_schedule(r) for r in conn.execute(query)]


def take(
    db: Database,
    schedule: Schedule | int,
    owner: str,
    lease: float,
    *,
    now: datetime | None = None,
) -> bool:
    """Try to lease a due schedule for `lease` seconds; True for exactly one taker.

    The conditions are checked by the UPDATE itself, so of any number of schedulers trying at
    once only one changes the row. A schedule run and finished by another scheduler meanwhile
    is no longer due, so it is not taken again for the same slot.
    """
    now = now or utcnow()
    with _failing_as("take a schedule"), db.writing() as conn:
        done = conn.execute(
            update(schedules)
            .where(
                schedules.c.id == _id(schedule),
                schedules.c.enabled.is_(True),
                schedules.c.next_run_at <= now,
                _free(now),
            )
            .values(locked_by=owner, locked_until=now + timedelta(seconds=lease))
        )
    return done.rowcount == 1


def renew(
    db: Database,
    schedule: Schedule | int,
    owner: str,
    lease: float,
    *,
    now: datetime | None = None,
) -> bool:
    """Extend `owner`'s lease; False if it no longer holds it (it lapsed and was taken)."""
    now = now or utcnow()
    with _failing_as("renew a schedule's lease"), db.writing() as conn:
        done = conn.execute(
            update(schedules)
            .where(schedules.c.id == _id(schedule), schedules.c.locked_by == owner)
            .values(locked_until=now + timedelta(seconds=lease))
        )
    return done.rowcount == 1


def finish(
    db: Database,
    schedule: Schedule | int,
    run_id: str | None,
    status: str,
    *,
    owner: str | None = None,
    started_at: datetime | None = None,
    now: datetime | None = None,
) -> bool:
    """Record a run's outcome, move the schedule to its next slot after now, release it.

    With `owner`, only while that owner holds the lease (False otherwise: the lease lapsed
    and another scheduler owns the schedule now).
    """
    now = now or utcnow()
    current = _schedule_by_id(db, _id(schedule))
    condition = [schedules.c.id == current.id]
    if owner is not None:
        condition.append(schedules.c.locked_by == owner)
    with _failing_as(f"record the run of schedule '{current.name}'"), db.writing() as conn:
        done = conn.execute(
            update(schedules)
            .where(*condition)
            .values(
                next_run_at=next_after(current.next_run_at, current.every_seconds, now),
                last_run_at=started_at or now,
                last_run_id=run_id,
                last_status=status[:16],
                locked_by=None,
                locked_until=None,
                updated_at=now,
            )
        )
    return done.rowcount == 1


def release(db: Database, schedule: Schedule | int, owner: str) -> None:
    """Give a lease back without a run: the schedule stays due for the next taker."""
    with _failing_as("release a schedule"), db.writing() as conn:
        conn.execute(
            update(schedules)
            .where(schedules.c.id == _id(schedule), schedules.c.locked_by == owner)
            .values(locked_by=None, locked_until=None)
        )


# -- helpers --------------------------------------------------------------------------------
def _free(now: datetime) -> Any:
    return or_(schedules.c.locked_until.is_(None), schedules.c.locked_until < now)


def _id(schedule: Schedule | int) -> int:
    return schedule if isinstance(schedule, int) else schedule.id


def _find(db: Database, name: str) -> Schedule | None:
    with _failing_as(f"read schedule '{name}'"), db.engine.connect() as conn:
        row = conn.execute(select(schedules).where(schedules.c.name == name)).first()
    return _schedule(row) if row is not None else None


def _schedule_by_id(db: Database, schedule_id: int) -> Schedule:
    with _failing_as("read a schedule"), db.engine.connect() as conn:
        row = conn.execute(select(schedules).where(schedules.c.id == schedule_id)).first()
    if row is None:
        raise ScheduleNotFound(f"no schedule with id {schedule_id}")
    return _schedule(row)


def _schedule(row: Row[Any]) -> Schedule:
    return Schedule(**{key: row._mapping[key] for key in Schedule.__dataclass_fields__})


class _failing_as:  # noqa: N801 - used like a function in `with`
    """Turns database errors into a StoreError that says what was being done."""

    def __init__(self, doing: str) -> None:
        self.doing = doing

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        if isinstance(exc, SQLAlchemyError):
            raise StoreError(f"could not {self.doing}: {_cause(exc)}") from exc


def _cause(exc: SQLAlchemyError) -> str:
    return str(getattr(exc, "orig", None) or exc).strip()
