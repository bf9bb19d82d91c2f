"""The router's own menus the lab models, beside the PPPoE ones in menus.py.

Interfaces (physical, VLAN and the dynamic `<pppoe-LOGIN>` ones of sessions), IP addresses
and ARP, the PPPoE server, router users, SNMP, the RouterBOARD and package update menus, and
files (where `/export file=...` writes). Field names and value types are RouterOS 7's, as an
API `print` shows them; what napalm-ros reads from each is here too.
"""

from __future__ import annotations

from ispflow.lab.routeros.menus import MENUS, Field, Menu, boolean, one_of


def _read_only(*names: str) -> dict[str, Field]:
    return {name: Field(read_only=True) for name in names}


COUNTERS = (
    "rx-byte", "tx-byte", "rx-packet", "tx-packet", "rx-drop", "tx-drop",
    "tx-queue-drop", "rx-error", "tx-error",
)  # fmt: skip
USER_GROUPS = one_of("full", "write", "read")

SYSTEM_MENUS: dict[str, Menu] = {
    menu.path: menu
    for menu in (
        Menu(
            "/interface",
            {
                "name": Field(required=True),
                **_read_only("default-name", "type", "actual-mtu", "l2mtu", "mac-address"),
                "mtu": Field(default="1500"),
                "comment": Field(default=""),
                **_read_only("last-link-up-time", "link-downs", "running", "slave", "dynamic"),
                "disabled": Field(boolean, default="false"),
                **_read_only(*COUNTERS),
            },
            key="name",
            unique=("name",),
            addable=False,  # interfaces come from their own menus (vlan, pppoe-server...)
            id_base=1,
        ),
        Menu(
            "/interface/pppoe-server/server",
            {
                "service-name": Field(required=True),
                "interface": Field(required=True),
                "default-profile": Field(default="default"),
                "authentication": Field(default="pap,chap,mschap1,mschap2"),
                "one-session-per-host": Field(boolean, default="false"),
                "max-mtu": Field(default="auto"),
                "max-mru": Field(default="auto"),
                "keepalive-timeout": Field(default="10"),
                "disabled": Field(boolean, default="true"),
            },
            key="service-name",
            unique=("service-name",),
        ),
        Menu(
            "/ip/address",
            {
                "address": Field(required=True),
                "network": Field(default=""),
                "interface": Field(required=True),
                "comment": Field(default=""),
                "disabled": Field(boolean, default="false"),
                **_read_only("actual-interface", "invalid", "dynamic"),
            },
            unique=("address", "interface"),
        ),
        Menu(
            "/ip/arp",
            {
                "address": Field(required=True),
                "mac-address": Field(default=""),
                "interface": Field(required=True),
                "published": Field(boolean, default="false"),
                "comment": Field(default=""),
                "disabled": Field(boolean, default="false"),
                **_read_only("invalid", "DHCP", "dynamic", "complete", "status"),
            },
        ),
        Menu(
            "/user",
            {
                "name": Field(required=True),
                "group": Field(USER_GROUPS, default="read"),
                "password": Field(default="", write_only=True, sensitive=True),
                "address": Field(default=""),
                "comment": Field(default=""),
                "disabled": Field(boolean, default="false"),
                **_read_only("last-logged-in", "expired"),
            },
            key="name",
            unique=("name",),
        ),
        Menu(
            "/snmp",
            {
                "enabled": Field(boolean, default="false"),
                "contact": Field(default=""),
                "location": Field(default=""),
                "engine-id": Field(default=""),
                "trap-version": Field(default="1"),
            },
            singleton=True,
        ),
        Menu(
            "/snmp/community",
            {
                "name": Field(required=True),
                "addresses": Field(default="::/0"),
                "security": Field(one_of("none", "authorized", "private"), default="none"),
                "read-access": Field(boolean, default="true"),
                "write-access": Field(boolean, default="false"),
                "authentication-protocol": Field(one_of("MD5", "SHA1"), default="MD5"),
                "authentication-password": Field(default="", sensitive=True),
                "encryption-protocol": Field(one_of("DES", "AES"), default="DES"),
                "encryption-password": Field(default="", sensitive=True),
                "comment": Field(default=""),
                "disabled": Field(boolean, default="false"),
                **_read_only("default"),
            },
            key="name",
            unique=("name",),
            id_base=0,
        ),
        Menu(
            "/system/routerboard",
            _read_only(
                "routerboard",
                "board-name",
                "model",
                "serial-number",
                "firmware-type",
                "factory-firmware",
                "current-firmware",
                "upgrade-firmware",
            ),  # fmt: skip
            writable=False,
            singleton=True,
        ),
        Menu(
            "/system/package/update",
            {
                "channel": Field(one_of("stable", "long-term", "testing", "development")),
                **_read_only("installed-version", "latest-version", "status"),
            },
            singleton=True,
        ),
        Menu(
            "/file",
            {
                "name": Field(required=True),
                "type": Field(default="file"),
                "contents": Field(default=""),
                **_read_only("size", "creation-time", "last-modified"),
            },
            key="name",
            unique=("name",),
        ),
    )
}

ALL_MENUS: dict[str, Menu] = {**MENUS, **SYSTEM_MENUS}
