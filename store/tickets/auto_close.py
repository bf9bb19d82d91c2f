"""Closing the service orders left waiting on the customer for too long."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ispflow.store.tickets.backend import TicketBackend
from ispflow.store.tickets.business_days import business_days_between
from ispflow.store.tickets.model import Ticket, TicketError, TicketQuery


def due_for_auto_close(
    backend: TicketBackend, business_days: int, now: datetime, *, queue: str | None = None
) -> tuple[list[Ticket], int]:
    """The waiting orders whose wait reached `business_days`, and how many are waiting."""
    waiting = backend.search(TicketQuery(status="waiting", queue=queue, limit=100_000))
    due = [t for t in waiting if business_days_between(t.status_since, now) >= business_days]
    return due, len(waiting)


def auto_close(
    backend: TicketBackend,
    due: list[Ticket],
    *,
    author: str,
    code: str,
    text: str,
) -> tuple[list[Ticket], list[dict[str, Any]]]:
    """Close each order (releasing it first if a technician holds it); one refused order
    does not stop the others. Returns the closed orders and the refusals."""
    closed: list[Ticket] = []
    failed: list[dict[str, Any]] = []
    for ticket in due:
        try:
            if ticket.owner:
                backend.release(ticket.ref, author, force=True)
            closed.append(backend.close(ticket.ref, author, code, text))
        except TicketError as exc:
            failed.append({"protocol": ticket.protocol, "error": str(exc)})
    return closed, failed
