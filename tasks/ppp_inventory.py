"""Concentrator resources kept in shape: IP pools (the "IP bank") and firewall address lists.

Both compare what the concentrator has with what is wanted and send only the difference;
run twice, the second run changes nothing.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from nornir.core.task import Result, Task

from ispflow.core.csv_items import read_csv, resolve_csv
from ispflow.core.views import TaskView
from ispflow.plugins.concentrator.contract import ApiOp
from ispflow.plugins.concentrator.drivers import concentrator_driver_for
from ispflow.plugins.concentrator.ranges import overlap, parse_ranges
from ispflow.store.billing import blocked_addresses
from ispflow.tasks.ppp import concentrator_session, run_store
from ispflow.tasks.registry import task


def _normal(ranges: str) -> str:
    return ",".join(f"{a}-{b}" for a, b in parse_ranges(ranges))


@task(
    "pool.ensure",
    changes_device=True,
    view=TaskView(columns=("pool", "action", "ranges", "was")),
)
def pool_ensure(task: Task, pool: str, ranges: str, next_pool: str | None = None) -> Result:
    """Create the pool with these ranges, or resize it; refuse overlaps and stranded leases."""
    driver = concentrator_driver_for(task.host)
    wanted = _normal(ranges)
    add = driver.pool_add(pool, wanted, next_pool)
    if task.is_dry_run():
        resize = driver.pool_set(pool, wanted, next_pool)
        commands = [add.text(), "(or, if it exists)", resize.text()]
        return Result(host=task.host, result={"commands": commands})
    session = concentrator_session(task, driver)
    pools, used = session.run([driver.pools(), driver.pool_used(pool)])
    if pools.error or used.error:
        raise RuntimeError(f"reading the pools failed: {pools.error or used.error}")
    current = next((row for row in pools.rows if row.get("name") == pool), None)
    for other in pools.rows:
        if other.get("name") == pool:
            continue
        clash = overlap(wanted, str(other.get("ranges", "")))
        if clash:
            raise ValueError(
                f"range {clash[0]} overlaps pool {other['name']} ({clash[1]}); nothing changed"
            )
    if current is not None:
        if _normal(str(current.get("ranges", ""))) == wanted and (
            not next_pool or current.get("next-pool") == next_pool
        ):
            return Result(host=task.host, result={"pool": pool, "ranges": wanted, "action": "none"})
        outside = [
            str(row["address"]) for row in used.rows if not _inside(str(row.get("address")), wanted)
        ]
        if outside:
            raise ValueError(
                f"{len(outside)} address(es) in use would fall outside the new ranges "
                f"(first {outside[0]}); move those sessions first; nothing changed"
            )
    op = driver.pool_set(pool, wanted, next_pool) if current else add
    [answer] = session.run([op])
    if answer.error:
        raise RuntimeError(f"{op.text()}: {answer.error}")
    result = {
        "pool": pool,
        "ranges": wanted,
        "action": "resized" if current else "created",
        "was": current.get("ranges") if current else None,
    }
    return Result(host=task.host, result=result, changed=True)


def _inside(address: str, ranges: str) -> bool:
    ip = ipaddress.IPv4Address(address)
    return any(first <= ip <= last for first, last in parse_ranges(ranges))


@task(
    "address_list.sync",
    changes_device=True,
    view=TaskView(columns=("list", "added", "removed", "kept")),
)
def address_list_sync(
    task: Task,
    list: str,  # noqa: A002 - the concentrators' own name for it
    file: str | None = None,
    source: str = "file",
    comment: str = "ispflow",
) -> Result:
    """Make a list's static entries equal to a set: a CSV (`address` column; optional
    `concentrator`) or `source=blocked` (the store's blocked contracts on this concentrator).
    Dynamic entries (added by PPP profiles) are the router's and are left alone."""
    driver = concentrator_driver_for(task.host)
    wanted = _wanted(task, file, source)
    if task.is_dry_run():
        return Result(
            host=task.host,
            result={
                "commands": [driver.address_list(list).text()]
                + [driver.list_add(list, a, comment).text() for a in sorted(wanted)]
                + [driver.preview("list_remove", entry_id="<each static entry not wanted>")]
            },
        )
    session = concentrator_session(task, driver)
    [present] = session.run([driver.address_list(list)])
    if present.error:
        raise RuntimeError(f"reading the list failed: {present.error}")
    static = {
        str(r["address"]): str(r[".id"]) for r in present.rows if r.get("dynamic") is not True
    }
    dynamic = {str(r["address"]) for r in present.rows if r.get("dynamic") is True}
    adds = sorted(wanted - set(static) - dynamic, key=ipaddress.ip_address)
    removes = sorted(set(static) - wanted, key=ipaddress.ip_address)
    ops: list[ApiOp] = [driver.list_add(list, a, comment) for a in adds]
    ops += [driver.list_remove(static[a]) for a in removes]
    errors = [
        f"{op.text()}: {a.error}" for op, a in zip(ops, session.run(ops), strict=True) if a.error
    ]
    result: dict[str, Any] = {
        "list": list,
        "added": adds,
        "removed": removes,
        "kept": len(wanted) - len(adds),
    }
    if errors:
        result["errors"] = errors
        raise RuntimeError(f"{len(errors)} change(s) refused; first: {errors[0]}")
    return Result(host=task.host, result=result, changed=bool(ops))


def _wanted(task: Task, file: str | None, source: str) -> set[str]:
    if source == "blocked":
        return set(blocked_addresses(run_store(), task.host.name))
    if source != "file" or not file:
        raise ValueError("give file=addresses.csv (column `address`), or source=blocked")
    rows = read_csv(resolve_csv(file, None))
    if rows and "address" not in rows[0]:
        raise ValueError(f"{file}: needs an `address` column (has {', '.join(rows[0])})")
    wanted = set()
    for line, row in enumerate(rows, start=2):
        if row.get("concentrator") and row["concentrator"] != task.host.name:
            continue
        try:
            wanted.add(str(ipaddress.ip_address(row["address"])))
        except ValueError:
            raise ValueError(f"{file}:{line}: {row['address']!r} is not an IP address") from None
    return wanted
