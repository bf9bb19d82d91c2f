"""SmartAX `display current-configuration`, built from the lab OLT's live state.

The layout follows the boxes: a `[MA5600V800R018: 8103]` version header, then one
`[section]` per configuration area, each opened by its `  <section>` tag and closed by `#`,
with `return` at the end. ONTs appear as the `ont add` lines that created them, inside their
board's `[gpon-F/S]` section; service ports in `[bbs-config]`. Passwords and SNMP communities
are written as ciphers, as the boxes write them; the ciphers are stable per OLT so two reads of
an unchanged OLT are the same text.
"""

from __future__ import annotations

import hashlib

from ispflow.lab.huawei.provision import LINE_PROFILE, SRV_PROFILE
from ispflow.lab.model import LabOlt, OnuView, ServicePort

_CIPHER_ALPHABET = (
    "!$%&()*+,-./0123456789:;=?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~"
)
_BUILD = {"MA5800": 8106}


def _cipher(seed: str, length: int) -> str:
    """A stable cipher-looking string (the boxes' reversible ciphers look like this)."""
    digest = hashlib.sha256(seed.encode()).digest()
    while len(digest) < length:
        digest += hashlib.sha256(digest).digest()
    return "".join(_CIPHER_ALPHABET[b % len(_CIPHER_ALPHABET)] for b in digest[:length])


def _profile_name(profile: str) -> str:
    return f"FTTH_{profile}" if profile.isdigit() else profile


def _version_header(olt: LabOlt) -> str:
    software = olt.model.software  # MA5600V800R018C10 -> MA5600V800R018
    release = software[: software.index("C", software.index("R"))] if "R" in software else software
    build = _BUILD.get(olt.model.name.split("-")[0], 8103)
    return f"[{release}: {build}]"


def _section(name: str, body: list[str]) -> list[str]:
    return ["#", f"[{name}]", f"  <{name}>", *body]


def _ont_add(port: int, view: OnuView) -> str:
    if view.serial:
        ident = f'sn-auth "{view.serial[:4].encode().hex().upper()}{view.serial[4:]}"'
    else:
        digits = (view.mac or "").replace(":", "")
        ident = f"mac-auth {digits[0:4]}-{digits[4:8]}-{digits[8:12]}"
    line_key = "ont-lineprofile-id" if view.line_profile.isdigit() else "ont-lineprofile-name"
    srv_key = "ont-srvprofile-id" if view.srv_profile.isdigit() else "ont-srvprofile-name"
    line = (
        f" ont add {port} {view.onu_id} {ident} omci {line_key} {view.line_profile} "
        f"{srv_key} {view.srv_profile}"
    )
    if view.description:
        line += f' desc "{view.description}"'
    return line


def _service_port(sp: ServicePort) -> str:
    line = (
        f" service-port {sp.index} vlan {sp.vlan} gpon {sp.pon} ont {sp.onu_id} "
        f"gemport {sp.gemport} multi-service user-vlan {sp.user_vlan} tag-transform "
        f"{sp.tag_transform}"
    )
    if sp.inbound is not None:
        line += f" inbound traffic-table index {sp.inbound}"
    if sp.outbound is not None:
        line += f" outbound traffic-table index {sp.outbound}"
    return line


def current_configuration(olt: LabOlt) -> list[str]:
    """The whole configuration as `display current-configuration` prints it."""
    with olt.lock:
        boards: dict[tuple[int, int], list[tuple[int, OnuView]]] = {}
        for pon in olt.pons.values():
            frame, slot, port = pon.address
            members = boards.setdefault((frame, slot), [])
            members += [(port, view) for view in olt.snapshot(pon.name)]
        service_ports = sorted(olt.service_ports.values(), key=lambda sp: sp.index)
        vlans = sorted({pon.vlan for pon in olt.populated()} | {sp.vlan for sp in service_ports})
    seed = olt.name
    ma5800 = olt.model.name.startswith("MA5800")
    control = olt.slots[-1] + 1
    uplink = control + 1

    global_config = [
        " sysname " + olt.name,
        " timezone GMT- 03:00",
    ]
    if ma5800:
        global_config += [
            " aaa",
            "  local-user root password irreversible-cipher "
            f"$1c${_cipher(seed + ':root', 22)}${_cipher(seed + ':root2', 52)}$",
            "  local-user root privilege level 3",
            "  local-user root service-type terminal ssh",
            "  quit",
        ]
    else:
        global_config += [
            f' terminal user name buildrun_new_password root "{_cipher(seed + ":root", 40)}" '
            '1 3 "admin user"',
            f" terminal user name history_password root *~$1b${_cipher(seed + ':old', 36)}$*",
        ]
    global_config += [
        " radius-server template rad-lab",
        f"  radius-server shared-key-cipher %^%#{_cipher(seed + ':radius', 32)}%^%#",
        "  radius-server authentication 10.0.0.3 1812",
        " ssh server-source all-interface",
        " stelnet server enable",
        " undo telnet server enable",
    ]

    device = [f" board add {frame}/{slot} {olt.model.board}" for frame, slot in boards]
    device.append(f" board add {olt.frame}/{uplink} {'H901GICF' if ma5800 else 'H801X2CS'}")

    vlan_config = [f" vlan {vlan} smart" for vlan in vlans]
    vlan_config += [f' vlan desc {vlan} description "FTTH_{vlan}"' for vlan in vlans]
    vlan_config += [f" port vlan {vlan} {olt.frame}/{uplink} 0" for vlan in vlans]

    public = [
        " snmp-agent community complexity-check disable",
        f" snmp-agent community read cipher %^%#{_cipher(seed + ':snmp-ro', 32)}%^%#",
        f" snmp-agent community write cipher %^%#{_cipher(seed + ':snmp-rw', 32)}%^%#",
        f' snmp-agent sys-info contact "noc@{olt.site}.example.net"',
        f' snmp-agent sys-info location "{olt.site.upper()}"',
        " snmp-agent sys-info version v2c",
        " snmp-agent usm-user v3 noc-v3 authentication-mode sha cipher "
        f"%^%#{_cipher(seed + ':v3-auth', 32)}%^%# privacy-mode aes128 cipher "
        f"%^%#{_cipher(seed + ':v3-priv', 32)}%^%#",
        " snmp-agent target-host trap address udp-domain 10.0.0.2 params securityname cipher "
        f"%^%#{_cipher(seed + ':trap', 24)}%^%# v2c",
        " ntp-service authentication enable",
        " ntp-service authentication-keyid 1 authentication-mode md5 cipher "
        f"%^%#{_cipher(seed + ':ntp', 24)}%^%#",
        " ntp-service unicast-server 10.0.0.1",
    ]

    line_profiles = {LINE_PROFILE}
    srv_profiles = {SRV_PROFILE}
    for members in boards.values():
        for _port, view in members:
            if view.line_profile.isdigit():
                line_profiles.add(view.line_profile)
            if view.srv_profile.isdigit():
                srv_profiles.add(view.srv_profile)
    gpon = ["  <gpon-lineprofile>"]
    for profile in sorted(line_profiles, key=int):
        gpon += [
            f' ont-lineprofile gpon profile-id {profile} profile-name "{_profile_name(profile)}"',
            f"  tcont 1 dba-profile-id {profile}",
            "  gem add 1 eth tcont 1",
            "  gem mapping 1 0 priority 0",
            "  commit",
            "  quit",
        ]
    gpon.append("  <gpon-srvprofile>")
    for profile in sorted(srv_profiles, key=int):
        gpon += [
            f' ont-srvprofile gpon profile-id {profile} profile-name "{_profile_name(profile)}"',
            "  ont-port eth adaptive pots adaptive",
            "  port vlan eth 1 transparent",
            "  commit",
            "  quit",
        ]

    lines = [_version_header(olt)]
    lines += _section("global-config", global_config)
    lines += _section("device-config", device)
    lines += _section("vlan-config", vlan_config)
    lines += _section("public-config", public)
    lines += ["#", "[gpon]", *gpon]
    for (frame, slot), members in boards.items():
        body = [f" interface gpon {frame}/{slot}"]
        body += [_ont_add(port, view) for port, view in members]
        body += [
            f" ont port native-vlan {port} {view.onu_id} eth 1 vlan {sps[0].user_vlan} priority 0"
            for port, view in members
            if (sps := view.service_ports)
        ]
        lines += _section(f"gpon-{frame}/{slot}", body)
    lines += _section("bbs-config", [_service_port(sp) for sp in service_ports])
    lines += ["#", "return"]
    return lines
