"""The lab's concentrators and their subscribers, consistent with the store the lab seeds.

Contract number n (1, 2, ... in the order of the lab's ONU list) has the PPPoE login
`cliente{1000+n}`, a plan, and maybe an overdue bill or a block; `subscriber(n)` says which,
for both the concentrators built here and the store seeding (lab/seed_store.py). An OLT's
customers all dial into the same concentrator: OLT i goes to concentrator i mod K.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ispflow.lab.behaviour import Behaviour
from ispflow.lab.routeros.base_config import configure_base, serve_pppoe
from ispflow.lab.routeros.device import Concentrator
from ispflow.lab.routeros.server import ApiDevice

PLATFORM = "mikrotik_routeros"
BLOCK_PROFILE = "bloqueio"
BLOCK_POOL = "bloqueados"
BLOCK_LIST = "bloqueados"
CUSTOMER_POOL = "clientes"
# Plan -> (PPP profile, rate limit as rx/tx from the router's side: upload/download).
PLANS: dict[str, tuple[str, str]] = {
    "FIBRA 300M": ("plano-300m", "150M/300M"),
    "FIBRA 500M": ("plano-500m", "250M/500M"),
    "FIBRA 1G": ("plano-1g", "500M/1G"),
    "EMPRESA 600M": ("empresa-600m", "600M/600M"),
}
OVERDUE_EVERY = 9  # one contract in nine has an overdue bill...
BLOCKED_EVERY = 27  # ...and one in twenty-seven is already blocked for it


@dataclass(frozen=True)
class Subscriber:
    number: int
    login: str
    plan: str
    overdue_days: int | None  # days since the oldest unpaid bill fell due
    blocked: bool

    @property
    def code(self) -> str:
        return f"C-{1000 + self.number}"

    @property
    def profile(self) -> str:
        return BLOCK_PROFILE if self.blocked else self.unblock_profile

    @property
    def unblock_profile(self) -> str:
        """The plan's profile: what the secret had before a block, given back on unblock."""
        return PLANS[self.plan][0]


def subscriber(number: int) -> Subscriber:
    plan = list(PLANS)[number % len(PLANS)]
    overdue = 5 + (number * 7) % 55 if number % OVERDUE_EVERY == 0 else None
    return Subscriber(
        number=number,
        login=f"cliente{1000 + number}",
        plan=plan,
        overdue_days=overdue,
        blocked=number % BLOCKED_EVERY == 0,
    )


def concentrator_names(count: int) -> list[str]:
    return [f"bras-{i + 1:02d}" for i in range(count)]


def concentrator_of(olt_index: int, count: int) -> str:
    return concentrator_names(count)[olt_index % count]


def build_concentrators(
    count: int,
    olts: Sequence[Mapping[str, Any]],
    onus: Sequence[Mapping[str, Any]],
    *,
    base_port: int,
    seed: int,
    latency_ms: float = 0.0,
    login_ms: float = 0.0,
    redial_s: float = 0.05,
) -> list[ApiDevice]:
    """Concentrators with pools, profiles, blocking rules, and a secret (and, when its ONU is
    online, a PPPoE session) for every installed contract of their OLTs."""
    if count <= 0:
        return []
    names = concentrator_names(count)
    olt_index = {olt["name"]: i for i, olt in enumerate(olts)}
    devices = []
    for i, name in enumerate(names):
        # Up for some weeks already, each its own time, as routers in the field are.
        up_for = (23 + 4 * i) * 86400 + 10 * 3600 + 5 * 60 + 17 * i
        router = Concentrator(name, redial_s=redial_s, up_for_s=up_for)
        community = f"isp{random.Random(f'{seed}:{name}').getrandbits(40):010x}"
        configure_base(router, i, community=community)
        _configure(router, i)
        behaviour = Behaviour(command_latency=latency_ms / 1000, login_latency=login_ms / 1000)
        # A concentrator stands where the first OLT it serves does.
        site = str(olts[i].get("site", "")) if i < len(olts) else ""
        devices.append(ApiDevice(router, behaviour, base_port + i if base_port else 0, site=site))
    rng = random.Random(f"{seed}:concentrators")
    for number, onu in enumerate(onus, start=1):
        if onu.get("onu_id") is None:
            continue  # not installed yet: its secret comes with the installation
        who = subscriber(number)
        router = devices[olt_index[onu["olt"]] % count].concentrator
        router.add(
            "/ppp/secret",
            name=who.login,
            password=f"{rng.getrandbits(48):012x}",
            service="pppoe",
            profile=who.profile,
            comment=who.code,
        )
        router.plug(who.login, _cpe_mac(onu, number), online=onu.get("condition") != "offline")
    return devices


def _configure(router: Concentrator, i: int) -> None:
    customers = f"100.{64 + i}.0.2-100.{64 + i}.63.254"
    blocked = f"100.{96 + i}.0.2-100.{96 + i}.15.254"
    router.add("/ip/pool", name=CUSTOMER_POOL, ranges=customers)
    router.add("/ip/pool", name=BLOCK_POOL, ranges=blocked)
    for profile, rate in PLANS.values():
        router.add(
            "/ppp/profile",
            name=profile,
            local_address=f"100.{64 + i}.0.1",
            remote_address=CUSTOMER_POOL,
            rate_limit=rate,
            only_one="yes",
        )
    router.add(
        "/ppp/profile",
        name=BLOCK_PROFILE,
        local_address=f"100.{96 + i}.0.1",
        remote_address=BLOCK_POOL,
        address_list=BLOCK_LIST,
        rate_limit="1M/1M",
        only_one="yes",
    )
    serve_pppoe(router, "default")
    # The usual walled garden: web to the warning page, DNS allowed, the rest dropped.
    router.add(
        "/ip/firewall/nat",
        chain="dstnat",
        action="dst-nat",
        protocol="tcp",
        dst_port="80",
        src_address_list=BLOCK_LIST,
        to_addresses="10.255.0.10",
        to_ports="80",
        comment="aviso de bloqueio",
    )
    router.add(
        "/ip/firewall/filter",
        chain="forward",
        action="accept",
        protocol="udp",
        dst_port="53",
        src_address_list=BLOCK_LIST,
        comment="bloqueados: DNS",
    )
    router.add(
        "/ip/firewall/filter",
        chain="forward",
        action="drop",
        src_address_list=BLOCK_LIST,
        comment="bloqueados: resto",
    )


def _cpe_mac(onu: Mapping[str, Any], number: int) -> str:
    mac = onu.get("mac")
    if mac:
        return str(mac).upper()
    return "E4:8D:8C:" + ":".join(f"{(number >> shift) & 0xFF:02X}" for shift in (16, 8, 0))


def describe_concentrators(devices: Sequence[ApiDevice], host: str) -> list[dict[str, Any]]:
    """For lab.json: each concentrator's address and its subscribers' logins."""
    return [
        {
            "name": device.name,
            "host": host,
            "port": device.port,
            "site": device.site,
            "platform": PLATFORM,
            "tls": device.tls,
            "secrets": sorted(
                item["name"] for item in device.concentrator.items["/ppp/secret"].values()
            ),
        }
        for device in devices
    ]
