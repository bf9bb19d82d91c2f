"""Fill the store with the customers, contracts, OLTs, PONs, CTOs and ONUs of a lab fleet.

Every authorized ONU in the lab gets a customer (Brazilian names, valid CPF/CNPJ check
digits, phones, addresses in the OLT's city) and an active contract pointing at it; ONUs
waiting in autofind get a pending contract with the serial the installer will bring, so
`onu-authorize` has real work to do. The same seed gives the same data.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Table, delete, insert

from ispflow.lab.profiles import concentrator_profile, lab_concentrator_vendor
from ispflow.store.db import Database
from ispflow.store.normalize import phone_key, search_key
from ispflow.store.schema import contracts, cto_ports, ctos, customers, olts, onus, pon_ports

FIRST = (
    "Ana", "Bruno", "Carla", "Daniel", "Eduarda", "Felipe", "Gabriela", "Henrique", "Isabela",
    "João", "Larissa", "Marcos", "Natália", "Otávio", "Patrícia", "Rafael", "Sônia", "Thiago",
    "Vitória", "Wagner", "Álvaro", "Cecília", "Luís", "Mônica",
)  # fmt: skip
LAST = (
    "Silva", "Santos", "Oliveira", "Souza", "Rodrigues", "Ferreira", "Alves", "Pereira", "Lima",
    "Gomes", "Costa", "Ribeiro", "Martins", "Carvalho", "Araújo", "Melo", "Barbosa", "Conceição",
)  # fmt: skip
STREETS = (
    "Rua das Flores",
    "Av. Brasil",
    "Rua XV de Novembro",
    "Rua Sete de Setembro",
    "Av. Ipiranga",
)
DISTRICTS = ("Centro", "Jardim América", "Vila Nova", "São João", "Bela Vista")


@dataclass
class LabOnu:
    olt: str
    vendor: str
    port: str  # "0/1/3"
    serial: str
    onu_id: int | None  # None while waiting in autofind
    cto: str | None = None
    cto_port: int | None = None
    vlan: int = 100
    model: str = ""
    description: str = ""  # as configured on the OLT


def cpf(rng: random.Random) -> str:
    digits = [rng.randint(0, 9) for _ in range(9)]
    for size in (9, 10):
        total = sum(d * w for d, w in zip(digits, range(size + 1, 1, -1), strict=False))
        digits.append(0 if total % 11 < 2 else 11 - total % 11)
    return "".join(map(str, digits))


def cnpj(rng: random.Random) -> str:
    digits = [rng.randint(0, 9) for _ in range(8)] + [0, 0, 0, 1]
    for weights in ((5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2), (6, 5, 4, 3, 2, 9, 8, 7, 6, 5, 4, 3, 2)):
        total = sum(d * w for d, w in zip(digits, weights, strict=False))
        digits.append(0 if total % 11 < 2 else 11 - total % 11)
    return "".join(map(str, digits))


def seed_lab(
    db: Database,
    olt_rows: Iterable[Mapping[str, Any]],
    lab_onus: Iterable[LabOnu],
    *,
    seed: int = 7,
    concentrators: int = 0,
) -> dict[str, int]:
    """Replace the store's lab data with this fleet's (one transaction); returns counts.

    With concentrators, each installed contract names its concentrator and PPPoE login, as
    the lab's concentrators have them (their vendor's lab profile), overdue bills and blocks
    included."""
    rng = random.Random(seed)
    counts = dict.fromkeys(
        ("olts", "pon_ports", "ctos", "customers", "contracts", "onus", "pending_onus"), 0
    )
    lab_onus = list(lab_onus)
    with db.engine.begin() as conn:
        for table in (contracts, onus, cto_ports, ctos, customers, pon_ports, olts):
            conn.execute(delete(table))
        olt_list = list(olt_rows)
        olt_ids = dict(
            zip(
                [row["name"] for row in olt_list],
                _insert_many(
                    conn,
                    olts,
                    [
                        # Each lab OLT listens on a port of its own, not on 22.
                        {k: row.get(k) for k in ("name", "vendor", "model", "site", "mgmt_ip")}
                        | {"mgmt_port": row.get("port") or None}
                        for row in olt_list
                    ],
                ),
                strict=True,
            )
        )
        counts["olts"] = len(olt_ids)
        pon_keys = list(dict.fromkeys((onu.olt, onu.port) for onu in lab_onus))
        pon_ids = dict(
            zip(
                pon_keys,
                _insert_many(
                    conn,
                    pon_ports,
                    [
                        dict(zip(("frame", "slot", "port"), _numbers(port), strict=True))
                        | {"olt_id": olt_ids[olt]}
                        for olt, port in pon_keys
                    ],
                ),
                strict=True,
            )
        )
        counts["pon_ports"] = len(pon_ids)
        cto_pon = {onu.cto: (onu.olt, onu.port) for onu in reversed(lab_onus) if onu.cto}
        cto_names = list(dict.fromkeys(onu.cto for onu in lab_onus if onu.cto))
        cto_ids = dict(
            zip(
                cto_names,
                _insert_many(
                    conn,
                    ctos,
                    [
                        {"code": code, "pon_port_id": pon_ids[cto_pon[code]], "ports_total": 16}
                        for code in cto_names
                    ],
                ),
                strict=True,
            )
        )
        counts["ctos"] = len(cto_ids)
        port_keys = list(
            dict.fromkeys((o.cto, o.cto_port) for o in lab_onus if o.cto and o.cto_port)
        )
        cto_port_ids = dict(
            zip(
                port_keys,
                _insert_many(
                    conn,
                    cto_ports,
                    [{"cto_id": cto_ids[cto], "number": number} for cto, number in port_keys],
                ),
                strict=True,
            )
        )
        # An ONU still in autofind is the one the installer brings for a pending
        # contract: known (serial, PON, VLAN) but without an id until authorized.
        onu_ids = _insert_many(
            conn,
            onus,
            [
                dict(zip(("frame", "slot", "port"), _numbers(onu.port), strict=True))
                | {
                    "olt_id": olt_ids[onu.olt],
                    "pon_port_id": pon_ids[(onu.olt, onu.port)],
                    "onu_index": onu.onu_id,
                    "serial": onu.serial,
                    "vlan": onu.vlan,
                    "onu_type": onu.model or None,
                    "description": onu.description or None,
                    "state": "authorized" if onu.onu_id is not None else "pending",
                }
                for onu in lab_onus
            ],
        )
        docs: set[str] = set()
        customer_ids = _insert_many(
            conn,
            customers,
            [_customer(rng, number, docs) for number in range(1, len(lab_onus) + 1)],
        )
        contract_rows = []
        olt_order = {row["name"]: i for i, row in enumerate(olt_list)}
        # Logins, plans and bills as the lab's concentrators have them.
        plant = concentrator_profile(lab_concentrator_vendor().name)
        today = datetime.now(UTC).date()
        for number, (onu, onu_row_id, customer_id) in enumerate(
            zip(lab_onus, onu_ids, customer_ids, strict=True), start=1
        ):
            who = plant.subscriber(number)
            installed = onu.onu_id is not None
            billing = installed and concentrators > 0
            overdue = (
                today - timedelta(days=who.overdue_days)
                if billing and who.overdue_days is not None
                else None
            )
            blocked = billing and who.blocked
            contract_rows.append(
                {
                    "code": who.code,
                    "customer_id": customer_id,
                    "plan": who.plan,
                    "status": "active" if installed else "pending",
                    "pppoe_login": who.login,
                    "concentrator": (
                        plant.concentrator_of(olt_order[onu.olt], concentrators)
                        if billing
                        else None
                    ),
                    "overdue_since": overdue,
                    "blocked": blocked,
                    "block_reason": f"fatura vencida desde {overdue:%d/%m/%Y}" if blocked else None,
                    "blocked_at": datetime.now(UTC) if blocked else None,
                    # As a block by ppp-block leaves it: the profile to give back on unblock.
                    "unblock_profile": who.unblock_profile if blocked else None,
                    "onu_id": onu_row_id,
                    "cto_port_id": cto_port_ids.get((onu.cto, onu.cto_port)),
                }
            )
        _insert_many(conn, contracts, contract_rows)
        waiting = sum(1 for onu in lab_onus if onu.onu_id is None)
        counts["onus"] = len(lab_onus) - waiting
        counts["pending_onus"] = waiting
        counts["customers"] = counts["contracts"] = len(lab_onus)
    db.checkpoint()
    return counts


def _numbers(port: str) -> tuple[int, ...]:
    return tuple(int(part) for part in port.split("/"))


def _insert_many(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert rows in batches; their new ids, in the rows' order."""
    if not rows:
        return []
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(conn.execute(statement, rows).scalars())


def _customer(rng: random.Random, number: int, docs: set[str]) -> dict[str, Any]:
    business = number % 17 == 0
    if business:
        name = f"{rng.choice(LAST)} & {rng.choice(LAST)} Comércio Ltda"
        make, doc_type = cnpj, "cnpj"
    else:
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"
        make, doc_type = cpf, "cpf"
    # Documents are unique in the store; a large fleet draws the same one now and then.
    doc = make(rng)
    while doc in docs:
        doc = make(rng)
    docs.add(doc)
    phones = [f"+55 51 9{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"]
    return {
        "code": f"CLI-{number:05d}",
        "name": name,
        "name_search": search_key(name),
        "doc": doc,
        "doc_type": doc_type,
        "phones": phones,
        "phone_search": phone_key(phones),
        "street": rng.choice(STREETS),
        "number": str(rng.randint(10, 2999)),
        "district": rng.choice(DISTRICTS),
        "city": "Porto Alegre",
        "state": "RS",
    }


def seed_from_fleet(db: Database, fleet: Mapping[str, Any]) -> dict[str, int]:
    """Seed the store from a running lab's lab.json (see lab/statefiles.py)."""
    lab_onus = [
        LabOnu(
            olt=row["olt"],
            vendor=row["vendor"],
            port=row["port"],
            serial=row["serial"],
            onu_id=row.get("onu_id"),
            cto=row.get("cto"),
            cto_port=row.get("cto_port"),
            vlan=int(row.get("vlan") or 100),
            model=row.get("model") or "",
            description=row.get("description") or "",
        )
        for row in fleet.get("onus", [])
    ]
    return seed_lab(
        db,
        fleet.get("olts", []),
        lab_onus,
        seed=int(fleet.get("seed", 7)),
        concentrators=len(fleet.get("concentrators", [])),
    )
