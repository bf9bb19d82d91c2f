"""Service orders kept in the store's own tables (the default ticket backend).

Every change is one transaction that also writes its action. Locks are conditional UPDATEs
("... WHERE owner IS NULL"), so of two claims racing on one ticket, on SQLite or PostgreSQL,
in threads or processes, the database lets exactly one through.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, func, insert, or_, select, update

from ispflow.core.quoting import quoted
from ispflow.store.cto import check_cto_known
from ispflow.store.db import Database
from ispflow.store.normalize import search_key
from ispflow.store.schema import contracts, customers, service_order_actions, service_orders
from ispflow.store.tickets.model import (
    RESPONSIBLE_TYPES,
    STATUSES,
    Action,
    NewTicket,
    Ticket,
    TicketClaimed,
    TicketClosed,
    TicketError,
    TicketNotFound,
    TicketQuery,
)

orders = service_orders
actions = service_order_actions


def protocol_for(opened_at: datetime, number: int) -> str:
    """The protocol told to the customer: the opening day and a serial number."""
    return f"{opened_at:%Y%m%d}{number:06d}"


def like_pattern(text: str) -> str:
    """A LIKE pattern that finds `text` anywhere, its own % and _ taken literally."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _contains(column: Any, text: str) -> Any:
    return func.lower(column).like(like_pattern(text.casefold()), escape="\\")


class StoreTicketBackend:
    name = "store"

    def __init__(self, db: Database) -> None:
        self.db = db

    # -- reading ---------------------------------------------------------------------------
    def get(self, ref: str) -> Ticket:
        with self.db.engine.connect() as conn:
            row = self._row(conn, ref)
            history = conn.execute(
                select(actions)
                .where(actions.c.service_order_id == row["id"])
                .order_by(actions.c.at, actions.c.id)
            ).mappings()
            return _ticket(row, [_action(a) for a in history])

    def search(self, query: TicketQuery) -> list[Ticket]:
        conditions = list(_conditions(query))
        statement = (
            _select_orders()
            .where(*conditions)
            .order_by(orders.c.urgent.desc(), orders.c.opened_at, orders.c.id)
            .limit(query.limit)
        )
        with self.db.engine.connect() as conn:
            return [_ticket(row, ()) for row in conn.execute(statement).mappings()]

    # -- changes ---------------------------------------------------------------------------
    def open(self, new: NewTicket, *, author: str | None = None) -> Ticket:
        subject = (new.subject or "").strip()
        if not subject:
            raise TicketError("a service order needs a subject")
        if new.responsible_type is not None and new.responsible_type not in RESPONSIBLE_TYPES:
            raise TicketError(
                f"responsible type {new.responsible_type!r} is not one of "
                + ", ".join(RESPONSIBLE_TYPES)
            )
        now = datetime.now(UTC)
        with self.db.writing() as conn:
            customer_id, contract_id, address = self._parties(conn, new)
            values = {
                "protocol": f"pending-{uuid.uuid4().hex}",
                "subject": subject[:200],
                "customer_id": customer_id,
                "contract_id": contract_id,
                "status": "open",
                "status_since": now,
                "cause": new.cause,
                "channel": new.channel,
                "responsible": new.responsible,
                "responsible_type": new.responsible_type,
                "street": new.street or address.get("street"),
                "district": new.district or address.get("district"),
                "city": new.city or address.get("city"),
                "opened_at": now,
                "scheduled_at": new.scheduled_at,
                "urgent": bool(new.urgent),
                "reviewed": False,
                "queue": new.queue,
                "cto": new.cto,
                "seal": new.seal,
            }
            order_id = int(conn.execute(insert(orders).values(**values)).inserted_primary_key[0])
            protocol = protocol_for(now, order_id)
            conn.execute(update(orders).where(orders.c.id == order_id).values(protocol=protocol))
            _act(conn, order_id, author, "opened", new.text or subject, now)
        return self.get(str(order_id))

    def claim(self, ref: str, person: str) -> Ticket:
        person = _person(person)
        with self.db.writing() as conn:
            row = self._row(conn, ref)
            now = datetime.now(UTC)
            won = conn.execute(
                update(orders)
                .where(orders.c.id == row["id"], orders.c.owner.is_(None))
                .where(orders.c.status != "closed")
                .values(owner=person, locked_at=now, updated_at=now)
            ).rowcount
            if won:
                _act(conn, row["id"], person, "claim", f"claimed by {person}", now)
        if won:
            return self.get(str(row["id"]))
        current = self.get(str(row["id"]))
        if current.status == "closed":
            raise TicketClosed(f"service order {current.protocol} is closed; it cannot be claimed")
        if current.owner == person:
            return current
        raise TicketClaimed(
            f"service order {current.protocol} is already claimed by {current.owner}",
            owner=current.owner,
        )

    def release(self, ref: str, person: str, *, force: bool = False) -> Ticket:
        person = _person(person)
        with self.db.writing() as conn:
            row = self._row(conn, ref)
            if row["owner"] is None:
                return self.get(str(row["id"]))
            if row["owner"] != person and not force:
                raise TicketClaimed(
                    f"service order {row['protocol']} is claimed by {row['owner']}, "
                    f"not {person} (a supervisor can release it with --force)",
                    owner=row["owner"],
                )
            now = datetime.now(UTC)
            conn.execute(
                update(orders)
                .where(orders.c.id == row["id"])
                .values(owner=None, locked_at=None, updated_at=now)
            )
            _act(conn, row["id"], person, "release", f"released (was {row['owner']})", now)
        return self.get(str(row["id"]))

    def comment(self, ref: str, author: str | None, text: str) -> Ticket:
        if not (text or "").strip():
            raise TicketError("a comment needs text")
        return self._change(ref, author, "comment", text, {})

    def set_status(self, ref: str, author: str | None, status: str) -> Ticket:
        if status not in ("open", "waiting"):
            hint = " (close it with a solution code)" if status == "closed" else ""
            raise TicketError(
                f"status {status!r} cannot be set directly; use open or waiting{hint}"
            )
        return self._change(
            ref,
            author,
            "status",
            f"status {status}",
            {"status": status},
            unless_closed=True,
            since=True,
        )

    def move(self, ref: str, author: str | None, queue: str) -> Ticket:
        queue = (queue or "").strip()
        if not queue:
            raise TicketError("give the queue to move the service order to")
        return self._change(
            ref, author, "move", f"moved to {queue}", {"queue": queue}, unless_closed=True
        )

    def close(self, ref: str, author: str | None, code: str, text: str) -> Ticket:
        code = (code or "").strip()
        if not code:
            raise TicketError("closing a service order needs a solution code")
        now = datetime.now(UTC)
        with self.db.writing() as conn:
            row = self._row(conn, ref)
            done = conn.execute(
                update(orders)
                .where(orders.c.id == row["id"], orders.c.status != "closed")
                .where(or_(orders.c.owner.is_(None), orders.c.owner == author))
                .values(
                    status="closed",
                    status_since=now,
                    closed_at=now,
                    solution_code=code,
                    solution_text=text,
                    updated_at=now,
                )
            ).rowcount
            if done:
                _act(conn, row["id"], author, "close", f"closed [{code}] {text}".rstrip(), now)
        if not done:
            current = self.get(str(row["id"]))
            if current.status == "closed":
                raise TicketClosed(
                    f"service order {current.protocol} is already closed ({current.solution_code})"
                )
            raise TicketClaimed(
                f"service order {current.protocol} is claimed by {current.owner}; "
                f"only they can close it",
                owner=current.owner,
            )
        return self.get(str(row["id"]))

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
        given = {
            "cto": cto,
            "seal": seal,
            "reviewed": reviewed,
            "urgent": urgent,
            "scheduled_at": scheduled_at,
        }
        values = {k: v for k, v in given.items() if v is not None}
        if not values:
            return self.get(ref)
        if cto:  # "" clears it
            check_cto_known(self.db, cto)
        text = ", ".join(f"{k} = {_shown(v)}" for k, v in values.items())
        return self._change(ref, author, "field", text, values)

    def dispose(self) -> None:
        """The store's engine belongs to whoever opened it."""

    # -- helpers ---------------------------------------------------------------------------
    def _change(
        self,
        ref: str,
        author: str | None,
        kind: str,
        text: str,
        values: dict[str, Any],
        *,
        unless_closed: bool = False,
        since: bool = False,
    ) -> Ticket:
        now = datetime.now(UTC)
        with self.db.writing() as conn:
            row = self._row(conn, ref)
            if unless_closed and row["status"] == "closed":
                raise TicketClosed(f"service order {row['protocol']} is closed")
            if since and values.get("status") == row["status"]:
                since = False  # already in it: keep counting from when it got there
            changes = values | {"updated_at": now} | ({"status_since": now} if since else {})
            conn.execute(update(orders).where(orders.c.id == row["id"]).values(**changes))
            _act(conn, row["id"], author, kind, text, now)
        return self.get(str(row["id"]))

    def _row(self, conn: Connection, ref: str) -> dict[str, Any]:
        text = str(ref).strip()
        match = orders.c.protocol == text
        if text.isdigit() and len(text) < 10:
            match = or_(match, orders.c.id == int(text))
        rows = conn.execute(_select_orders().where(match)).mappings().all()
        if not rows:
            raise TicketNotFound(f"no service order {text!r} (give its protocol or number)")
        # A protocol wins over a row number that happens to be written the same way.
        rows.sort(key=lambda r: r["protocol"] != text)
        return dict(rows[0])

    def _parties(
        self, conn: Connection, new: NewTicket
    ) -> tuple[int | None, int | None, dict[str, Any]]:
        customer_id = contract_id = None
        if new.contract:
            found = conn.execute(
                select(contracts.c.id, contracts.c.customer_id).where(
                    contracts.c.code == new.contract
                )
            ).first()
            if found is None:
                raise TicketError(f"contract {quoted(new.contract)} is not in the store")
            contract_id, customer_id = found.id, found.customer_id
        if new.customer:
            found_customer = conn.execute(
                select(customers.c.id).where(customers.c.code == new.customer)
            ).scalar()
            if found_customer is None:
                raise TicketError(f"customer {quoted(new.customer)} is not in the store")
            if customer_id is not None and customer_id != found_customer:
                raise TicketError(
                    f"contract {new.contract!r} belongs to another customer than {new.customer!r}"
                )
            customer_id = found_customer
        address: dict[str, Any] = {}
        if customer_id is not None:
            address = dict(
                conn.execute(
                    select(customers.c.street, customers.c.district, customers.c.city).where(
                        customers.c.id == customer_id
                    )
                )
                .mappings()
                .one()
            )
        return customer_id, contract_id, address


def _person(person: str) -> str:
    name = (person or "").strip()
    if not name:
        raise TicketError("say who is acting (a person's name)")
    return name


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def _act(
    conn: Connection, order_id: int, author: str | None, kind: str, text: str, at: datetime
) -> None:
    conn.execute(
        insert(actions).values(
            service_order_id=order_id, author=author, at=at, kind=kind, text=text
        )
    )


def _select_orders() -> Any:
    return (
        select(
            orders,
            customers.c.code.label("customer_code"),
            customers.c.name.label("customer_name"),
            contracts.c.code.label("contract_code"),
        )
        .outerjoin(customers, customers.c.id == orders.c.customer_id)
        .outerjoin(contracts, contracts.c.id == orders.c.contract_id)
    )


_DATE_COLUMNS = {
    "opened": orders.c.opened_at,
    "scheduled": orders.c.scheduled_at,
    "closed": orders.c.closed_at,
    "updated": orders.c.updated_at,
}


def _conditions(query: TicketQuery) -> Iterable[Any]:
    if query.status is None:
        yield orders.c.status.in_(("open", "waiting"))
    elif query.status not in STATUSES:
        raise TicketError(f"status {query.status!r} is not one of {', '.join(STATUSES)}")
    else:
        yield orders.c.status == query.status
    if query.customer:
        yield or_(
            customers.c.code == query.customer,
            customers.c.name_search.like(like_pattern(search_key(query.customer)), escape="\\"),
        )
    if query.contract:
        yield contracts.c.code == query.contract
    if query.protocol:
        yield orders.c.protocol.like(like_pattern(query.protocol), escape="\\")
    for field, column in (
        ("queue", orders.c.queue),
        ("street", orders.c.street),
        ("district", orders.c.district),
        ("city", orders.c.city),
        ("responsible", orders.c.responsible),
        ("cause", orders.c.cause),
        ("channel", orders.c.channel),
    ):
        value = getattr(query, field)
        if value:
            yield _contains(column, value)
    if query.owner:
        yield orders.c.owner == query.owner
    if query.unowned:
        yield orders.c.owner.is_(None)
    if query.date_field not in _DATE_COLUMNS:
        raise TicketError(
            f"date type {query.date_field!r} is not one of {', '.join(_DATE_COLUMNS)}"
        )
    column = _DATE_COLUMNS[query.date_field]
    if query.since is not None:
        yield column >= query.since
    if query.until is not None:
        yield column < query.until
    if query.visit_since is not None:
        yield orders.c.scheduled_at >= query.visit_since
    if query.visit_until is not None:
        yield orders.c.scheduled_at < query.visit_until
    if query.reviewed is not None:
        yield orders.c.reviewed.is_(query.reviewed)
    if query.urgent is not None:
        yield orders.c.urgent.is_(query.urgent)


def _action(row: Any) -> Action:
    return Action(author=row["author"], at=row["at"], kind=row["kind"], text=row["text"])


def _ticket(row: Any, history: Iterable[Action]) -> Ticket:
    return Ticket(
        ref=str(row["id"]),
        protocol=row["protocol"],
        subject=row["subject"] or "",
        status=row["status"],
        queue=row["queue"] or "",
        owner=row["owner"],
        customer=row["customer_code"],
        contract=row["contract_code"],
        cause=row["cause"],
        channel=row["channel"],
        responsible=row["responsible"],
        responsible_type=row["responsible_type"],
        street=row["street"],
        district=row["district"],
        city=row["city"],
        opened_at=row["opened_at"],
        updated_at=row["updated_at"],
        scheduled_at=row["scheduled_at"],
        closed_at=row["closed_at"],
        status_since=row["status_since"] or row["opened_at"],
        urgent=bool(row["urgent"]),
        reviewed=bool(row["reviewed"]),
        solution_code=row["solution_code"],
        solution_text=row["solution_text"],
        cto=row["cto"],
        seal=row["seal"],
        actions=tuple(history),
    )
