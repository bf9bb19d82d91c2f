"""DmOS CLI session of a DM46xx OLT, with its candidate configuration.

Modes: `HOST#`, `HOST(config)#` (`config`), `HOST(config-gpon-1/1/N)#`,
`HOST(config-gpon-onu-N)#`, `HOST(config-ethernet-1)#`, `HOST(config-service-port-N)#`,
`HOST(config-user-NAME)#` (`aaa user NAME`, then `password SECRET` and `group NAME`: a
captured DmOS session has the mode and asks for the password on its own line; the lab takes
it on the command line).
Changes wait in the session's candidate until `commit` (`Commit complete.`), which checks
the whole change first and takes none of it when a check fails (`Aborted: …`); `abort`
throws the candidate away and leaves configuration mode, `top` goes back to `(config)`,
`end` leaves configuration mode. `config exclusive` locks the configuration: the other
sessions' commits are refused while it lasts. Reads take `| nomore`, `| include X` and
`| display curly-braces`; without `| nomore` long answers stop at `--More--`.

From captured DmOS sessions: the prompts, `Entering configuration mode terminal`,
`Commit complete.`, the caret line and `syntax error: …`. From DmOS documentation only:
`Aborted: the configuration database is locked by session …`, `% No entries found.`,
`% No modifications to commit.`, `Error: element does not exist`, `abort`, and
`Aborted: illegal reference …` for an ONU removed while a service port names it. With
`--alarms`, system messages in the middle of some answers (alarms.py: the form is the CLI
framework's, no DmOS capture has one).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Literal

from ispflow.lab.datacom import render
from ispflow.lab.datacom.alarms import alarm
from ispflow.lab.datacom.config import (
    local_users,
    pon_config,
    running_config,
    service_ports,
    set_local_user,
)
from ispflow.lab.datacom.provision import set_onu, set_service_description
from ispflow.lab.model import LabError
from ispflow.lab.shell import SessionEnd, Shell
from ispflow.lab.tokens import CliSyntaxError, Words

Level = Literal["exec", "config", "gpon", "onu", "ethernet", "service-port", "user"]

SERIAL_RE = re.compile(r"^[A-Za-z0-9]{4}[0-9A-Fa-f]{8}$")
NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,48}$")
_SESSIONS = itertools.count(60)
# OLT name -> the session holding `config exclusive`.
_EXCLUSIVE: dict[str, int] = {}


@dataclass
class OnuChange:
    """What the candidate does to one ONU: create or change its leaves, or remove it."""

    remove: bool = False
    leaves: dict[str, str | None] = field(default_factory=dict)


@dataclass
class ServicePortChange:
    remove: bool = False
    target: tuple[str, int, int, int, int] | None = None  # pon, onu, gem, user vlan, vlan
    description: str | None = None


class _Refused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class DmosCli(Shell):
    more_text = "--More--"

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.session_id = next(_SESSIONS)
        self.level: Level = "exec"
        self.pon = ""
        self.onu_id = 0
        self.sp_index = 0
        self.onus: dict[tuple[str, int], OnuChange] = {}
        self.sps: dict[int, ServicePortChange] = {}
        self.user = ""
        self.users: dict[str, dict[str, str]] = {}  # local users the candidate adds or changes

    # prompts -------------------------------------------------------------------------------
    def prompt(self) -> str:
        name = self.olt.name
        mode = {
            "exec": "",
            "config": "(config)",
            "gpon": f"(config-gpon-{self.pon})",
            "onu": f"(config-gpon-onu-{self.onu_id})",
            "ethernet": "(config-ethernet-1)",
            "service-port": f"(config-service-port-{self.sp_index})",
            "user": f"(config-user-{self.user})",
        }[self.level]
        return f"{name}{mode}# "

    async def greet(self) -> None:
        self.write_lines(
            [
                "Welcome to the DmOS CLI",
                f"{self.peer_user()} connected from {self.peer} using ssh on {self.olt.name}",
            ]
        )

    def peer_user(self) -> str:
        return "lab"

    def alarm_lines(self) -> list[str]:
        return alarm(self.olt, self.rng, self.olt.clock())

    def prepare_batch(self) -> None:
        self.level = "exec"

    async def run(self):  # type: ignore[no-untyped-def]
        try:
            return await super().run()
        finally:
            self._unlock()

    def _unlock(self) -> None:
        if _EXCLUSIVE.get(self.olt.name) == self.session_id:
            del _EXCLUSIVE[self.olt.name]

    # the command loop ------------------------------------------------------------------------
    async def execute(self, line: str) -> None:
        command, *pipes = line.split("|")
        if not command.strip():
            return
        try:
            lines, paged = self.dispatch(Words(command), [p.strip() for p in pipes if p.strip()])
        except _Refused as refused:
            lines, paged = [refused.message], False
        except CliSyntaxError as error:
            self.write_lines(self.syntax_error(error, command))
            return
        if self.level == "exec" or lines:
            await self.emit(lines, paged=paged)

    def syntax_error(self, error: CliSyntaxError, command: str) -> list[str]:
        offset = 0 if self.batch else len(self.prompt())
        caret = "-" * (offset + error.col) + "^"
        if error.kind == "incomplete":
            return [caret, f"syntax error: incomplete path: '{command.strip()}'"]
        if error.kind == "parameter":
            return [caret, "syntax error: invalid value"]
        return [caret, "syntax error: unknown argument"]

    def dispatch(self, w: Words, pipes: list[str]) -> tuple[list[str], bool]:
        paged, include, curly = True, None, False
        for pipe in pipes:
            verb, _, rest = pipe.partition(" ")
            if verb == "nomore":
                paged = False
            elif verb == "include" and rest.strip():
                include = rest.strip().strip('"')
            elif pipe.split() == ["display", "curly-braces"]:
                curly = True
            else:
                raise CliSyntaxError("unknown", 0)
        if self.level == "exec":
            verb = w.keyword("show", "config", "exit", "abort")
        else:
            verb = w.keyword(*self.config_verbs())
        if verb == "show":
            lines = self._show(w, curly)
            if include is not None:
                lines = [line for line in lines if include in line]
            return lines, paged
        if curly or include is not None:
            raise CliSyntaxError("unknown", 0)
        return self._change(verb, w), False

    def config_verbs(self) -> tuple[str, ...]:
        common = (
            "show",
            "commit",
            "abort",
            "top",
            "end",
            "exit",
            "interface",
            "service-port",
            "aaa",
            "no",
        )
        return (
            common
            + {
                "config": (),
                "gpon": ("onu",),
                "onu": ("name", "serial-number", "line-profile", "ethernet"),
                "ethernet": ("native",),
                "service-port": ("gpon", "description"),
                "user": ("password", "group"),
            }[self.level]
        )  # type: ignore[index]

    # modes and changes -----------------------------------------------------------------------
    def _change(self, verb: str, w: Words) -> list[str]:
        if verb == "config":
            exclusive = w.maybe("exclusive")
            w.done()
            if exclusive:
                holder = _EXCLUSIVE.get(self.olt.name)
                if holder is not None and holder != self.session_id:
                    raise _Refused(self._locked_by(holder))
                _EXCLUSIVE[self.olt.name] = self.session_id
            self.level = "config"
            return ["Entering configuration mode terminal"]
        if verb == "exit":
            w.done()
            if self.level == "exec":
                raise SessionEnd("logout")
            self.level = {
                "config": "exec",
                "gpon": "config",
                "onu": "config",
                "ethernet": "onu",
                "service-port": "config",
                "user": "config",
            }[self.level]  # type: ignore[assignment]
            if self.level == "exec":
                self._leave()
            return []
        if verb == "abort":
            w.done()
            if self.level == "exec":
                raise CliSyntaxError("unknown", 0)
            self._leave()
            return []
        if verb in ("top", "end"):
            # DmOS asks whether to commit a candidate left uncommitted at `end`; the lab
            # throws it away, as the answer `no` does.
            w.done()
            if verb == "end":
                self._leave()
            else:
                self.level = "config"
            return []
        if verb == "commit":
            w.done()
            return self._commit()
        if verb == "interface":
            return self._interface(w)
        if verb == "service-port":
            return self._service_port(w)
        if verb == "aaa":
            w.keyword("user")
            self.user = _word(w)
            w.done()
            self.users.setdefault(self.user, {})
            self.level = "user"
            return []
        if self.level == "user":
            return self._user_leaf(verb, w)
        if verb == "no":
            return self._no(w)
        if verb == "onu":
            onu_id = w.integer(0, 127)
            w.done()
            self._enter_onu(self.pon, onu_id)
            return []
        if self.level == "onu":
            return self._onu_leaf(verb, w)
        if self.level == "ethernet":
            w.keyword("vlan")
            w.keyword("vlan-id")
            vlan = w.integer(1, 4094)
            w.done()
            self._onu_change().leaves["native-vlan"] = str(vlan)
            return []
        return self._service_port_leaf(verb, w)

    def _leave(self) -> None:
        """Out of configuration mode: an uncommitted candidate is thrown away."""
        self.onus.clear()
        self.sps.clear()
        self.users.clear()
        self.level = "exec"
        self._unlock()

    def _interface(self, w: Words) -> list[str]:
        w.keyword("gpon")
        token = w.next()
        if token.text not in self.olt.pons:
            raise CliSyntaxError("parameter", token.col)
        if w.maybe("onu"):
            onu_id = w.integer(0, 127)
            w.done()
            self._enter_onu(token.text, onu_id)
            return []
        w.done()
        self.level, self.pon = "gpon", token.text
        return []

    def _enter_onu(self, pon: str, onu_id: int) -> None:
        change = self.onus.setdefault((pon, onu_id), OnuChange())
        change.remove = False
        self.level, self.pon, self.onu_id = "onu", pon, onu_id

    def _onu_change(self) -> OnuChange:
        return self.onus.setdefault((self.pon, self.onu_id), OnuChange())

    def _onu_leaf(self, verb: str, w: Words) -> list[str]:
        if verb == "ethernet":
            w.integer(1, 1)
            w.done()
            self.level = "ethernet"
            return []
        token = w.next()
        w.done()
        checks = {"serial-number": SERIAL_RE, "name": NAME_RE, "line-profile": NAME_RE}
        if not checks[verb].match(token.text):
            raise CliSyntaxError("parameter", token.col)
        self._onu_change().leaves[verb] = token.text
        return []

    def _user_leaf(self, verb: str, w: Words) -> list[str]:
        """`password SECRET` (given on the line: DmOS also asks for it when it is not) and
        `group NAME` of a local user."""
        token = w.next()
        w.done()
        if verb == "group" and not NAME_RE.match(token.text):
            raise CliSyntaxError("parameter", token.col)
        self.users[self.user][verb] = token.text
        return []

    def _service_port(self, w: Words) -> list[str]:
        if w.maybe("new"):
            w.done()
            taken = set(self.olt.service_ports) | set(self.sps)
            index = next(n for n in range(1, 1 << 16) if n not in taken)
        else:
            index = w.integer(1, 65535)
            w.done()
        change = self.sps.setdefault(index, ServicePortChange())
        change.remove = False
        self.level, self.sp_index = "service-port", index
        return []

    def _service_port_leaf(self, verb: str, w: Words) -> list[str]:
        change = self.sps.setdefault(self.sp_index, ServicePortChange())
        if verb == "description":
            change.description = _word(w)
            w.done()
            return []
        token = w.next()
        if token.text not in self.olt.pons:
            raise CliSyntaxError("parameter", token.col)
        w.keyword("onu")
        onu_id = w.integer(0, 127)
        w.keyword("gem")
        gem = w.integer(1, 32)
        w.keyword("match")
        w.keyword("vlan")
        w.keyword("vlan-id")
        user_vlan = w.integer(1, 4094)
        vlan = user_vlan
        if w.maybe("action"):
            w.keyword("vlan")
            w.keyword("replace", "add")
            w.keyword("vlan-id")
            vlan = w.integer(1, 4094)
        if w.maybe("description"):
            change.description = _word(w)
        w.done()
        change.target = (token.text, onu_id, gem, user_vlan, vlan)
        return []

    def _no(self, w: Words) -> list[str]:
        what = w.keyword("onu", "service-port")
        if what == "onu":
            if self.level != "gpon":
                raise CliSyntaxError("unknown", 0)
            onu_id = w.integer(0, 127)
            w.done()
            key = (self.pon, onu_id)
            if onu_id not in self.olt.pon(self.pon).onts and key not in self.onus:
                return ["Error: element does not exist"]
            self.onus[key] = OnuChange(remove=True)
            return []
        index = w.integer(1, 65535)
        w.done()
        if index not in self.olt.service_ports and index not in self.sps:
            return ["Error: element does not exist"]
        self.sps[index] = ServicePortChange(remove=True)
        return []

    # commit ----------------------------------------------------------------------------------
    def _locked_by(self, holder: int) -> str:
        return (
            f"Aborted: the configuration database is locked by session {holder} "
            f"cli tcp (admin from {self.peer})"
        )

    def _commit(self) -> list[str]:
        if not self.onus and not self.sps and not self.users:
            return ["% No modifications to commit."]
        holder = _EXCLUSIVE.get(self.olt.name)
        if holder is not None and holder != self.session_id:
            return [self._locked_by(holder)]
        with self.olt.lock:
            refusal = self._check()
            if refusal:
                return [refusal]
            self._apply()
        self.onus.clear()
        self.sps.clear()
        self.users.clear()
        return ["Commit complete."]

    def _final_onus(self) -> dict[tuple[str, int], str | None]:
        """Every ONU once the candidate is in, with its serial."""
        onus: dict[tuple[str, int], str | None] = {
            (pon, onu_id): ont.serial
            for pon, port in self.olt.pons.items()
            for onu_id, ont in port.onts.items()
        }
        for key, change in self.onus.items():
            if change.remove:
                onus.pop(key, None)
            elif "serial-number" in change.leaves or key not in onus:
                onus[key] = change.leaves.get("serial-number")
        return onus

    def _check(self) -> str | None:
        known = local_users(self.olt)
        for name, leaves in sorted(self.users.items()):
            if name not in known and "password" not in leaves:
                return f"Aborted: 'aaa user {name} password' is not configured"
        onus = self._final_onus()
        seen: dict[str, tuple[str, int]] = {}
        for (pon, onu_id), serial in sorted(onus.items()):
            if serial is None:
                return (
                    f"Aborted: 'interface gpon {pon} onu {onu_id} serial-number' is not configured"
                )
            if serial in seen:
                other = seen[serial]
                return (
                    f"Aborted: serial-number {serial} is already in use by interface gpon "
                    f"{other[0]} onu {other[1]}"
                )
            seen[serial] = (pon, onu_id)
        for index, target in sorted(self._final_service_ports().items()):
            if target is None:
                return f"Aborted: 'service-port {index} gpon' is not configured"
            if (target[0], target[1]) not in onus:
                return (
                    f"Aborted: illegal reference 'service-port {index} gpon {target[0]} "
                    f"onu {target[1]}'"
                )
        return None

    def _final_service_ports(self) -> dict[int, tuple[str, int, int, int, int] | None]:
        table: dict[int, tuple[str, int, int, int, int] | None] = {
            index: (sp.pon, sp.onu_id, sp.gemport, sp.user_vlan, sp.vlan)
            for index, sp in self.olt.service_ports.items()
        }
        for index, change in self.sps.items():
            if change.remove:
                table.pop(index, None)
            elif change.target is not None:
                table[index] = change.target
            elif index not in table:
                table[index] = None
        return table

    def _apply(self) -> None:
        olt = self.olt
        for name, leaves in self.users.items():
            set_local_user(olt, name, leaves)
        for index, change in self.sps.items():
            if index in olt.service_ports and (change.remove or change.target is not None):
                olt.remove_service_port(index)
        for (pon, onu_id), change in self.onus.items():
            if change.remove:
                olt.deauthorize(pon, onu_id)
        for (pon, onu_id), change in self.onus.items():
            if change.remove:
                continue
            ont = olt.pon(pon).onts.get(onu_id)
            serial = change.leaves.get("serial-number")
            if ont is not None and serial and ont.serial != serial:
                olt.deauthorize(pon, onu_id)
                ont = None
            if ont is None:
                olt.authorize(pon, serial=serial, onu_id=onu_id, description="")
            for key in ("name", "line-profile", "native-vlan"):
                if key in change.leaves:
                    set_onu(olt, pon, onu_id, key, change.leaves[key])
        for index, change in sorted(self.sps.items()):
            if change.remove:
                continue
            if change.target is not None:
                pon, onu_id, gem, user_vlan, vlan = change.target
                olt.add_service_port(
                    pon, onu_id, vlan=vlan, gemport=gem, user_vlan=user_vlan, index=index
                )
            sp = olt.service_ports[index]
            if change.description is not None or change.target is not None:
                set_service_description(olt, sp.pon, sp.onu_id, index, change.description)

    # show ------------------------------------------------------------------------------------
    def _show(self, w: Words, curly: bool) -> list[str]:
        what = w.keyword("interface", "running-config", "version")
        if what == "version":
            w.done()
            return render.version(self.olt, self.olt.clock())
        if what == "running-config":
            return self._show_config(w)
        w.keyword("gpon")
        pon = None
        if w.maybe("discovered-onus"):
            w.done()
            return render.discovered(self.olt.autofind())
        if not w.maybe("onu"):
            token = w.next()
            if token.text == "*":
                w.keyword("discovered-onus")
                w.done()
                return render.discovered(self.olt.autofind())
            if token.text not in self.olt.pons:
                raise CliSyntaxError("parameter", token.col)
            pon = token.text
            if w.maybe("discovered-onus"):
                w.done()
                return render.discovered(self.olt.autofind(pon))
            w.keyword("onu")
        if w.at_end():
            if curly:
                if pon is None:
                    raise CliSyntaxError("unknown", 0)
                views = {view.onu_id: view for view in self.olt.snapshot(pon)}
                return render.onu_curly(pon, self.olt.readings(pon), views)
            pons = [pon] if pon else list(self.olt.pons)
            return render.onu_table([v for p in pons for v in self.olt.snapshot(p)])
        if pon is None:
            raise CliSyntaxError("incomplete", w.end_col)
        onu_id = w.integer(0, 127)
        w.done()
        try:
            view = self.olt.snapshot_onu(pon, onu_id)
        except LabError:
            return [render.NO_ENTRIES]
        return render.onu_detail(view, self.olt.clock())

    def _show_config(self, w: Words) -> list[str]:
        if w.at_end():
            return running_config(self.olt)
        what = w.keyword("interface", "service-port")
        if what == "service-port":
            index = None if w.at_end() else w.integer(1, 65535)
            w.done()
            return service_ports(self.olt, index) or [render.NO_ENTRIES]
        w.keyword("gpon")
        token = w.next()
        w.done()
        if token.text not in self.olt.pons:
            raise CliSyntaxError("parameter", token.col)
        return pon_config(token.text, self.olt.snapshot(token.text))


def _word(w: Words) -> str:
    token = w.next()
    if not NAME_RE.match(token.text):
        raise CliSyntaxError("parameter", token.col)
    return token.text
