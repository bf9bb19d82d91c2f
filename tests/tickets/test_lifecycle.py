"""The service order lifecycle, the same on every backend: the store (SQLite, PostgreSQL) and
a real Request Tracker 5."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ispflow.store.tickets.backend import TicketBackend
from ispflow.store.tickets.model import (
    NewTicket,
    TicketClaimed,
    TicketClosed,
    TicketError,
    TicketNotFound,
    TicketQuery,
)

ROOT = Path(__file__).resolve().parents[2]


def new(tag: str, **fields: object) -> NewTicket:
    values: dict[str, object] = {"subject": f"ONU sem sinal {tag}", "cause": f"los {tag}"}
    values.update(fields)
    return NewTicket(**values)  # type: ignore[arg-type]


def test_opened_ticket_has_protocol_fields_and_first_action(
    tickets: TicketBackend, tag: str
) -> None:
    visit = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)
    ticket = tickets.open(
        new(
            tag,
            queue="installation",
            channel="whatsapp",
            responsible="Equipe Norte",
            responsible_type="external",
            street="Rua das Flores",
            district="Centro",
            city="Porto Alegre",
            scheduled_at=visit,
            urgent=True,
            text="cliente sem sinal desde ontem",
            cto="CTO-POA-07",
            seal="L-000123",
        ),
        author="ana",
    )
    assert ticket.status == "open"
    assert ticket.owner is None
    assert ticket.queue == "installation"
    assert ticket.protocol.startswith(ticket.opened_at.strftime("%Y%m%d"))
    assert (ticket.channel, ticket.responsible, ticket.responsible_type) == (
        "whatsapp",
        "Equipe Norte",
        "external",
    )
    assert (ticket.street, ticket.district, ticket.city) == (
        "Rua das Flores",
        "Centro",
        "Porto Alegre",
    )
    assert ticket.scheduled_at == visit
    assert ticket.urgent is True and ticket.reviewed is False
    assert (ticket.cto, ticket.seal) == ("CTO-POA-07", "L-000123")
    assert ticket.actions[0].kind == "opened"
    assert "cliente sem sinal desde ontem" in ticket.actions[0].text
    # Found again by its number and by its protocol.
    assert tickets.get(ticket.ref).protocol == ticket.protocol
    assert tickets.get(ticket.protocol).ref == ticket.ref


def test_unknown_ticket_is_not_found(tickets: TicketBackend) -> None:
    with pytest.raises(TicketNotFound):
        tickets.get("99999999")


def test_full_lifecycle_claim_comment_move_wait_close(tickets: TicketBackend, tag: str) -> None:
    ticket = tickets.open(new(tag, queue="remote-support"), author="ana")

    claimed = tickets.claim(ticket.ref, "ana")
    assert claimed.owner == "ana"
    assert tickets.claim(ticket.ref, "ana").owner == "ana"  # claiming one's own again: no-op
    with pytest.raises(TicketClaimed) as second:
        tickets.claim(ticket.ref, "bruno")
    assert second.value.owner == "ana"
    assert "ana" in str(second.value)

    tickets.comment(ticket.ref, "ana", f"RX -28.4 dBm na ONU {tag}")
    moved = tickets.move(ticket.ref, "ana", "on-site-visit")
    assert moved.queue == "on-site-visit" and moved.owner == "ana"
    waiting = tickets.set_status(ticket.ref, "ana", "waiting")
    assert waiting.status == "waiting"

    with pytest.raises(TicketError, match="solution code"):
        tickets.close(ticket.ref, "ana", "", "sem código")
    with pytest.raises(TicketClaimed):
        tickets.close(ticket.ref, "bruno", "FIBRA-ROMPIDA", "trocado drop")

    closed = tickets.close(ticket.ref, "ana", "FIBRA-ROMPIDA", "drop trocado, RX -19.8 dBm")
    assert closed.status == "closed"
    assert closed.solution_code == "FIBRA-ROMPIDA"
    assert "drop trocado" in (closed.solution_text or "")
    assert closed.closed_at is not None

    with pytest.raises(TicketClosed):
        tickets.close(ticket.ref, "ana", "FIBRA-ROMPIDA", "again")
    with pytest.raises(TicketClosed):
        tickets.claim(ticket.ref, "bruno")
    with pytest.raises(TicketClosed):
        tickets.move(ticket.ref, "ana", "installation")

    history = tickets.get(ticket.ref).actions
    kinds = [a.kind for a in history]
    for kind in ("opened", "claim", "comment", "move", "close"):
        assert kind in kinds, kinds
    assert any(f"RX -28.4 dBm na ONU {tag}" in a.text for a in history)
    assert all(a.at.tzinfo is not None for a in history)
    assert [a.at for a in history] == sorted(a.at for a in history)


def test_release_by_owner_or_by_force(tickets: TicketBackend, tag: str) -> None:
    ticket = tickets.open(new(tag))
    tickets.claim(ticket.ref, "ana")
    with pytest.raises(TicketClaimed):
        tickets.release(ticket.ref, "bruno")
    assert tickets.release(ticket.ref, "ana").owner is None
    tickets.claim(ticket.ref, "bruno")
    assert tickets.release(ticket.ref, "carla", force=True).owner is None
    assert tickets.claim(ticket.ref, "carla").owner == "carla"


def test_status_cannot_be_set_to_closed_without_a_code(tickets: TicketBackend, tag: str) -> None:
    ticket = tickets.open(new(tag))
    with pytest.raises(TicketError):
        tickets.set_status(ticket.ref, "ana", "closed")
    back = tickets.set_status(tickets.set_status(ticket.ref, "ana", "waiting").ref, "ana", "open")
    assert back.status == "open"


def known_cto(tickets: TicketBackend, code: str) -> None:
    """The store backend checks CTO codes against the store's CTOs (RT keeps any text)."""
    from ispflow.store.tickets.store_backend import StoreTicketBackend

    if isinstance(tickets, StoreTicketBackend):
        from sqlalchemy import insert

        from ispflow.store.cto import add_cto
        from ispflow.store.schema import olts

        with tickets.db.engine.begin() as conn:
            conn.execute(insert(olts).values(name="olt-t", vendor="huawei"))
        add_cto(tickets.db, code, olt="olt-t", port="0/1/0")


def test_update_fields_and_visit(tickets: TicketBackend, tag: str) -> None:
    known_cto(tickets, "CTO-7")
    ticket = tickets.open(new(tag))
    visit = datetime(2026, 12, 3, 12, 30, tzinfo=UTC)
    changed = tickets.update_fields(
        ticket.ref, "ana", cto="CTO-7", seal="L-9", reviewed=True, urgent=True, scheduled_at=visit
    )
    assert (changed.cto, changed.seal, changed.reviewed, changed.urgent) == (
        "CTO-7",
        "L-9",
        True,
        True,
    )
    assert changed.scheduled_at == visit


def test_search_filters_and_order(tickets: TicketBackend, tag: str) -> None:
    first = tickets.open(
        new(tag, city="Porto Alegre", district="Centro", street="Rua A", channel="phone")
    )
    pause = 1.1 if tickets.name == "rt" else 0  # RT keeps whole seconds
    time.sleep(pause)
    second = tickets.open(
        new(tag, city="Canoas", district="Niterói", street="Av B", channel="whatsapp")
    )
    time.sleep(pause)
    urgent = tickets.open(
        new(tag, city="Porto Alegre", district="Sarandi", street="Rua C", urgent=True)
    )
    tickets.claim(second.ref, "bruno")
    tickets.update_fields(first.ref, "ana", reviewed=True)

    def refs(**filters: object) -> list[str]:
        query = TicketQuery(cause=tag, **filters)  # type: ignore[arg-type]
        return [t.ref for t in tickets.search(query)]

    # Urgent first, then the oldest.
    assert refs() == [urgent.ref, first.ref, second.ref]
    assert refs(city="porto alegre") == [urgent.ref, first.ref]
    assert refs(district="niter") == [second.ref]
    assert refs(street="rua") == [urgent.ref, first.ref]
    assert refs(channel="whatsapp") == [second.ref]
    assert refs(unowned=True) == [urgent.ref, first.ref]
    assert refs(owner="bruno") == [second.ref]
    assert refs(reviewed=True) == [first.ref]
    assert refs(reviewed=False) == [urgent.ref, second.ref]
    assert refs(urgent=True) == [urgent.ref]
    assert refs(protocol=first.protocol) == [first.ref]
    now = datetime.now(UTC)
    assert refs(since=now - timedelta(hours=1), until=now + timedelta(hours=1)) == [
        urgent.ref,
        first.ref,
        second.ref,
    ]
    assert refs(since=now + timedelta(hours=1)) == []
    assert refs(limit=2) == [urgent.ref, first.ref]

    tickets.close(first.ref, None, "OK", "resolvido")
    assert refs() == [urgent.ref, second.ref]
    assert refs(status="closed") == [first.ref]
    assert refs(status="closed", date_field="closed", since=now - timedelta(hours=1)) == [first.ref]


def test_search_by_visit_period(tickets: TicketBackend, tag: str) -> None:
    monday = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    early = tickets.open(new(tag, scheduled_at=monday))
    late = tickets.open(new(tag, scheduled_at=monday + timedelta(days=3)))
    tickets.open(new(tag))  # no visit

    def refs(**filters: object) -> list[str]:
        return [t.ref for t in tickets.search(TicketQuery(cause=tag, **filters))]  # type: ignore[arg-type]

    assert refs(visit_since=monday, visit_until=monday + timedelta(days=1)) == [early.ref]
    assert sorted(refs(visit_since=monday)) == sorted([early.ref, late.ref])
    assert refs(date_field="scheduled", since=monday + timedelta(days=2)) == [late.ref]


def test_concurrent_claims_in_threads_have_one_winner(tickets: TicketBackend, tag: str) -> None:
    ticket = tickets.open(new(tag))
    people = [f"tech{i}" for i in range(8)]
    if tickets.name == "rt":
        people = ["ana", "bruno", "carla"] * 3  # RT owners must be RT users
    start = threading.Barrier(len(people))
    outcomes: dict[int, str] = {}

    def claim(index: int, person: str) -> None:
        start.wait()
        try:
            tickets.claim(ticket.ref, person)
            outcomes[index] = f"won:{person}"
        except TicketClaimed as exc:
            outcomes[index] = f"lost:{exc.owner}"

    threads = [threading.Thread(target=claim, args=(i, p)) for i, p in enumerate(people)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    owner = tickets.get(ticket.ref).owner
    winners = {v for v in outcomes.values() if v.startswith("won:")}
    # One person got it; a thread of that same person may also see "already mine" (a no-op).
    assert winners == {f"won:{owner}"}
    assert all(v in (f"won:{owner}", f"lost:{owner}") for v in outcomes.values())
    claims = [a for a in tickets.get(ticket.ref).actions if a.kind == "claim"]
    assert len(claims) == 1


CLAIMER = """
import json, sys
from ispflow.store.tickets.model import TicketClaimed
kind, target, ref, person = sys.argv[1:5]
if kind == "rt":
    from ispflow.store.tickets.request_tracker import RequestTrackerBackend
    import os
    backend = RequestTrackerBackend(target, os.environ["RT_TEST_TOKEN"])
else:
    from ispflow.store.db import open_database
    from ispflow.store.tickets.store_backend import StoreTicketBackend
    backend = StoreTicketBackend(open_database(target))
backend.get(ref)
print("ready", flush=True)
sys.stdin.readline()
try:
    backend.claim(ref, person)
    print(json.dumps({"won": person}), flush=True)
except TicketClaimed as exc:
    print(json.dumps({"lost": exc.owner}), flush=True)
"""


def test_concurrent_claims_in_processes_have_one_winner(
    tickets: TicketBackend, tag: str, request: pytest.FixtureRequest
) -> None:
    ticket = tickets.open(new(tag))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if tickets.name == "rt":
        service = request.getfixturevalue("request_tracker")
        kind, target = "rt", service["url"]
        env["RT_TEST_TOKEN"] = service["token"]
        people = ["ana", "bruno", "carla"]
    else:
        kind = "store"
        target = tickets.db.url.render_as_string(hide_password=False)  # type: ignore[attr-defined]
        people = ["ana", "bruno", "carla", "dora"]
    children = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, kind, target, ticket.ref, person],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        for person in people
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    for child in children:  # all of them waiting: let them go at once
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    answers = []
    for child in children:
        out, _ = child.communicate(timeout=120)
        assert child.returncode == 0
        answers.append(json.loads(out.strip().splitlines()[-1]))
    winners = [a["won"] for a in answers if "won" in a]
    owner = tickets.get(ticket.ref).owner
    assert winners == [owner]
    assert all(a.get("lost") == owner for a in answers if "lost" in a)


def test_an_unknown_cto_is_refused_by_the_store_with_the_nearest_codes(tmp_path: Path) -> None:
    from ispflow.store.db import open_database
    from ispflow.store.tickets.store_backend import StoreTicketBackend

    db = open_database(f"sqlite:///{tmp_path / 'ispflow.db'}")
    try:
        tickets = StoreTicketBackend(db)
        known_cto(tickets, "CTO-POA01-0101")
        ticket = tickets.open(new("cto"))
        with pytest.raises(ValueError, match=r"no CTO 'CTO-POA01-0110'.*CTO-POA01-0101"):
            tickets.update_fields(ticket.ref, "ana", cto="CTO-POA01-0110")
        assert tickets.get(ticket.ref).cto is None
        assert (
            tickets.update_fields(ticket.ref, "ana", cto="CTO-POA01-0101").cto == "CTO-POA01-0101"
        )
    finally:
        db.close()
