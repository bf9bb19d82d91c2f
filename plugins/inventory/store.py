"""The store's OLTs as the Nornir inventory (plugin name `ispflow_store`).

The store knows an OLT's name, vendor, model, site, management address and SSH port (none
kept: the connection's usual 22) and its PON ports, which is enough to read or audit it; it
knows no concentrators, so this source suits OLT runbooks on a network whose store is kept in
sync (`ispflow inventory sync`, or `ispflow lab up` for the lab).
"""

from __future__ import annotations

from typing import Any

from nornir.core.inventory import Defaults, Group, Groups, Host, Hosts, Inventory, ParentGroups
from sqlalchemy import select

from ispflow.plugins.inventory.platforms import platform_of
from ispflow.store.db import open_database
from ispflow.store.schema import olts, pon_ports


class StoreInventory:
    def __init__(self, db: str | None = None) -> None:
        self.db = db

    def load(self) -> Inventory:
        database = open_database(self.db)
        try:
            with database.engine.connect() as conn:
                rows = conn.execute(select(olts).order_by(olts.c.name)).mappings().all()
                ports = conn.execute(
                    select(
                        pon_ports.c.olt_id, pon_ports.c.frame, pon_ports.c.slot, pon_ports.c.port
                    ).order_by(pon_ports.c.frame, pon_ports.c.slot, pon_ports.c.port)
                ).all()
        finally:
            database.close()
        pons: dict[int, list[str]] = {}
        for olt_id, frame, slot, port in ports:
            pons.setdefault(olt_id, []).append(f"{frame}/{slot}/{port}")

        defaults = Defaults()
        groups = Groups()
        hosts = Hosts()
        for row in rows:
            parents = ParentGroups()
            for name in dict.fromkeys(n for n in (row["site"], row["vendor"]) if n):
                if name not in groups:
                    groups[name] = Group(name=name, defaults=defaults)
                parents.append(groups[name])
            data: dict[str, Any] = {
                "role": "olt",
                "vendor": row["vendor"],
                "model": row["model"],
                "site": row["site"],
                "store_id": row["id"],
            }
            if row["id"] in pons:
                data["pons"] = pons[row["id"]]
            hosts[row["name"]] = Host(
                name=row["name"],
                hostname=row["mgmt_ip"],
                port=row["mgmt_port"],
                platform=platform_of(row["vendor"]),
                groups=parents,
                data=data,
                defaults=defaults,
            )
        return Inventory(hosts=hosts, groups=groups, defaults=defaults)
