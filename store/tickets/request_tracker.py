"""Service orders kept in a Request Tracker 5 server, through its REST2 API.

How the model maps onto RT:

- status: ours open / waiting / closed are RT's new or open / stalled / resolved (rejected reads
  as closed); the ref is RT's ticket number;
- every field RT has no column for is a ticket custom field (`CUSTOM_FIELDS`), the protocol
  included; flags are "yes" or absent, the visit is ISO 8601 UTC text;
- the history is RT's transactions. Every write goes through the token's account, so RT records
  that account as the author of each change; the acting person is kept where RT has room for it:
  a claim is by the new owner, and comments and closing notes carry their author in the subject
  ("comment by ana", "close by ana").

The token's account should be privileged but neither a superuser nor hold ReassignTicket. RT
then refuses, inside its own lock, to hand a ticket held by one person to another, which is what
makes `claim` atomic (an If-Match precondition alone is checked outside that lock). Releasing
someone else's ticket goes through StealTicket: the account takes the ticket over and lets go of
it in one request. lab/services/request-tracker.sh provisions such an account.

RT answers 200 to a PUT even when it refused the change (an unknown user, a bad status) and only
says so in a message, so every write is read back and compared with what was asked.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import requests

from ispflow.store.tickets.model import (
    DATE_FIELDS,
    RESPONSIBLE_TYPES,
    STATUSES,
    Action,
    NewTicket,
    Ticket,
    TicketClaimed,
    TicketClosed,
    TicketConflict,
    TicketError,
    TicketNotFound,
    TicketQuery,
)

# Our field -> the RT ticket custom field that holds it.
CUSTOM_FIELDS = {
    "protocol": "Protocol",
    "customer": "Customer",
    "contract": "Contract",
    "cause": "Cause",
    "channel": "Channel",
    "responsible": "Responsible",
    "responsible_type": "Responsible type",
    "street": "Address",
    "district": "District",
    "city": "City",
    "cto": "CTO",
    "seal": "Lacre",
    "urgent": "Urgent",
    "reviewed": "Reviewed",
    "scheduled_at": "Visit",
    "solution_code": "Solution code",
}
_FIELD_OF = {cf: field for field, cf in CUSTOM_FIELDS.items()}
_TEXT_FIELDS = (
    "customer",
    "contract",
    "cause",
    "channel",
    "responsible",
    "responsible_type",
    "street",
    "district",
    "city",
    "cto",
    "seal",
)
YES = "yes"
NOBODY = "Nobody"

_READ_STATUS = {
    "new": "open",
    "open": "open",
    "stalled": "waiting",
    "resolved": "closed",
    "rejected": "closed",
}
_RT_STATUSES = {
    "open": ("new", "open"),
    "waiting": ("stalled",),
    "closed": ("resolved", "rejected"),
}
_WRITE_STATUS = {"open": "open", "waiting": "stalled"}
_DATE_COLUMNS = {"opened": "Created", "updated": "LastUpdated", "closed": "Resolved"}

# Row numbers are shorter; protocols are the opening day (8 digits) and the number.
_REF_DIGITS = 10
_PER_PAGE = 100
# A write whose If-Match keeps failing (the ticket keeps changing) gives up after this many reads.
_ATTEMPTS = 4
_SUBJECT = re.compile(r"^(comment|close)(?: by (.+))?$")
_OWNER_CHANGES = {"Set", "Take", "Untake", "Give", "Steal", "Force"}
_HISTORY_FIELDS = "Type,Field,OldValue,NewValue,Created,Creator,Data"
_SEARCH_FIELDS = "Subject,Status,Queue,Owner,Created,LastUpdated,Resolved,CustomFields"


class RequestTrackerBackend:
    """The ticket backend on Request Tracker 5. `url` is RT's base URL (REST2 lives below it).

    `timezone` is the one RT reads dates of TicketSQL in (the token account's preference, else
    RT's $Timezone); the lab server runs in UTC.
    """

    name = "rt"

    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 15.0,
        session: requests.Session | None = None,
        timezone: str = "UTC",
    ) -> None:
        self.url = url.rstrip("/")
        self._api = f"{self.url}/REST/2.0"
        self._auth = {"Authorization": f"token {token}"}
        self._timeout = timeout
        self._session = session or requests.Session()
        self._zone = ZoneInfo(timezone)
        self._queues: dict[str, str] = {}  # id -> name
        self._user_names: dict[str, str] = {}  # id -> name

    def __repr__(self) -> str:
        return f"RequestTrackerBackend({self.url!r})"

    # -- reading ---------------------------------------------------------------------------
    def get(self, ref: str) -> Ticket:
        tid = self._tid(ref)
        data, _ = self._load(tid)
        return self._full(tid, data)

    def search(self, query: TicketQuery) -> list[Ticket]:
        clauses = self._clauses(query)
        if query.limit <= 0:
            return []
        # Urgent first, in two searches: how a database sorts a missing value differs.
        passes = [""]
        if query.urgent is None:
            urgent = CUSTOM_FIELDS["urgent"]
            passes = [_flag(urgent, True), _flag(urgent, False)]
        found: list[dict[str, Any]] = []
        for extra in passes:
            params = {
                "query": " AND ".join([*clauses, extra] if extra else clauses),
                "fields": _SEARCH_FIELDS,
                "fields[Queue]": "Name",
                "orderby": ["Created", "id"],
                "order": ["ASC", "ASC"],
            }
            found += self._items("POST", "/tickets", params, limit=query.limit - len(found))
            if len(found) >= query.limit:
                break
        since = self._status_changes([int(item["id"]) for item in found])
        return [self._ticket(item, status_since=since.get(int(item["id"]))) for item in found]

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
        queue = self._queue(new.queue)
        fields: dict[str, str] = {}
        for field in _TEXT_FIELDS:
            value = (getattr(new, field) or "").strip()
            if value:
                fields[CUSTOM_FIELDS[field]] = value
        if new.urgent:
            fields[CUSTOM_FIELDS["urgent"]] = YES
        if new.scheduled_at is not None:
            fields[CUSTOM_FIELDS["scheduled_at"]] = _iso(new.scheduled_at)
        body = {
            "Queue": queue,
            "Subject": subject[:200],
            "Content": new.text or subject,
            "ContentType": "text/plain",
            "CustomFields": fields,
        }
        tid = int(self._json(self._call("POST", "/ticket", json_body=body), "/ticket")["id"])
        data, _ = self._load(tid)
        kept = _custom_fields(data)
        lost = sorted(name for name, value in fields.items() if kept.get(name) != value)
        if lost:
            # RT drops values of custom fields that do not apply to the queue, silently.
            raise TicketError(
                f"Request Tracker opened ticket {tid} without custom field(s) "
                f"{', '.join(lost)}: are they applied to queue {queue}?"
            )
        protocol = _protocol(_time(data.get("Created")) or datetime.now(UTC), tid)
        self._update(tid, {"CustomFields": {CUSTOM_FIELDS["protocol"]: protocol}})
        return self.get(str(tid))

    def claim(self, ref: str, person: str) -> Ticket:
        person = _person(person)
        tid = self._tid(ref)
        for _ in range(_ATTEMPTS):
            data, etag = self._load(tid)
            self._refuse_closed(data, "claimed")
            owner = _owner(data)
            if _same(owner, person):
                return self._full(tid, data)
            if owner is not None:
                raise self._claimed(data, owner)
            try:
                answer = self._put(tid, {"Owner": person}, etag=etag)
            except TicketConflict:
                continue  # it changed since we looked: look again
            data, _ = self._load(tid)
            owner = _owner(data)
            if _same(owner, person):
                return self._full(tid, data)
            if owner is not None:  # someone else got there first; RT refused our change
                raise self._claimed(data, owner)
            raise TicketError(
                f"Request Tracker refused to give ticket {tid} to {person}: {_said(answer)}"
            )
        raise self._busy(tid)

    def release(self, ref: str, person: str, *, force: bool = False) -> Ticket:
        person = _person(person)
        tid = self._tid(ref)
        for _ in range(_ATTEMPTS):
            data, etag = self._load(tid)
            owner = _owner(data)
            if owner is None:
                return self._full(tid, data)
            if not force and not _same(owner, person):
                raise TicketClaimed(
                    f"service order {self._protocol_of(data)} is claimed by {owner}, "
                    f"not {person} (a supervisor can release it with --force)",
                    owner=owner,
                )
            try:
                # The account is not the owner: it takes the ticket over, then lets go of it.
                answer = self._put(tid, {"Owner": NOBODY}, etag=etag, action="steal")
            except TicketConflict:
                continue
            data, _ = self._load(tid)
            if _owner(data) is None:
                return self._full(tid, data)
            raise TicketError(f"Request Tracker refused to release ticket {tid}: {_said(answer)}")
        raise self._busy(tid)

    def comment(self, ref: str, author: str | None, text: str) -> Ticket:
        if not (text or "").strip():
            raise TicketError("a comment needs text")
        tid = self._tid(ref)
        self._load(tid)
        self._note(tid, "comment", author, text)
        return self.get(str(tid))

    def set_status(self, ref: str, author: str | None, status: str) -> Ticket:
        if status not in _WRITE_STATUS:
            hint = " (close it with a solution code)" if status == "closed" else ""
            raise TicketError(
                f"status {status!r} cannot be set directly; use open or waiting{hint}"
            )

        def change(data: dict[str, Any]) -> dict[str, Any]:
            self._refuse_closed(data, "changed")
            if _status(data) == status:
                return {}
            return {"Status": _WRITE_STATUS[status]}

        return self._change(ref, change)

    def move(self, ref: str, author: str | None, queue: str) -> Ticket:
        if not (queue or "").strip():
            raise TicketError("give the queue to move the service order to")
        target = self._queue(queue.strip())

        def change(data: dict[str, Any]) -> dict[str, Any]:
            self._refuse_closed(data, "moved")
            if self._queue_name(data.get("Queue")) == target:
                return {}
            return {"Queue": target}

        return self._change(ref, change)

    def close(self, ref: str, author: str | None, code: str, text: str) -> Ticket:
        code = (code or "").strip()
        if not code:
            raise TicketError("closing a service order needs a solution code")
        tid = self._tid(ref)
        for _ in range(_ATTEMPTS):
            data, etag = self._load(tid)
            if _status(data) == "closed":
                solution = _custom_fields(data).get(CUSTOM_FIELDS["solution_code"])
                raise TicketClosed(
                    f"service order {self._protocol_of(data)} is already closed ({solution})"
                )
            owner = _owner(data)
            if owner is not None and not _same(owner, author):
                raise TicketClaimed(
                    f"service order {self._protocol_of(data)} is claimed by {owner}; "
                    "only they can close it",
                    owner=owner,
                )
            try:
                self._update(
                    tid, {"CustomFields": {CUSTOM_FIELDS["solution_code"]: code}}, etag=etag
                )
                break
            except TicketConflict:
                continue
        else:
            raise self._busy(tid)
        answer = self._note(tid, "close", author, text, status="resolved")
        data, _ = self._load(tid)
        if _status(data) != "closed":
            raise TicketError(f"Request Tracker refused to close ticket {tid}: {_said(answer)}")
        return self._full(tid, data)

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
        wanted: dict[str, str | None] = {}
        for field, value in (("cto", cto), ("seal", seal)):
            if value is not None:
                wanted[CUSTOM_FIELDS[field]] = value.strip() or None
        for field, flag in (("reviewed", reviewed), ("urgent", urgent)):
            if flag is not None:
                wanted[CUSTOM_FIELDS[field]] = YES if flag else None
        if scheduled_at is not None:
            wanted[CUSTOM_FIELDS["scheduled_at"]] = _iso(scheduled_at)

        def change(data: dict[str, Any]) -> dict[str, Any]:
            current = _custom_fields(data)
            # null deletes a value; sent for a field with none, RT would store an empty one.
            changed = {k: v for k, v in wanted.items() if current.get(k) != v}
            return {"CustomFields": changed} if changed else {}

        return self._change(ref, change)

    def dispose(self) -> None:
        self._session.close()

    # -- HTTP ------------------------------------------------------------------------------
    def _call(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json_body: Any = None,
        form: dict[str, Any] | None = None,
        etag: str | None = None,
    ) -> requests.Response:
        headers = dict(self._auth)
        if etag:
            headers["If-Match"] = etag
        try:
            response = self._session.request(
                method,
                self._api + path,
                params=params,
                json=json_body,
                data=form,
                headers=headers,
                timeout=self._timeout,
                allow_redirects=False,
            )
        # `from None`: the original exception holds the request, and so the token.
        except requests.Timeout:
            raise TicketError(
                f"Request Tracker at {self.url} did not answer {method} {path} "
                f"within {self._timeout:g} s"
            ) from None
        except requests.RequestException as exc:
            raise TicketError(
                f"cannot reach Request Tracker at {self.url} ({method} {path}): {_reason(exc)}"
            ) from None
        if response.status_code < 300:
            return response
        raise self._error(method, path, response)

    def _error(self, method: str, path: str, response: requests.Response) -> TicketError:
        status = response.status_code
        if status == 401:
            return TicketError(
                f"Request Tracker at {self.url} refused the API token (401 Unauthorized)"
            )
        if 300 <= status < 400:
            return TicketError(
                f"Request Tracker {method} {path}: redirected to "
                f"{response.headers.get('Location')}; is {self.url} RT's base URL?"
            )
        text = f"Request Tracker {method} {path}: {status} {_message(response)}"
        if status == 404:
            return TicketNotFound(text)
        if status == 412:
            return TicketConflict(text)
        return TicketError(text)

    def _json(self, response: requests.Response, path: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise TicketError(
                f"Request Tracker answered {path} with something else than JSON; "
                f"is {self.url} RT's base URL?"
            ) from None

    def _items(
        self, method: str, path: str, params: dict[str, Any], *, limit: int | None = None
    ) -> list[dict[str, Any]]:
        """Every item of a collection, page by page (RT gives no total to most accounts)."""
        per_page = _PER_PAGE if limit is None else max(1, min(_PER_PAGE, limit))
        items: list[dict[str, Any]] = []
        page = 1
        while limit is None or len(items) < limit:
            args = {**params, "page": page, "per_page": per_page}
            if method == "GET":
                response = self._call("GET", path, params=args)
            else:
                response = self._call(method, path, form=args)
            body = self._json(response, path)
            batch = body.get("items") or []
            items += batch
            pages = body.get("pages")
            if len(batch) < per_page or (pages is not None and page >= pages):
                break
            page += 1
        return items if limit is None else items[:limit]

    def _load(self, tid: int) -> tuple[dict[str, Any], str | None]:
        try:
            response = self._call("GET", f"/ticket/{tid}")
        except TicketNotFound:
            raise TicketNotFound(f"no service order {tid} in Request Tracker") from None
        data = self._json(response, f"/ticket/{tid}")
        if data.get("Status") == "deleted":
            raise TicketNotFound(f"service order {tid} was deleted in Request Tracker")
        return data, response.headers.get("ETag")

    def _put(
        self, tid: int, changes: dict[str, Any], *, etag: str | None = None, action: str = ""
    ) -> Any:
        path = f"/ticket/{tid}" + (f"/{action}" if action else "")
        return self._json(self._call("PUT", path, json_body=changes, etag=etag), path)

    def _update(
        self, tid: int, changes: dict[str, Any], *, etag: str | None = None
    ) -> dict[str, Any]:
        """PUT `changes` and read the ticket back; TicketError if RT did not apply them all."""
        answer = self._put(tid, changes, etag=etag)
        data, _ = self._load(tid)
        refused = self._not_applied(data, changes)
        if refused:
            raise TicketError(
                f"Request Tracker refused to change {', '.join(refused)} of ticket {tid}: "
                f"{_said(answer)}"
            )
        return data

    def _not_applied(self, data: dict[str, Any], changes: dict[str, Any]) -> list[str]:
        refused = []
        for key, wanted in changes.items():
            if key == "CustomFields":
                current = _custom_fields(data)
                refused += [name for name, value in wanted.items() if current.get(name) != value]
            elif key == "Owner":
                if not _same(_name(data.get("Owner")) or NOBODY, wanted):
                    refused.append(key)
            elif key == "Queue":
                if not _same(self._queue_name(data.get("Queue")), wanted):
                    refused.append(key)
            elif str(data.get(key)) != str(wanted):
                refused.append(key)
        return refused

    def _change(self, ref: str, change: Callable[[dict[str, Any]], dict[str, Any]]) -> Ticket:
        """Read, let `change` check the ticket and say what to write, write with If-Match."""
        tid = self._tid(ref)
        for _ in range(_ATTEMPTS):
            data, etag = self._load(tid)
            changes = change(data)
            if not changes:
                return self._full(tid, data)
            try:
                data = self._update(tid, changes, etag=etag)
            except TicketConflict:
                continue
            return self._full(tid, data)
        raise self._busy(tid)

    def _note(
        self, tid: int, kind: str, author: str | None, text: str, *, status: str | None = None
    ) -> Any:
        body: dict[str, Any] = {"Subject": f"{kind} by {author}" if author else kind}
        if (text or "").strip():
            body |= {"Content": text, "ContentType": "text/plain"}
        if status:
            body["Status"] = status
        path = f"/ticket/{tid}/comment"
        return self._json(self._call("POST", path, json_body=body), path)

    # -- names and references --------------------------------------------------------------
    def _tid(self, ref: str) -> int:
        text = str(ref).strip().lstrip("#")
        if text.isdigit() and len(text) < _REF_DIGITS:
            return int(text)
        if text.isdigit():
            query = f"{_cf('Protocol')} = {_quote(text)}"
            found = self._items("POST", "/tickets", {"query": query, "fields": "id"}, limit=1)
            if found:
                return int(found[0]["id"])
            # A ticket opened in RT itself has no Protocol field, but its number is in it.
            number = int(text[8:])
            try:
                data, _ = self._load(number)
            except TicketNotFound:
                pass
            else:
                if self._protocol_of(data) == text:
                    return number
        raise TicketNotFound(f"no service order {text!r} in Request Tracker")

    def _queue(self, name: str) -> str:
        """RT's own spelling of queue `name`; TicketError naming the queue if there is none."""
        for refresh in (False, True):
            if refresh or not self._queues:
                items = self._items("GET", "/queues/all", {"fields": "Name"})
                self._queues = {str(q["id"]): q["Name"] for q in items}
            for known in self._queues.values():
                if _same(known, name):
                    return known
        known = ", ".join(sorted(self._queues.values()))
        raise TicketError(f"Request Tracker has no queue {name!r} (queues: {known})")

    def _queue_name(self, queue: Any) -> str:
        if isinstance(queue, dict):
            if queue.get("Name"):
                self._queues[str(queue["id"])] = queue["Name"]
                return str(queue["Name"])
            queue = queue.get("id")
        key = str(queue)
        if key not in self._queues:
            path = f"/queue/{key}"
            self._queues[key] = self._json(self._call("GET", path), path).get("Name") or key
        return self._queues[key]

    def _user_name(self, uid: str) -> str:
        if not uid or not uid.isdigit():
            return uid or NOBODY
        if uid not in self._user_names:
            path = f"/user/{uid}"
            try:
                name = self._json(self._call("GET", path), path).get("Name")
            except TicketNotFound:
                name = None
            self._user_names[uid] = name or f"user {uid}"
        return self._user_names[uid]

    def _protocol_of(self, data: dict[str, Any]) -> str:
        kept = _custom_fields(data).get(CUSTOM_FIELDS["protocol"])
        return kept or _protocol(_time(data.get("Created")) or datetime.now(UTC), int(data["id"]))

    def _refuse_closed(self, data: dict[str, Any], what: str) -> None:
        if _status(data) == "closed":
            raise TicketClosed(
                f"service order {self._protocol_of(data)} is closed; it cannot be {what}"
            )

    def _claimed(self, data: dict[str, Any], owner: str) -> TicketClaimed:
        return TicketClaimed(
            f"service order {self._protocol_of(data)} is already claimed by {owner}", owner=owner
        )

    def _busy(self, tid: int) -> TicketConflict:
        return TicketConflict(
            f"ticket {tid} kept changing in Request Tracker while we wrote to it; try again"
        )

    # -- tickets and their history ---------------------------------------------------------
    def _full(self, tid: int, data: dict[str, Any]) -> Ticket:
        actions, since, solution = self._history(tid, data)
        return self._ticket(data, status_since=since, actions=actions, solution_text=solution)

    def _ticket(
        self,
        data: dict[str, Any],
        *,
        status_since: datetime | None = None,
        actions: list[Action] | tuple[Action, ...] = (),
        solution_text: str | None = None,
    ) -> Ticket:
        values = _custom_fields(data)

        def cf(field: str) -> str | None:
            return values.get(CUSTOM_FIELDS[field])

        opened = _time(data.get("Created")) or datetime.now(UTC)
        status = _status(data)
        closed_at = None
        if status == "closed":
            closed_at = _time(data.get("Resolved")) or status_since or opened
        return Ticket(
            ref=str(data["id"]),
            protocol=self._protocol_of(data),
            subject=data.get("Subject") or "",
            status=status,
            queue=self._queue_name(data.get("Queue")),
            owner=_owner(data),
            customer=cf("customer"),
            contract=cf("contract"),
            cause=cf("cause"),
            channel=cf("channel"),
            responsible=cf("responsible"),
            responsible_type=cf("responsible_type"),
            street=cf("street"),
            district=cf("district"),
            city=cf("city"),
            opened_at=opened,
            updated_at=_time(data.get("LastUpdated")) or opened,
            scheduled_at=_visit(cf("scheduled_at")),
            closed_at=closed_at,
            status_since=status_since or opened,
            urgent=cf("urgent") == YES,
            reviewed=cf("reviewed") == YES,
            solution_code=cf("solution_code"),
            solution_text=solution_text,
            cto=cf("cto"),
            seal=cf("seal"),
            actions=tuple(actions),
        )

    def _history(
        self, tid: int, data: dict[str, Any]
    ) -> tuple[list[Action], datetime | None, str | None]:
        """The actions, when the status last changed, and the last closing note's text."""
        cf_names = {str(cf.get("id")): cf.get("name") for cf in data.get("CustomFields") or []}
        txns = self._items("GET", f"/ticket/{tid}/history", {"fields": _HISTORY_FIELDS})
        txns.sort(key=lambda t: int(t["id"]))
        texts = self._texts(tid)
        owner_txns = [t for t in txns if _is_owner_change(t)]

        actions: list[Action] = []
        status_since: datetime | None = None
        solution_text: str | None = None
        code = ""
        note: Action | None = None  # a closing note, until the status change it goes with
        taken_from: str | None = None  # whom the account took the ticket from, to release it

        def flush() -> None:
            nonlocal note
            if note is not None:  # a close that did not happen: the note stays a comment
                actions.append(note)
                note = None

        def add(action: Action) -> None:
            flush()
            actions.append(action)

        for txn in txns:
            kind, field = txn.get("Type"), txn.get("Field") or ""
            at = _time(txn.get("Created")) or datetime.now(UTC)
            creator = _name(txn.get("Creator"))
            old, new = str(txn.get("OldValue") or ""), str(txn.get("NewValue") or "")
            if kind == "Create":
                add(Action(creator, at, "opened", texts.get(str(txn["id"]), "")))
            elif kind in ("Comment", "Correspond"):
                marked = _SUBJECT.match(txn.get("Data") or "")
                author = (marked.group(2) if marked else None) or creator
                comment = Action(author, at, "comment", texts.get(str(txn["id"]), ""))
                if marked and marked.group(1) == "close":
                    flush()
                    note = comment
                else:
                    add(comment)
            elif kind == "Status" or (kind == "Set" and field == "Status"):
                before, after = _READ_STATUS.get(old, "open"), _READ_STATUS.get(new, "open")
                if before == after:
                    continue
                status_since = at
                if after == "closed":
                    author, text = (note.author, note.text) if note else (creator, "")
                    note, solution_text = None, text
                    add(Action(author, at, "close", f"closed [{code}] {text}".rstrip()))
                else:
                    add(Action(creator, at, "status", f"status {after}"))
            elif _is_owner_change(txn):
                before, after = self._user_name(old), self._user_name(new)
                if self._taken_to_release(txn, owner_txns):
                    taken_from = before
                    continue
                if after == NOBODY:
                    was = taken_from if taken_from and before == creator else before
                    taken_from = None
                    add(Action(creator, at, "release", f"released (was {was})"))
                else:
                    add(Action(after, at, "claim", f"claimed by {after}"))
            elif kind == "Set" and field == "Queue":
                add(Action(creator, at, "move", f"moved to {self._queue_name(new)}"))
            elif kind == "CustomField":
                name = cf_names.get(field) or field
                if name == CUSTOM_FIELDS["solution_code"]:
                    code = new
                elif name != CUSTOM_FIELDS["protocol"]:
                    label = _FIELD_OF.get(name, name)
                    add(Action(creator, at, "field", f"{label} = {_shown(name, new)}"))
        flush()
        return actions, status_since, solution_text

    def _taken_to_release(self, txn: dict[str, Any], owner_txns: list[dict[str, Any]]) -> bool:
        """The account taking someone's ticket only to let go of it at once (see `release`)."""
        creator = _name(txn.get("Creator"))
        if self._user_name(str(txn.get("NewValue"))) != creator:
            return False
        if self._user_name(str(txn.get("OldValue"))) == NOBODY:
            return False
        later = [t for t in owner_txns if int(t["id"]) > int(txn["id"])]
        return bool(later) and (
            _name(later[0].get("Creator")) == creator
            and str(later[0].get("OldValue")) == str(txn.get("NewValue"))
            and self._user_name(str(later[0].get("NewValue"))) == NOBODY
        )

    def _texts(self, tid: int) -> dict[str, str]:
        """The plain text of each transaction that has some (creation, comments)."""
        params = {
            "query": '[{"field": "ContentType", "value": "text/plain"}]',
            "fields": "TransactionId,Content",
        }
        texts: dict[str, str] = {}
        for item in self._items("GET", f"/ticket/{tid}/attachments", params):
            txn = str(item.get("TransactionId"))
            if item.get("Content") and not texts.get(txn):
                texts[txn] = str(item["Content"])
        return texts

    def _status_changes(self, tids: list[int]) -> dict[int, datetime]:
        """When each ticket's status (as we name them) last changed, for many tickets at once."""
        since: dict[int, datetime] = {}
        for start in range(0, len(tids), 50):
            ids = " OR ".join(f"ObjectId = {tid}" for tid in tids[start : start + 50])
            params = {
                "query": f"ObjectType = 'RT::Ticket' AND Type = 'Status' AND ({ids})",
                "fields": "ObjectId,OldValue,NewValue,Created",
                "orderby": "id",
            }
            for txn in self._items("GET", "/transactions", params):
                before = _READ_STATUS.get(str(txn.get("OldValue")), "open")
                after = _READ_STATUS.get(str(txn.get("NewValue")), "open")
                at = _time(txn.get("Created"))
                if before != after and at is not None:
                    since[int(txn["ObjectId"])] = at
        return since

    # -- TicketSQL -------------------------------------------------------------------------
    def _clauses(self, q: TicketQuery) -> list[str]:
        if q.status is not None and q.status not in STATUSES:
            raise TicketError(f"status {q.status!r} is not one of {', '.join(STATUSES)}")
        if q.date_field not in DATE_FIELDS:
            raise TicketError(f"date type {q.date_field!r} is not one of {', '.join(DATE_FIELDS)}")
        statuses = _RT_STATUSES[q.status] if q.status else ("new", "open", "stalled")
        clauses = ["(" + " OR ".join(f"Status = {_quote(s)}" for s in statuses) + ")"]
        if q.customer:
            value = _quote(q.customer)
            clauses.append(f"({_cf('Customer')} = {value} OR Subject LIKE {value})")
        if q.contract:
            clauses.append(f"{_cf('Contract')} = {_quote(q.contract)}")
        if q.protocol:
            clauses.append(f"{_cf('Protocol')} LIKE {_quote(q.protocol)}")
        if q.queue:
            clauses.append(f"Queue LIKE {_quote(q.queue)}")
        if q.owner:
            clauses.append(f"Owner = {_quote(q.owner)}")
        if q.unowned:
            clauses.append(f"Owner = {_quote(NOBODY)}")
        for field in ("street", "district", "city", "responsible", "cause", "channel"):
            value = getattr(q, field)
            if value:
                clauses.append(f"{_cf(CUSTOM_FIELDS[field])} LIKE {_quote(value)}")
        if q.date_field == "scheduled":
            visit = _cf(CUSTOM_FIELDS["scheduled_at"])
            clauses += _range(visit, q.since, q.until, _iso, _iso_ceil)
        else:
            column = _DATE_COLUMNS[q.date_field]
            clauses += _range(column, q.since, q.until, self._rt_time, self._rt_time_ceil)
        visit = _cf(CUSTOM_FIELDS["scheduled_at"])
        clauses += _range(visit, q.visit_since, q.visit_until, _iso, _iso_ceil)
        for field, flag in (("reviewed", q.reviewed), ("urgent", q.urgent)):
            if flag is not None:
                clauses.append(_flag(CUSTOM_FIELDS[field], flag))
        return clauses

    def _rt_time(self, when: datetime) -> str:
        """`when` as TicketSQL reads a date: in the account's time zone, whole seconds."""
        return (
            _utc(when).replace(microsecond=0).astimezone(self._zone).strftime("%Y-%m-%d %H:%M:%S")
        )

    def _rt_time_ceil(self, when: datetime) -> str:
        return self._rt_time(_ceil(when))


def _range(
    column: str,
    since: datetime | None,
    until: datetime | None,
    low: Callable[[datetime], str],
    high: Callable[[datetime], str],
) -> list[str]:
    # RT keeps whole seconds: `since` rounds down, `until` up, so nothing in that second is lost.
    clauses = []
    if since is not None:
        clauses.append(f"{column} >= {_quote(low(since))}")
    if until is not None:
        clauses.append(f"{column} < {_quote(high(until))}")
    return clauses


def _quote(value: str) -> str:
    """A TicketSQL string literal: quotes and backslashes escaped, so a value stays a value."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "\\'") + "'"


def _cf(name: str) -> str:
    return f"'CF.{{{name}}}'"


def _flag(name: str, on: bool) -> str:
    if on:
        return f"{_cf(name)} = {_quote(YES)}"
    return f"({_cf(name)} IS NULL OR {_cf(name)} != {_quote(YES)})"


def _custom_fields(data: dict[str, Any]) -> dict[str, str]:
    values: dict[str, str] = {}
    for cf in data.get("CustomFields") or []:
        present = [str(v) for v in cf.get("values") or [] if v not in (None, "")]
        if present and cf.get("name"):
            values[cf["name"]] = present[0]
    return values


def _name(user: Any) -> str | None:
    if isinstance(user, dict):
        return user.get("Name") or user.get("id")
    return str(user) if user else None


def _owner(data: dict[str, Any]) -> str | None:
    owner = _name(data.get("Owner"))
    return None if owner in (None, NOBODY) else owner


def _status(data: dict[str, Any]) -> str:
    # Statuses of other lifecycles count as open: someone still has to act.
    return _READ_STATUS.get(str(data.get("Status")), "open")


def _same(a: str | None, b: str | None) -> bool:
    """RT names (users, queues) are case-insensitive."""
    return a is not None and b is not None and a.casefold() == b.casefold()


def _person(person: str) -> str:
    name = (person or "").strip()
    if not name:
        raise TicketError("say who is acting (a person's name)")
    return name


def _is_owner_change(txn: dict[str, Any]) -> bool:
    return txn.get("Field") == "Owner" and txn.get("Type") in _OWNER_CHANGES


def _protocol(opened: datetime, number: int) -> str:
    return f"{opened:%Y%m%d}{number:06d}"


def _said(answer: Any) -> str:
    if isinstance(answer, list):
        return "; ".join(str(m) for m in answer if m) or "no reason given"
    return str(answer)


def _message(response: requests.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return (response.text or response.reason or "").strip()[:200]
    if isinstance(body, dict) and body.get("message"):
        return str(body["message"]).strip()
    return _said(body)


def _reason(exc: requests.RequestException) -> str:
    found = re.search(r"\[Errno -?\d+\] ([^'\")]+)", str(exc))
    return found.group(1).strip() if found else type(exc).__name__


def _time(text: Any) -> datetime | None:
    """RT's W3C times (UTC); RT writes an unset date as the epoch."""
    if not text or str(text).startswith("1970-01-01"):
        return None
    return datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _visit(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return _utc(datetime.fromisoformat(text))
    except ValueError:
        return None  # typed by hand in RT, not a date


def _utc(when: datetime) -> datetime:
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _ceil(when: datetime) -> datetime:
    when = _utc(when)
    return when.replace(microsecond=0) + timedelta(seconds=1) if when.microsecond else when


def _iso(when: datetime) -> str:
    # Fixed width and UTC, so that the text sorts and compares (in TicketSQL) as the time does.
    return _utc(when).strftime("%Y-%m-%dT%H:%M:%SZ")


def _iso_ceil(when: datetime) -> str:
    return _iso(_ceil(when))


def _shown(cf_name: str, value: str) -> str:
    if cf_name in (CUSTOM_FIELDS["urgent"], CUSTOM_FIELDS["reviewed"]):
        return "yes" if value == YES else "no"
    return value or "-"
