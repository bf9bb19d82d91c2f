"""PPPoE subscribers on concentrators: look up, block and unblock contracts, in bulk.

A host (concentrator) takes the contracts the store assigns to it and handles them all over
its one API session: the reads for every contract go out together, then the changes, then
one wait for the dropped sessions to come back. A contract that fails is put back as it was
and reported; the others go on. Contracts the store does not know, or whose concentrator is
not in this run, are reported once (by the first concentrator of the run).

What a block is on a concentrator comes from its inventory data: `block_profile` (the PPP
profile whose pool and address list the walled-garden rules use), `block_pool`, `block_list`.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nornir.core.task import Result, Task

from ispflow.core.csv_items import read_csv, resolve_csv
from ispflow.core.outcome import StepFailed
from ispflow.core.views import Row, TaskView, records
from ispflow.plugins.concentrator.contract import ApiOp, ConcentratorDriver, ConcentratorSession
from ispflow.plugins.concentrator.drivers import concentrator_driver_for
from ispflow.plugins.concentrator.names import BadName
from ispflow.plugins.concentrator.ranges import in_ranges
from ispflow.store import run_context
from ispflow.store.billing import (
    PppContract,
    contracts_elsewhere,
    overdue_contracts,
    ppp_contracts,
    record_blocks,
    record_unblocks,
    remember_profiles,
)
from ispflow.store.db import Database
from ispflow.tasks.registry import task

METHODS = ("profile", "address-list", "both")
# Waiting for dropped sessions to dial again: the first look after POLL_FIRST_S, then twice
# as long each time up to POLL_MAX_S. A PPPoE client redials within a few seconds; a
# concentrator asked for a thousand sessions every 0.1 s for 15 s would be busy answering.
POLL_FIRST_S = 0.1
POLL_MAX_S = 1.0


@dataclass
class Subscriber:
    """One contract on this concentrator, as read from it, and what became of it."""

    contract: PppContract
    secret: dict[str, Any] | None = None
    session: dict[str, Any] | None = None
    entry: dict[str, Any] | None = None  # its address on the block list, if there
    # Its own static entries for other addresses (a block's, made before the session dialled
    # again with another address): an unblock removes them too.
    stale_entries: list[dict[str, Any]] = field(default_factory=list)
    status: str = "pending"
    error: str | None = None
    previous_profile: str | None = None
    address_before: str | None = None
    address_after: str | None = None
    added_entry: str | None = None
    ops: list[ApiOp] = field(default_factory=list)

    @property
    def login(self) -> str:
        return str(self.contract.login)

    def report(self) -> dict[str, Any]:
        return {
            "contract": self.contract.code,
            "login": self.contract.login,
            "status": self.status,
            "error": self.error,
            "profile_before": self.previous_profile,
            "address_before": self.address_before,
            "address_after": self.address_after,
        }


# -- inputs ---------------------------------------------------------------------------------
def contract_codes(contracts: Any = None, file: str | None = None) -> list[str]:
    """Codes from `contracts` (a list, or text separated by commas) and a CSV `file`."""
    codes: list[str] = []
    if isinstance(contracts, str):
        codes += [c.strip() for c in contracts.split(",") if c.strip()]
    elif contracts:
        codes += [str(c).strip() for c in contracts if str(c).strip()]
    if file:
        path = resolve_csv(file, None)
        try:
            stat = path.stat()
        except OSError as exc:
            raise ValueError(f"cannot read {file}: {exc.strerror or exc}") from exc
        # Every concentrator's thread asks at once: the first reads the file, the others
        # wait for its result instead of each reading it too.
        with _codes_lock:
            codes += _codes_in(str(path), stat.st_mtime_ns, stat.st_size)
    return list(dict.fromkeys(codes))


_codes_lock = threading.Lock()


@functools.lru_cache(maxsize=8)
def _codes_in(path: str, mtime_ns: int, size: int) -> tuple[str, ...]:
    """A CSV's `contract` column, read once per run (every concentrator asks for it)."""
    rows = read_csv(Path(path))
    if rows and "contract" not in rows[0]:
        raise ValueError(f"{path}: needs a `contract` column (has {', '.join(rows[0])})")
    return tuple(row["contract"] for row in rows if row.get("contract"))


def run_store() -> Database:
    context = run_context.current()
    if context is None:
        raise RuntimeError("PPP tasks need the store: run them with `ispflow run`")
    return context.database


def block_settings(task: Task) -> tuple[str, str, str]:
    missing = [k for k in ("block_profile", "block_pool", "block_list") if not task.host.get(k)]
    if missing:
        raise ValueError(
            f"{task.host.name}: inventory data lacks {', '.join(missing)} (what a block is on "
            "this concentrator: the profile, pool and address list its rules use)"
        )
    return task.host["block_profile"], task.host["block_pool"], task.host["block_list"]


def concentrator_session(task: Task, driver: ConcentratorDriver) -> ConcentratorSession:
    """The host's API session (opened on first use, then kept for the run's other tasks)."""
    return task.host.get_connection(driver.connection, task.nornir.config)


def _mine(
    task: Task, codes: Sequence[str], db: Database
) -> tuple[list[PppContract], list[dict[str, Any]]]:
    """This host's contracts, and (from the run's first host only) the ones nobody takes."""
    hosts = task.nornir.inventory.hosts
    reporter = bool(hosts) and task.host.name == min(hosts)
    known = ppp_contracts(db, codes, task.host.name)
    elsewhere = contracts_elsewhere(db, codes, hosts) if reporter else {}
    mine, orphans = [], []
    for code in codes:
        contract = known.get(code)
        if contract is not None:
            if contract.login:
                mine.append(contract)
            else:
                orphans.append({"contract": code, "status": "failed", "error": "no PPPoE login"})
            continue
        if code not in elsewhere:
            continue  # another concentrator of this run takes it
        contract = elsewhere[code]
        if contract is None:
            status, error = "failed", "no such contract in the store"
        elif not contract.concentrator:
            status, error = "failed", "the store names no concentrator for it"
        else:
            # Left out by --limit or a rerun of other hosts; or a name the inventory lacks.
            status = "skipped"
            error = f"its concentrator {contract.concentrator} is not in this run"
        orphans.append({"contract": code, "status": status, "error": error})
    return mine, orphans


def _prepare(
    task: Task, codes: Sequence[str]
) -> tuple[tuple[str, str, str], Database, list[Subscriber], list[dict[str, Any]]]:
    """The host's block settings, the store, its contracts, and the ones nobody takes."""
    settings = block_settings(task)
    db = run_store()
    mine, orphans = _mine(task, codes, db)
    return settings, db, [Subscriber(c) for c in mine], orphans


# -- reads ----------------------------------------------------------------------------------
def _read(
    session: ConcentratorSession,
    driver: ConcentratorDriver,
    subs: list[Subscriber],
    pool: str,
    listed: str,
) -> str:
    """Fill in each subscriber's secret, session and block-list entry; the block pool's ranges."""
    logins = [s.login for s in subs]
    secrets, sessions, pools, entries = session.run(
        [
            driver.secrets(logins),
            driver.sessions(logins),
            driver.pool(pool),
            driver.address_list(listed),
        ]
    )
    for answer in (secrets, sessions, pools, entries):
        if answer.error:
            raise RuntimeError(f"reading the concentrator failed: {answer.error}")
    if not pools.rows:
        raise RuntimeError(f"the block pool {pool!r} does not exist on this concentrator")
    by_secret = {row["name"]: row for row in secrets.rows}
    by_session = {row["name"]: row for row in sessions.rows}
    by_address = {str(row.get("address")): row for row in entries.rows}
    by_contract: dict[str, list[dict[str, Any]]] = {}
    for row in entries.rows:
        # Entries a block made carry "CODE reason" as their comment.
        owner = str(row.get("comment") or "").split(" ", 1)[0]
        if owner and row.get("dynamic") is not True:
            by_contract.setdefault(owner, []).append(row)
    for sub in subs:
        sub.secret = by_secret.get(sub.login)
        sub.session = by_session.get(sub.login)
        if sub.session:
            sub.address_before = str(sub.session.get("address"))
            sub.entry = by_address.get(sub.address_before)
        sub.stale_entries = [
            row
            for row in by_contract.get(sub.contract.code, [])
            if row is not sub.entry and str(row.get("address")) != sub.address_before
        ]
    return str(pools.rows[0].get("ranges", ""))


def _wait_for_sessions(
    session: ConcentratorSession,
    driver: ConcentratorDriver,
    waiting: list[Subscriber],
    settle: float,
) -> None:
    """Until every dropped subscriber has a new session (or `settle` seconds): their address.
    None has dialled again the moment it was dropped: the first look waits a little."""
    old = {s.login: s.session.get(".id") if s.session else None for s in waiting}
    deadline = time.monotonic() + settle
    pending = {s.login: s for s in waiting}
    pause = POLL_FIRST_S
    while pending:
        time.sleep(max(0.0, min(pause, deadline - time.monotonic())))
        [answer] = session.run([driver.sessions_brief(list(pending))])
        for row in answer.rows:
            sub = pending.get(row["name"])
            if sub is not None and row.get(".id") != old[sub.login]:
                sub.address_after = str(row.get("address"))
                sub.session = row
                del pending[sub.login]
        if time.monotonic() >= deadline:
            return
        pause = min(pause * 2, POLL_MAX_S)


# -- what the report shows -------------------------------------------------------------------
def _lookup_rows(result: Any) -> list[Row]:
    rows = []
    for row in records(result):
        if "blocked_on_device" in row:
            row = {**row, "blocked": _blocked(row["blocked_on_device"], row["blocked_in_store"])}
        rows.append(row)
    return rows


def _blocked(on_device: bool, in_store: bool) -> str:
    if on_device and in_store:
        return "yes"
    if on_device:
        return "on the device only"
    if in_store:
        return "in the store only"
    return "no"


def _statuses(result: Any) -> str | None:
    """'2 blocked · 1 unchanged · 1 failed': each contract's status without its detail."""
    counts: dict[str, int] = {}
    for row in records(result):
        status = (str(row.get("status") or "?").splitlines() or ["?"])[0].split(" (", 1)[0]
        status = status if len(status) <= 40 else status[:39] + "…"
        counts[status] = counts.get(status, 0) + 1
    return " · ".join(f"{n:,} {status}" for status, n in counts.items()) or None


LOOKUP_VIEW = TaskView(
    columns=(
        "contract", "login", "online", "address", "caller_id", "uptime", "profile",
        "blocked", "status", "error",
    ),
    rows=_lookup_rows,
)  # fmt: skip
CHANGE_VIEW = TaskView(
    columns=(
        "contract", "login", "status", "error", "profile_before", "address_before",
        "address_after",
    ),
    headline=_statuses,
    order=lambda row: row.get("status") != "failed",
)  # fmt: skip


@task("ppp.lookup", view=LOOKUP_VIEW)
def lookup(task: Task, contracts: Any = None, file: str | None = None) -> Result:
    """Each contract's PPPoE state: session, IP, MAC (caller-id), uptime, profile, blocked?"""
    (block_profile, block_pool, block_list), db, subs, orphans = _prepare(
        task, contract_codes(contracts, file)
    )
    driver = concentrator_driver_for(task.host)
    if task.is_dry_run():
        logins = [s.login for s in subs]
        ops = [driver.secrets(logins), driver.sessions(logins), driver.pool(block_pool)]
        return Result(host=task.host, result={"commands": [op.text() for op in ops]})
    refused = any(o["status"] == "failed" for o in orphans)
    if not subs:
        return Result(host=task.host, result=orphans, failed=refused)
    session = concentrator_session(task, driver)
    ranges = _read(session, driver, subs, block_pool, block_list)
    found = []
    for sub in subs:
        secret, active = sub.secret or {}, sub.session or {}
        address = active.get("address")
        found.append(
            {
                "contract": sub.contract.code,
                "login": sub.login,
                "on_concentrator": sub.secret is not None,
                "profile": secret.get("profile"),
                "disabled": secret.get("disabled"),
                "online": sub.session is not None,
                "address": address,
                "caller_id": active.get("caller-id"),
                "uptime": active.get("uptime"),
                "address_in_block_pool": bool(address) and in_ranges(str(address), ranges),
                "on_block_list": sub.entry is not None,
                "blocked_on_device": secret.get("profile") == block_profile,
                "blocked_in_store": sub.contract.blocked,
            }
        )
    return Result(host=task.host, result=found + orphans, failed=refused)


@task("ppp.block", changes_device=True, view=CHANGE_VIEW)
def block(
    task: Task,
    contracts: Any = None,
    file: str | None = None,
    reason: str = "",
    method: str = "profile",
    settle: float = 15.0,
    overdue_days: int | None = None,
) -> Result:
    """Block contracts: blocking profile and/or list, drop the session, check the new one.

    With `overdue_days`, also every active unblocked contract with a bill unpaid for more
    than that many days; the reason recorded then names the bill's due date."""
    codes = contract_codes(contracts, file)
    if overdue_days is not None:
        codes += [c for c in overdue_contracts(run_store(), int(overdue_days)) if c not in codes]
    return _change(task, codes, "block", reason, method, settle)


@task("ppp.unblock", changes_device=True, view=CHANGE_VIEW)
def unblock(
    task: Task,
    contracts: Any = None,
    file: str | None = None,
    method: str = "profile",
    settle: float = 15.0,
) -> Result:
    """Unblock contracts: give back their profile, take them off the list, check the session."""
    return _change(task, contract_codes(contracts, file), "unblock", "", method, settle)


def _change(
    task: Task, codes: list[str], action: str, reason: str, method: str, settle: float
) -> Result:
    if method not in METHODS:
        raise ValueError(f"method {method!r}: choose one of {', '.join(METHODS)}")
    (block_profile, _, block_list), db, subs, orphans = _prepare(task, codes)
    driver = concentrator_driver_for(task.host)
    if task.is_dry_run():
        return Result(
            host=task.host,
            result={"commands": _preview(driver, subs, action, block_profile, block_list, method)},
        )
    if not subs:
        return _outcome(task, [], orphans)
    for attempt in (1, 2):
        try:
            _on_device(task, db, driver, subs, action, reason, method, settle)
            break
        except (*driver.session_lost, OSError) as exc:
            # Every change is idempotent: a new session reads the state again and finishes
            # what the lost one started (what it had done reads as already done).
            task.host.close_connection(driver.connection)
            if attempt == 2:
                raise RuntimeError(
                    f"the API session was lost twice ({type(exc).__name__}: {exc}); "
                    "contracts reported done so far are done; run it again to finish"
                ) from exc
            subs = [Subscriber(s.contract) for s in subs]
    return _outcome(task, subs, orphans)


def _on_device(
    task: Task,
    db: Database,
    driver: ConcentratorDriver,
    subs: list[Subscriber],
    action: str,
    reason: str,
    method: str,
    settle: float,
) -> None:
    block_profile, block_pool, block_list = block_settings(task)
    session = concentrator_session(task, driver)
    ranges = _read(session, driver, subs, block_pool, block_list)
    for sub in subs:
        _plan(driver, sub, action, reason, method, block_profile, block_list, ranges)
        problem = session.cannot_carry(sub.ops) if sub.ops else None
        if problem:
            # Refused before the store or the concentrator hears of it; the others go on.
            sub.status, sub.error, sub.ops = "failed", problem, []
    if action == "block":
        # Before anything changes: a run cut short after the profile is set still knows,
        # when resumed, which profile to give back on unblock.
        remember_profiles(
            db,
            {
                s.contract.code: s.previous_profile
                for s in subs
                if s.ops and s.previous_profile and s.previous_profile != block_profile
            },
        )
    _apply(session, driver, [s for s in subs if s.ops])
    dropped = [s for s in subs if s.status == "applied" and s.session is not None]
    _wait_for_sessions(session, driver, dropped, settle)
    _verify(session, driver, subs, action, method, ranges, block_list, block_profile)
    _record(db, subs, action, reason, block_profile)


def _plan(
    driver: ConcentratorDriver,
    sub: Subscriber,
    action: str,
    reason: str,
    method: str,
    block_profile: str,
    block_list: str,
    ranges: str,
) -> None:
    secret = sub.secret
    if secret is None:
        sub.status, sub.error = "failed", f"login {sub.login} is not on this concentrator"
        return
    if secret.get("remote-address"):
        sub.status = "failed"
        sub.error = (
            f"the secret has a fixed remote-address {secret['remote-address']}, which would "
            "keep the customer out of the blocking pool; clear it on the concentrator first"
        )
        return
    sub.previous_profile = str(secret.get("profile"))
    uses_profile = method in ("profile", "both")
    uses_list = method in ("address-list", "both")
    try:
        if action == "block":
            if not uses_profile and sub.session is None:
                sub.status = "failed"
                sub.error = "offline: no address to put on the list; block it with method=profile"
                return
            target = block_profile if uses_profile else sub.previous_profile
            if uses_profile and sub.previous_profile != block_profile:
                sub.ops.append(driver.set_profile(sub.login, block_profile))
            if uses_list and sub.session and sub.entry is None:
                comment = f"{sub.contract.code} {reason}".strip()[:120]
                sub.ops.append(driver.list_add(block_list, sub.address_before or "", comment))
            # Already on the blocking profile but still on a free address (a block cut short
            # before its session was dropped): drop it now.
            stale = bool(sub.address_before) and not in_ranges(str(sub.address_before), ranges)
            moved = uses_profile and (target != sub.previous_profile or stale)
        else:
            back = sub.contract.unblock_profile
            if uses_profile and sub.previous_profile == block_profile:
                if not back:
                    sub.status = "failed"
                    sub.error = "the store does not know the profile to give back; set it by hand"
                    return
                sub.ops.append(driver.set_profile(sub.login, back))
            if sub.entry is not None and sub.entry.get("dynamic") is not True:
                sub.ops.append(driver.list_remove(str(sub.entry[".id"])))
            # The block's entry for the address the session had before it dialled again.
            sub.ops += [driver.list_remove(str(row[".id"])) for row in sub.stale_entries]
            moved = uses_profile and sub.previous_profile == block_profile
    except (BadName, ValueError) as exc:
        sub.status, sub.error, sub.ops = "failed", str(exc), []
        return
    if moved and sub.session is not None:
        # The session keeps its old address until it dials again.
        sub.ops.append(driver.session_drop(str(sub.session[".id"])))
    if sub.ops:
        sub.status = "planned"
    elif sub.contract.blocked == (action == "block"):
        sub.status = "unchanged"
    else:
        # Done on the device already (by hand, or by a run cut short): the store catches up.
        sub.status = f"{action}ed (found so on the concentrator)"


def _apply(
    session: ConcentratorSession, driver: ConcentratorDriver, subs: list[Subscriber]
) -> None:
    """Send every planned change in one batch; a contract with a refused change is put back."""
    ops = [op for sub in subs for op in sub.ops]
    answers = iter(session.run(ops))
    broken = []
    for sub in subs:
        for op in sub.ops:
            answer = next(answers)
            sub.added_entry = driver.added_id(op, answer.rows) or sub.added_entry
            if answer.error and not driver.already_gone(op, answer.error):
                sub.status, sub.error = "failed", f"{op.text()}: {answer.error}"
                break
        else:
            sub.status = "applied"
            continue
        broken.append(sub)
    _put_back(session, driver, broken)


def _put_back(
    session: ConcentratorSession, driver: ConcentratorDriver, subs: list[Subscriber]
) -> None:
    """Undo what was applied for these contracts: profile back, our list entry removed."""
    undo = []
    for sub in subs:
        if sub.previous_profile:
            undo.append(driver.set_profile(sub.login, sub.previous_profile))
        if sub.added_entry:
            undo.append(driver.list_remove(sub.added_entry))
        if sub.address_after and sub.session is not None:
            # It already dialled again under the new profile: once more, under the old one.
            undo.append(driver.session_drop(str(sub.session[".id"])))
    answers = session.run(undo) if undo else []
    failed = [a.error for a in answers if a.error]
    for sub in subs:
        note = "; putting it back failed too: " + "; ".join(failed) if failed else "; put back"
        sub.error = f"{sub.error}{note}"


def _verify(
    session: ConcentratorSession,
    driver: ConcentratorDriver,
    subs: list[Subscriber],
    action: str,
    method: str,
    ranges: str,
    block_list: str,
    block_profile: str,
) -> None:
    """The post-checks: a new session's address in (or out of) the block pool and list."""
    applied = [s for s in subs if s.status == "applied"]
    if not applied:
        return
    [entries] = session.run([driver.address_list(block_list)])
    listed = {str(row.get("address")) for row in entries.rows}
    wrong = []
    for sub in applied:
        if sub.session is None:
            sub.status = f"{action}ed (offline: takes effect when it connects)"
            continue
        if sub.address_after is None:
            if method == "address-list":
                sub.address_after = sub.address_before
            else:
                sub.status = f"{action}ed (no new session within the wait; it takes effect "
                sub.status += "when it connects)"
                continue
        in_pool = in_ranges(sub.address_after, ranges)
        on_list = sub.address_after in listed
        # Blocked means on the list the walled-garden rules use; with the blocking profile,
        # also an address from the blocking pool (the profile puts it on the list).
        blocked_now = on_list if method == "address-list" else in_pool and on_list
        if action == "block" and not blocked_now:
            sub.status = "failed"
            sub.error = (
                f"after the block the session has {sub.address_after}, "
                f"{'not on the block list' if not on_list else 'outside the block pool'}"
            )
            wrong.append(sub)
        elif action == "unblock" and (in_pool or on_list):
            sub.status = "failed"
            sub.error = f"after the unblock the session still has {sub.address_after} blocked"
            wrong.append(sub)
        else:
            sub.status = f"{action}ed"
    _put_back(session, driver, wrong)


def _record(
    db: Database, subs: list[Subscriber], action: str, reason: str, block_profile: str
) -> None:
    done = [s for s in subs if s.status.startswith(f"{action}ed") or s.status == "unchanged"]
    # (statuses: blocked / unblocked, possibly with a note; unchanged; failed)
    if action == "block":
        record_blocks(
            db,
            [
                {
                    "code": s.contract.code,
                    "reason": _reason(s.contract, reason),
                    "unblock_profile": s.previous_profile
                    if s.previous_profile != block_profile
                    else None,
                    "address": s.address_after or s.address_before,
                }
                for s in done
                if s.status != "unchanged" or not s.contract.blocked
            ],
        )
    else:
        record_unblocks(
            db,
            [
                {"code": s.contract.code, "address": s.address_after or s.address_before}
                for s in done
                if s.status != "unchanged" or s.contract.blocked
            ],
        )


def _reason(contract: PppContract, given: str) -> str:
    """What the contract records: the reason given, and the overdue bill when there is one."""
    bill = (
        f"fatura vencida desde {contract.overdue_since:%d/%m/%Y}" if contract.overdue_since else ""
    )
    return "; ".join(part for part in (given, bill) if part) or contract.block_reason or "bloqueio"


def _outcome(task: Task, subs: list[Subscriber], orphans: list[dict[str, Any]]) -> Result:
    results = [s.report() for s in subs] + orphans
    failed = [r for r in results if r["status"] == "failed"]
    changed = any(s.status not in ("unchanged", "failed") for s in subs)
    if failed:
        first = failed[0]
        more = f" (and {len(failed) - 1} more)" if len(failed) > 1 else ""
        raise StepFailed(
            f"{len(failed)} of {len(results)} contracts failed; {first['contract']}: "
            f"{first['error']}{more}",
            results,
        )
    return Result(host=task.host, result=results, changed=changed)


def _preview(
    driver: ConcentratorDriver,
    subs: list[Subscriber],
    action: str,
    block_profile: str,
    block_list: str,
    method: str,
) -> list[str]:
    """What a run would send, with the values only the router knows shown as <...>."""
    if not subs:
        return []
    lines = [driver.secrets([s.login for s in subs]).text()]
    lines.append(driver.sessions([s.login for s in subs]).text())
    for sub in subs:
        if method in ("profile", "both"):
            profile = block_profile if action == "block" else "<profile before the block>"
            lines.append(driver.preview("set_profile", login=sub.login, profile=profile))
        if method in ("address-list", "both"):
            if action == "block":
                entry = {"list": block_list, "address": "<session address>", "comment": sub.login}
                lines.append(driver.preview("list_add", **entry))
            else:
                lines.append(driver.preview("list_remove", entry_id="<its entry>"))
        lines.append(driver.preview("session_drop", session_id=f"<session of {sub.login}>"))
    return lines
