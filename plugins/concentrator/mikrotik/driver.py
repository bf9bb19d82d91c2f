"""MikroTik RouterOS: the API sentences for reading and changing PPPoE subscribers.

Each template in templates/mikrotik/ renders one API sentence, one word per line (the
command word first). Values go through the same guard as CLI values, so a login, list name
or comment that could be read as another word, a query or a script never reaches a router.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from typing import Any, ClassVar

from engine.command_render import CommandRenderer
from engine.guard import check_cli_context
from engine.paths import TEMPLATES_DIR
from plugins.connections.routeros_api import ApiOp

# RouterOS names: what MikroTik's own UI accepts without quoting.
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9@._:+-]{0,63}")
_MARK, _END = "ispflowvalue", "end"
_MARKER = re.compile(rf"{_MARK}([a-z_]+){_END}")
# Logins filtered in one print query; more than this and the whole table is read instead.
QUERY_LOGINS = 20


class BadName(ValueError):
    pass


def checked_name(value: str, what: str) -> str:
    if not isinstance(value, str) or not _NAME.fullmatch(value):
        raise BadName(
            f"{what} {value!r} is not a RouterOS name (letters, digits and @._:+- only, "
            "up to 64 characters)"
        )
    return value


class MikrotikDriver:
    vendor = "mikrotik"
    _renderer: CommandRenderer | None = None

    @classmethod
    def renderer(cls) -> CommandRenderer:
        if cls._renderer is None:
            cls._renderer = CommandRenderer([TEMPLATES_DIR / "mikrotik"])
        return cls._renderer

    def op(self, template: str, **context: Any) -> ApiOp:
        if all(isinstance(v, str | int | None) for v in context.values()):
            return self._fast_op(template, context)
        command, *words = self.renderer().render(f"{template}.j2", context)
        return ApiOp(command.strip(), tuple(word.strip() for word in words))

    # A bulk block renders the same few templates tens of thousands of times. Each template
    # is rendered once per shape (which values are set) with a marker in place of every value,
    # and the values, checked by the same guard, are put in place of the markers after. So
    # these templates may test whether a value is set, but not compare or filter it.
    _shapes: ClassVar[dict[tuple[str, tuple[tuple[str, bool], ...]], tuple[str, ...]]] = {}

    def _fast_op(self, template: str, context: dict[str, Any]) -> ApiOp:
        check_cli_context(context)
        shape = tuple(sorted((key, bool(value)) for key, value in context.items()))
        words = self._shapes.get((template, shape))
        if words is None:
            markers = {
                key: f"{_MARK}{key}{_END}" if value else value for key, value in context.items()
            }
            rendered = self.renderer().render(f"{template}.j2", markers)
            words = tuple(line.strip() for line in rendered)
            self._shapes[(template, shape)] = words
        # One pass: a value that happens to contain a marker's text is not looked at again.
        values = {key: str(value) for key, value in context.items()}
        filled = [_MARKER.sub(lambda m: values[m.group(1)], word) for word in words]
        return ApiOp(filled[0], tuple(filled[1:]))

    def preview(self, template: str, **placeholders: str) -> str:
        """A sentence for --dry-run, with `<...>` where only the router knows the value."""
        return self.op(template, **placeholders).text()

    # -- answers --------------------------------------------------------------------------
    @staticmethod
    def added_id(op: ApiOp, rows: Sequence[dict[str, Any]]) -> str | None:
        """The id RouterOS gave an item an `add` created (`!done =ret=*1A`)."""
        if op.command.endswith("/add") and rows and str(rows[0].get("ret", "")).startswith("*"):
            return str(rows[0]["ret"])
        return None

    @staticmethod
    def already_gone(op: ApiOp, error: str) -> bool:
        """A session that ended by itself before it was dropped is as good as dropped."""
        return op.command == "/ppp/active/remove" and "no such item" in error

    # -- reads ----------------------------------------------------------------------------
    def secrets(self, logins: Sequence[str] = ()) -> ApiOp:
        return self.op("secrets_print", logins=_few(logins))

    def sessions(self, logins: Sequence[str] = ()) -> ApiOp:
        return self.op("sessions_print", logins=_few(logins))

    def sessions_brief(self, logins: Sequence[str] = ()) -> ApiOp:
        """Just enough to see sessions come back: id, login, address."""
        return self.op("sessions_brief_print", logins=_few(logins))

    def pool(self, name: str) -> ApiOp:
        return self.op("pool_print", pool=checked_name(name, "pool"))

    def address_list(self, name: str) -> ApiOp:
        return self.op("address_list_print", list=checked_name(name, "address list"))

    def pools(self) -> ApiOp:
        return self.op("pools_print")

    def pppoe_servers(self) -> ApiOp:
        return self.op("pppoe_servers_print")

    def pool_used(self, name: str) -> ApiOp:
        return self.op("pool_used_print", pool=checked_name(name, "pool"))

    def resource(self) -> ApiOp:
        """The router's board (model), platform and RouterOS version."""
        return self.op("resource_print")

    @staticmethod
    def identity(rows: Sequence[dict[str, Any]]) -> dict[str, Any] | None:
        """Vendor, model and version from `/system/resource/print`; None if it is no RouterOS."""
        row = rows[0] if rows else {}
        if str(row.get("platform", "")).lower() != "mikrotik" and "board-name" not in row:
            return None
        return {
            "vendor": "mikrotik",
            "model": row.get("board-name"),
            # "7.16.2 (stable)": the number is the version, the word the release channel.
            "software": str(row.get("version", "")).split(" ")[0] or None,
            "uptime": row.get("uptime"),
        }

    # -- changes --------------------------------------------------------------------------
    def pool_add(self, name: str, ranges: str, next_pool: str | None = None) -> ApiOp:
        return self.op("pool_add", **self._pool(name, ranges, next_pool))

    def pool_set(self, name: str, ranges: str, next_pool: str | None = None) -> ApiOp:
        return self.op("pool_set", **self._pool(name, ranges, next_pool))

    @staticmethod
    def _pool(name: str, ranges: str, next_pool: str | None) -> dict[str, Any]:
        return {
            "pool": checked_name(name, "pool"),
            "ranges": ",".join(f"{a}-{b}" for a, b in parse_ranges(ranges)),
            "next_pool": checked_name(next_pool, "next pool") if next_pool else None,
        }

    def set_profile(self, login: str, profile: str) -> ApiOp:
        return self.op(
            "set_profile",
            login=checked_name(login, "login"),
            profile=checked_name(profile, "profile"),
        )

    def list_add(self, name: str, address: str, comment: str) -> ApiOp:
        return self.op(
            "list_add",
            list=checked_name(name, "address list"),
            address=str(ipaddress.ip_address(address)),
            comment=comment,
        )

    def list_remove(self, entry_id: str) -> ApiOp:
        return self.op("list_remove", entry_id=_item_id(entry_id))

    def session_drop(self, session_id: str) -> ApiOp:
        return self.op("session_drop", session_id=_item_id(session_id))


def _few(logins: Sequence[str]) -> list[str]:
    names = [checked_name(login, "login") for login in logins]
    return names if len(names) <= QUERY_LOGINS else []


def _item_id(value: str) -> str:
    if not re.fullmatch(r"\*[0-9A-Fa-f]{1,8}", value):
        raise BadName(f"{value!r} is not a RouterOS item id (*1A)")
    return value


def parse_ranges(text: str) -> list[tuple[ipaddress.IPv4Address, ipaddress.IPv4Address]]:
    """`10.0.0.2-10.0.0.99,10.0.1.0/24` as (first, last) pairs; ValueError if malformed."""
    found = []
    for part in str(text).split(","):
        part = part.strip()
        try:
            if "/" in part:
                network = ipaddress.IPv4Network(part, strict=False)
                found.append((network.network_address, network.broadcast_address))
                continue
            low, _, high = part.partition("-")
            first = ipaddress.IPv4Address(low.strip())
            last = ipaddress.IPv4Address(high.strip()) if high else first
        except ValueError:
            raise ValueError(f"pool range {part!r} is not a.b.c.d-a.b.c.e or a.b.c.d/nn") from None
        if first > last:
            raise ValueError(f"pool range {part!r} ends before it starts")
        found.append((first, last))
    return found


def overlap(a: str, b: str) -> tuple[str, str] | None:
    """The first pair of overlapping ranges between two pools' `ranges`, if any."""
    for first, last in parse_ranges(a):
        for other_first, other_last in parse_ranges(b):
            if first <= other_last and other_first <= last:
                return f"{first}-{last}", f"{other_first}-{other_last}"
    return None


def in_ranges(address: str, ranges: str) -> bool:
    """Is `address` inside a pool's `ranges` (`a-b,c/24,...`)?"""
    try:
        ip = ipaddress.IPv4Address(address)
    except ValueError:
        return False
    for part in ranges.split(","):
        low, _, high = part.strip().partition("-")
        if "/" in low:
            if ip in ipaddress.IPv4Network(low, strict=False):
                return True
        elif ipaddress.IPv4Address(low) <= ip <= ipaddress.IPv4Address(high or low):
            return True
    return False
