"""Contracts as the billing side of PPPoE sees them: login, concentrator, blocks, overdue bills."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, select, update

from store.db import Database
from store.schema import contracts


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


def ppp_contracts(db: Database, codes: Iterable[str]) -> dict[str, PppContract]:
    """The named contracts the store knows (unknown codes are simply absent)."""
    wanted = sorted(set(codes))
    found: dict[str, PppContract] = {}
    with db.engine.connect() as conn:
        for start in range(0, len(wanted), 900):  # SQLite's bound-parameter limit
            chunk = wanted[start : start + 900]
            rows = conn.execute(
                select(
                    contracts.c.code,
                    contracts.c.pppoe_login,
                    contracts.c.concentrator,
                    contracts.c.status,
                    contracts.c.blocked,
                    contracts.c.block_reason,
                    contracts.c.unblock_profile,
                    contracts.c.overdue_since,
                ).where(contracts.c.code.in_(chunk))
            )
            for row in rows:
                found[row[0]] = PppContract(*row)
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


def remember_profiles(db: Database, profiles: dict[str, str]) -> None:
    """Keep each contract's current PPP profile, to give back when it is unblocked."""
    if not profiles:
        return
    with db.writing() as conn:
        for code, profile in profiles.items():
            conn.execute(
                update(contracts).where(contracts.c.code == code).values(unblock_profile=profile)
            )


def record_blocks(db: Database, blocks: Sequence[dict[str, Any]]) -> None:
    """Mark contracts blocked: each dict has code, reason, unblock_profile, address."""
    if not blocks:
        return
    now = datetime.now(UTC)
    with db.writing() as conn:
        for block in blocks:
            values: dict[str, Any] = {
                "blocked": True,
                "block_reason": block["reason"],
                "blocked_at": now,
            }
            if block.get("unblock_profile"):
                values["unblock_profile"] = block["unblock_profile"]
            if block.get("address"):
                values["ip_address"] = block["address"]
            conn.execute(update(contracts).where(contracts.c.code == block["code"]).values(values))


def record_unblocks(db: Database, unblocks: Sequence[dict[str, Any]]) -> None:
    """Mark contracts unblocked (and their overdue bill settled): code, address."""
    if not unblocks:
        return
    with db.writing() as conn:
        for unblock in unblocks:
            values: dict[str, Any] = {
                "blocked": False,
                "block_reason": None,
                "blocked_at": None,
                "unblock_profile": None,
                "overdue_since": None,
            }
            if unblock.get("address"):
                values["ip_address"] = unblock["address"]
            conn.execute(
                update(contracts).where(contracts.c.code == unblock["code"]).values(values)
            )
