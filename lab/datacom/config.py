"""DmOS `show running-config` (whole, one PON's, the service ports), built from the lab OLT.

Blocks are indented one blank per level and closed by `!`, as DmOS prints its
configuration. Secrets are written as the box writes them and are stable per OLT.
"""

from __future__ import annotations

import hashlib
import weakref

from ispflow.lab.datacom.provision import service_descriptions
from ispflow.lab.model import LabOlt, OnuView, ServicePort


def _hash(seed: str) -> str:
    return "$1$" + hashlib.sha256(seed.encode()).hexdigest()[:22]


def onu_block(view: OnuView) -> list[str]:
    lines = [f" onu {view.onu_id}"]
    own = {line.split()[0]: line for line in view.if_config}
    if "name" in own:
        lines.append(f"  {own['name']}")
    lines.append(f"  serial-number {view.serial}")
    if "line-profile" in own:
        lines.append(f"  {own['line-profile']}")
    if "ethernet" in own:
        lines += ["  ethernet 1", f"   {own['ethernet'].split(' ', 2)[2]}", "  !"]
    return lines + [" !"]


def pon_config(pon: str, views: list[OnuView]) -> list[str]:
    lines = [f"interface gpon {pon}"]
    for view in views:
        lines += onu_block(view)
    return lines + ["!"]


def service_port_lines(sp: ServicePort, description: str | None) -> list[str]:
    target = (
        f" gpon {sp.pon} onu {sp.onu_id} gem {sp.gemport} match vlan vlan-id {sp.user_vlan} "
        f"action vlan replace vlan-id {sp.vlan}"
    )
    lines = [f"service-port {sp.index}", target]
    if description:
        lines.append(f" description {description}")
    return lines + ["!"]


def service_ports(olt: LabOlt, index: int | None = None) -> list[str]:
    with olt.lock:
        views = {(view.pon, view.onu_id): view for pon in olt.pons for view in olt.snapshot(pon)}
        table = sorted(olt.service_ports.values(), key=lambda sp: sp.index)
    lines: list[str] = []
    for sp in table:
        if index is not None and sp.index != index:
            continue
        view = views.get((sp.pon, sp.onu_id))
        described = service_descriptions(view.mng_config).get(sp.index) if view else None
        lines += service_port_lines(sp, described)
    return lines


# Local users added by `aaa user NAME` in a session, per OLT: NAME -> its password hash and
# group. `admin` is every OLT's own and is not kept here.
_USERS: weakref.WeakKeyDictionary[LabOlt, dict[str, dict[str, str]]] = weakref.WeakKeyDictionary()


def local_users(olt: LabOlt) -> list[str]:
    return ["admin", *sorted(_USERS.get(olt, {}))]


def set_local_user(olt: LabOlt, name: str, leaves: dict[str, str]) -> None:
    """A committed `aaa user NAME` block: the password as the box keeps it (hashed)."""
    if name == "admin":
        return  # the lab keeps the OLT's own account as it is
    user = _USERS.setdefault(olt, {}).setdefault(name, {"group": "audit"})
    if "password" in leaves:
        user["password"] = _hash(f"{olt.name}:{name}:{leaves['password']}")
    if "group" in leaves:
        user["group"] = leaves["group"]


def _user_blocks(olt: LabOlt) -> list[str]:
    lines = []
    for name, user in sorted(_USERS.get(olt, {}).items()):
        lines += [f"aaa user {name}", f" password {user['password']}", f" group {user['group']}"]
        lines.append("!")
    return lines


def running_config(olt: LabOlt) -> list[str]:
    seed = olt.name
    with olt.lock:
        per_pon = {pon: olt.snapshot(pon) for pon in olt.pons}
        vlans = sorted({pon.vlan for pon in olt.populated()})
        users = _user_blocks(olt)
    lines = [
        f"hostname {olt.name}",
        "aaa user admin",
        f" password {_hash(seed + ':admin')}",
        " group admin",
        "!",
        *users,
        "snmp community public",
        " sec-name public",
        "!",
        f"snmp community {_hash(seed + ':rw')[3:15]}",
        " sec-name noc",
        "!",
        "snmp user noc-v3 authentication-protocol sha authentication-password "
        f"{_hash(seed + ':v3a')[3:19]} privacy-protocol aes privacy-password "
        f"{_hash(seed + ':v3p')[3:19]}",
        "!",
        f"radius server 10.0.0.4 secret-key {_hash(seed + ':radius')[3:15]}",
        "!",
    ]
    for vlan in vlans:
        lines += ["dot1q", f" vlan {vlan}", f"  name FTTH_{vlan}", " !", "!"]
    for pon, views in per_pon.items():
        if views:
            lines += pon_config(pon, views)
    return lines + service_ports(olt)
