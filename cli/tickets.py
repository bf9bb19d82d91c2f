"""`ispflow ticket ...`: service orders for field teams, on the configured ticket backend."""

from __future__ import annotations

import contextlib
import json
import os
import sys
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from ispflow.cli.common import err, make_console
from ispflow.cli.options import (
    CONTEXT_SETTINGS,
    DbOption,
    JsonAlias,
    OutputOption,
    max_option,
)
from ispflow.core.errors import UsageError
from ispflow.store.tickets.backend import TicketBackend
from ispflow.store.tickets.model import (
    DATE_FIELDS,
    STATUSES,
    NewTicket,
    Ticket,
    TicketClaimed,
    TicketClosed,
    TicketError,
    TicketNotFound,
    TicketQuery,
)

ticket_app = typer.Typer(
    help=(
        "Service orders: list them the way a field team does, claim one, comment, move it "
        "to another queue, close it with a solution code.\n\n"
        "Examples:\n\n"
        "`ispflow ticket list --unowned --queue on-site-visit --city 'porto alegre'`\n\n"
        "`ispflow ticket claim 20261130000042 --as ana`\n\n"
        "`ispflow ticket close 20261130000042 --code FIBRA-ROMPIDA --text 'drop trocado' --as ana`"
        "\n\nThe backend is the store unless the configuration says Request Tracker "
        "(`tickets.backend: rt` in ispflow.yaml, or ISPFLOW_TICKETS=rt with ISPFLOW_RT_URL and "
        "ISPFLOW_RT_TOKEN)."
    ),
    no_args_is_help=True,
    rich_markup_mode="markdown",
    context_settings=CONTEXT_SETTINGS,
)

EXIT_REFUSED, EXIT_USAGE = 1, 2

BackendOption = Annotated[
    str | None,
    typer.Option("--backend", help="store or rt (default: from the configuration, else store)."),
]
PersonOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help="Who is acting (default: $ISPFLOW_USER, else your login name).",
    ),
]


def _person(person: str | None) -> str:
    chosen = person or os.environ.get("ISPFLOW_USER") or os.environ.get("USER")
    if not chosen:
        raise UsageError("say who is acting with --as NAME (or set ISPFLOW_USER)")
    return chosen


@contextlib.contextmanager
def _tickets(db: str | None, backend: str | None) -> Iterator[TicketBackend]:
    """The backend, with every ticket and store error turned into a message and exit code."""
    from ispflow.store.db import StoreError, open_database
    from ispflow.store.tickets.config import open_ticket_backend, ticket_settings

    database = None
    opened = None
    try:
        settings = ticket_settings(backend=backend)
        database = open_database(db) if settings.backend == "store" else None
        opened = open_ticket_backend(database, settings)  # type: ignore[arg-type]
        yield opened
    except (TicketClaimed, TicketClosed, TicketNotFound) as exc:
        err.print(f"[bold red]refused:[/] {exc}", soft_wrap=True)
        raise typer.Exit(EXIT_REFUSED) from None
    except TicketError as exc:
        err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(EXIT_REFUSED) from None
    except (UsageError, StoreError, ValueError) as exc:
        err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None
    finally:
        if opened is not None:
            opened.dispose()
        if database is not None:
            database.close()


def parse_when(text: str | None, *, end: bool = False, option: str = "") -> datetime | None:
    """A day (YYYY-MM-DD: its start, or with `end` the start of the next day) or a full ISO
    8601 time; times without a zone are in this machine's local zone."""
    if not text:
        return None
    try:
        if len(text) == 10:
            day = datetime.fromisoformat(text).date()
            moment = datetime.combine(day + timedelta(days=1 if end else 0), time())
        else:
            moment = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(
            f"{option} {text!r} is not a date (YYYY-MM-DD) or a time (2026-11-30T14:00)"
        ) from None
    return moment if moment.tzinfo else moment.astimezone()


def _print(ticket: Ticket, output: str) -> None:
    if output == "json":
        sys.stdout.write(json.dumps(ticket.as_dict(), indent=2, ensure_ascii=False) + "\n")
        return
    # What people typed ("[caixa 3]" in a note) is data, not Rich markup.
    out = make_console(markup=False)
    owner = ticket.owner or "(nobody)"
    out.print(
        Text(ticket.protocol, style="bold")
        + Text(f" #{ticket.ref} · {ticket.status} · {ticket.queue}")
    )
    out.print(f"  {ticket.subject}")
    rows = [
        ("owner", owner),
        ("customer", ticket.customer),
        ("contract", ticket.contract),
        ("cause", ticket.cause),
        ("channel", ticket.channel),
        ("responsible", _responsible(ticket)),
        ("address", ", ".join(p for p in (ticket.street, ticket.district, ticket.city) if p)),
        ("opened", _when(ticket.opened_at)),
        ("visit", _when(ticket.scheduled_at)),
        ("closed", _when(ticket.closed_at)),
        ("flags", _flags(ticket)),
        ("CTO / seal", " / ".join(p for p in (ticket.cto, ticket.seal) if p)),
        (
            "solution",
            f"[{ticket.solution_code}] {ticket.solution_text or ''}".strip()
            if ticket.solution_code
            else "",
        ),
    ]
    for label, value in rows:
        if value:
            out.print(f"  {label:<12} {value}")
    if ticket.actions:
        out.print("  actions:")
        for action in ticket.actions:
            out.print(
                f"    {_when(action.at)}  {action.author or '-':<18} {action.kind:<8} {action.text}"
            )


def _responsible(ticket: Ticket) -> str:
    if not ticket.responsible:
        return ""
    return ticket.responsible + (f" ({ticket.responsible_type})" if ticket.responsible_type else "")


def _flags(ticket: Ticket) -> str:
    return " ".join(
        flag for flag, on in (("urgent", ticket.urgent), ("reviewed", ticket.reviewed)) if on
    )


def _when(moment: datetime | None) -> str:
    return moment.astimezone().strftime("%Y-%m-%d %H:%M") if moment else ""


@ticket_app.command("list")
def list_tickets(
    customer: Annotated[
        str | None, typer.Option("--customer", help="Customer code or part of the name.")
    ] = None,
    contract: Annotated[str | None, typer.Option("--contract", help="Contract code.")] = None,
    protocol: Annotated[
        str | None, typer.Option("--protocol", help="Protocol (or part of it).")
    ] = None,
    status: Annotated[
        str,
        typer.Option(
            "--status", help="open, waiting, closed, or active (open + waiting, the default)."
        ),
    ] = "active",
    queue: Annotated[str | None, typer.Option("--queue", help="Queue name.")] = None,
    owner: Annotated[str | None, typer.Option("--owner", help="Claimed by this person.")] = None,
    street: Annotated[str | None, typer.Option("--street", help="Part of the street.")] = None,
    district: Annotated[
        str | None, typer.Option("--district", help="Part of the district.")
    ] = None,
    city: Annotated[str | None, typer.Option("--city", help="Part of the city.")] = None,
    responsible: Annotated[
        str | None, typer.Option("--responsible", help="Responsible team or person.")
    ] = None,
    cause: Annotated[str | None, typer.Option("--cause", help="Part of the cause.")] = None,
    channel: Annotated[
        str | None, typer.Option("--channel", help="phone, whatsapp, app, runbook, ...")
    ] = None,
    date_type: Annotated[
        str,
        typer.Option(
            "--date-type", help="Which date --since/--until filter: " + ", ".join(DATE_FIELDS)
        ),
    ] = "opened",
    since: Annotated[
        str | None, typer.Option("--since", help="From this day (YYYY-MM-DD) or time.")
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Up to and including this day, or before a time.")
    ] = None,
    visit_from: Annotated[
        str | None, typer.Option("--visit-from", help="Visit scheduled from this day.")
    ] = None,
    visit_to: Annotated[
        str | None, typer.Option("--visit-to", help="Visit scheduled up to this day.")
    ] = None,
    reviewed: Annotated[
        bool | None,
        typer.Option("--reviewed/--not-reviewed", help="Only reviewed, or only not reviewed."),
    ] = None,
    urgent: Annotated[bool, typer.Option("--urgent", help="Only urgent ones.")] = False,
    unowned: Annotated[
        bool, typer.Option("--unowned", help="Only those nobody has claimed.")
    ] = False,
    count: Annotated[int, max_option()] = 100,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
    backend: BackendOption = None,
) -> None:
    """List service orders, urgent first, then the oldest: the order to work them in."""
    with _tickets(db, backend) as tickets:
        if status != "active" and status not in STATUSES:
            raise UsageError(f"--status {status!r} is not one of active, {', '.join(STATUSES)}")
        if date_type not in DATE_FIELDS:
            raise UsageError(f"--date-type {date_type!r} is not one of {', '.join(DATE_FIELDS)}")
        query = TicketQuery(
            customer=customer,
            contract=contract,
            protocol=protocol,
            status=None if status == "active" else status,
            queue=queue,
            owner=owner,
            street=street,
            district=district,
            city=city,
            responsible=responsible,
            cause=cause,
            channel=channel,
            date_field=date_type,  # type: ignore[arg-type]
            since=parse_when(since, option="--since"),
            until=parse_when(until, end=True, option="--until"),
            visit_since=parse_when(visit_from, option="--visit-from"),
            visit_until=parse_when(visit_to, end=True, option="--visit-to"),
            reviewed=reviewed,
            urgent=True if urgent else None,
            unowned=unowned,
            limit=count,
        )
        found = tickets.search(query)
    if output == "json":
        sys.stdout.write(
            json.dumps([t.as_dict() for t in found], indent=2, ensure_ascii=False) + "\n"
        )
        return
    if not found:
        err.print("no service order matches")
        raise typer.Exit(EXIT_REFUSED)
    table = Table(show_edge=False)
    for column in (
        "protocol",
        "opened",
        "status",
        "queue",
        "owner",
        "flags",
        "contract",
        "district / city",
        "subject",
    ):
        table.add_column(column, overflow="fold")
    for t in found:
        table.add_row(
            t.protocol,
            _when(t.opened_at),
            t.status,
            t.queue,
            t.owner or "",
            _flags(t),
            t.contract or "",
            " / ".join(p for p in (t.district, t.city) if p),
            t.subject,
        )
    make_console(markup=False).print(table)


@ticket_app.command("show")
def show(
    ref: Annotated[str, typer.Argument(help="Protocol or number.")],
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
    backend: BackendOption = None,
) -> None:
    """One service order with its actions."""
    with _tickets(db, backend) as tickets:
        _print(tickets.get(ref), output)


@ticket_app.command("open")
def open_ticket(
    subject: Annotated[str, typer.Option("--subject", "-s", help="What it is about.")],
    queue: Annotated[str, typer.Option("--queue", help="Queue.")] = "remote-support",
    contract: Annotated[str | None, typer.Option("--contract", help="Contract code.")] = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Customer code.")] = None,
    cause: Annotated[str | None, typer.Option("--cause")] = None,
    channel: Annotated[str | None, typer.Option("--channel")] = "phone",
    responsible: Annotated[str | None, typer.Option("--responsible")] = None,
    external: Annotated[
        bool, typer.Option("--external", help="The responsible is a contractor.")
    ] = False,
    visit: Annotated[str | None, typer.Option("--visit", help="Visit time (ISO 8601).")] = None,
    urgent: Annotated[bool, typer.Option("--urgent")] = False,
    text: Annotated[str | None, typer.Option("--text", help="First action's text.")] = None,
    person: PersonOption = None,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
    backend: BackendOption = None,
) -> None:
    """Open a service order (the address comes from the customer unless given)."""
    with _tickets(db, backend) as tickets:
        new = NewTicket(
            subject=subject,
            queue=queue,
            contract=contract,
            customer=customer,
            cause=cause,
            channel=channel,
            responsible=responsible,
            responsible_type=("external" if external else "internal") if responsible else None,
            scheduled_at=parse_when(visit, option="--visit"),
            urgent=urgent,
            text=text,
        )
        _print(tickets.open(new, author=_person(person)), output)


@ticket_app.command("claim")
def claim(
    ref: Annotated[str, typer.Argument(help="Protocol or number.")],
    person: PersonOption = None,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
    backend: BackendOption = None,
) -> None:
    """Lock the order to you; if someone holds it already this fails and says who."""
    with _tickets(db, backend) as tickets:
        _print(tickets.claim(ref, _person(person)), output)


@ticket_app.command("release")
def release(
    ref: Annotated[str, typer.Argument(help="Protocol or number.")],
    force: Annotated[
        bool, typer.Option("--force", help="Release someone else's (supervisors).")
    ] = False,
    person: PersonOption = None,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
    backend: BackendOption = None,
) -> None:
    """Give the order back so someone else can claim it."""
    with _tickets(db, backend) as tickets:
        _print(tickets.release(ref, _person(person), force=force), output)


@ticket_app.command("comment")
def comment(
    ref: Annotated[str, typer.Argument(help="Protocol or number.")],
    text: Annotated[str, typer.Argument(help="What was done or found.")],
    person: PersonOption = None,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
    backend: BackendOption = None,
) -> None:
    """Record an action on the order."""
    with _tickets(db, backend) as tickets:
        _print(tickets.comment(ref, _person(person), text), output)


@ticket_app.command("move")
def move(
    ref: Annotated[str, typer.Argument(help="Protocol or number.")],
    queue: Annotated[
        str, typer.Option("--queue", help="e.g. on-site-visit, hardware-maintenance.")
    ],
    person: PersonOption = None,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
    backend: BackendOption = None,
) -> None:
    """Move the order to another queue."""
    with _tickets(db, backend) as tickets:
        _print(tickets.move(ref, _person(person), queue), output)


@ticket_app.command("wait")
def wait(
    ref: Annotated[str, typer.Argument(help="Protocol or number.")],
    reopen: Annotated[
        bool, typer.Option("--reopen", help="The customer answered: back to open.")
    ] = False,
    person: PersonOption = None,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
    backend: BackendOption = None,
) -> None:
    """Mark the order as waiting on the customer (auto-closed after 5 business days)."""
    with _tickets(db, backend) as tickets:
        _print(tickets.set_status(ref, _person(person), "open" if reopen else "waiting"), output)


@ticket_app.command("set")
def set_fields(
    ref: Annotated[str, typer.Argument(help="Protocol or number.")],
    cto: Annotated[str | None, typer.Option("--cto", help="CTO code.")] = None,
    seal: Annotated[str | None, typer.Option("--seal", help="Seal (lacre) code.")] = None,
    reviewed: Annotated[bool | None, typer.Option("--reviewed/--not-reviewed")] = None,
    urgent: Annotated[bool | None, typer.Option("--urgent/--not-urgent")] = None,
    visit: Annotated[str | None, typer.Option("--visit", help="Visit time (ISO 8601).")] = None,
    person: PersonOption = None,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
    backend: BackendOption = None,
) -> None:
    """Change the CTO, seal, reviewed/urgent flags or the visit time."""
    with _tickets(db, backend) as tickets:
        changed = tickets.update_fields(
            ref,
            _person(person),
            cto=cto,
            seal=seal,
            reviewed=reviewed,
            urgent=urgent,
            scheduled_at=parse_when(visit, option="--visit"),
        )
        _print(changed, output)


@ticket_app.command("close")
def close(
    ref: Annotated[str, typer.Argument(help="Protocol or number.")],
    code: Annotated[str, typer.Option("--code", help="Solution code (required).")],
    text: Annotated[str, typer.Option("--text", help="What solved it.")] = "",
    person: PersonOption = None,
    output: OutputOption = "text",
    json_alias: JsonAlias = False,
    db: DbOption = None,
    backend: BackendOption = None,
) -> None:
    """Close the order with a solution code; only its owner can, if it has one."""
    with _tickets(db, backend) as tickets:
        _print(tickets.close(ref, _person(person), code, text), output)
