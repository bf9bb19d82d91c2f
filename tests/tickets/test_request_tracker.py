"""The Request Tracker backend against a real RT 5: what only RT does (answers 200 to a refused
change, If-Match preconditions, TicketSQL, its history) and what must hold anyway (one winner
of a claim race, no token in errors, every search filter)."""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import queue
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ispflow.store.tickets.model import (
    NewTicket,
    TicketClaimed,
    TicketConflict,
    TicketError,
    TicketNotFound,
    TicketQuery,
)
from ispflow.store.tickets.request_tracker import RequestTrackerBackend

pytestmark = pytest.mark.rt

# RT keeps whole seconds: tickets opened this far apart have distinct, ordered times.
NEXT_SECOND = 1.1


@pytest.fixture
def rt(request_tracker: dict[str, str]) -> Iterator[RequestTrackerBackend]:
    backend = RequestTrackerBackend(request_tracker["url"], request_tracker["token"])
    yield backend
    backend.dispose()


@pytest.fixture
def other(request_tracker: dict[str, str]) -> Iterator[RequestTrackerBackend]:
    """A second client of the same RT: another technician's machine."""
    backend = RequestTrackerBackend(request_tracker["url"], request_tracker["token"])
    yield backend
    backend.dispose()


@pytest.fixture
def tag() -> str:
    """A word only this test's tickets carry, so tests share one RT without a reset."""
    return f"t{uuid.uuid4().hex[:10]}"


def new(tag: str, **fields: Any) -> NewTicket:
    values: dict[str, Any] = {"subject": f"ONU sem sinal {tag}", "cause": f"los {tag}"}
    values.update(fields)
    return NewTicket(**values)


# -- refused changes and preconditions -------------------------------------------------------


def test_an_unknown_owner_is_refused_with_rts_reason(rt: RequestTrackerBackend, tag: str) -> None:
    ticket = rt.open(new(tag))
    with pytest.raises(TicketError, match="does not exist") as refused:
        rt.claim(ticket.ref, f"nobody-{tag}")
    assert not isinstance(refused.value, TicketClaimed)
    assert rt.get(ticket.ref).owner is None


def test_a_bogus_status_through_a_raw_put_is_refused(rt: RequestTrackerBackend, tag: str) -> None:
    ticket = rt.open(new(tag))
    # RT answers 200 with "... isn't a valid status ..."; the write is read back and compared.
    with pytest.raises(TicketError, match="isn't a valid status"):
        rt._update(int(ticket.ref), {"Status": "bogus"})
    assert rt.get(ticket.ref).status == "open"


def test_a_stale_etag_is_a_conflict(
    rt: RequestTrackerBackend, other: RequestTrackerBackend, tag: str
) -> None:
    ticket = rt.open(new(tag))
    _, stale = rt._load(int(ticket.ref))
    other.comment(ticket.ref, "bruno", "meanwhile")
    with pytest.raises(TicketConflict, match="412"):
        rt._put(int(ticket.ref), {"Owner": "ana"}, etag=stale)
    assert rt.get(ticket.ref).owner is None


def test_claim_reads_again_after_a_conflict_and_still_wins(
    rt: RequestTrackerBackend,
    other: RequestTrackerBackend,
    tag: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ticket = rt.open(new(tag))
    etags: list[str | None] = []
    load = rt._load

    def load_then_someone_comments(tid: int) -> tuple[dict[str, Any], str | None]:
        data, etag = load(tid)
        if not etags:  # between our read and our write
            other.comment(ticket.ref, "bruno", "meanwhile")
        etags.append(etag)
        return data, etag

    monkeypatch.setattr(rt, "_load", load_then_someone_comments)
    assert rt.claim(ticket.ref, "ana").owner == "ana"
    assert len(etags) >= 3 and etags[0] != etags[1]  # read, 412, read again, write, read back


def test_claim_loses_to_a_claim_between_its_read_and_its_write(
    rt: RequestTrackerBackend,
    other: RequestTrackerBackend,
    tag: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    ticket = rt.open(new(tag))
    load = rt._load
    calls = []

    def load_then_bruno_claims(tid: int) -> tuple[dict[str, Any], str | None]:
        found = load(tid)
        if not calls:
            other.claim(ticket.ref, "bruno")
        calls.append(tid)
        return found

    monkeypatch.setattr(rt, "_load", load_then_bruno_claims)
    with pytest.raises(TicketClaimed) as lost:
        rt.claim(ticket.ref, "ana")
    assert lost.value.owner == "bruno"
    claims = [a for a in rt.get(ticket.ref).actions if a.kind == "claim"]
    assert [a.author for a in claims] == ["bruno"]


def test_an_unknown_queue_is_named(rt: RequestTrackerBackend, tag: str) -> None:
    with pytest.raises(TicketError, match=f"no queue 'nope-{tag}'"):
        rt.open(new(tag, queue=f"nope-{tag}"))
    ticket = rt.open(new(tag))
    with pytest.raises(TicketError, match=f"no queue 'nope-{tag}'"):
        rt.move(ticket.ref, "ana", f"nope-{tag}")
    # Queue names are RT's, whatever the case they are typed in.
    assert rt.move(ticket.ref, "ana", "On-Site-Visit").queue == "on-site-visit"


# -- the token and the connection ------------------------------------------------------------


def test_a_refused_token_is_a_clear_error_without_the_token(
    request_tracker: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    token_id, user_id, _ = request_tracker["token"].split("-", 2)
    secret = uuid.uuid4().hex
    backend = RequestTrackerBackend(request_tracker["url"], f"{token_id}-{user_id}-{secret}")
    caplog.set_level(logging.DEBUG)
    with pytest.raises(TicketError, match="refused the API token") as refused:
        backend.get("1")
    backend.dispose()
    shown = [str(refused.value), repr(refused.value), repr(backend), caplog.text]
    assert not any(secret in text for text in shown)
    assert request_tracker["url"] in str(refused.value)


def test_an_unreachable_server_is_named(request_tracker: dict[str, str]) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    backend = RequestTrackerBackend(url, request_tracker["token"], timeout=5)
    with pytest.raises(TicketError, match="cannot reach Request Tracker") as failed:
        backend.get("1")
    assert url in str(failed.value) and "refused" in str(failed.value)
    assert request_tracker["token"] not in str(failed.value)
    assert failed.value.__cause__ is None and failed.value.__suppress_context__
    assert request_tracker["token"] not in repr(backend)


# -- TicketSQL -------------------------------------------------------------------------------


def test_values_with_quotes_stay_values_in_ticketsql(rt: RequestTrackerBackend, tag: str) -> None:
    ticket = rt.open(
        new(tag, subject=f'Cliente O\'Brien "aspas" \\ {tag}', customer=f"O'Brien \\ {tag}")
    )

    def refs(**filters: Any) -> list[str]:
        return [t.ref for t in rt.search(TicketQuery(**filters))]

    assert refs(customer=f"O'Brien \\ {tag}") == [ticket.ref]
    assert refs(customer=f'"aspas" \\ {tag}') == [ticket.ref]
    # Each of these would match every ticket if it got out of its quotes.
    assert refs(customer=f"{tag}' OR id > '0") == []
    assert refs(cause=f"{tag}\\' OR id > 0 OR Subject LIKE \\'") == []
    assert refs(owner="x' OR Owner != 'Nobody") == []


# -- concurrency -----------------------------------------------------------------------------

PEOPLE = ("ana", "bruno", "carla")


def test_eight_threads_claiming_at_once_have_one_winner(
    request_tracker: dict[str, str], rt: RequestTrackerBackend, tag: str
) -> None:
    ticket = rt.open(new(tag))
    start = threading.Barrier(8)
    outcomes: list[tuple[str, str | None]] = []

    def claim(person: str) -> None:
        backend = RequestTrackerBackend(request_tracker["url"], request_tracker["token"])
        start.wait(timeout=60)
        try:
            outcomes.append(("won", backend.claim(ticket.ref, person).owner))
        except TicketClaimed as exc:
            outcomes.append(("lost", exc.owner))
        finally:
            backend.dispose()

    threads = [threading.Thread(target=claim, args=(PEOPLE[i % 3],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    _one_winner(rt, ticket.ref, outcomes)


def _claim_in_process(
    url: str, token: str, ref: str, person: str, start: Any, results: Any
) -> None:
    backend = RequestTrackerBackend(url, token)
    backend.get(ref)  # connected and warmed up before the start
    start.wait(timeout=60)
    try:
        results.put(("won", backend.claim(ref, person).owner))
    except TicketClaimed as exc:
        results.put(("lost", exc.owner))
    except Exception as exc:  # the parent shows it; a child's traceback would be lost
        results.put(("error", repr(exc)))


def test_processes_claiming_at_once_have_one_winner(
    request_tracker: dict[str, str], rt: RequestTrackerBackend, tag: str
) -> None:
    ticket = rt.open(new(tag))
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(6)
    results = context.Queue()
    children = [
        context.Process(
            target=_claim_in_process,
            args=(
                request_tracker["url"],
                request_tracker["token"],
                ticket.ref,
                PEOPLE[i % 3],
                start,
                results,
            ),
        )
        for i in range(6)
    ]
    for child in children:
        child.start()
    outcomes = []
    try:
        for _ in children:
            outcomes.append(results.get(timeout=120))
    except queue.Empty:
        pytest.fail(f"claiming processes did not all answer: {outcomes}")
    finally:
        for child in children:
            child.join(timeout=30)
            if child.is_alive():
                child.terminate()
    assert not [o for o in outcomes if o[0] == "error"], outcomes
    _one_winner(rt, ticket.ref, outcomes)


def _one_winner(
    rt: RequestTrackerBackend, ref: str, outcomes: list[tuple[str, str | None]]
) -> None:
    owner = rt.get(ref).owner
    assert owner in PEOPLE
    # The winner's other threads find the ticket theirs already: a no-op, not a second claim.
    assert {o for o in outcomes if o[0] == "won"} == {("won", owner)}
    assert all(o == ("lost", owner) for o in outcomes if o[0] == "lost")
    claims = [a for a in rt.get(ref).actions if a.kind == "claim"]
    assert [a.author for a in claims] == [owner]


# -- history ---------------------------------------------------------------------------------


def test_history_tells_who_did_what_with_the_texts(rt: RequestTrackerBackend, tag: str) -> None:
    ticket = rt.open(new(tag, text=f"sem sinal desde ontem {tag}"), author="ana")
    rt.claim(ticket.ref, "ana")
    rt.comment(ticket.ref, "ana", f"RX -28.4 dBm\nna ONU {tag}")
    rt.move(ticket.ref, "ana", "on-site-visit")
    waiting = rt.set_status(ticket.ref, "ana", "waiting")
    rt.update_fields(ticket.ref, "ana", seal="L-000123")
    closed = rt.close(ticket.ref, "ana", "FIBRA-ROMPIDA", f"drop trocado {tag}")

    assert [(a.kind, a.text) for a in closed.actions] == [
        ("opened", f"sem sinal desde ontem {tag}"),
        ("claim", "claimed by ana"),
        ("comment", f"RX -28.4 dBm\nna ONU {tag}"),
        ("move", "moved to on-site-visit"),
        ("status", "status waiting"),
        ("field", "seal = L-000123"),
        ("close", f"closed [FIBRA-ROMPIDA] drop trocado {tag}"),
    ]
    # RT names the API account as the author of every change; the person shows where RT has
    # room for it.
    authors = {a.kind: a.author for a in closed.actions}
    assert authors["claim"] == authors["comment"] == authors["close"] == "ana"
    assert closed.solution_code == "FIBRA-ROMPIDA"
    assert closed.solution_text == f"drop trocado {tag}"
    # The close is the last status change; the wait started at the earlier one.
    assert waiting.status_since == waiting.actions[4].at
    assert closed.status_since == closed.actions[-1].at
    assert closed.closed_at is not None
    assert abs(closed.closed_at - closed.status_since) <= timedelta(seconds=1)
    assert all(a.at.tzinfo is UTC for a in closed.actions)


def test_a_forced_release_shows_as_one_release(rt: RequestTrackerBackend, tag: str) -> None:
    ticket = rt.open(new(tag))
    rt.claim(ticket.ref, "bruno")
    released = rt.release(ticket.ref, "carla", force=True)
    assert released.owner is None
    # The API account takes the ticket over to let go of it; that step is not a claim.
    assert [(a.kind, a.text) for a in released.actions[1:]] == [
        ("claim", "claimed by bruno"),
        ("release", "released (was bruno)"),
    ]


def test_found_by_number_and_by_protocol(rt: RequestTrackerBackend, tag: str) -> None:
    ticket = rt.open(new(tag))
    assert ticket.protocol == f"{ticket.opened_at:%Y%m%d}{int(ticket.ref):06d}"
    assert rt.get(ticket.protocol).ref == ticket.ref
    assert rt.get(f"#{ticket.ref}").protocol == ticket.protocol
    with pytest.raises(TicketNotFound):
        rt.get(f"{ticket.opened_at:%Y%m%d}999999")


# -- search ----------------------------------------------------------------------------------


def test_search_by_every_filter(rt: RequestTrackerBackend, tag: str) -> None:
    monday = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
    a = rt.open(
        new(
            tag,
            queue="installation",
            customer=f"CUST-A-{tag}",
            contract=f"CT-A-{tag}",
            street="Rua das Flores, 10",
            district="Centro",
            city="Porto Alegre",
            responsible="Equipe Norte",
            responsible_type="internal",
            channel="phone",
            scheduled_at=monday,
        )
    )
    time.sleep(NEXT_SECOND)
    b = rt.open(
        new(
            tag,
            subject=f"Maria Souza {tag} sem sinal",
            customer=f"CUST-B-{tag}",
            contract=f"CT-B-{tag}",
            street="Av. Brasil, 200",
            district="Niterói",
            city="Canoas",
            responsible="Terceirizada Sul",
            responsible_type="external",
            channel="whatsapp",
            scheduled_at=monday + timedelta(days=3),
            urgent=True,
        )
    )
    time.sleep(NEXT_SECOND)
    c = rt.open(new(tag, queue="on-site-visit", channel="app"))
    rt.claim(c.ref, "bruno")
    c = rt.set_status(c.ref, "bruno", "waiting")
    time.sleep(NEXT_SECOND)
    d = rt.close(rt.open(new(tag, queue="hardware-maintenance")).ref, None, "OK", "resolvido")
    time.sleep(NEXT_SECOND)
    a = rt.update_fields(a.ref, "ana", reviewed=True)

    def refs(**filters: Any) -> list[str]:
        return [t.ref for t in rt.search(TicketQuery(cause=tag, **filters))]

    # Urgent first, then the oldest; without a status, what is open or waiting.
    assert refs() == [b.ref, a.ref, c.ref]
    assert refs(status="open") == [b.ref, a.ref]
    assert refs(status="waiting") == [c.ref]
    assert refs(status="closed") == [d.ref]
    assert refs(limit=2) == [b.ref, a.ref]
    assert refs(limit=1) == [b.ref]
    # Customer: its code, or part of the name (in RT, the subject); contract: its code.
    assert refs(customer=f"CUST-A-{tag}") == [a.ref]
    assert refs(customer=f"maria souza {tag}") == [b.ref]
    assert refs(contract=f"CT-B-{tag}") == [b.ref]
    assert refs(protocol=a.protocol[-6:]) == [a.ref]
    assert refs(queue="INSTALL") == [a.ref]
    assert refs(owner="bruno") == [c.ref]
    assert refs(unowned=True) == [b.ref, a.ref]
    assert refs(street="rua das flores") == [a.ref]
    assert refs(district="niter") == [b.ref]
    assert refs(city="canoas") == [b.ref]
    assert refs(responsible="norte") == [a.ref]
    assert refs(channel="whats") == [b.ref]
    assert refs(reviewed=True) == [a.ref]
    assert refs(reviewed=False) == [b.ref, c.ref]
    assert refs(urgent=True) == [b.ref]
    assert refs(urgent=False) == [a.ref, c.ref]
    # Dates: opened, updated, closed (RT's own columns) and scheduled (the Visit field).
    assert refs(since=b.opened_at) == [b.ref, c.ref]
    assert refs(until=b.opened_at) == [a.ref]
    assert refs(since=a.opened_at, until=c.opened_at) == [b.ref, a.ref]
    assert refs(date_field="updated", since=a.updated_at) == [a.ref]
    assert refs(status="closed", date_field="closed", since=d.closed_at) == [d.ref]
    assert refs(status="closed", date_field="closed", until=d.closed_at) == []
    assert refs(date_field="scheduled", since=monday + timedelta(days=1)) == [b.ref]
    assert refs(visit_since=monday, visit_until=monday + timedelta(days=1)) == [a.ref]
    assert refs(visit_until=monday) == []
    # Everything a search returns is as `get` has it, but for the history.
    found = {t.ref: t for t in rt.search(TicketQuery(cause=tag))}
    for ticket in (a, b, c):
        full = rt.get(ticket.ref)
        assert found[ticket.ref] == dataclasses.replace(full, actions=(), solution_text=None)
    assert found[c.ref].status_since == [x for x in c.actions if x.kind == "status"][-1].at


def test_flags_can_be_cleared_and_searched_again(rt: RequestTrackerBackend, tag: str) -> None:
    ticket = rt.open(new(tag, urgent=True, cto="CTO-1"))
    cleared = rt.update_fields(ticket.ref, "ana", urgent=False, cto="")
    assert (cleared.urgent, cleared.cto) == (False, None)
    assert [t.ref for t in rt.search(TicketQuery(cause=tag, urgent=False))] == [ticket.ref]
    assert [t.ref for t in rt.search(TicketQuery(cause=tag, urgent=True))] == []


def test_search_reads_dates_in_the_accounts_time_zone(request_tracker: dict[str, str]) -> None:
    brasilia = RequestTrackerBackend(
        request_tracker["url"], request_tracker["token"], timezone="America/Sao_Paulo"
    )
    noon = datetime(2026, 11, 30, 12, 0, 0, 500_000, tzinfo=UTC)
    assert brasilia._rt_time(noon) == "2026-11-30 09:00:00"
    assert brasilia._rt_time_ceil(noon) == "2026-11-30 09:00:01"
    brasilia.dispose()
