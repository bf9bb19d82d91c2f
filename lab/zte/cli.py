"""ZTE ZXA10 CLI session (C300/C320 naming, or C600 naming when the OLT model is C600).

Modes: `NAME#`, `NAME(config)#` (`configure terminal`), a PON port or an ONU interface
(`NAME(config-if)#`; C600 names the interface in the prompt), `NAME(gpon-onu-mng)#`
(`pon-onu-mng …`). `exit` leaves one level (and logs out from the top), `end` returns to
`NAME#`. Show commands work in every mode. Paging (`--More--`) stays on until
`terminal length 0`, which is what netmiko's `zte_zxros` sends at login.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from ispflow.lab.model import LabError, OnuView
from ispflow.lab.shell import SessionEnd, Shell, split_filter
from ispflow.lab.tokens import CliSyntaxError, Token, Words
from ispflow.lab.zte import render
from ispflow.lab.zte.alarms import alarm
from ispflow.lab.zte.config import card, running_config

Level = Literal["exec", "config", "olt-if", "onu-if", "mng"]

INVALID = "%Error 140303: Invalid input detected at '^' marker."
INCOMPLETE = "%Error 20203: Incomplete command."
CONFIG_INFO = "%Info 20272: Enter configuration commands, one per line. End with CTRL/Z."
FAILURE_TEXT = {
    "id-exists": "%Error 326: The onu of this position exists",
    "sn-exists": "%Error 327: The SN has been used by another onu",
    "no-onu": "%Error 328: The onu does not exist",
    "port-full": "%Error 329: The number of onus on this port reaches the maximum",
    "sp-index-exists": "%Error 331: The service-port already exists",
    "sp-exists": "%Error 331: The service-port already exists",
    "no-service-port": "%Error 332: The service-port does not exist",
}
SERIAL_RE = re.compile(r"^[A-Za-z0-9]{4}[0-9A-Fa-f]{8}$")
NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")


def failure(error: LabError) -> list[str]:
    return [FAILURE_TEXT.get(error.code, f"%Error 300: {error.code}")]


class ZteCli(Shell):
    more_text = "--More--"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.level: Level = "exec"
        self.pon = ""
        self.onu_id = 0
        self.naming = render.Naming(c600=self.olt.model.name == "C600")
        self.firmware = render.firmware(self.olt)

    # prompts ---------------------------------------------------------------------------------
    def prompt(self) -> str:
        name = self.olt.name
        if self.level == "exec":
            return f"{name}#"
        if self.level == "config":
            return f"{name}(config)#"
        if self.level == "mng":
            return f"{name}(gpon-onu-mng)#"
        if not self.naming.c600:
            return f"{name}(config-if)#"
        if self.level == "olt-if":
            return f"{name}(config-if-{self.naming.olt_if(self.pon)})#"
        return f"{name}(config-if-{self.naming.onu_if(self.pon, self.onu_id)})#"

    async def greet(self) -> None:
        self.term.write("\r\n")

    def erase_more(self) -> str:
        n = len(self.more_text)
        return "\x08" * n + " " * n + "\x08" * n

    def alarm_lines(self) -> list[str]:
        return alarm(self.olt, self.rng, self.olt.clock())

    def prepare_batch(self) -> None:
        self.level = "exec"

    # the command loop ---------------------------------------------------------------------
    async def execute(self, line: str) -> None:
        command, filter_ = split_filter(line)
        if not command.strip():
            return
        w = Words(command)
        try:
            lines = self.dispatch(w)
        except _Refused as refused:
            lines = [refused.message]
        except CliSyntaxError as error:
            self.write_lines(self.syntax_error(error))
            return
        await self.emit(lines, filter_=filter_)

    def syntax_error(self, error: CliSyntaxError) -> list[str]:
        if error.kind == "incomplete":
            return [INCOMPLETE]
        offset = 0 if self.batch else len(self.prompt())
        return [" " * (offset + error.col) + "^", INVALID]

    def verbs(self) -> tuple[str, ...]:
        common = ("show", "exit", "end", "terminal")
        return (
            common
            + {
                "exec": ("enable", "configure", "write", "disable"),
                "config": ("interface", "pon-onu-mng"),
                "olt-if": ("onu", "no", "interface", "pon-onu-mng"),
                "onu-if": (
                    "name",
                    "description",
                    "tcont",
                    "gemport",
                    "switchport",
                    "service-port",
                    "pppoe-plus",
                    "no",
                    "interface",
                    "pon-onu-mng",
                ),
                "mng": (
                    "service",
                    "vlan",
                    "wan-ip",
                    "security-mng",
                    "ssid",
                    "sip-service",
                    "no",
                    "pon-onu-mng",
                ),
            }[self.level]
        )

    def dispatch(self, w: Words) -> list[str]:
        verb = w.keyword(*self.verbs())
        if verb == "show":
            return self._show(w)
        if verb == "exit":
            w.done()
            if self.level == "exec":
                raise SessionEnd("logout")
            self.level = "exec" if self.level == "config" else "config"
            return []
        if verb in ("end", "enable", "disable"):
            w.done()
            if verb == "end":
                self.level = "exec"
            return []
        if verb == "terminal":
            w.keyword("length")
            self.page_lines = w.integer(0, 512)
            w.done()
            return []
        if verb == "write":
            w.done()
            return ["Building configuration...", "[OK]"]
        if verb == "configure":
            w.keyword("terminal")
            w.done()
            self.level = "config"
            return [] if self.naming.c600 else [CONFIG_INFO]
        if verb == "interface":
            return self._interface(w)
        if verb == "pon-onu-mng":
            pon, onu_id = self._onu_target(w.next())
            w.done()
            self._require_onu(pon, onu_id)
            self.level, self.pon, self.onu_id = "mng", pon, onu_id
            return []
        if self.level == "olt-if":
            return self._olt_if(verb, w)
        if self.level == "onu-if":
            return self._onu_if(verb, w)
        return self._mng(verb, w)

    # configuration ---------------------------------------------------------------------------
    def _interface(self, w: Words) -> list[str]:
        token = w.next()
        w.done()
        pon = self.naming.parse_olt(token.text)
        if pon is not None and pon in self.olt.pons:
            self.level, self.pon = "olt-if", pon
            return []
        pon, onu_id = self._onu_target(token)
        self._require_onu(pon, onu_id)
        self.level, self.pon, self.onu_id = "onu-if", pon, onu_id
        return []

    def _require_onu(self, pon: str, onu_id: int) -> None:
        if onu_id not in self.olt.pon(pon).onts:
            raise _Refused(FAILURE_TEXT["no-onu"])

    def _olt_if(self, verb: str, w: Words) -> list[str]:
        if verb == "no":
            w.keyword("onu")
            onu_id = w.integer(1, 128)
            w.done()
            try:
                self.olt.deauthorize(self.pon, onu_id)
            except LabError as error:
                return failure(error)
            return []
        onu_id = w.integer(1, 128)
        w.keyword("type")
        kind = w.next()
        if not NAME_RE.match(kind.text):
            raise CliSyntaxError("unknown", kind.col)
        w.keyword("sn")
        sn = w.next()
        if not SERIAL_RE.match(sn.text):
            raise CliSyntaxError("unknown", sn.col)
        w.done()
        try:
            self.olt.authorize(
                self.pon, serial=sn.text.upper(), onu_id=onu_id, onu_type=kind.text, description=""
            )
        except LabError as error:
            return failure(error)
        return []

    def _onu_if(self, verb: str, w: Words) -> list[str]:
        pon, onu_id = self.pon, self.onu_id
        if verb == "no":
            what = w.keyword(
                "tcont", "gemport", "service-port", "switchport", "pppoe-plus", "description"
            )
            if what == "service-port":
                index = w.integer(1, 65535)
                w.done()
                try:
                    self.olt.remove_service_port(index, pon, onu_id)
                except LabError as error:
                    return failure(error)
                return []
            key = f"{what} {w.text()}" if not w.at_end() else what
            self.olt.set_onu_config(pon, onu_id, "if", key, None)
            return []
        if verb == "service-port":
            index = w.integer(1, 65535)
            w.keyword("vport")
            vport = w.integer(1, 64)
            w.keyword("user-vlan")
            user_vlan = w.integer(1, 4094)
            w.keyword("vlan")
            vlan = w.integer(1, 4094)
            w.done()
            try:
                self.olt.add_service_port(
                    pon, onu_id, vlan=vlan, gemport=vport, user_vlan=user_vlan, index=index
                )
            except LabError as error:
                return failure(error)
            return []
        rest = _rest(w)
        if not rest:
            raise CliSyntaxError("incomplete", w.end_col)
        if verb in ("name", "description"):
            if verb == "description":
                self.olt.set_description(pon, onu_id, rest)
            self.olt.set_onu_config(pon, onu_id, "if", verb, f"{verb} {rest}")
            return []
        first = rest.split()[0]
        key = {
            "tcont": f"tcont {first}",
            "gemport": f"gemport {first}" + (" traffic-limit" if "traffic-limit" in rest else ""),
            "switchport": f"switchport vport {rest.split()[-1]}",
            "pppoe-plus": f"pppoe-plus {rest.split()[-1]}",
        }[verb]
        self.olt.set_onu_config(pon, onu_id, "if", key, f"{verb} {rest}")
        return []

    def _mng(self, verb: str, w: Words) -> list[str]:
        pon, onu_id = self.pon, self.onu_id
        if verb == "no":
            what = w.keyword("service", "vlan", "wan-ip", "security-mng", "ssid", "sip-service")
            rest = _rest(w)
            self.olt.set_onu_config(pon, onu_id, "mng", _mng_key(what, rest), None)
            return []
        rest = _rest(w)
        if not rest:
            raise CliSyntaxError("incomplete", w.end_col)
        self.olt.set_onu_config(pon, onu_id, "mng", _mng_key(verb, rest), f"{verb} {rest}")
        return []

    # show ------------------------------------------------------------------------------------
    def _show(self, w: Words) -> list[str]:
        what = w.keyword("gpon", "pon", "running-config", "onu", "version", "card")
        if what == "version":
            w.done()
            return render.version(self.olt, self.olt.clock())
        if what == "card":
            w.done()
            return card(self.olt)
        if what == "running-config":
            if w.at_end():
                return running_config(self.olt, self.naming)
            w.keyword("interface")
            token = w.next()
            if self.naming.parse_olt(token.text) is not None:
                pon = self._olt_target(token)
                w.done()
                views = self.olt.snapshot(pon, detail=False)
                return render.pon_running_config(pon, views, self.naming)
            pon, onu_id = self._onu_target(token)
            w.done()
            return self._with_onu(
                pon, onu_id, lambda view: render.running_config(view, self.naming)
            )
        if what == "onu":
            w.keyword("running")
            w.keyword("config")
            pon, onu_id = self._onu_target(w.next())
            w.done()
            return self._with_onu(
                pon, onu_id, lambda view: render.onu_running_config(view, self.naming)
            )
        if what == "pon":
            sub = w.keyword("power", "onu")
            if sub == "onu":
                w.keyword("uncfg")
                return self._uncfg(w)
            return self._power(w)
        w.keyword("onu")
        sub = w.keyword("uncfg", "state", "detail-info", "by")
        if sub == "uncfg":
            return self._uncfg(w)
        if sub == "state":
            return render.state(self._state_views(w), self.naming, self.firmware)
        if sub == "by":
            w.keyword("sn")
            serial = w.next()
            w.done()
            found = self.olt.find(serial=serial.text.upper())
            return render.by_sn(found, self.naming, self.firmware.no_info)
        pon, onu_id = self._onu_target(w.next())
        w.done()
        return self._with_onu(
            pon, onu_id, lambda view: render.detail(view, self.naming, self.olt.clock())
        )

    def _state_views(self, w: Words) -> list[OnuView]:
        """`show gpon onu state [gpon-olt_P [N] | gpon-onu_P:N]`: every ONU, a port's, or one."""
        # The table prints neither readings nor service ports.
        if w.at_end():
            return [
                view for port in self.olt.pons for view in self.olt.snapshot(port, detail=False)
            ]
        token = w.next()
        if self.naming.parse_olt(token.text) is None:
            pon, onu_id = self._onu_target(token)
        else:
            pon = self._olt_target(token)
            if w.at_end():
                return self.olt.snapshot(pon, detail=False)
            onu_id = w.integer(1, 128)
        w.done()
        try:
            return [self.olt.snapshot_onu(pon, onu_id)]
        except LabError:
            return []

    def _uncfg(self, w: Words) -> list[str]:
        pon = self._olt_target(w.next()) if not w.at_end() else None
        w.done()
        return render.uncfg(self.olt.autofind(pon), self.naming, self.firmware.no_info)

    def _power(self, w: Words) -> list[str]:
        which = w.keyword("onu-rx", "onu-tx", "olt-rx", "attenuation")
        token = w.next()
        w.done()
        pon = self.naming.parse_olt(token.text)
        if pon is not None and which != "attenuation":
            if pon not in self.olt.pons:
                raise CliSyntaxError("unknown", token.col)
            return render.power_table(
                self.olt.readings(pon), self.naming, which, self.firmware.no_info
            )
        pon, onu_id = self._onu_target(token)
        if which == "attenuation":
            return self._with_onu(pon, onu_id, render.attenuation)
        if which == "olt-rx":
            return self._with_onu(pon, onu_id, render.olt_rx)
        return self._with_onu(
            pon,
            onu_id,
            lambda view: render.power_table([view], self.naming, which, self.firmware.no_info),
        )

    def _with_onu(self, pon: str, onu_id: int, make: Callable[[OnuView], list[str]]) -> list[str]:
        try:
            view = self.olt.snapshot_onu(pon, onu_id)
        except LabError:
            return [self.firmware.no_info]
        return make(view)

    # interface names -------------------------------------------------------------------------
    def _olt_target(self, token: Token) -> str:
        pon = self.naming.parse_olt(token.text)
        if pon is None or pon not in self.olt.pons:
            raise CliSyntaxError("unknown", token.col)
        return pon

    def _onu_target(self, token: Token) -> tuple[str, int]:
        target = self.naming.parse_onu(token.text)
        if target is None or target[0] not in self.olt.pons or not 1 <= target[1] <= 128:
            raise CliSyntaxError("unknown", token.col)
        return target


class _Refused(Exception):
    """A well-formed command the OLT turns down with its own message instead of a caret."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _rest(w: Words) -> str:
    parts = []
    while not w.at_end():
        parts.append(w.text())
    return " ".join(parts)


def _mng_key(verb: str, rest: str) -> str:
    words = rest.split()
    if verb == "vlan" and len(words) >= 2:
        return f"vlan {words[0]} {words[1]}"
    return f"{verb} {words[0]}" if words else verb
