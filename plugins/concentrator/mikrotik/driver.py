"""MikroTik RouterOS: the API sentences for reading and changing PPPoE subscribers.

Each template in templates/mikrotik/ renders one API sentence, one word per line (the
command word first). Values go through the same guard as CLI values, so a login, list name
or comment that could be read as another word, a query or a script never reaches a router.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from librouteros.exceptions import ConnectionClosed, FatalError, ProtocolError, TrapError

from ispflow.core.command_render import CommandRenderer
from ispflow.core.guard import check_cli_context
from ispflow.core.paths import TEMPLATES_DIR
from ispflow.plugins.concentrator.contract import ApiOp, ConcentratorDriver
from ispflow.plugins.concentrator.mikrotik import napalm_device
from ispflow.plugins.concentrator.mikrotik.connection import CONNECTION_NAME
from ispflow.plugins.concentrator.mikrotik.connection import default_port as api_port
from ispflow.plugins.concentrator.names import BadName
from ispflow.plugins.concentrator.names import checked_name as _checked_name
from ispflow.plugins.concentrator.ranges import parse_ranges

if TYPE_CHECKING:
    from nornir.core.inventory import Host
    from nornir.core.task import Task

_MARK, _END = "ispflowvalue", "end"
_MARKER = re.compile(rf"{_MARK}([a-z_]+){_END}")
# Logins filtered in one print query; more than this and the whole table is read instead.
QUERY_LOGINS = 20

# The safe names (plugins/concentrator/names.py) are what MikroTik's own UI accepts without
# quoting; the message calls them what an operator of these routers knows them as.
checked_name = functools.partial(_checked_name, kind="RouterOS")


class MikrotikDriver(ConcentratorDriver):
    vendor = "mikrotik"
    connection = CONNECTION_NAME
    # What a cut API session looks like through librouteros.
    session_lost = (ConnectionClosed, FatalError, ProtocolError)
    login_refused = (TrapError,)
    config_source = "the RouterOS export through NAPALM (napalm-ros)"
    config_structure = napalm_device.CONFIG_STRUCTURE
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

    def preview(self, operation: str, **placeholders: str) -> str:
        """A sentence for --dry-run, with `<...>` where only the router knows the value."""
        return self.op(operation, **placeholders).text()

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

    def identity_mismatch(self) -> str:
        return "the device does not answer /system/resource/print as RouterOS does"

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

    # -- the device itself ----------------------------------------------------------------
    def default_port(self, extras: Mapping[str, Any]) -> int:
        return api_port(extras)

    def facts(self, task: Task) -> dict[str, Any]:
        return napalm_device.concentrator_facts(task)

    def would_read(self, host: Host, what: str) -> dict[str, Any]:
        params = napalm_device.napalm_parameters(host)
        return {
            "would": f"read {what} through NAPALM ({napalm_device.NAPALM_DRIVER})",
            "address": f"{params['hostname']}:{params['port']}",
            "tls": "ssl_wrapper" in params["extras"]["optional_args"],
        }

    def config(self, task: Task, *, sanitized: bool = True) -> str:
        return napalm_device.concentrator_config(task, sanitized=sanitized)

    def mask_config(self, text: str) -> str:
        return napalm_device.mask_config(text)

    def session_interface(self, name: str) -> bool:
        return napalm_device.session_interface(name)


def _few(logins: Sequence[str]) -> list[str]:
    names = [checked_name(login, "login") for login in logins]
    return names if len(names) <= QUERY_LOGINS else []


def _item_id(value: str) -> str:
    if not re.fullmatch(r"\*[0-9A-Fa-f]{1,8}", value):
        raise BadName(f"{value!r} is not a RouterOS item id (*1A)")
    return value
