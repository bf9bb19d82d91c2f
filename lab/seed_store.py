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
from typing import Any

from sqlalchemy import delete, insert

from store.db import Database
from store.normalize import search_key
from store.schema import contracts, cto_ports, ctos, customers, olts, onus, pon_ports

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
PLANS = ("FIBRA 300M", "FIBRA 500M", "FIBRA 1G", "EMPRESA 600M")


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
) -> dict[str, int]:
    """Replace the store's lab data with this fleet's (one transaction); returns counts."""
    rng = random.Random(seed)
    counts = dict.fromkeys(
        ("olts", "pon_ports", "ctos", "customers", "contracts", "onus", "pending_onus"), 0
    )
    with db.engine.begin() as conn:
        for table in (contracts, onus, cto_ports, ctos, customers, pon_ports, olts):
            conn.execute(delete(table))
        olt_ids: dict[str, int] = {}
        for row in olt_rows:
            olt_ids[row["name"]] = conn.execute(
                insert(olts).values(
                    **{k: row.get(k) for k in ("name", "vendor", "model", "site", "mgmt_ip")}
                )
            ).inserted_primary_key[0]
            counts["olts"] += 1
        pon_ids: dict[tuple[str, str], int] = {}
        cto_ids: dict[str, int] = {}
        cto_port_ids: dict[tuple[str, int], int] = {}
        for number, onu in enumerate(lab_onus, start=1):
            frame, slot, port = (int(p) for p in onu.port.split("/"))
            key = (onu.olt, onu.port)
            if key not in pon_ids:
                pon_ids[key] = conn.execute(
                    insert(pon_ports).values(
                        olt_id=olt_ids[onu.olt], frame=frame, slot=slot, port=port
                    )
                ).inserted_primary_key[0]
                counts["pon_ports"] += 1
            if onu.cto and onu.cto not in cto_ids:
                cto_ids[onu.cto] = conn.execute(
                    insert(ctos).values(code=onu.cto, pon_port_id=pon_ids[key], ports_total=16)
                ).inserted_primary_key[0]
                counts["ctos"] += 1
            cto_port_id = None
            if onu.cto and onu.cto_port:
                port_key = (onu.cto, onu.cto_port)
                if port_key not in cto_port_ids:
                    cto_port_ids[port_key] = conn.execute(
                        insert(cto_ports).values(cto_id=cto_ids[onu.cto], number=onu.cto_port)
                    ).inserted_primary_key[0]
                cto_port_id = cto_port_ids[port_key]
            # An ONU still in autofind is the one the installer brings for a pending
            # contract: known (serial, PON, VLAN) but without an id until authorized.
            waiting = onu.onu_id is None
            onu_row_id = conn.execute(
                insert(onus).values(
                    olt_id=olt_ids[onu.olt],
                    pon_port_id=pon_ids[key],
                    frame=frame,
                    slot=slot,
                    port=port,
                    onu_index=onu.onu_id,
                    serial=onu.serial,
                    vlan=onu.vlan,
                    onu_type=onu.model or None,
                    state="pending" if waiting else "authorized",
                )
            ).inserted_primary_key[0]
            counts["onus" if not waiting else "pending_onus"] += 1
            customer_id = conn.execute(
                insert(customers).values(**_customer(rng, number))
            ).inserted_primary_key[0]
            counts["customers"] += 1
            conn.execute(
                insert(contracts).values(
                    code=f"C-{1000 + number}",
                    customer_id=customer_id,
                    plan=rng.choice(PLANS),
                    status="active" if onu.onu_id is not None else "pending",
                    pppoe_login=f"cliente{1000 + number}",
                    onu_id=onu_row_id,
                    cto_port_id=cto_port_id,
                )
            )
            counts["contracts"] += 1
    return counts


def _customer(rng: random.Random, number: int) -> dict[str, Any]:
    business = number % 17 == 0
    if business:
        name = f"{rng.choice(LAST)} & {rng.choice(LAST)} Comércio Ltda"
        doc, doc_type = cnpj(rng), "cnpj"
    else:
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"
        doc, doc_type = cpf(rng), "cpf"
    return {
        "code": f"CLI-{number:05d}",
        "name": name,
        "name_search": search_key(name),
        "doc": doc,
        "doc_type": doc_type,
        "phones": [f"+55 51 9{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}"],
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
        )
        for row in fleet.get("onus", [])
    ]
    return seed_lab(db, fleet.get("olts", []), lab_onus, seed=int(fleet.get("seed", 7)))
