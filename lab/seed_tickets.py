"""Service orders for the lab's store: an installation order for every pending contract and
a day's worth of support orders, some urgent, some waiting on the customer for days (so
`ticket-auto-close` has something to do), some already claimed or closed."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update

from ispflow.store.db import Database
from ispflow.store.schema import contracts, customers, seals, service_order_actions, service_orders
from ispflow.store.tickets.store_backend import protocol_for

CAUSES = (
    "sem sinal",
    "lentidão",
    "queda intermitente",
    "troca de senha Wi-Fi",
    "mudança de cômodo",
)
CHANNELS = ("phone", "whatsapp", "app")
SUPPORT_QUEUES = ("remote-support", "on-site-visit", "hardware-maintenance")
TECHNICIANS = ("ana", "bruno", "carla")
# One support order per this many active contracts.
SUPPORT_EVERY = 12


def seed_service_orders(db: Database, *, seed: int = 7) -> dict[str, int]:
    """Replace the store's service orders and seals with the lab's (one transaction)."""
    rng = random.Random(seed * 31 + 5)
    now = datetime.now(UTC).replace(microsecond=0)
    with db.writing() as conn:
        conn.execute(update(contracts).values(seal_id=None))
        for table in (service_order_actions, service_orders, seals):
            conn.execute(delete(table))
        rows = conn.execute(
            select(
                contracts.c.id,
                contracts.c.code,
                contracts.c.status,
                contracts.c.customer_id,
                customers.c.street,
                customers.c.district,
                customers.c.city,
            )
            .join(customers, customers.c.id == contracts.c.customer_id)
            .order_by(contracts.c.id)
        ).all()
        orders: list[dict[str, Any]] = []
        for row in rows:
            if row.status == "pending":
                orders.append(_installation(rng, row, now))
            elif row.status == "active" and rng.randrange(SUPPORT_EVERY) == 0:
                orders.append(_support(rng, row, now))
        if not orders:
            return {"service_orders": 0}
        ids = list(
            conn.execute(
                insert(service_orders).returning(service_orders.c.id, sort_by_parameter_order=True),
                _uniform([{k: v for k, v in o.items() if not k.startswith("_")} for o in orders]),
            ).scalars()
        )
        conn.execute(
            update(service_orders)
            .where(service_orders.c.id == bindparam("order_id"))
            .values(protocol=bindparam("new_protocol")),
            [
                {"order_id": i, "new_protocol": protocol_for(o["opened_at"], i)}
                for i, o in zip(ids, orders, strict=True)
            ],
        )
        conn.execute(
            insert(service_order_actions),
            [
                action | {"service_order_id": order_id}
                for order_id, order in zip(ids, orders, strict=True)
                for action in order["_actions"]
            ],
        )
    return {"service_orders": len(orders)}


def _uniform(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same keys in every row: a multi-row insert binds one column list."""
    keys = {key for row in rows for key in row}
    return [dict.fromkeys(keys) | row for row in rows]


def _base(row: Any, opened: datetime) -> dict[str, Any]:
    return {
        "protocol": f"lab-{row.id}",
        "customer_id": row.customer_id,
        "contract_id": row.id,
        "street": row.street,
        "district": row.district,
        "city": row.city,
        "opened_at": opened,
        "status": "open",
        "status_since": opened,
        "urgent": False,
        "reviewed": False,
        "responsible_type": "internal",
    }


def _installation(rng: random.Random, row: Any, now: datetime) -> dict[str, Any]:
    opened = now - timedelta(days=rng.randint(1, 6), minutes=rng.randint(0, 600))
    visit = (now + timedelta(days=rng.randint(0, 3))).replace(
        hour=rng.choice((11, 13, 15, 17)), minute=0, second=0
    )
    return _base(row, opened) | {
        "subject": f"Instalação {row.code}",
        "queue": "installation",
        "cause": "instalação",
        "channel": "app",
        "responsible": "Equipe de instalação",
        "scheduled_at": visit,
        "_actions": [
            {"author": "vendas", "at": opened, "kind": "opened", "text": "contrato assinado"}
        ],
    }


def _support(rng: random.Random, row: Any, now: datetime) -> dict[str, Any]:
    opened = now - timedelta(days=rng.randint(0, 15), minutes=rng.randint(0, 600))
    cause = rng.choice(CAUSES)
    order = _base(row, opened) | {
        "subject": f"{cause.capitalize()} — {row.code}",
        "queue": rng.choice(SUPPORT_QUEUES),
        "cause": cause,
        "channel": rng.choice(CHANNELS),
        "responsible": "NOC",
        "urgent": rng.random() < 0.15,
        "reviewed": rng.random() < 0.3,
        "_actions": [{"author": "atendimento", "at": opened, "kind": "opened", "text": cause}],
    }
    fate = rng.random()
    if fate < 0.3:  # waiting on the customer since a while after opening
        since = min(opened + timedelta(hours=rng.randint(1, 48)), now)
        order |= {"status": "waiting", "status_since": since}
        order["_actions"].append(
            {"author": "atendimento", "at": since, "kind": "status", "text": "status waiting"}
        )
    elif fate < 0.5:
        owner = rng.choice(TECHNICIANS)
        at = min(opened + timedelta(minutes=rng.randint(5, 240)), now)
        order |= {"owner": owner, "locked_at": at}
        order["_actions"].append(
            {"author": owner, "at": at, "kind": "claim", "text": f"claimed by {owner}"}
        )
    elif fate < 0.6:
        at = min(opened + timedelta(hours=rng.randint(1, 30)), now)
        order |= {
            "status": "closed",
            "status_since": at,
            "closed_at": at,
            "solution_code": "RESOLVIDO-REMOTO",
            "solution_text": "reinício da ONU resolveu",
        }
        order["_actions"].append(
            {
                "author": "atendimento",
                "at": at,
                "kind": "close",
                "text": "closed [RESOLVIDO-REMOTO]",
            }
        )
    return order
