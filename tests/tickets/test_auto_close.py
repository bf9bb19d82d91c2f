"""Auto-close of orders waiting on the customer: business days, Brazilian holidays, and the
runbook that does it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import update

from ispflow.store.db import open_database
from ispflow.store.schema import service_orders
from ispflow.store.tickets.auto_close import auto_close, due_for_auto_close
from ispflow.store.tickets.backend import TicketBackend
from ispflow.store.tickets.business_days import business_days_between, is_business_day
from ispflow.store.tickets.model import NewTicket
from ispflow.store.tickets.store_backend import StoreTicketBackend

ROOT = Path(__file__).resolve().parents[2]
BRT = datetime.fromisoformat("2026-01-01T00:00:00-03:00").tzinfo


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BRT)


@pytest.mark.parametrize(
    ("day", "business"),
    [
        (date(2026, 11, 20), False),  # Black Awareness Day (national since 2024), a Friday
        (date(2026, 11, 2), False),  # All Souls
        (date(2026, 4, 3), False),  # Good Friday 2026 (Easter is April 5)
        (date(2027, 3, 26), False),  # Good Friday 2027
        (date(2026, 12, 25), False),
        (date(2026, 11, 21), False),  # Saturday
        (date(2026, 11, 19), True),
        (date(2026, 2, 17), True),  # Carnival Tuesday is an optional point, not a holiday
    ],
)
def test_business_days_know_brazilian_national_holidays(day: date, business: bool) -> None:
    assert is_business_day(day) is business


def test_counting_business_days() -> None:
    # Monday to the next Monday: Tue..Fri + Mon = 5.
    assert business_days_between(at("2026-11-23T10:00"), at("2026-11-30T09:00")) == 5
    # The week of Friday Nov 20 (a holiday) has one day less.
    assert business_days_between(at("2026-11-16T10:00"), at("2026-11-23T09:00")) == 4
    assert business_days_between(at("2026-11-16T10:00"), at("2026-11-24T09:00")) == 5
    # Days are local: 23:30 in Brasília on Friday is 02:30 UTC on Saturday.
    friday_night = datetime(2026, 11, 28, 2, 30, tzinfo=UTC)
    assert business_days_between(friday_night, at("2026-11-30T08:00")) == 1
    # Same day, and a company's own extra day off.
    assert business_days_between(at("2026-11-30T08:00"), at("2026-11-30T18:00")) == 0
    assert (
        business_days_between(
            at("2026-11-23T10:00"), at("2026-11-30T09:00"), extra=[date(2026, 11, 24)]
        )
        == 4
    )


def test_auto_close_closes_what_waited_long_enough(tickets: TicketBackend, tag: str) -> None:
    waiting = tickets.open(NewTicket(subject=f"sem retorno {tag}", cause=tag))
    tickets.claim(waiting.ref, "ana")  # a technician's order is taken over
    waiting = tickets.set_status(waiting.ref, "ana", "waiting")
    fresh_open = tickets.open(NewTicket(subject=f"aberto {tag}", cause=tag))
    since = waiting.status_since

    def mine(found: list) -> list[str]:
        return [t.ref for t in found if t.ref in (waiting.ref, fresh_open.ref)]

    due, _ = due_for_auto_close(tickets, 5, since + timedelta(days=2))
    assert mine(due) == []
    due, _ = due_for_auto_close(tickets, 5, since + timedelta(days=14))
    assert mine(due) == [waiting.ref]
    mine_due = [t for t in due if t.ref == waiting.ref]
    closed, failed = auto_close(
        tickets, mine_due, author="carla", code="AUTO-CLOSED", text="sem retorno do cliente"
    )
    assert failed == []
    [done] = closed
    assert done.status == "closed" and done.solution_code == "AUTO-CLOSED"
    assert tickets.get(fresh_open.ref).status == "open"


def _waiting_since(db_url: str, protocol: str, since: datetime) -> None:
    db = open_database(db_url)
    with db.engine.begin() as conn:
        conn.execute(
            update(service_orders)
            .where(service_orders.c.protocol == protocol)
            .values(status_since=since)
        )
    db.close()


def test_auto_close_runbook_counts_business_days_with_holidays(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'ispflow.db'}"
    db = open_database(url)
    backend = StoreTicketBackend(db)
    before_holiday = backend.open(NewTicket(subject="sem retorno", queue="remote-support"))
    backend.set_status(before_holiday.ref, "ana", "waiting")
    later = backend.open(NewTicket(subject="aguardando", queue="on-site-visit"))
    backend.set_status(later.ref, "ana", "waiting")
    db.close()
    _waiting_since(url, before_holiday.protocol, at("2026-11-16T10:00"))
    _waiting_since(url, later.protocol, at("2026-11-18T10:00"))
    env = dict(os.environ, ISPFLOW_DB=url, PYTHONPATH=str(ROOT))
    env.pop("ISPFLOW_TICKETS", None)

    def run(now: str, *extra: str) -> dict:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "ispflow",
                "run",
                "ticket-auto-close",
                "-e",
                f"now={now}",
                "-o",
                "json",
                "-q",
                *extra,
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
            timeout=120,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
        [result] = [r for r in json.loads(proc.stdout)["results"] if r["host"] == "local"]
        return result["result"]

    # Monday 23rd: only 4 business days since the 16th (Friday the 20th is a holiday).
    assert run("2026-11-23T12:00:00-03:00")["closed"] == []
    preview = run("2026-11-24T12:00:00-03:00", "--dry-run")
    assert [t["protocol"] for t in preview["would_close"]] == [before_holiday.protocol]
    done = run("2026-11-24T12:00:00-03:00")
    assert [t["protocol"] for t in done["closed"]] == [before_holiday.protocol]
    assert done["closed"][0]["solution_code"] == "AUTO-CLOSED"
    # From Wed 18th: Thu 19, Mon 23, Tue 24, Wed 25, Thu 26 (Fri 20th off).
    assert run("2026-11-25T20:00:00-03:00")["closed"] == []
    assert [t["protocol"] for t in run("2026-11-26T08:00:00-03:00")["closed"]] == [later.protocol]
    db = open_database(url)
    closed = StoreTicketBackend(db).get(before_holiday.protocol)
    db.close()
    assert closed.actions[-1].author.startswith("ispflow run ")
