"""`/export` as RouterOS 7 writes it, from the lab concentrator's current state.

Only what differs from the defaults (compact, RouterOS's default) unless `verbose`; one full
command per line with `terse`, else a menu line followed by its `add`/`set` lines. Sensitive
values (PPP secret passwords, SNMP v3 passwords) are left out unless `show-sensitive`, as
RouterOS 7 does. Dynamic items (sessions' interfaces, profile-made address-list entries) are
never exported, nor are router users (RouterOS keeps those out of an export too). Long lines
are not wrapped with `\\` as the console does without `terse`.
"""

from __future__ import annotations

import re
import time
import zlib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ispflow.lab.routeros.menus import Menu
from ispflow.lab.routeros.system_menus import ALL_MENUS

if TYPE_CHECKING:
    from ispflow.lab.routeros.device import Concentrator

# Menus in the order RouterOS exports them, with the console path each is written under.
SECTIONS = (
    ("/interface/ethernet", "/interface ethernet"),
    ("/interface/vlan", "/interface vlan"),
    ("/ip/pool", "/ip pool"),
    ("/ppp/profile", "/ppp profile"),
    ("/interface/pppoe-server/server", "/interface pppoe-server server"),
    ("/snmp/community", "/snmp community"),
    ("/ip/address", "/ip address"),
    ("/ip/arp", "/ip arp"),
    ("/ip/firewall/address-list", "/ip firewall address-list"),
    ("/ip/firewall/filter", "/ip firewall filter"),
    ("/ip/firewall/nat", "/ip firewall nat"),
    ("/ppp/secret", "/ppp secret"),
    ("/snmp", "/snmp"),
    ("/system/identity", "/system identity"),
)
BUILT_IN_PROFILES = {"default": "*0", "default-encryption": "*FFFFFFFE"}
_PLAIN = re.compile(r"[A-Za-z0-9_.:/,+@*<>!-]+")


def quote(value: str) -> str:
    """A value as the console writes it: bare when it can be, else in double quotes."""
    if _PLAIN.fullmatch(value):
        return value
    escaped = "".join(_escape(char) for char in value)
    return f'"{escaped}"'


def _escape(char: str) -> str:
    if char in '"\\$?':
        return "\\" + char
    if char == "\n":
        return "\\n"
    if char == "\t":
        return "\\t"
    if ord(char) < 0x20 or ord(char) > 0x7E:
        return "".join(f"\\{byte:02X}" for byte in char.encode("utf-8"))
    return char


def export_text(
    router: Concentrator,
    *,
    terse: bool = False,
    verbose: bool = False,
    show_sensitive: bool = False,
    path: str | None = None,
    now: float | None = None,
) -> str:
    """The export script; `path` (e.g. "/ip/pool") limits it to that menu and those below."""
    routerboard = router.items["/system/routerboard"][0]
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now))
    software_id = f"{zlib.crc32(router.name.encode()) & 0xFFFFFFFF:08X}"
    lines = [
        f"# {stamp} by RouterOS {router.version}",
        f"# software id = {software_id[:4]}-{software_id[4:]}",
        "#",
        f"# model = {routerboard.get('model', '')}",
        f"# serial number = {routerboard.get('serial-number', '')}",
    ]
    options = {"verbose": verbose, "show_sensitive": show_sensitive}
    for menu_path, console in SECTIONS:
        if path and not (menu_path == path or menu_path.startswith(path.rstrip("/") + "/")):
            continue
        commands = list(_commands(router, menu_path, **options))
        if not commands:
            continue
        if terse:
            lines += [f"{console} {command}" for command in commands]
        else:
            lines += [console, *commands]
    return "\n".join(lines) + "\n"


def _commands(
    router: Concentrator, menu_path: str, *, verbose: bool, show_sensitive: bool
) -> Iterator[str]:
    if menu_path in ("/interface/ethernet", "/interface/vlan"):
        yield from _interfaces(router, menu_path, verbose=verbose)
        return
    menu = ALL_MENUS[menu_path]
    for _key, item in sorted(router.items[menu_path].items()):
        if item.get("dynamic") == "true":
            continue
        values = _values(menu, item, verbose=verbose, show_sensitive=show_sensitive)
        if menu.singleton:
            if values:
                yield "set " + values
        elif menu_path == "/ppp/profile" and item.get("name") in BUILT_IN_PROFILES:
            values = _values(
                menu, item, verbose=verbose, show_sensitive=show_sensitive, skip={"name"}
            )
            if values:
                yield f"set {BUILT_IN_PROFILES[item['name']]} {values}"
        elif menu_path == "/snmp/community" and item.get("default") == "true":
            yield f"set [ find default=yes ] {values}"
        else:
            yield "add " + values


def _values(
    menu: Menu,
    item: dict[str, str],
    *,
    verbose: bool,
    show_sensitive: bool,
    skip: frozenset[str] | set[str] = frozenset(),
) -> str:
    shown = []
    for name in sorted(menu.fields):
        spec = menu.fields[name]
        if spec.read_only or name in skip or (spec.sensitive and not show_sensitive):
            continue
        value = item.get(name)
        if value is None:
            if not verbose:
                continue
            value = spec.default or ""
        elif not verbose and not spec.required and value == (spec.default or ""):
            continue
        shown.append(f"{name}={quote(_console(value))}")
    return " ".join(shown)


def _console(value: str) -> str:
    """API booleans as the console writes them."""
    return {"true": "yes", "false": "no"}.get(value, value)


def _interfaces(router: Concentrator, kind: str, *, verbose: bool) -> Iterator[str]:
    for item in (i for _, i in sorted(router.items["/interface"].items())):
        if kind == "/interface/ethernet" and item.get("type") == "ether":
            changed = {
                name: item[name]
                for name in ("comment", "disabled", "name", "mtu")
                if name in item
                and (verbose or item[name] not in ("", "false", "1500", item["default-name"]))
            }
            if changed:
                values = " ".join(f"{k}={quote(_console(v))}" for k, v in sorted(changed.items()))
                yield f"set [ find default-name={item['default-name']} ] {values}"
        elif kind == "/interface/vlan" and item.get("type") == "vlan":
            values = {
                "interface": item["on"],
                "name": item["name"],
                "vlan-id": item["vlan-id"],
                "comment": item.get("comment", ""),
                "disabled": item.get("disabled", "false"),
            }
            shown = {k: v for k, v in values.items() if verbose or v not in ("", "false")}
            yield "add " + " ".join(f"{k}={quote(_console(v))}" for k, v in sorted(shown.items()))
