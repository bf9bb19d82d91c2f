"""Huawei SmartAX CLI session: modes, smart-mode parameter prompts, paging, commands.

Modes: `NAME>` (user), `NAME#` (privileged, `enable`), `NAME(config)#` (`config`),
`NAME(config-if-gpon-F/S)#` (`interface gpon F/S`). `quit` leaves one level; from the
privileged or user level it logs out (after `Are you sure to log out? (y/n)[n]:` unless
`undo interactive`), and answering `y` closes the TCP session at once: netmiko waits 30 s
for exactly that otherwise.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

from ispflow.lab.huawei import render
from ispflow.lab.huawei.alarms import alarm
from ispflow.lab.huawei.config import current_configuration
from ispflow.lab.model import LabError, ServicePort, canonical_mac, canonical_serial
from ispflow.lab.shell import SessionEnd, Shell, split_filter
from ispflow.lab.timefmt import stamp
from ispflow.lab.tokens import CliSyntaxError, Token, Words

Level = Literal["user", "enable", "config", "gpon"]

SMART_PLAIN = "{ <cr>||<K> }:"
SMART_SERVICE_PORT = "{ <cr>|gemport<K>|sort-by<K> }:"
# After `display service-port port F/S/P` without `ont` (no transcript; the optional words
# that may follow there).
SMART_SERVICE_PORT_PON = "{ <cr>|ont<K>|sort-by<K> }:"
# After `display current-configuration` (real, netmiko #609).
SMART_CURRENT_CONFIG = "{ <cr>|ont<K>|port<K>|section<K>|service-port<K>|simple<K>||<K> }:"

ERROR_TEXT = {
    "unknown": "% Unknown command, the error locates at '^'",
    "parameter": "% Parameter error, the error locates at '^'",
    "incomplete": "% Incomplete command, the error locates at '^'",
    "too-many": "% Too many parameters, the error locates at '^'",
}
FAILURE_TEXT = {
    "sn-exists": "SN already exists",
    "mac-exists": "MAC address already exists",
    "id-exists": "The ONT ID has already existed",
    "port-full": "The number of ONTs on the port has reached the upper limit",
    "no-onu": "The ONT does not exist",
    "has-service-ports": "This configured object has some service virtual ports",
    "sp-index-exists": "The index of the service virtual port has been used",
    "sp-exists": "The service virtual port has existed already",
    "no-service-port": "The service virtual port does not exist",
    "no-identity": "The ONT does not exist",
}
FSP_RE = re.compile(r"^(\d+)/(\d+)/(\d+)$")
FS_RE = re.compile(r"^(\d+)/(\d+)$")

# The "User last login information" block shows the previous session of the same OLT.
_last_login: dict[str, tuple[str, float, float]] = {}
_last_login_lock = threading.Lock()

Run = Callable[[], Awaitable[list[str]]]


@dataclass
class Action:
    run: Run
    smart: str | None = None  # the parameter prompt smart mode shows first, if any


def _now_lines(lines: list[str]) -> Run:
    async def run() -> list[str]:
        return lines

    return run


def _later(make: Callable[[], list[str]]) -> Run:
    async def run() -> list[str]:
        return make()

    return run


def failure(error: LabError) -> list[str]:
    return render.failure(FAILURE_TEXT.get(error.code, error.code))


class HuaweiCli(Shell):
    more_text = "---- More ( Press 'Q' to break ) ----"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.level: Level = "user"
        self.board: tuple[int, int] = (0, 0)
        self.smart = True
        self.interactive = True
        self.mmi = False
        self.infoswitch = True

    # prompts and greeting -------------------------------------------------------------------
    def prompt(self) -> str:
        name = self.olt.name
        if self.level == "user":
            return f"{name}>"
        if self.level == "enable":
            return f"{name}#"
        if self.level == "config":
            return f"{name}(config)#"
        return f"{name}(config-if-gpon-{self.board[0]}/{self.board[1]})#"

    def prompt_text(self) -> str:
        # SmartAX leaves an empty line between a command's output and the next prompt.
        return "\r\n" + self.prompt()

    def erase_more(self) -> str:
        n = len(self.more_text)
        return f"\x1b[{n}D" + " " * n + f"\x1b[{n}D"

    def alarm_lines(self) -> list[str]:
        return alarm(self.olt, self.rng, self.olt.clock())

    def prepare_batch(self) -> None:
        self.level = "enable"
        self.smart = False
        self.interactive = False

    async def greet(self) -> None:
        now = self.olt.clock()
        product = "MA5800" if self.olt.model.name.startswith("MA5800") else "MA5600T"
        with _last_login_lock:
            peer, login, logout = _last_login.get(
                self.olt.name,
                ("10.0.0.10", self.olt.started_at - 86400, self.olt.started_at - 86000),
            )
            _last_login[self.olt.name] = (self.peer, now, now)
        lines = [
            "",
            "",
            f"  Huawei Integrated Access Software ({product}).",
            "  Copyright(C) Huawei Technologies Co., Ltd. 2002-2021. All rights reserved.",
            "",
            render.SEP,
            "  User last login information:",
            render.SEP,
            "  Access Type : SSH",
            f"  IP-Address  : {peer}",
            f"  Login  Time : {stamp(login, offset=True)}",
            f"  Logout Time : {stamp(logout, offset=True)}",
            render.SEP,
        ]
        self.write_lines(lines)
        if self.behaviour.yes_no_banner:
            self.term.write(
                "  Notice: Only authorized users may log on; sessions are recorded.\r\n"
                "  Continue to log on? (YES/NO)[NO]:"
            )
            await self.term.flush()
            answer = await self.term.read_line()
            if answer is None or answer.strip().lower() not in ("y", "yes"):
                raise SessionEnd("logout")
        if self.behaviour.password_warning:
            self.term.write(
                self.prompt_text()
                + "\r\n  Warning: The user password is set by other administrator or NMS, it is"
                "\r\nrecommended to change the password.\r\n"
            )

    def _logout(self) -> SessionEnd:
        with _last_login_lock:
            peer, login, _ = _last_login.get(self.olt.name, (self.peer, self.olt.clock(), 0.0))
            _last_login[self.olt.name] = (peer, login, self.olt.clock())
        return SessionEnd("logout")

    # the command loop ---------------------------------------------------------------------
    async def execute(self, line: str) -> None:
        command, filter_ = split_filter(line)
        if not command.strip():
            return
        try:
            action = self.parse(Words(command))
        except CliSyntaxError as error:
            self.write_lines(self.syntax_error(error))
            return
        header: list[str] = []
        if action.smart and self.smart and not self.batch:
            self.term.write(action.smart)
            await self.term.flush()
            extra = await self.term.read_line()
            if extra is None:
                raise SessionEnd("eof")
            if extra.strip():
                # What is typed at the parameter prompt continues the command.
                line = f"{line.rstrip()} {extra.strip()}"
                command, filter_ = split_filter(line)
                try:
                    action = self.parse(Words(command))
                except CliSyntaxError as error:
                    self.write_lines(self.syntax_error(error))
                    return
            header = ["", "  Command:", "          " + line.rstrip() + render.CURSOR_QUIRK]
        lines = await action.run()
        no_more = filter_ is not None and filter_.lower().startswith("no-more")
        await self.emit(header + lines, paged=not no_more, filter_=None if no_more else filter_)

    def syntax_error(self, error: CliSyntaxError) -> list[str]:
        offset = 0 if self.batch else len(self.prompt())
        return [" " * (offset + error.col) + "^", "  " + ERROR_TEXT[error.kind]]

    def verbs(self) -> tuple[str, ...]:
        common = ("display", "undo", "smart", "scroll", "quit", "interactive", "idle-timeout")
        return (
            common
            + {
                "user": ("enable",),
                "enable": ("enable", "disable", "config", "infoswitch"),
                "config": ("interface", "service-port", "return", "mmi-mode", "infoswitch"),
                "gpon": ("ont", "interface", "return"),
            }[self.level]
        )

    def parse(self, w: Words) -> Action:
        verb = w.keyword(*self.verbs())
        handler = getattr(self, "_" + verb.replace("-", "_"))
        return handler(w)

    # session and mode commands ------------------------------------------------------------
    def _silent(self, w: Words, change: Callable[[], None] | None = None) -> Action:
        w.done()
        if change:
            change()
        return Action(_now_lines([]))

    def _enable(self, w: Words) -> Action:
        return self._silent(w, lambda: setattr(self, "level", "enable"))

    def _disable(self, w: Words) -> Action:
        return self._silent(w, lambda: setattr(self, "level", "user"))

    def _config(self, w: Words) -> Action:
        return self._silent(w, lambda: setattr(self, "level", "config"))

    def _return(self, w: Words) -> Action:
        return self._silent(w, lambda: setattr(self, "level", "enable"))

    def _smart(self, w: Words) -> Action:
        return self._silent(w, lambda: setattr(self, "smart", True))

    def _interactive(self, w: Words) -> Action:
        return self._silent(w, lambda: setattr(self, "interactive", True))

    def _idle_timeout(self, w: Words) -> Action:
        if not w.at_end():
            w.integer(0, 60)
        return self._silent(w)

    def _scroll(self, w: Words) -> Action:
        # Bare `scroll` shows everything without pausing; `scroll N` pages every N lines.
        lines = w.integer(10, 512) if not w.at_end() else 0
        return self._silent(w, lambda: setattr(self, "page_lines", lines))

    def _infoswitch(self, w: Words) -> Action:
        w.keyword("cli")
        state = w.keyword("on", "off", kind="parameter")
        return self._silent(w, lambda: setattr(self, "infoswitch", state == "on"))

    def _mmi_mode(self, w: Words) -> Action:
        state = w.keyword("enable", "disable", kind="parameter")
        return self._silent(w, lambda: setattr(self, "mmi", state == "enable"))

    def _interface(self, w: Words) -> Action:
        w.keyword("gpon")
        token = w.next()
        match = FS_RE.match(token.text)
        if not match or not self.olt.has_board(int(match[1]), int(match[2])):
            raise CliSyntaxError("parameter", token.col)
        board = (int(match[1]), int(match[2]))

        def enter() -> None:
            self.level = "gpon"
            self.board = board

        return self._silent(w, enter)

    def _quit(self, w: Words) -> Action:
        w.done()
        if self.level == "gpon":
            return self._silent(w, lambda: setattr(self, "level", "config"))
        if self.level == "config":
            return self._silent(w, lambda: setattr(self, "level", "enable"))

        async def logout() -> list[str]:
            if self.interactive:
                self.term.write(
                    "  Check whether system data has been changed. Please save data before logout.\r\n"
                )
                if not await self.ask("Are you sure to log out? (y/n)[n]:"):
                    return []
            raise self._logout()

        return Action(logout)

    def _undo(self, w: Words) -> Action:
        options = ["smart", "interactive", "idle-timeout"]
        if self.level == "config":
            options.append("service-port")
        what = w.keyword(*options)
        if what == "smart":
            return self._silent(w, lambda: setattr(self, "smart", False))
        if what == "interactive":
            return self._silent(w, lambda: setattr(self, "interactive", False))
        if what == "idle-timeout":
            return self._silent(w)
        return self._undo_service_port(w)

    # display ---------------------------------------------------------------------------------
    def _display(self, w: Words) -> Action:
        what = w.keyword("ont", "service-port", "version", "board", "time", "current-configuration")
        if what == "current-configuration":
            w.done()
            return Action(_later(lambda: current_configuration(self.olt)), SMART_CURRENT_CONFIG)
        if what == "version":
            w.done()
            return Action(_later(lambda: render.version(self.olt, self.olt.clock())), SMART_PLAIN)
        if what == "time":
            w.done()
            return Action(
                _later(lambda: ["  " + stamp(self.olt.clock(), offset=True)]), SMART_PLAIN
            )
        if what == "board":
            token = w.next()
            if not token.text.isdigit() or int(token.text) != self.olt.frame:
                raise CliSyntaxError("parameter", token.col)
            w.done()
            return Action(_later(lambda: render.board(self.olt)), SMART_PLAIN)
        if what == "service-port":
            return self._display_service_port(w)
        subjects = (
            ("autofind", "info", "optical-info") if self.level == "gpon" else ("autofind", "info")
        )
        subject = w.keyword(*subjects)
        if subject == "autofind":
            return self._display_autofind(w)
        if subject == "optical-info":
            return self._display_optical(w)
        return self._display_info(w)

    def _display_autofind(self, w: Words) -> Action:
        token = w.next()
        if token.text.lower() == "all":
            pon = None
        elif self.level == "gpon" and token.text.isdigit():
            pon = self._board_port(token)
        else:
            raise CliSyntaxError("parameter", token.col)
        w.done()
        return Action(
            _later(lambda: render.autofind(self.olt.autofind(pon), self.olt)), SMART_PLAIN
        )

    def _display_info(self, w: Words) -> Action:
        now = self.olt.clock
        token = w.next()
        lowered = token.text.lower()
        if lowered == "by-sn" or (len(lowered) >= 4 and "by-sn".startswith(lowered)):
            sn_token = w.next()
            serial = canonical_serial(sn_token.text)
            if serial is None:
                raise CliSyntaxError("parameter", sn_token.col)
            w.done()

            def by_sn() -> list[str]:
                view = self.olt.find(serial=serial)
                return (
                    render.ont_detail(view, now())
                    if view
                    else render.failure("The ONT does not exist")
                )

            return Action(_later(by_sn), SMART_PLAIN)
        if lowered == "summary" or (len(lowered) >= 2 and "summary".startswith(lowered)):
            pon = self._fsp(w.next())
            w.done()
            return Action(
                _later(lambda: self._port_or_failure(pon, render.ont_summary)), SMART_PLAIN
            )
        remaining = len(w.tokens) - w.pos
        if self.level == "gpon" and remaining == 1:
            pon = self._board_port(token)
            return self._info_target(w, pon)
        if not token.text.isdigit() or int(token.text) != self.olt.frame:
            raise CliSyntaxError("parameter", token.col)
        nxt = w.next()
        if nxt.text.lower() == "all":
            w.done()
            return Action(_later(self._frame_tables), SMART_PLAIN)
        if not nxt.text.isdigit() or not self.olt.has_board(self.olt.frame, int(nxt.text)):
            raise CliSyntaxError("parameter", nxt.col)
        port_token = w.next()
        pon = f"{self.olt.frame}/{int(nxt.text)}/{port_token.text}"
        if pon not in self.olt.pons:
            raise CliSyntaxError("parameter", port_token.col)
        return self._info_target(w, pon)

    def _info_target(self, w: Words, pon: str) -> Action:
        token = w.next()
        w.done()
        if token.text.lower() == "all":
            return Action(_later(lambda: self._port_or_failure(pon, render.ont_table)), SMART_PLAIN)
        if not token.text.isdigit() or int(token.text) not in self.olt.id_range:
            raise CliSyntaxError("parameter", token.col)
        onu_id = int(token.text)

        def one() -> list[str]:
            try:
                return render.ont_detail(self.olt.snapshot_onu(pon, onu_id), self.olt.clock())
            except LabError as error:
                return failure(error)

        return Action(_later(one), SMART_PLAIN)

    def _port_or_failure(self, pon: str, table: Callable[[str, list], list[str]]) -> list[str]:
        views = self.olt.snapshot(pon)
        if not views:
            return render.failure("The ONT does not exist")
        return table(pon, views)

    def _frame_tables(self) -> list[str]:
        lines: list[str] = []
        for pon in self.olt.pons:
            views = self.olt.snapshot(pon)
            if views:
                lines += ([""] if lines else []) + render.ont_table(pon, views)
        return lines or render.failure("The ONT does not exist")

    def _display_optical(self, w: Words) -> Action:
        pon = self._board_port(w.next())
        token = w.next()
        w.done()
        if token.text.lower() == "all":

            def bulk() -> list[str]:
                readings = self.olt.readings(pon)
                return (
                    render.optical_all(readings, render.firmware(self.olt))
                    if readings
                    else render.failure("The ONT does not exist")
                )

            return Action(_later(bulk), SMART_PLAIN)
        if not token.text.isdigit() or int(token.text) not in self.olt.id_range:
            raise CliSyntaxError("parameter", token.col)
        onu_id = int(token.text)

        def one() -> list[str]:
            try:
                return render.optical_one(self.olt.snapshot_onu(pon, onu_id))
            except LabError as error:
                return failure(error)

        return Action(_later(one), SMART_PLAIN)

    def _display_service_port(self, w: Words) -> Action:
        token = w.next()
        lowered = token.text.lower()
        if lowered == "all":
            w.done()
            return Action(_later(self._all_service_ports), SMART_PLAIN)
        if lowered.isdigit():
            index = int(lowered)
            w.done()
            return Action(_later(lambda: self._service_port_table(index)), SMART_PLAIN)
        if lowered != "port":
            raise CliSyntaxError("parameter", token.col)
        pon = self._fsp(w.next())
        onu_id = gemport = None
        if w.maybe("ont"):
            onu_id = w.integer(self.olt.id_range.start, self.olt.id_range.stop - 1)
            gemport = w.integer(0, 1023) if w.maybe("gemport") else None
        w.done()
        if onu_id is None:
            smart = SMART_SERVICE_PORT_PON
        else:
            smart = SMART_SERVICE_PORT if gemport is None else SMART_PLAIN
        return Action(_later(lambda: self._pon_service_ports(pon, onu_id, gemport)), smart)

    def _pon_service_ports(self, pon: str, onu_id: int | None, gemport: int | None) -> list[str]:
        rows = self.olt.pon_service_ports(pon, onu_id)
        if gemport is not None:
            rows = [(sp, online) for sp, online in rows if sp.gemport == gemport]
        return self._service_port_rows(rows)

    def _all_service_ports(self) -> list[str]:
        rows = [row for pon in self.olt.pons for row in self.olt.pon_service_ports(pon)]
        return self._service_port_rows(sorted(rows, key=lambda row: row[0].index))

    @staticmethod
    def _service_port_rows(rows: list[tuple[ServicePort, bool]]) -> list[str]:
        if not rows:
            return render.failure("No service virtual port can be operated")
        online = {(sp.pon, sp.onu_id): up for sp, up in rows}
        return render.service_ports([sp for sp, _ in rows], online)

    def _service_port_table(self, index: int) -> list[str]:
        with self.olt.lock:
            ports = [sp for sp in self.olt.service_ports.values() if sp.index == index]
            online = {}
            for key in {(sp.pon, sp.onu_id) for sp in ports}:
                online[key] = self.olt.snapshot_onu(*key).online
        if not ports:
            return render.failure("No service virtual port can be operated")
        return render.service_ports(ports, online)

    # provisioning ----------------------------------------------------------------------------
    def _ont(self, w: Words) -> Action:
        verb = w.keyword("add", "delete", "modify")
        port_token = w.next()
        pon = self._board_port(port_token)
        port = int(port_token.text)
        if verb == "delete":
            return self._ont_delete(w, pon)
        if verb == "modify":
            return self._ont_modify(w, pon)
        onu_id = None
        peek = w.peek()
        if peek is not None and peek.text.isdigit():
            onu_id = w.integer(self.olt.id_range.start, self.olt.id_range.stop - 1)
        auth = w.keyword("sn-auth", "mac-auth", kind="parameter")
        ident = w.next()
        serial = mac = None
        if auth == "sn-auth":
            serial = canonical_serial(ident.text)
            if serial is None:
                raise CliSyntaxError("parameter", ident.col)
        else:
            mac = canonical_mac(ident.text)
            if mac is None:
                raise CliSyntaxError("parameter", ident.col)
        management = line_profile = srv_profile = None
        description = ""
        while not w.at_end():
            option = w.keyword(
                "omci",
                "snmp",
                "oam",
                "ont-lineprofile-id",
                "ont-lineprofile-name",
                "ont-srvprofile-id",
                "ont-srvprofile-name",
                "desc",
                kind="parameter",
            )
            if option in ("omci", "snmp", "oam"):
                management = option
            elif option.endswith("-id"):
                value = str(w.integer(0, 8192))
                if option.startswith("ont-line"):
                    line_profile = value
                else:
                    srv_profile = value
            elif option.endswith("-name"):
                value = w.text()
                if option.startswith("ont-line"):
                    line_profile = value
                else:
                    srv_profile = value
            else:
                description = self._description(w.next())
        if management is None or line_profile is None or srv_profile is None:
            raise CliSyntaxError("incomplete", w.end_col)

        def add() -> list[str]:
            try:
                new_id = self.olt.authorize(
                    pon,
                    serial=serial,
                    mac=mac,
                    onu_id=onu_id,
                    line_profile=line_profile or "",
                    srv_profile=srv_profile or "",
                    description=description,
                )
            except LabError as error:
                return failure(error)
            return render.ont_added(port, new_id)

        return Action(_later(add))

    def _ont_modify(self, w: Words, pon: str) -> Action:
        """`ont modify P N desc "TEXT"`: the lab models only the description."""
        onu_id = w.integer(self.olt.id_range.start, self.olt.id_range.stop - 1)
        w.keyword("desc", kind="parameter")
        description = self._description(w.next())
        w.done()

        def modify() -> list[str]:
            try:
                self.olt.set_description(pon, onu_id, description)
            except LabError as error:
                return failure(error)
            return []

        return Action(_later(modify))

    @staticmethod
    def _description(token: Token) -> str:
        if len(token.text) > 64:
            raise CliSyntaxError("parameter", token.col)
        return token.text

    def _ont_delete(self, w: Words, pon: str) -> Action:
        token = w.next()
        w.done()
        if token.text.lower() == "all":

            async def delete_all() -> list[str]:
                if self.interactive and not await self.ask(
                    "  Are you sure to delete all the ONTs on the port? (y/n)[n]:"
                ):
                    return []
                total = len(self.olt.snapshot(pon))
                deleted, _refused = self.olt.deauthorize_all(pon)
                return render.ont_deleted(total, deleted)

            return Action(delete_all)
        if not token.text.isdigit() or int(token.text) not in self.olt.id_range:
            raise CliSyntaxError("parameter", token.col)
        onu_id = int(token.text)

        def delete() -> list[str]:
            try:
                self.olt.deauthorize(pon, onu_id)
            except LabError as error:
                return failure(error)
            return render.ont_deleted(1, 1)

        return Action(_later(delete))

    def _service_port(self, w: Words) -> Action:
        index = None
        peek = w.peek()
        if peek is not None and peek.text.isdigit():
            index = w.integer(0, 65535)
        w.keyword("vlan")
        vlan = w.integer(1, 4094)
        w.keyword("gpon")
        pon = self._fsp(w.next())
        w.keyword("ont")
        onu_id = w.integer(self.olt.id_range.start, self.olt.id_range.stop - 1)
        w.keyword("gemport")
        gemport = w.integer(0, 1023)
        user_vlan = vlan
        tag_transform = "translate"
        inbound = outbound = None
        while not w.at_end():
            option = w.keyword(
                "multi-service",
                "user-vlan",
                "tag-transform",
                "inbound",
                "outbound",
                "rx-cttr",
                "tx-cttr",
            )
            if option == "user-vlan":
                user_vlan = w.integer(1, 4094)
            elif option == "tag-transform":
                tag_transform = w.keyword(
                    "translate",
                    "transparent",
                    "translate-and-add",
                    "default",
                    "add",
                    kind="parameter",
                )
                if tag_transform == "translate-and-add" and w.maybe("inner-vlan"):
                    w.integer(1, 4094)
            elif option in ("inbound", "outbound"):
                w.keyword("traffic-table")
                how = w.keyword("index", "name", kind="parameter")
                value = w.integer(0, 1023) if how == "index" else None
                if how == "name":
                    w.text()
                if option == "inbound":
                    inbound = value
                else:
                    outbound = value
            elif option in ("rx-cttr", "tx-cttr"):
                value = w.integer(0, 1023)
                if option == "rx-cttr":
                    inbound = value
                else:
                    outbound = value

        def create() -> list[str]:
            try:
                self.olt.add_service_port(
                    pon,
                    onu_id,
                    vlan=vlan,
                    gemport=gemport,
                    user_vlan=user_vlan,
                    index=index,
                    tag_transform=tag_transform,
                    inbound=inbound,
                    outbound=outbound,
                )
            except LabError as error:
                return failure(error)
            return []

        return Action(_later(create))

    def _undo_service_port(self, w: Words) -> Action:
        token = w.next()
        if token.text.isdigit():
            index = int(token.text)
            w.done()

            def remove() -> list[str]:
                try:
                    self.olt.remove_service_port(index)
                except LabError as error:
                    return failure(error)
                return []

            return Action(_later(remove))
        if token.text.lower() != "port":
            raise CliSyntaxError("parameter", token.col)
        pon = self._fsp(w.next())
        w.keyword("ont")
        onu_id = w.integer(self.olt.id_range.start, self.olt.id_range.stop - 1)
        w.done()

        def remove_all() -> list[str]:
            if self.olt.remove_onu_service_ports(pon, onu_id) == 0:
                return render.failure("No service virtual port can be operated")
            return []

        return Action(_later(remove_all))

    # port spelling ---------------------------------------------------------------------------
    def _fsp(self, token: Token) -> str:
        match = FSP_RE.match(token.text)
        pon = f"{int(match[1])}/{int(match[2])}/{int(match[3])}" if match else ""
        if pon not in self.olt.pons:
            raise CliSyntaxError("parameter", token.col)
        return pon

    def _board_port(self, token: Token) -> str:
        """A port number inside `interface gpon F/S`."""
        pon = f"{self.board[0]}/{self.board[1]}/{token.text}"
        if not token.text.isdigit() or pon not in self.olt.pons:
            raise CliSyntaxError("parameter", token.col)
        return pon
