"""What a service order is, what can go wrong with one, and how a field team asks for a list.

Both ticket backends (the store, Request Tracker) speak these types, so the CLI, the runbook
tasks and the tests do not know which one is behind them.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any, Literal

# open: someone has to act; waiting: waiting on the customer (auto-closed after a while);
# closed: solved, with a solution code.
STATUSES = ("open", "waiting", "closed")
RESPONSIBLE_TYPES = ("internal", "external")
DATE_FIELDS = ("opened", "scheduled", "closed", "updated")
ACTION_KINDS = ("opened", "comment", "claim", "release", "move", "status", "close", "field")


class TicketError(Exception):
    """A ticket operation was refused; the message says which ticket and why."""


class TicketNotFound(TicketError):
    pass


class TicketClaimed(TicketError):
    """The ticket is locked to someone else (a second claim, or acting on another's ticket)."""

    def __init__(self, message: str, owner: str | None = None) -> None:
        super().__init__(message)
        self.owner = owner


class TicketClosed(TicketError):
    """The ticket is closed; it cannot be claimed, moved or closed again."""


class TicketConflict(TicketError):
    """The ticket changed between reading and writing it (someone else was faster)."""


@dataclasses.dataclass(frozen=True)
class Action:
    """One entry of a ticket's history: who did what, when."""

    author: str | None
    at: datetime
    kind: str
    text: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "author": self.author,
            "at": self.at.isoformat(),
            "kind": self.kind,
            "text": self.text,
        }


@dataclasses.dataclass(frozen=True)
class NewTicket:
    """What is needed to open a service order; everything but the subject is optional."""

    subject: str
    queue: str = "remote-support"
    customer: str | None = None  # the customer's code in the store
    contract: str | None = None  # the contract's code
    cause: str | None = None
    channel: str | None = None  # phone, whatsapp, app, runbook, ...
    responsible: str | None = None
    responsible_type: str | None = None  # internal | external
    street: str | None = None
    district: str | None = None
    city: str | None = None
    scheduled_at: datetime | None = None  # the visit
    urgent: bool = False
    text: str | None = None  # the first action's text
    cto: str | None = None
    seal: str | None = None


@dataclasses.dataclass(frozen=True)
class Ticket:
    """A service order as the backends return it (a snapshot; act through the backend)."""

    ref: str  # the backend's own id: the store row id or the RT ticket number
    protocol: str  # what the customer is told; accepted wherever a ref is
    subject: str
    status: str
    queue: str
    owner: str | None
    customer: str | None
    contract: str | None
    cause: str | None
    channel: str | None
    responsible: str | None
    responsible_type: str | None
    street: str | None
    district: str | None
    city: str | None
    opened_at: datetime
    updated_at: datetime
    scheduled_at: datetime | None
    closed_at: datetime | None
    status_since: datetime  # when it entered its current status (auto-close counts from here)
    urgent: bool
    reviewed: bool
    solution_code: str | None
    solution_text: str | None
    cto: str | None
    seal: str | None
    actions: tuple[Action, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for key, value in data.items():
            if isinstance(value, datetime):
                data[key] = value.isoformat()
        data["actions"] = [a.as_dict() for a in self.actions]
        return data


@dataclasses.dataclass(frozen=True)
class TicketQuery:
    """The filters field teams use. None means "any". Owner, contract and customer code match
    exactly; the other texts match a part, without case."""

    customer: str | None = None  # customer code, or part of the name
    contract: str | None = None
    protocol: str | None = None
    status: str | None = None  # one of STATUSES; None = open or waiting
    queue: str | None = None
    owner: str | None = None
    street: str | None = None
    district: str | None = None
    city: str | None = None
    responsible: str | None = None
    cause: str | None = None
    channel: str | None = None
    date_field: Literal["opened", "scheduled", "closed", "updated"] = "opened"
    since: datetime | None = None  # date_field >= since
    until: datetime | None = None  # date_field < until
    visit_since: datetime | None = None  # scheduled_at >= visit_since
    visit_until: datetime | None = None
    reviewed: bool | None = None
    urgent: bool | None = None
    unowned: bool = False
    limit: int = 100
