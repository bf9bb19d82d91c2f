"""Bringing the store's OLTs in line with an inventory source (NetBox): `ispflow inventory sync`.

Each OLT host becomes (or updates) a row of `olts` with its vendor, model, site, management
address and port (none: the connection's usual one), and gets its PON ports: the host's `pons`
list, else `pon_ports` ports numbered the way its vendor's driver numbers a first board. PON
ports are only added: one the source no longer lists may still hold ONUs. OLTs the store has
and the source does not are reported, and deleted only when asked (`prune`), with their PON
ports and ONUs. One transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from nornir.core.inventory import Host
from sqlalchemy import Connection, delete, func, insert, select, update

from ispflow.plugins.olt.drivers import driver_for, host_pons
from ispflow.store.db import Database
from ispflow.store.schema import olts, onus, pon_ports

FIELDS = ("vendor", "model", "site", "mgmt_ip", "mgmt_port")


@dataclass
class SyncReport:
    dry_run: bool
    created: list[str] = field(default_factory=list)
    updated: dict[str, dict[str, Any]] = field(default_factory=dict)
    unchanged: list[str] = field(default_factory=list)
    gone: list[str] = field(default_factory=list)  # in the store, not in the source
    pruned: list[str] = field(default_factory=list)
    pon_ports_added: int = 0
    problems: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "gone": self.gone,
            "pruned": self.pruned,
            "pon_ports_added": self.pon_ports_added,
            "problems": self.problems,
        }


@dataclass(frozen=True)
class OltRecord:
    name: str
    values: dict[str, Any]
    pons: tuple[tuple[int, int, int], ...]


def olt_records(hosts: Iterable[Host], report: SyncReport) -> list[OltRecord]:
    """The OLT hosts as store rows; a host whose PONs cannot be worked out is a problem."""
    records = []
    for host in hosts:
        if host.get("role") != "olt":
            continue
        values = {
            "vendor": host.get("vendor"),
            "model": host.get("model"),
            "site": host.get("site"),
            "mgmt_ip": host.hostname,
            "mgmt_port": host.port,
        }
        if not values["vendor"]:
            report.problems[host.name] = "no vendor in the inventory"
            continue
        if host.port is not None:
            port = _tcp_port(host.port)
            if port is None:
                report.problems[host.name] = f"port {host.port!r} is not a TCP port (1-65535)"
                continue
            values["mgmt_port"] = port
        pons: tuple[tuple[int, int, int], ...] = ()
        if host.get("pons") or host.get("pon_ports"):
            try:
                pons = tuple((p.a, p.b, p.c) for p in host_pons(host, driver_for(host)))
            except ValueError as exc:
                report.problems[host.name] = str(exc)
                continue
        records.append(OltRecord(host.name, values, pons))
    return records


def _tcp_port(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        port = int(value)
    except (TypeError, ValueError):
        return None
    return port if 1 <= port <= 65535 else None


def sync_olts(
    db: Database,
    hosts: Iterable[Host],
    *,
    dry_run: bool = False,
    prune: bool = False,
    sites: Iterable[str] = (),
) -> SyncReport:
    """Upsert the OLT hosts into the store. `sites` limits which store OLTs can be "gone":
    a source filtered to some sites says nothing about the others."""
    report = SyncReport(dry_run=dry_run)
    records = olt_records(hosts, report)
    scope = set(sites)
    with db.writing() as conn:
        stored = {row["name"]: row for row in conn.execute(select(olts)).mappings()}
        for record in records:
            _upsert(conn, record, stored.get(record.name), report)
        seen = {record.name for record in records} | set(report.problems)
        report.gone = sorted(
            name
            for name, row in stored.items()
            if name not in seen and (not scope or row["site"] in scope)
        )
        if prune and report.gone:
            conn.execute(delete(olts).where(olts.c.name.in_(report.gone)))
            report.pruned = list(report.gone)
        if dry_run:
            conn.rollback()  # everything was worked out against the real rows; none of it kept
    return report


def _upsert(conn: Connection, record: OltRecord, row: Any, report: SyncReport) -> None:
    if row is None:
        olt_id = conn.execute(
            insert(olts).values(name=record.name, **record.values)
        ).inserted_primary_key[0]
        report.created.append(record.name)
        changes: dict[str, Any] = {}
    else:
        olt_id = row["id"]
        changes = {
            key: {"from": row[key], "to": value}
            for key, value in record.values.items()
            if row[key] != value
        }
        if changes:
            conn.execute(
                update(olts)
                .where(olts.c.id == olt_id)
                .values({key: change["to"] for key, change in changes.items()})
            )
    added = _add_pons(conn, int(olt_id), record.pons)
    report.pon_ports_added += added
    if row is None:
        return
    if added:
        changes["pon_ports"] = {"added": added}
    if changes:
        report.updated[record.name] = changes
    else:
        report.unchanged.append(record.name)


def _add_pons(conn: Connection, olt_id: int, pons: tuple[tuple[int, int, int], ...]) -> int:
    if not pons:
        return 0
    have = set(
        conn.execute(
            select(pon_ports.c.frame, pon_ports.c.slot, pon_ports.c.port).where(
                pon_ports.c.olt_id == olt_id
            )
        ).tuples()
    )
    new = [p for p in dict.fromkeys(pons) if p not in have]
    if new:
        conn.execute(
            insert(pon_ports),
            [{"olt_id": olt_id, "frame": a, "slot": b, "port": c} for a, b, c in new],
        )
    return len(new)


def onus_on(db: Database, names: Iterable[str]) -> int:
    """How many ONUs the store has on these OLTs (what a prune would delete with them)."""
    names = list(names)
    if not names:
        return 0
    with db.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(onus.join(olts, olts.c.id == onus.c.olt_id))
                .where(olts.c.name.in_(names))
            ).scalar()
            or 0
        )
