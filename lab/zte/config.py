"""ZXA10 `show running-config` and `show card`, built from the lab OLT's live state.

The configuration comes in ZXROS sections (`!<system-config>` … `!</system-config>`). C600
closes each block with `$` and opens with a `!<mim>` block that says when the configuration
was last changed and saved (a line that changes on its own, as on the real box); C300/C320
close blocks with `!`. ONUs are the `onu N type T sn S` lines of their PON interface, each
ONU's own lines follow in its `interface gpon-onu_…` block and its `pon-onu-mng` block;
C600 keeps service ports in `interface vport-…` blocks. Secrets are written as the boxes
write them and are stable per OLT.
"""

from __future__ import annotations

import hashlib
import threading
import time

from ispflow.lab.model import LabOlt, OnuView
from ispflow.lab.zte.provision import TCONT_PROFILE
from ispflow.lab.zte.render import Naming

_C600_CHANGES: dict[str, tuple[str, float]] = {}  # OLT name -> (digest of its body, when)
_C600_LOCK = threading.Lock()
CONTROL_CARDS = {"C320": ("SMXA", (3, 4)), "C300": ("SCXN", (10, 11)), "C600": ("SFUL", (10, 11))}
UPLINK_CARDS = {"C320": ("HUVQ", 5), "C300": ("GUFQ", 19), "C600": ("HUVQ", 19)}


def _secret(seed: str, length: int) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    while len(digest) < length:
        digest += hashlib.sha256(digest).digest()
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    return "".join(alphabet[b % 64] for b in digest[:length])


def _c600_stamp(t: float) -> str:
    # ZXROS writes these times as 13:59:37 Thu Oct 16 2025.
    return time.strftime("%H:%M:%S %a %b %d %Y", time.gmtime(t - 3 * 3600)).replace(" 0", " ")


def running_config(olt: LabOlt, naming: Naming) -> list[str]:
    """The whole configuration as `show running-config` prints it."""
    with olt.lock:
        views = [view for pon in olt.pons for view in olt.snapshot(pon)]
        pons = list(olt.pons)
        vlans = sorted({pon.vlan for pon in olt.populated()})
    c600 = naming.c600
    end = "$" if c600 else "!"
    seed = olt.name
    body: list[str] = []

    def section(name: str, lines: list[str]) -> None:
        body.extend([f"!<{name}>", *lines, f"!</{name}>"])

    section("system-config", [f"hostname {olt.name}"])
    if c600:
        section(
            "system-user",
            [
                "system-user",
                "  user-name zte",
                "    bind authentication-template 1",
                "    bind authorization-template 1",
                f"    password encrypted *21*{_secret(seed + ':zte', 72)}",
                "  $",
                "$",
            ],
        )
    else:
        section(
            "system-user",
            [
                "username zte password zte privilege 15",
                f"enable secret level 15 5 {_secret(seed + ':enable', 24)}",
                f"tacacs-server host 10.0.0.4 key {_secret(seed + ':tacacs', 12)}",
            ],
        )
    interfaces: list[str] = []
    for pon in pons:
        interfaces += [f"interface {naming.olt_if(pon)}", end]
    for view in views:
        interfaces += [f"interface {naming.onu_if(view.pon, view.onu_id)}", end]
        if c600:
            for sp in view.service_ports:
                interfaces += [f"interface vport-{view.pon}.{view.onu_id}:{sp.gemport}", end]
    section("if-intf", interfaces)

    xpon = ["gpon", f"  profile tcont {TCONT_PROFILE} type 4 maximum 512000", end, "pon"]
    for onu_type in sorted({view.onu_type for view in views if view.onu_type}):
        xpon.append(f"  onu-type {onu_type} gpon description {onu_type}")
    xpon.append(end)
    by_pon: dict[str, list[OnuView]] = {}
    for view in views:
        by_pon.setdefault(view.pon, []).append(view)
    for pon in pons:
        if pon not in by_pon:
            continue
        xpon.append(f"interface {naming.olt_if(pon)}")
        for view in by_pon[pon]:
            key = f"sn {view.serial}" if view.serial else f"mac {view.mac}"
            xpon.append(f"  onu {view.onu_id} type {view.onu_type or 'GPON'} {key}")
        xpon.append(end)
    for view in views:
        xpon.append(f"interface {naming.onu_if(view.pon, view.onu_id)}")
        for line in view.if_config:
            if c600 and line.startswith("switchport "):
                continue  # C600 maps GEM ports to vport interfaces instead
            xpon.append(f"  {line}")
        if not c600:
            xpon += [
                f"  service-port {sp.index} vport {sp.gemport} user-vlan {sp.user_vlan} "
                f"vlan {sp.vlan}"
                for sp in view.service_ports
            ]
        xpon.append(end)
    for view in views:
        if view.mng_config:
            xpon.append(f"pon-onu-mng {naming.onu_if(view.pon, view.onu_id)}")
            xpon += [f"  {line}" for line in view.mng_config]
            xpon.append(end)
    section("xpon", xpon)

    if c600:
        msan: list[str] = []
        for view in views:
            for sp in view.service_ports:
                msan += [
                    f"interface vport-{view.pon}.{view.onu_id}:{sp.gemport}",
                    f"  service-port {sp.index} user-vlan {sp.user_vlan} vlan {sp.vlan}",
                    end,
                ]
        msan.append("vlan list " + ",".join(str(vlan) for vlan in vlans))
        for vlan in vlans:
            msan += [f"vlan {vlan}", f"  name FTTH_{vlan}", end]
        section("MSAN", msan)
        section(
            "snmp",
            [
                f"snmp-server community encrypted *31*{_secret(seed + ':snmp', 56)} "
                "view AllView rw",
                "snmp-server version v2c enable",
                f"snmp-server user noc-v3 grp-noc v3 encrypted auth sha {_secret(seed + ':v3a', 28)} "
                f"priv aes {_secret(seed + ':v3p', 28)}",
                f"snmp-server host 10.0.0.2 trap version 2c {_secret(seed + ':trap', 10)} "
                "udp-port 162",
            ],
        )
    else:
        vlan_lines: list[str] = []
        for vlan in vlans:
            vlan_lines += [f"vlan {vlan}", f"  name FTTH_{vlan}", "!"]
        section("vlan", vlan_lines)
        section(
            "snmp",
            [
                "snmp-server community public view allview ro",
                f"snmp-server community {_secret(seed + ':snmp-rw', 12)} view allview rw",
                f"snmp-server location {olt.site.upper()}",
                f"snmp-server user noc-v3 grp-noc v3 auth sha {_secret(seed + ':v3a', 16)} "
                f"priv des {_secret(seed + ':v3p', 16)}",
                f"snmp-server host 10.0.0.2 trap version 2c {_secret(seed + ':trap', 10)} "
                "udp-port 162",
            ],
        )
    if not c600:
        return ["Building configuration...", *body, "end"]
    return [*_c600_mim(olt, body), *body]


def _c600_mim(olt: LabOlt, body: list[str]) -> list[str]:
    """When the configuration last changed: the first read of a changed body moves it on."""
    digest = hashlib.sha256("\n".join(body).encode()).hexdigest()
    with _C600_LOCK:
        seen = _C600_CHANGES.get(olt.name)
        if seen is None:
            changed = olt.started_at
        elif seen[0] != digest:
            changed = olt.clock()
        else:
            changed = seen[1]
        _C600_CHANGES[olt.name] = (digest, changed)
    return [
        "!<mim>",
        f"!configuration saved at {_c600_stamp(olt.started_at)} by write zdb",
        f"!last configuration change at {_c600_stamp(changed)} by zte",
        "!</mim>",
    ]


def card(olt: LabOlt) -> list[str]:
    """`show card`: line cards, control cards, uplink card."""
    software = olt.model.software
    rows: list[tuple[int, str, str, str]] = [
        (slot, olt.model.board, "16", "INSERVICE") for slot in olt.slots
    ]
    control, control_slots = CONTROL_CARDS.get(olt.model.name, ("SMXA", (3, 4)))
    for number, slot in enumerate(control_slots):
        if slot not in olt.slots:
            rows.append((slot, control, "0", "INSERVICE" if number == 0 else "STANDBY"))
    uplink, uplink_slot = UPLINK_CARDS.get(olt.model.name, ("HUVQ", 5))
    if uplink_slot not in olt.slots:
        rows.append((uplink_slot, uplink, "4", "INSERVICE"))
    lines = [
        "Rack Shelf Slot CfgType RealType Port  HardVer SoftVer         Status",
        "-" * 74,
    ]
    for slot, name, ports, status in sorted(rows):
        lines.append(
            f"{1:<5}{1:<6}{slot:<5}{name:<8}{name:<9}{ports:<6}{'V1.0.0':<8}{software:<16}{status}"
        )
    return lines
