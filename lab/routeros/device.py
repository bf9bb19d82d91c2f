"""One simulated concentrator: its menus, the customers' CPEs dialing PPPoE, and the API verbs.

A CPE that is online holds a `/ppp/active` session whose address comes from its profile's
pool (or the secret's own remote-address). Removing the session disconnects it; the CPE dials
again after `redial_s`, with whatever profile the secret has by then, and gets a new session
id and address (how a block takes effect). A profile with `address-list` puts each session's
address on that list as a dynamic entry for as long as the session lasts.

Texts of errors are RouterOS's own where they are known from real routers; the few not seen in
the wild are marked.
"""

from __future__ import annotations

import asyncio
import functools
import ipaddress
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from ispflow.lab.routeros.menus import BadValue, Menu, RouterError
from ispflow.lab.routeros.query import QueryError, matches
from ispflow.lab.routeros.system import RouterSystem
from ispflow.lab.routeros.system_menus import ALL_MENUS as MENUS

Sentence = list[str]
WRITE_VERBS = {"add", "set", "remove", "enable", "disable"}
NO_PERMISSION = "not enough permissions (9)"

DUPLICATE = "failure: already have such entry"


@dataclass
class Cpe:
    """A customer's router behind the concentrator, dialing PPPoE with a secret's login."""

    login: str
    mac: str
    online: bool = True


def uptime_text(seconds: float) -> str:
    seconds = int(seconds)
    parts = []
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    parts.append(f"{seconds}s")
    return "".join(parts)


class Concentrator(RouterSystem):
    def __init__(
        self,
        name: str,
        *,
        version: str = "7.16.2",
        redial_s: float = 0.05,
        clock: Callable[[], float] = time.time,
        up_for_s: float = 0.0,
    ) -> None:
        self.name = name
        self.version = version
        self.redial_s = redial_s
        self.clock = clock
        self.started_at = clock() - up_for_s  # booted before the lab started, if asked
        self.loop: asyncio.AbstractEventLoop | None = None
        self.items: dict[str, dict[int, dict[str, str]]] = {path: {} for path in MENUS}
        self.next_id: dict[str, int] = {path: menu.id_base for path, menu in MENUS.items()}
        self.cpes: dict[str, Cpe] = {}
        self.session_started: dict[int, float] = {}
        # Indexes, so a concentrator with tens of thousands of subscribers stays fast:
        # each menu's unique values -> item key, sessions by login, leased addresses.
        self.unique: dict[str, dict[tuple[str | None, ...], int]] = {path: {} for path in MENUS}
        self.active_by_login: dict[str, int] = {}
        self.session_lease: dict[int, int] = {}  # session key -> its /ip/pool/used key
        self.session_listed: dict[int, int] = {}  # session key -> its dynamic list entry
        self.leased: set[str] = set()
        self.pool_cursor: dict[str, int] = {}
        self.session_counter = 0x81B00001
        self.session_iface: dict[int, int] = {}  # session key -> its <pppoe-...> interface
        self.items["/system/identity"][0] = {"name": name}
        self.items["/system/resource"][0] = {}
        self.items["/system/package/update"][0] = {"channel": "stable"}
        self.items["/snmp"][0] = {}
        self.items["/system/routerboard"][0] = self.routerboard()
        for profile in ("default", "default-encryption"):
            self._insert("/ppp/profile", {"name": profile})

    # -- set-up (the lab's plant, not API calls) ------------------------------------------------
    def add(self, path: str, **values: str) -> str:
        """Add an item as an operator would (checked like an API `add`); returns its .id."""
        return self._add(MENUS[path], {k.replace("_", "-"): v for k, v in values.items()})

    def seed(self, path: str, **values: str) -> str:
        """Put an item in as the router itself would (read-only fields too); returns its .id.
        On a one-item menu (/snmp), set its values."""
        values = {k.replace("_", "-"): v for k, v in values.items()}
        if MENUS[path].singleton:
            self.items[path][0].update(values)
            return ""
        return f"*{self._insert(path, values):X}"

    def plug(self, login: str, mac: str, online: bool = True) -> None:
        """A CPE dialing with `login`; online ones get a session now."""
        self.cpes[login] = Cpe(login, mac, online)
        if online:
            self._dial(login)

    # -- the API ---------------------------------------------------------------------------
    def execute(self, words: Sentence, *, can_write: bool) -> list[Sentence]:
        """Reply sentences (without tags) for one command sentence."""
        try:
            return self._execute(words, can_write)
        except RouterError as error:
            trap = ["!trap", f"=message={error.message}"]
            if error.category is not None:
                trap.insert(1, f"=category={error.category}")
            return [trap, ["!done"]]

    def _execute(self, words: Sentence, can_write: bool) -> list[Sentence]:
        command = words[0]
        attributes: dict[str, str] = {}
        queries: list[str] = []
        for word in words[1:]:
            if word.startswith("="):
                name, _, value = word[1:].partition("=")
                attributes[name] = value
            elif word.startswith("?"):
                queries.append(word)
            # API attribute words (.tag) are the server's business; others are ignored.
        if command == "/export" or command.endswith("/export"):
            if "file" in attributes and not can_write:
                raise RouterError(NO_PERMISSION)
            return self._export(command.removesuffix("/export"), attributes)
        menu, verb = self._route(command)
        if verb in WRITE_VERBS and not can_write:
            raise RouterError(NO_PERMISSION)
        if verb in ("print", "getall"):
            return self._print(menu, attributes, queries)
        if menu.path == "/file" and verb == "read":
            return self._read_file(attributes)
        if verb == "add" and menu.writable and menu.addable:
            return [["!done", f"=ret={self._add(menu, attributes)}"]]
        if verb in ("enable", "disable") and menu.writable and "disabled" in menu.fields:
            self._set(menu, {**attributes, "disabled": "true" if verb == "disable" else "false"})
            return [["!done"]]
        if verb == "set" and menu.writable:
            self._set(menu, attributes)
            return [["!done"]]
        if verb == "remove" and (menu.writable or menu.path == "/ppp/active"):
            self._remove(menu, attributes)
            return [["!done"]]
        raise RouterError("no such command", 0)

    def _route(self, command: str) -> tuple[Menu, str]:
        path, _, verb = command.rpartition("/")
        menu = MENUS.get(path)
        if menu is None:
            known = any(p.startswith(path + "/") for p in MENUS) or path == ""
            raise RouterError("no such command" if known else "no such command prefix", 0)
        return menu, verb

    # -- print -----------------------------------------------------------------------------
    def _print(self, menu: Menu, attributes: dict[str, str], queries: list[str]) -> list[Sentence]:
        proplist = [p for p in attributes.get(".proplist", "").split(",") if p]
        rows = []
        table = self.items[menu.path]
        keys = self._by_names(menu, queries)
        candidates = (
            sorted(table.items()) if keys is None else [(k, table[k]) for k in sorted(keys)]
        )
        for key, item in candidates:
            row = self._row(menu, key, item)
            try:
                if queries and not matches(queries, row):
                    continue
            except QueryError as error:
                raise RouterError(str(error), 5) from None
            rows.append(row)
        if "count-only" in attributes:
            return [["!done", f"=ret={len(rows)}"]]
        replies = []
        for row in rows:
            shown = [(k, row[k]) for k in proplist if k in row] if proplist else list(row.items())
            replies.append(["!re", *(f"={k}={v}" for k, v in shown)])
        if not rows and _version(self.version) >= (7, 18):
            replies.append(["!empty"])
        return [*replies, ["!done"]]

    def _by_names(self, menu: Menu, queries: list[str]) -> set[int] | None:
        """Keys for a query that only asks for names (`?=name=a ?=name=b ?#|`), from the
        index; None when the query is anything else (then every item is tested)."""
        names = [q.partition("name=")[2] for q in queries if q.startswith(("?=name=", "?name="))]
        ors = [q for q in queries if q.startswith("?#")]
        if not names or len(names) + len(ors) != len(queries):
            return None
        if len(names) > 1 and ors != ["?#" + "|" * (len(names) - 1)]:
            return None
        if menu.path == "/ppp/active":
            index = self.active_by_login
            return {index[n] for n in names if n in index}
        if menu.key == "name":
            return {k for n in names if (k := self.unique[menu.path].get((n,))) is not None}
        return None

    def _row(self, menu: Menu, key: int, item: dict[str, str]) -> dict[str, str]:
        row = {} if menu.singleton else {".id": f"*{key:X}"}
        if menu.path == "/ppp/active":
            row.update(item)
            row["uptime"] = uptime_text(self.clock() - self.session_started.get(key, self.clock()))
            return row
        if menu.path == "/system/resource":
            return {
                "uptime": uptime_text(self.clock() - self.started_at),
                "version": f"{self.version} (stable)",
                "build-time": "2024-10-22 11:48:07",
                "free-memory": "838860800",
                "total-memory": "1073741824",
                "cpu": "ARM64",
                "cpu-count": "4",
                "cpu-load": "3",
                "board-name": "CCR2004-1G-12S+2XS",
                "architecture-name": "arm64",
                "platform": "MikroTik",
            }
        for name, spec in menu.fields.items():
            value = item.get(name, spec.default)
            if value is not None and (value != "" or name in item) and not spec.write_only:
                row[name] = value
        if menu.path in ("/system/package/update", "/interface", "/file"):
            self._live_values(menu.path, key, item, row)
        return row

    # -- add / set / remove ------------------------------------------------------------------
    def _add(self, menu: Menu, attributes: dict[str, str]) -> str:
        values = self._checked(menu, attributes)
        for name, spec in menu.fields.items():
            if spec.required and not values.get(name):
                # Not seen verbatim; the console's wording for a missing mandatory argument.
                raise RouterError(f"failure: {name} not specified", 1)
        self._check_unique(menu, values, None)
        if menu.path == "/ip/firewall/address-list":
            values["creation-time"] = time.strftime("%Y-%m-%d %H:%M:%S")
        return f"*{self._insert(menu.path, values):X}"

    def _set(self, menu: Menu, attributes: dict[str, str]) -> None:
        if menu.singleton:
            self.items[menu.path][0].update(self._checked(menu, attributes))
            return
        targets = self._targets(menu, attributes)
        values = self._checked(menu, {k: v for k, v in attributes.items() if k != "numbers"})
        for key in targets:
            item = self.items[menu.path][key]
            if item.get("dynamic") == "true":
                raise RouterError("failure: can not change dynamic entry", 4)
            self._check_unique(menu, {**item, **values}, key)
        for key in targets:
            item = self.items[menu.path][key]
            self._unindex(menu.path, key, item)
            item.update(values)
            self._index(menu.path, key, item)
        if menu.path in ("/interface", "/interface/pppoe-server/server"):
            self.interfaces_changed()

    def _remove(self, menu: Menu, attributes: dict[str, str]) -> None:
        targets = self._targets(menu, attributes)
        for key in targets:
            if menu.path == "/ppp/active":
                self._hang_up(key, redial=True)
            elif self.items[menu.path][key].get("dynamic") == "true":
                raise RouterError("failure: can not remove dynamic entry", 4)
            else:
                self._delete(menu.path, key)

    def _targets(self, menu: Menu, attributes: dict[str, str]) -> list[int]:
        raw = attributes.pop(".id", None) or attributes.pop("numbers", None)
        if not raw:
            raise RouterError("missing =.id=", 1)
        keys = []
        for ref in raw.split(","):
            key = self._find(menu, ref.strip())
            if key is None:
                raise RouterError("no such item", 0)
            keys.append(key)
        return keys

    def _find(self, menu: Menu, ref: str) -> int | None:
        table = self.items[menu.path]
        if ref.startswith("*"):
            try:
                key = int(ref[1:], 16)
            except ValueError:
                return None
            return key if key in table else None
        if menu.key:
            return self.unique[menu.path].get((ref,))
        return None

    def _checked(self, menu: Menu, attributes: dict[str, str]) -> dict[str, str]:
        values = {}
        for name, value in attributes.items():
            if name.startswith("."):
                continue
            spec = menu.fields.get(name)
            if spec is None or spec.read_only:
                raise RouterError(f"unknown parameter {name}", 1)
            try:
                values[name] = spec.check(value)
            except BadValue:
                raise RouterError(f"input does not match any value of {name}", 1) from None
        self._check_references(menu, values)
        return values

    def _check_references(self, menu: Menu, values: dict[str, str]) -> None:
        pools = self._names("/ip/pool")
        profile = values.get("profile")
        if menu.path == "/ppp/secret" and profile not in (None, *self._names("/ppp/profile")):
            raise RouterError("input does not match any value of profile", 1)
        ppp = menu.path in ("/ppp/profile", "/ppp/secret")
        for name in ("remote-address", "local-address"):
            value = values.get(name)
            if ppp and value and value not in pools and not _is_ip(value):
                raise RouterError(f"input does not match any value of {name}", 1)
        if menu.path == "/ip/pool" and values.get("next-pool", "none") not in pools | {"none"}:
            raise RouterError("input does not match any value of next-pool", 1)

    def _check_unique(self, menu: Menu, values: dict[str, str], skip: int | None) -> None:
        if not menu.unique:
            return
        holder = self.unique[menu.path].get(tuple(values.get(name) for name in menu.unique))
        if holder is not None and holder != skip:
            raise RouterError(DUPLICATE)

    def _names(self, path: str) -> set[str]:
        return {name for (name,) in self.unique[path]}

    def _insert(self, path: str, values: dict[str, str]) -> int:
        key = self.next_id[path]
        self.next_id[path] += 1
        self.items[path][key] = item = dict(values)
        self._index(path, key, item)
        return key

    def _delete(self, path: str, key: int) -> None:
        self._unindex(path, key, self.items[path].pop(key))

    def _index(self, path: str, key: int, item: dict[str, str]) -> None:
        fields = MENUS[path].unique
        if fields:
            self.unique[path][tuple(item.get(name) for name in fields)] = key
        if path == "/ppp/active":
            self.active_by_login[item["name"]] = key
        elif path == "/ip/pool/used":
            self.leased.add(item["address"])

    def _unindex(self, path: str, key: int, item: dict[str, str]) -> None:
        fields = MENUS[path].unique
        if fields:
            self.unique[path].pop(tuple(item.get(name) for name in fields), None)
        if path == "/ppp/active" and self.active_by_login.get(item["name"]) == key:
            del self.active_by_login[item["name"]]
        elif path == "/ip/pool/used":
            self.leased.discard(item["address"])

    # -- PPP sessions ------------------------------------------------------------------------
    def _named(self, path: str, name: str) -> dict[str, str] | None:
        key = self.unique[path].get((name,))
        return None if key is None else self.items[path][key]

    def _secret(self, login: str) -> dict[str, str] | None:
        return self._named("/ppp/secret", login)

    def _profile(self, name: str) -> dict[str, str]:
        return self._named("/ppp/profile", name) or {"name": name}

    def _dial(self, login: str) -> None:
        cpe = self.cpes.get(login)
        secret = self._secret(login)
        if cpe is None or not cpe.online or secret is None or secret.get("disabled") == "true":
            return
        if login in self.active_by_login or not self.access_up():
            return
        profile = self._profile(secret.get("profile", "default"))
        address = secret.get("remote-address") or ""
        pool = address or profile.get("remote-address", "")
        lease = None
        if not _is_ip(pool):
            leased = self._lease(pool, cpe.mac, login)
            if leased is None:
                return  # pool exhausted: the CPE keeps trying, as a real one would
            address, lease = leased
        self.session_counter += 1
        key = self._insert(
            "/ppp/active",
            {
                "name": login,
                "service": "pppoe",
                "caller-id": cpe.mac,
                "address": address,
                "encoding": "",
                "session-id": f"0x{self.session_counter:08X}",
                "limit-bytes-in": "0",
                "limit-bytes-out": "0",
                "radius": "false",
            },
        )
        self.session_started[key] = self.clock()
        self.session_iface[key] = self.session_interface(login)
        if lease is not None:
            self.session_lease[key] = lease
        listed = profile.get("address-list")
        if listed and (listed, address) not in self.unique["/ip/firewall/address-list"]:
            self.session_listed[key] = self._insert(
                "/ip/firewall/address-list",
                {
                    "list": listed,
                    "address": address,
                    "dynamic": "true",
                    "creation-time": time.strftime("%Y-%m-%d %H:%M:%S"),
                    "comment": "",
                },
            )

    def _hang_up(self, key: int, *, redial: bool) -> None:
        session = self.items["/ppp/active"][key]
        self._delete("/ppp/active", key)
        self.session_started.pop(key, None)
        iface = self.session_iface.pop(key, None)
        if iface is not None and iface in self.items["/interface"]:
            self._delete("/interface", iface)
        lease = self.session_lease.pop(key, None)
        if lease is not None and lease in self.items["/ip/pool/used"]:
            self._delete("/ip/pool/used", lease)
        listed = self.session_listed.pop(key, None)
        if listed is not None and listed in self.items["/ip/firewall/address-list"]:
            self._delete("/ip/firewall/address-list", listed)
        secret = self._secret(session["name"])
        if secret is not None:
            secret["last-logged-out"] = time.strftime("%Y-%m-%d %H:%M:%S")
        if redial:
            if self.loop is not None and self.redial_s > 0:
                self.loop.call_later(self.redial_s, self._dial, session["name"])
            else:
                self._dial(session["name"])

    def _lease(self, pool_name: str, owner: str, login: str) -> tuple[str, int] | None:
        """A free address from the pool (or its next-pool); with its /ip/pool/used key."""
        seen: set[str] = set()
        while pool_name and pool_name != "none" and pool_name not in seen:
            seen.add(pool_name)
            pool = self._named("/ip/pool", pool_name)
            if pool is None:
                return None
            addresses = _addresses(pool["ranges"])
            start = self.pool_cursor.get(pool_name, 0)
            for step in range(len(addresses)):
                index = (start + step) % len(addresses)
                candidate = addresses[index]
                if candidate not in self.leased:
                    self.pool_cursor[pool_name] = index + 1
                    key = self._insert(
                        "/ip/pool/used",
                        {"pool": pool_name, "address": candidate, "owner": owner, "info": login},
                    )
                    return candidate, key
            pool_name = pool.get("next-pool", "none")
        return None


@functools.lru_cache(maxsize=64)
def _addresses(ranges: str) -> tuple[str, ...]:
    return tuple(pool_addresses(ranges))


def pool_addresses(ranges: str) -> Iterator[str]:
    for part in ranges.split(","):
        low, _, high = part.partition("-")
        if "/" in low:
            network = ipaddress.IPv4Network(low, strict=False)
            hosts = network.hosts() if network.num_addresses > 2 else iter(network)
            yield from (str(a) for a in hosts)
            continue
        first = int(ipaddress.IPv4Address(low))
        last = int(ipaddress.IPv4Address(high or low))
        for value in range(first, last + 1):
            yield str(ipaddress.IPv4Address(value))


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.split(".") if part.isdigit())


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True
