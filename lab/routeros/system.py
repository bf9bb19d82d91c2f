"""The router's own side of a lab concentrator: interfaces, files, `/export`, RouterBOARD.

An interface is running when it is enabled and has link (a VLAN: when its parent runs too).
The PPPoE server listens on one of them: when none of the servers' interfaces runs, every
session drops and no CPE gets one until an interface comes back, when they all dial again.
Each session has its dynamic `<pppoe-LOGIN>` interface (type `pppoe-in`) while it lasts.
"""

from __future__ import annotations

import hashlib
import time
import zlib
from typing import Any

from ispflow.lab.routeros.export import export_text
from ispflow.lab.routeros.menus import RouterError
from ispflow.lab.routeros.system_menus import ALL_MENUS, COUNTERS

BOARD = "CCR2004-1G-12S+2XS"
# Files up to this size show their `contents` in a print; a larger one is read with
# /file/read (RouterOS 7.13+). The limit is not documented; clients report "tens of KB".
FILE_INLINE_LIMIT = 48 * 1024
EXPORT_FLAGS = ("terse", "verbose", "compact", "show-sensitive")
PPPOE_MTU = "1480"


def _flag(value: str | None) -> bool:
    return value is not None and value.lower() in ("", "yes", "true")


def _stamp(seconds: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))


class RouterSystem:
    """Mixed into Concentrator, whose tables, indexes and PPP sessions it works on."""

    name: str
    version: str
    items: dict[str, dict[int, dict[str, str]]]
    cpes: dict[str, Any]
    active_by_login: dict[str, int]
    session_iface: dict[int, int]
    started_at: float

    # -- RouterBOARD and packages --------------------------------------------------------
    def routerboard(self) -> dict[str, str]:
        serial = "HE" + hashlib.sha1(f"serial:{self.name}".encode()).hexdigest()[:9].upper()
        return {
            "routerboard": "true",
            "board-name": BOARD,
            "model": BOARD,
            "serial-number": serial,
            "firmware-type": "al64v8",
            "factory-firmware": "7.1.5",
            "current-firmware": self.version,
            "upgrade-firmware": self.version,
        }

    # -- interfaces ----------------------------------------------------------------------
    def running(self, item: dict[str, str]) -> bool:
        if item.get("disabled") == "true":
            return False
        if item.get("type") == "vlan":
            parent = self._named("/interface", item.get("on", ""))
            return parent is not None and self.running(parent)
        return item.get("link", "true") == "true"

    def access_up(self) -> bool:
        """Can a CPE reach a PPPoE server? (A router set up without one takes every CPE.)"""
        servers = self.items["/interface/pppoe-server/server"].values()
        if not servers:
            return True
        for server in servers:
            iface = self._named("/interface", server.get("interface", ""))
            if server.get("disabled") == "false" and iface is not None and self.running(iface):
                return True
        return False

    def interfaces_changed(self) -> None:
        if not self.access_up():
            for key in list(self.items["/ppp/active"]):
                self._hang_up(key, redial=False)
            return
        for login, cpe in self.cpes.items():
            if cpe.online and login not in self.active_by_login:
                self._dial(login)

    def session_interface(self, login: str) -> int:
        return self._insert(
            "/interface",
            {
                "since": str(self.clock()),  # for its counters; not a RouterOS field
                "name": f"<pppoe-{login}>",
                "type": "pppoe-in",
                "mtu": PPPOE_MTU,
                "actual-mtu": PPPOE_MTU,
                "dynamic": "true",
                "disabled": "false",
            },
        )

    def _interface_values(self, key: int, item: dict[str, str], row: dict[str, str]) -> None:
        running = self.running(item)
        row["running"] = "true" if running else "false"
        if item.get("type") == "pppoe-in":
            since = float(item.get("since", self.clock()))
        else:
            since = self.started_at
            row.setdefault("link-downs", "0")
            if running:
                row["last-link-up-time"] = _stamp(self.started_at)
        seconds = max(0.0, self.clock() - since) if running else 0.0
        rate = 1000 + zlib.crc32(item["name"].encode()) % 50_000  # bytes a second, steady
        totals = {"rx-byte": rate * seconds, "tx-byte": rate * seconds * 7}
        totals["rx-packet"] = totals["rx-byte"] / 600
        totals["tx-packet"] = totals["tx-byte"] / 1200
        for name in COUNTERS:
            row[name] = str(int(totals.get(name, 0)))

    # -- files and /export ---------------------------------------------------------------
    def _live_values(self, path: str, key: int, item: dict[str, str], row: dict[str, str]) -> None:
        if path == "/interface":
            self._interface_values(key, item, row)
        elif path == "/system/package/update":
            row["installed-version"] = row["latest-version"] = self.version
            row["status"] = "System is already up to date"
        elif path == "/file":
            contents = item.get("contents", "")
            row["size"] = str(len(contents.encode("utf-8")))
            if item.get("type") == "directory" or len(contents.encode()) > FILE_INLINE_LIMIT:
                row.pop("contents", None)

    def _export(self, path: str, attributes: dict[str, str]) -> list[list[str]]:
        for name in attributes:
            if name != "file" and name not in EXPORT_FLAGS and not name.startswith("."):
                raise RouterError(f"unknown parameter {name}", 1)
        if path and not any(p == path or p.startswith(path + "/") for p in ALL_MENUS):
            raise RouterError("no such command prefix", 0)
        if "file" not in attributes:
            return [["!done"]]  # the console prints it; the API gets nothing
        text = export_text(
            self,  # type: ignore[arg-type]
            terse=_flag(attributes.get("terse")),
            verbose=_flag(attributes.get("verbose")),
            show_sensitive=_flag(attributes.get("show-sensitive")),
            path=path or None,
            now=self.clock(),
        )
        name = attributes["file"]
        name = name if name.endswith(".rsc") else name + ".rsc"
        self.write_file(name, text, kind="script")
        return [["!done"]]

    def write_file(self, name: str, contents: str, *, kind: str = "file") -> None:
        now = _stamp(self.clock())
        found = self._named("/file", name)
        if found is not None:
            found.update({"contents": contents, "last-modified": now})
            return
        values = {"name": name, "type": kind, "contents": contents}
        self._insert("/file", {**values, "creation-time": now, "last-modified": now})

    def _read_file(self, attributes: dict[str, str]) -> list[list[str]]:
        found = self._named("/file", attributes.get("file", ""))
        if found is None:
            raise RouterError("no such item", 0)  # not seen verbatim for /file/read
        data = found.get("contents", "").encode("utf-8")
        try:
            offset = int(attributes.get("offset", "0"))
            size = int(attributes.get("chunk-size", str(len(data))))
        except ValueError:
            raise RouterError("input does not match any value of offset", 1) from None
        chunk = data[offset : offset + size].decode("utf-8", errors="ignore")
        return [["!re", f"=data={chunk}"], ["!done"]]

    # Provided by Concentrator.
    clock: Any
    _named: Any
    _insert: Any
    _dial: Any
    _hang_up: Any
