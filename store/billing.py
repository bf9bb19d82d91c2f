"""Contracts as the billing side of PPPoE sees them: login, concentrator, blocks, overdue bills."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, select, update

from ispflow.store.bulk_sql import update_by_key
from ispflow.store.db import Database
from ispflow.store.schema import contracts


@dataclass(frozen=True)
class PppContract:
    code: str
    login: str | None
    concentrator: str | None
    status: str
    blocked: bool
    block_reason: str | None
    unblock_profile: str | None
    overdue_since: date | None


_CHUNK = 900  # codes a statement: under SQLite's old bound-parameter limit (999)

_PPP_COLUMNS = (
    contracts.c.code,
    contracts.c.pppoe_login,
    contracts.c.concentrator,
    contracts.c.status,
    contracts.c.blocked,
    contracts.c.block_reason,
    contracts.c.unblock_profile,
    contracts.c.overdue_since,
)


def ppp_contracts(
    db: Database, codes: Iterable[str], concentrator: str | None = None
) -> dict[str, PppContract]:
    """The named contracts the store knows (unknown codes are simply absent), or only those
    on one concentrator."""
    wanted = set(codes)
    with db.engine.connect() as conn:
        if concentrator is not None and len(wanted) > _CHUNK:
            # One concentrator's contracts are a few thousand at most: read them all and keep
            # the named ones, instead of sending thousands of codes for every concentrator.
            rows = conn.execute(
                select(*_PPP_COLUMNS).where(contracts.c.concentrator == concentrator)
            )
            return {row[0]: PppContract(*row) for row in rows.all() if row[0] in wanted}
        # A few codes: just their rows (a lookup of one contract reads one row, not the
        # concentrator's thousands, each handed over with the GIL let go and taken back).
        on_it = [] if concentrator is None else [contracts.c.concentrator == concentrator]
        ordered = sorted(wanted)
        found: dict[str, PppContract] = {}
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start : start + _CHUNK]
            rows = conn.execute(select(*_PPP_COLUMNS).where(contracts.c.code.in_(chunk), *on_it))
            found.update((row[0], PppContract(*row)) for row in rows.all())
    return found


def contracts_elsewhere(
    db: Database, codes: Iterable[str], concentrators: Collection[str]
) -> dict[str, PppContract | None]:
    """The named contracts that are on none of `concentrators`: what the store has of each,
    or None for a code the store does not know.

    In the usual case, every code known and on one of them, this reads one count per
    concentrator for each 900 codes rather than every contract: a worker thread that reads
    ten thousand rows hands the GIL over once a row."""
    ordered = sorted(set(codes))
    found: dict[str, PppContract | None] = {}
    with db.engine.connect() as conn:
        for start in range(0, len(ordered), _CHUNK):
            chunk = ordered[start : start + _CHUNK]
            counted = conn.execute(
                select(contracts.c.concentrator, func.count())
                .where(contracts.c.code.in_(chunk))
                .group_by(contracts.c.concentrator)
            ).all()
            if sum(n for _, n in counted) == len(chunk) and all(
                name in concentrators for name, _ in counted
            ):
                continue
            rows = conn.execute(select(*_PPP_COLUMNS).where(contracts.c.code.in_(chunk)))
            known = {row[0]: PppContract(*row) for row in rows.all()}
            for code in chunk:
                contract = known.get(code)
                if contract is None or contract.concentrator not in concentrators:
                    found[code] = contract
    return found


def overdue_contracts(db: Database, days: int, today: date | None = None) -> list[str]:
    """Active, unblocked contracts with a bill unpaid for more than `days` days."""
    limit = (today or datetime.now(UTC).date()) - timedelta(days=days)
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(contracts.c.code)
            .where(
                and_(
                    contracts.c.status == "active",
                    contracts.c.blocked.is_(False),
                    contracts.c.overdue_since.is_not(None),
                    contracts.c.overdue_since < limit,
                )
            )
            .order_by(contracts.c.code)
        )
        return [row[0] for row in rows]


def blocked_addresses(db: Database, concentrator: str) -> list[str]:
    """The addresses the store has for the blocked contracts on one concentrator."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(contracts.c.ip_address).where(
                contracts.c.concentrator == concentrator,
                contracts.c.blocked.is_(True),
                contracts.c.ip_address.is_not(None),
            )
        )
        return [row[0] for row in rows]


def remember_profiles(db: Database, profiles: dict[str, str]) -> None:
    """Keep each contract's current PPP profile, to give back when it is unblocked."""
    _update_many(db, [{"b_code": c, "unblock_profile": p} for c, p in profiles.items()])


def record_blocks(db: Database, blocks: Sequence[dict[str, Any]]) -> None:
    """Mark contracts blocked: each dict has code, reason, unblock_profile, address."""
    now = datetime.now(UTC)
    _update_many(
        db,
        [
            {
                "b_code": b["code"],
                "blocked": True,
                "block_reason": b["reason"],
                "blocked_at": now,
                **({"unblock_profile": b["unblock_profile"]} if b.get("unblock_profile") else {}),
                **({"ip_address": b["address"]} if b.get("address") else {}),
            }
            for b in blocks
        ],
    )


def record_unblocks(db: Database, unblocks: Sequence[dict[str, Any]]) -> None:
    """Mark contracts unblocked (and their overdue bill settled): code, address."""
    _update_many(
        db,
        [
            {
                "b_code": u["code"],
                "blocked": False,
                "block_reason": None,
                "blocked_at": None,
                "unblock_profile": None,
                "overdue_since": None,
                **({"ip_address": u["address"]} if u.get("address") else {}),
            }
            for u in unblocks
        ],
    )


def _update_many(db: Database, rows: Sequence[dict[str, Any]]) -> None:
    """Many contracts' columns in one transaction. On SQLite, a few statements for the lot:
    an executemany is one GIL hand-over per row, which beside busy worker threads takes
    milliseconds a row. Elsewhere one UPDATE statement per set of columns, executed for many
    contracts at once."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    if not groups:
        return
    with db.writing() as conn:
        for columns, members in groups.items():
            setting = [c for c in columns if c != "b_code"]
            if update_by_key(conn, contracts, "code", setting, members, key_field="b_code"):
                continue
            statement = (
                update(contracts)
                .where(contracts.c.code == bindparam("b_code"))
                .values({c: bindparam(c) for c in setting})
            )
            conn.execute(statement, members)
