"""The ticket backend interface, and choosing one from the configuration.

Ordering of `search`: urgent first, then oldest opened first (the order a field team works in).
Every change is recorded as an action with its author; `claim` is atomic: of two people
claiming the same unowned ticket at once, exactly one wins, the other gets TicketClaimed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ispflow.store.tickets.model import NewTicket, Ticket, TicketQuery


class TicketBackend(Protocol):
    name: str

    def open(self, new: NewTicket, *, author: str | None = None) -> Ticket:
        """Open a service order (status open, no owner) with a first action."""
        ...

    def get(self, ref: str) -> Ticket:
        """By ref or protocol; TicketNotFound if there is none."""
        ...

    def search(self, query: TicketQuery) -> list[Ticket]:
        """Tickets matching every given filter, urgent first, then oldest first (no actions)."""
        ...

    def claim(self, ref: str, person: str) -> Ticket:
        """Lock it to `person`. TicketClaimed if someone else holds it; no-op if `person` does."""
        ...

    def release(self, ref: str, person: str, *, force: bool = False) -> Ticket:
        """Unlock it. Only its owner may, unless `force` (a supervisor)."""
        ...

    def comment(self, ref: str, author: str | None, text: str) -> Ticket:
        """Add an action."""
        ...

    def set_status(self, ref: str, author: str | None, status: str) -> Ticket:
        """open <-> waiting (closing goes through `close`, which needs a solution code)."""
        ...

    def move(self, ref: str, author: str | None, queue: str) -> Ticket:
        """Move it to another queue (on-site visit, hardware maintenance, ...); the owner stays."""
        ...

    def close(self, ref: str, author: str | None, code: str, text: str) -> Ticket:
        """Close with a solution code and text. TicketClosed if it is closed already;
        TicketClaimed if someone other than `author` holds it."""
        ...

    def update_fields(
        self,
        ref: str,
        author: str | None,
        *,
        cto: str | None = None,
        seal: str | None = None,
        reviewed: bool | None = None,
        urgent: bool | None = None,
        scheduled_at: datetime | None = None,
    ) -> Ticket:
        """Change the given fields (None leaves a field alone); each change is an action."""
        ...

    def dispose(self) -> None:
        """Let go of connections and sessions."""
        ...
