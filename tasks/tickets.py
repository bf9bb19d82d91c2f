"""Service orders from runbooks: open, comment, move, close, and the auto-close of orders
left waiting on the customer. They work on the configured ticket backend (the store, or
Request Tracker), and act as "ispflow run <id>" so every action says which run did it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from nornir.core.task import Result, Task

from ispflow.core.views import Row, TaskView, counted, grouped
from ispflow.store import run_context
from ispflow.store.tickets.auto_close import auto_close as close_due
from ispflow.store.tickets.auto_close import due_for_auto_close
from ispflow.store.tickets.backend import TicketBackend
from ispflow.store.tickets.model import NewTicket, TicketQuery
from ispflow.tasks.registry import task


class _SharedBackend:
    """The run's one ticket backend; the run context closes what it shares with `close()`."""

    def __init__(self, backend: TicketBackend) -> None:
        self.backend = backend

    def close(self) -> None:
        self.backend.dispose()


def _run(task_name: str) -> run_context.RunContext:
    context = run_context.current()
    if context is None:
        raise RuntimeError(f"{task_name} works on the tickets of a run; there is no run")
    return context


def ticket_backend(task_name: str) -> TicketBackend:
    context = _run(task_name)

    def make() -> _SharedBackend:
        from ispflow.store.tickets.config import open_ticket_backend

        return _SharedBackend(open_ticket_backend(context.database))

    return context.share("tickets", make).backend


def run_author(task_name: str, author: str | None) -> str:
    return author or f"ispflow run {_run(task_name).run_id}"


def _short(ticket: Any) -> dict[str, Any]:
    return {
        "ref": ticket.ref,
        "protocol": ticket.protocol,
        "status": ticket.status,
        "queue": ticket.queue,
        "owner": ticket.owner,
        "contract": ticket.contract,
        "solution_code": ticket.solution_code,
    }


# -- what the report shows -------------------------------------------------------------------
ACTIONS = ("would_open", "would_comment", "would_move", "would_close", "opened", "commented",
           "moved", "closed", "failed")  # fmt: skip
_by_action = grouped(*ACTIONS, column="action")


def _order_rows(result: Any) -> list[Row]:
    if isinstance(result, dict) and "protocol" in result:  # ticket.open: the order itself
        return [{**result, "action": "opened"}]
    if isinstance(result, dict):
        # A dry run names its target (an order or a contract) without reading it.
        result = {
            k: [v] if k.startswith("would_") and not isinstance(v, list) else v
            for k, v in result.items()
        }
    return [{**row, "action": row["action"].replace("_", " ")} for row in _by_action(result)]


def _waiting(result: Any) -> str | None:
    if not isinstance(result, dict) or "waiting" not in result:
        return None
    counts = counted("would_close", "closed", "failed")(result)
    waiting = f"{result['waiting']:,} waiting on the customer"
    return f"{waiting} · {counts}" if counts else waiting


ORDERS_VIEW = TaskView(
    columns=("action", "protocol", "contract", "queue", "status", "owner", "solution_code",
             "subject", "value", "error"),
    rows=_order_rows,
    headline=_waiting,
)  # fmt: skip


@task("ticket.open", dry_run=True, view=ORDERS_VIEW)
def open_ticket(
    task: Task,
    subject: str,
    queue: str = "remote-support",
    contract: str | None = None,
    customer: str | None = None,
    cause: str | None = None,
    channel: str = "runbook",
    text: str | None = None,
    urgent: bool = False,
    cto: str | None = None,
    seal: str | None = None,
    author: str | None = None,
) -> Result:
    """Open a service order (on the contract, in a queue); returns its protocol."""
    new = NewTicket(
        subject=subject,
        queue=queue,
        contract=contract or None,
        customer=customer or None,
        cause=cause or None,
        channel=channel or None,
        text=text or None,
        urgent=bool(urgent),
        cto=cto or None,
        seal=seal or None,
    )
    if task.is_dry_run():
        return Result(host=task.host, result={"would_open": {"subject": subject, "queue": queue}})
    ticket = ticket_backend("ticket.open").open(new, author=run_author("ticket.open", author))
    return Result(host=task.host, result=_short(ticket), changed=True)


def _targets(
    task_name: str, ticket: str | None, contract: str | None, queue: str | None
) -> list[Any]:
    """The order named, or the open/waiting orders of a contract (in a queue)."""
    backend = ticket_backend(task_name)
    if ticket:
        return [backend.get(str(ticket))]
    if not contract:
        raise ValueError(f"{task_name} needs `ticket` (protocol or number) or `contract`")
    return backend.search(TicketQuery(contract=contract, queue=queue or None, limit=50))


@task("ticket.comment", dry_run=True, view=ORDERS_VIEW)
def comment(
    task: Task,
    text: str,
    ticket: str | None = None,
    contract: str | None = None,
    queue: str | None = None,
    author: str | None = None,
) -> Result:
    """Add an action to a service order (or to the open orders of a contract)."""
    if task.is_dry_run():
        return Result(host=task.host, result={"would_comment": ticket or contract, "text": text})
    backend = ticket_backend("ticket.comment")
    who = run_author("ticket.comment", author)
    done = [
        _short(backend.comment(t.ref, who, text))
        for t in _targets("ticket.comment", ticket, contract, queue)
    ]
    return Result(host=task.host, result={"commented": done}, changed=bool(done))


@task("ticket.move", dry_run=True, view=ORDERS_VIEW)
def move(
    task: Task,
    to: str,
    ticket: str | None = None,
    contract: str | None = None,
    queue: str | None = None,
    author: str | None = None,
) -> Result:
    """Move a service order (or a contract's open orders in `queue`) to the queue `to`."""
    if task.is_dry_run():
        return Result(host=task.host, result={"would_move": ticket or contract, "to": to})
    backend = ticket_backend("ticket.move")
    who = run_author("ticket.move", author)
    done = [
        _short(backend.move(t.ref, who, to))
        for t in _targets("ticket.move", ticket, contract, queue)
        if t.queue != to
    ]
    return Result(host=task.host, result={"moved": done}, changed=bool(done))


@task("ticket.close", dry_run=True, view=ORDERS_VIEW)
def close(
    task: Task,
    code: str,
    text: str = "",
    ticket: str | None = None,
    contract: str | None = None,
    queue: str | None = None,
    author: str | None = None,
) -> Result:
    """Close a service order with a solution code, or every open order of a contract in
    `queue` (none open is not a failure: the result says so)."""
    if not str(code or "").strip():
        raise ValueError("ticket.close needs a solution code (`code`)")
    if task.is_dry_run():
        return Result(
            host=task.host, result={"would_close": ticket or contract, "code": code, "text": text}
        )
    backend = ticket_backend("ticket.close")
    who = run_author("ticket.close", author)
    targets = _targets("ticket.close", ticket, contract, queue)
    done = [_short(backend.close(t.ref, who, code, text)) for t in targets]
    return Result(host=task.host, result={"closed": done}, changed=bool(done))


def close_contract_orders(contract: str, queue: str, code: str, text: str) -> list[dict[str, Any]]:
    """For tasks that finish a job: close the contract's open orders in `queue`."""
    backend = ticket_backend("ticket.close")
    who = run_author("ticket.close", None)
    found = _targets("ticket.close", None, contract, queue)
    return [_short(backend.close(t.ref, who, code, text)) for t in found]


@task("ticket.auto_close", dry_run=True, view=ORDERS_VIEW)
def auto_close(
    task: Task,
    business_days: int = 5,
    code: str = "AUTO-CLOSED",
    text: str = "Closed automatically: no answer from the customer.",
    queue: str | None = None,
    author: str | None = None,
    now: str | None = None,
) -> Result:
    """Close the orders waiting on the customer for `business_days` Brazilian business days
    (weekends and national holidays do not count). `now` (ISO 8601) is for what-if runs."""
    when = datetime.fromisoformat(now) if now else datetime.now(UTC)
    if when.tzinfo is None:
        raise ValueError(f"now={now!r} needs a time zone, e.g. 2026-12-01T12:00:00-03:00")
    backend = ticket_backend("ticket.auto_close")
    due, waiting = due_for_auto_close(backend, int(business_days), when, queue=queue or None)
    if task.is_dry_run():
        return Result(
            host=task.host, result={"would_close": [_short(t) for t in due], "waiting": waiting}
        )
    who = run_author("ticket.auto_close", author)
    done, failed = close_due(backend, due, author=who, code=code, text=text)
    closed = [_short(t) for t in done]
    result = {"closed": closed, "failed": failed, "waiting": waiting}
    return Result(host=task.host, result=result, changed=bool(closed), failed=bool(failed))
