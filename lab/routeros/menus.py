"""The RouterOS menus the lab models: their fields, defaults and what each value must be.

Here, what a PPPoE concentrator's billing work touches: PPP secrets, profiles and active
sessions, IP pools, firewall address lists, NAT and filter rules, identity and resources.
The router's own menus (interfaces, ARP, users, files...) are in system_menus.py.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass, field

BOOL_TRUE = {"yes", "true"}
BOOL_FALSE = {"no", "false"}


class BadValue(ValueError):
    """A value RouterOS would answer with `input does not match any value of <field>`."""


class RouterError(Exception):
    """What the router answers with `!trap =message=...` (and a category, when it gives one)."""

    def __init__(self, message: str, category: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.category = category


def boolean(value: str) -> str:
    lowered = value.lower()
    if lowered in BOOL_TRUE:
        return "true"
    if lowered in BOOL_FALSE:
        return "false"
    raise BadValue(value)


def one_of(*choices: str) -> Callable[[str], str]:
    def check(value: str) -> str:
        if value not in choices:
            raise BadValue(value)
        return value

    return check


def address(value: str) -> str:
    """An IP address or prefix (an address-list entry)."""
    try:
        if "/" in value:
            network = ipaddress.ip_network(value, strict=False)
            return str(network) if network.num_addresses > 1 else str(network.network_address)
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise BadValue(value) from None


def ranges(value: str) -> str:
    """`10.0.0.2-10.0.0.99,10.0.1.0/24`: IPv4 ranges, comma-separated."""
    for part in value.split(","):
        low, _, high = part.partition("-")
        try:
            if high:
                if ipaddress.IPv4Address(low) > ipaddress.IPv4Address(high):
                    raise BadValue(value)
            elif "/" in low:
                ipaddress.IPv4Network(low, strict=False)
            else:
                ipaddress.IPv4Address(low)
        except ValueError:
            raise BadValue(value) from None
    return value


def text(value: str) -> str:
    return value


@dataclass(frozen=True)
class Field:
    check: Callable[[str], str] = text
    default: str | None = None
    required: bool = False
    read_only: bool = False
    write_only: bool = False  # accepted by add/set, never printed (a user's password)
    sensitive: bool = False  # left out of an export without show-sensitive (RouterOS 7)


@dataclass(frozen=True)
class Menu:
    path: str
    fields: dict[str, Field]
    key: str | None = None  # a unique name items can be addressed by instead of .id
    unique: tuple[str, ...] = ()  # fields whose combination must be unique
    writable: bool = True
    singleton: bool = False  # one item, printed without .id (identity, resource)
    addable: bool = True  # False: items come from elsewhere (/interface), `add` is no command
    id_base: int = 1
    extra: dict[str, str] = field(default_factory=dict)


SERVICES = one_of("any", "pppoe", "pptp", "l2tp", "ovpn", "sstp", "async")

MENUS: dict[str, Menu] = {
    menu.path: menu
    for menu in (
        Menu(
            "/ppp/secret",
            {
                "name": Field(required=True),
                "password": Field(default="", sensitive=True),
                "service": Field(SERVICES, default="any"),
                "profile": Field(default="default"),
                "local-address": Field(default=""),
                "remote-address": Field(default=""),
                "caller-id": Field(default=""),
                "routes": Field(default=""),
                "disabled": Field(boolean, default="false"),
                "comment": Field(default=""),
                "last-logged-out": Field(read_only=True),
            },
            key="name",
            unique=("name",),
        ),
        Menu(
            "/ppp/profile",
            {
                "name": Field(required=True),
                "local-address": Field(default=""),
                "remote-address": Field(default=""),
                "address-list": Field(default=""),
                "rate-limit": Field(default=""),
                "only-one": Field(one_of("yes", "no", "default"), default="default"),
                "dns-server": Field(default=""),
                "comment": Field(default=""),
            },
            key="name",
            unique=("name",),
        ),
        Menu(
            "/ppp/active",
            {
                name: Field(read_only=True)
                for name in (
                    "name",
                    "service",
                    "caller-id",
                    "address",
                    "uptime",
                    "encoding",
                    "session-id",
                    "limit-bytes-in",
                    "limit-bytes-out",
                    "radius",
                )
            },  # fmt: skip
            writable=False,
            id_base=0x80000001,
        ),
        Menu(
            "/ip/pool",
            {
                "name": Field(required=True),
                "ranges": Field(ranges, required=True),
                "next-pool": Field(default="none"),
                "comment": Field(default=""),
            },
            key="name",
            unique=("name",),
        ),
        Menu(
            "/ip/pool/used",
            {name: Field(read_only=True) for name in ("pool", "address", "owner", "info")},
            writable=False,
        ),
        Menu(
            "/ip/firewall/address-list",
            {
                "list": Field(required=True),
                "address": Field(address, required=True),
                "timeout": Field(default=""),
                "comment": Field(default=""),
                "disabled": Field(boolean, default="false"),
                "dynamic": Field(read_only=True, default="false"),
                "creation-time": Field(read_only=True),
            },
            unique=("list", "address"),
        ),
        *(
            Menu(
                path,
                {
                    "chain": Field(required=True),
                    "action": Field(default="accept"),
                    "protocol": Field(default=""),
                    "src-address-list": Field(default=""),
                    "dst-address-list": Field(default=""),
                    "dst-port": Field(default=""),
                    "to-addresses": Field(default=""),
                    "to-ports": Field(default=""),
                    "comment": Field(default=""),
                    "disabled": Field(boolean, default="false"),
                },
            )
            for path in ("/ip/firewall/nat", "/ip/firewall/filter")
        ),
        Menu("/system/identity", {"name": Field(default="MikroTik")}, singleton=True),
        Menu(
            "/system/resource",
            {
                name: Field(read_only=True)
                for name in (
                    "uptime",
                    "version",
                    "build-time",
                    "free-memory",
                    "total-memory",
                    "cpu",
                    "cpu-count",
                    "cpu-load",
                    "board-name",
                    "architecture-name",
                    "platform",
                )
            },  # fmt: skip
            writable=False,
            singleton=True,
        ),
    )
}
