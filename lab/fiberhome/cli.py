"""FiberHome AN5516 CLI session, in the words of the OLT's firmware generation.

Modes: `User>` after login; `enable` asks for the password again (the lab takes any, the SSH
login was checked) and gives `Admin#`. The CLI is a tree of directories: `cd onu` (newer
firmware) or `cd gpononu` (older) gives `Admin\\onu#` / `Admin\\gpononu#`, where the ONU
commands are; `cd ..` goes back. Changes apply at once (no commit); `save` writes them.

Answers: newer firmware ends a command that worked with `Command executes success.`, older
prints nothing more. Refusals are `[ ERR -NNN ] text`. The codes and texts -506 (`the onu is
not authorized!`), -553 (`onu is in unactive!`) and -598 (`physical address is error!`, a
serial in the wrong case) are the real ones; the others, and `% Unknown command.`, are the
lab's own wording (no captured answer has them). A whitelist add of a discovered ONU under
another type than the one it reports is refused (-564): from documentation, not yet confirmed
on a device.

Serials are case-sensitive: the OLT prints the hex part in lowercase and takes a serial only
in that form. Where a command comes from a tool's source or the lab's design rather than a
captured session (`set onu_desc`, `set epon … vlan_mode`, `apply onu … vlan`,
`show onu_config`, `show version`, `show running-config`, `no whitelist`), docs/olt.md says so.
"""

from __future__ import annotations

import contextlib
import re

from ispflow.lab.fiberhome import render
from ispflow.lab.fiberhome.config import running_config
from ispflow.lab.model import LabError, OnuView
from ispflow.lab.shell import SessionEnd, Shell, split_filter
from ispflow.lab.tokens import CliSyntaxError, Words

UNKNOWN = "% Unknown command."
NOT_AUTHORIZED = "[ ERR -506 ] the onu is not authorized!"
UNACTIVE = "[ ERR -553 ] onu is in unactive!"
BAD_SERIAL = "[ERR -598] physical address is error!"
# A whitelist entry names the ONU's type, which the OLT checks against the type the ONU
# reports: the lab refuses a discovered ONU whitelisted under another type. From
# documentation (the whitelist's type), not yet confirmed on a device: code and wording are
# the lab's own.
TYPE_MISMATCH = "[ ERR -564 ] onu type is not match!"
FAILURE_TEXT = {
    "sn-exists": "[ ERR -562 ] the phy_addr is already in the whitelist!",
    "id-exists": "[ ERR -561 ] the onu id is in use!",
    "bad-id": "[ ERR -101 ] parameter is out of range!",
    "no-port": "[ ERR -101 ] parameter is out of range!",
    "no-onu": NOT_AUTHORIZED,
}
# The vendor id, then the hex part as the OLT writes it (digits and lowercase letters).
DEVICE_SERIAL = re.compile(r"^[A-Z0-9]{4}[0-9a-f]{8}$")
ANY_SERIAL = re.compile(r"^[A-Za-z0-9]{4}[0-9A-Fa-f]{8}$")
NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")
# Directories of the tree besides the ONU one (nothing of theirs is simulated).
OTHER_DIRECTORIES = ("system", "snmp", "lan", "service")


class _Refused(Exception):
    """A well-formed command the OLT turns down with its own message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def failure(error: LabError) -> _Refused:
    return _Refused(FAILURE_TEXT.get(error.code, f"[ ERR -1 ] {error.code}"))


class FiberhomeCli(Shell):
    more_text = " --Press any key to continue Ctrl+c to stop-- "

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.admin = False
        self.directory = ""
        self.firmware = render.firmware(self.olt)

    # prompts ---------------------------------------------------------------------------------
    def prompt(self) -> str:
        if not self.admin:
            return "User>"
        return f"Admin\\{self.directory}#" if self.directory else "Admin#"

    async def greet(self) -> None:
        self.term.write("\r\n")

    def erase_more(self) -> str:
        n = len(self.more_text)
        return "\x08" * n + " " * n + "\x08" * n

    def alarm_lines(self) -> list[str]:
        return []  # no captured AN5516 session shows what it pushes into an answer

    def prepare_batch(self) -> None:
        self.admin = True
        self.directory = self.firmware.directory

    # the command loop ---------------------------------------------------------------------
    async def execute(self, line: str) -> None:
        command, filter_ = split_filter(line)
        if not command.strip():
            return
        w = Words(command)
        try:
            if not self.admin:
                lines = await self._user(w)
            else:
                lines = self.dispatch(w)
        except _Refused as refused:
            lines = [refused.message]
        except CliSyntaxError:
            lines = [UNKNOWN]
        await self.emit(lines, filter_=filter_)

    async def _user(self, w: Words) -> list[str]:
        verb = w.keyword("enable", "terminal", "quit", "exit")
        if verb == "terminal":
            return self._terminal(w)
        w.done()
        if verb in ("quit", "exit"):
            raise SessionEnd("logout")
        self.term.write("Password: ")
        await self.term.flush()
        echo, self.term.echo = self.term.echo, False
        try:
            answer = await self.term.read_line()
        finally:
            self.term.echo = echo
        self.term.write("\r\n")
        if answer is None:
            raise SessionEnd("eof")
        if not answer.strip():
            return ["% Bad password."]
        self.admin = True
        return []

    def _terminal(self, w: Words) -> list[str]:
        w.keyword("length")
        self.page_lines = w.integer(0, 512)
        w.done()
        return []

    def dispatch(self, w: Words) -> list[str]:
        verb = w.keyword("cd", "show", "set", "no", "apply", "terminal", "save", "quit", "exit")
        if verb == "terminal":
            return self._terminal(w)
        if verb in ("quit", "exit"):
            w.done()
            raise SessionEnd("logout")
        if verb == "save":
            w.done()
            return list(self.firmware.success)
        if verb == "cd":
            return self._cd(w)
        if verb == "show":
            return self._show(w)
        if self.directory != self.firmware.directory:
            raise CliSyntaxError("unknown", 0)
        if verb == "set":
            what = w.keyword("whitelist", "onu_desc", "epon")
            lines = {"whitelist": self._whitelist, "onu_desc": self._desc, "epon": self._epon}[
                what
            ](w)
        elif verb == "no":
            w.keyword("whitelist")
            pon, onu_id = self._onu_at(w)
            w.done()
            self._deauthorize(pon, onu_id)
            lines = []
        else:
            lines = self._apply(w)
        return lines + list(self.firmware.success)

    def _cd(self, w: Words) -> list[str]:
        target = w.next().text
        w.done()
        if target == "..":
            self.directory = ""
        elif not self.directory and target in (self.firmware.directory, *OTHER_DIRECTORIES):
            self.directory = target
        else:
            raise CliSyntaxError("unknown", 0)
        return []

    # where -----------------------------------------------------------------------------------
    def _pon_word(self, w: Words) -> None:
        word = self.firmware.pon_word
        token = w.next()
        # Any prefix of the word, as typed at the OLT (`slot 4 p 3`).
        if not (token.text and word.startswith(token.text.lower())):
            raise CliSyntaxError("unknown", token.col)

    def _place(self, w: Words, *, epon: bool = False) -> tuple[str | None, str | None]:
        """`slot S pon P` (`link` on older firmware; `set epon` says `pon` on both); `all` for
        either number gives None."""
        w.keyword("slot")
        slot = w.next().text
        if epon:
            w.keyword("pon")
        else:
            self._pon_word(w)
        port = w.next().text
        for value in (slot, port):
            if value != "all" and not value.isdigit():
                raise CliSyntaxError("unknown", 0)
        return (None if slot == "all" else slot), (None if port == "all" else port)

    def _pon(self, slot: str | None, port: str | None) -> str:
        name = f"{self.olt.frame}/{slot}/{port}"
        if slot is None or port is None or name not in self.olt.pons:
            raise _Refused(FAILURE_TEXT["no-port"])
        return name

    def _onu_at(self, w: Words, *, epon: bool = False) -> tuple[str, int]:
        pon = self._pon(*self._place(w, epon=epon))
        w.keyword("onu")
        return pon, w.integer(1, 128)

    def _pons(self, slot: str | None, port: str | None) -> list[str]:
        found = [
            name
            for name in self.olt.pons
            if (slot is None or name.split("/")[1] == slot)
            and (port is None or name.split("/")[2] == port)
        ]
        if not found:
            raise _Refused(FAILURE_TEXT["no-port"])
        return found

    def _view(self, pon: str, onu_id: int) -> OnuView:
        try:
            return self.olt.snapshot_onu(pon, onu_id)
        except LabError:
            raise _Refused(NOT_AUTHORIZED) from None

    # show ------------------------------------------------------------------------------------
    def _show(self, w: Words) -> list[str]:
        what = w.keyword(
            "version", "running-config", "discovery", "authorization", "whitelist",
            "optic_module", "onu_config",
        )  # fmt: skip
        if what == "version":
            w.done()
            return render.version(self.olt, self.olt.clock())
        if what == "running-config":
            w.done()
            return running_config(self.olt, self.firmware, self.olt.clock())
        if self.directory != self.firmware.directory:
            raise CliSyntaxError("unknown", 0)
        if what == "discovery":
            slot, port = self._place(w)
            w.done()
            pons = self._pons(slot, port)
            entries = [e for e in self.olt.autofind() if e.pon in pons]
            every = self.firmware.every_pon or len(pons) == 1
            return render.discovery(self.firmware, pons, entries, every)
        if what == "authorization":
            slot, port = self._place(w)
            w.done()
            pons = self._pons(slot, port)
            views = [view for pon in pons for view in self.olt.snapshot(pon)]
            total = sum(len(self.olt.pon(pon).onts) for pon in self.olt.pons)
            return render.authorization(self.firmware, pons, views, total)
        if what == "whitelist":
            w.keyword("phy_addr")
            views = [view for pon in self.olt.pons for view in self.olt.snapshot(pon)]
            if w.maybe("address"):
                serial = w.next().text
                views = [v for v in views if render.shown_serial(v.serial) == serial]
            w.done()
            return render.whitelist(views) + list(self.firmware.success)
        pon, onu_id = self._onu_at(w)
        w.done()
        view = self._view(pon, onu_id)
        if what == "onu_config":
            return render.onu_config(view) + list(self.firmware.success)
        if not view.online or view.reading is None:
            raise _Refused(UNACTIVE)
        return render.optic_module(view) + list(self.firmware.success)

    # changes ---------------------------------------------------------------------------------
    def _whitelist(self, w: Words) -> list[str]:
        """`set whitelist phy_addr address SN password PWD action add slot S pon P onu N type T`
        or `… action delete` (by address; the place may follow as `null`s)."""
        w.keyword("phy_addr")
        w.keyword("address")
        serial = w.next().text
        w.keyword("password")
        w.next()
        w.keyword("action")
        action = w.keyword("add", "delete")
        if not ANY_SERIAL.match(serial):
            raise CliSyntaxError("unknown", 0)
        if not DEVICE_SERIAL.match(serial):
            raise _Refused(BAD_SERIAL)
        stored = serial[:4] + serial[4:].upper()  # the lab model's form
        if action == "delete":
            while not w.at_end():
                w.next()
            found = self.olt.find(serial=stored)
            if found is None:
                raise _Refused(NOT_AUTHORIZED)
            self._deauthorize(found.pon, found.onu_id)
            return []
        pon, onu_id = self._onu_at(w)
        w.keyword("type")
        kind = w.next().text
        w.done()
        if not NAME_RE.match(kind):
            raise CliSyntaxError("unknown", 0)
        self._check_type(pon, stored, kind)
        try:
            self.olt.authorize(pon, serial=stored, onu_id=onu_id, onu_type=kind, description="")
        except LabError as error:
            raise failure(error) from None
        return []

    def _check_type(self, pon: str, serial: str, kind: str) -> None:
        """An ONU waiting on the PON is whitelisted only under the type it reports; one not
        plugged in yet takes any (it is checked when it comes)."""
        for entry in self.olt.autofind(pon):
            if entry.device.serial == serial and entry.device.model.onu_type != kind:
                raise _Refused(TYPE_MISMATCH)

    def _deauthorize(self, pon: str, onu_id: int) -> None:
        try:
            self.olt.deauthorize(pon, onu_id)
        except LabError as error:
            raise failure(error) from None

    def _desc(self, w: Words) -> list[str]:
        pon, onu_id = self._onu_at(w)
        w.keyword("desc")
        text = w.next().text
        w.done()
        self._view(pon, onu_id)
        self.olt.set_description(pon, onu_id, text)
        return []

    def _epon(self, w: Words) -> list[str]:
        """`set epon slot S pon P onu N port 1 service number K` and
        `… port 1 service I vlan_mode tag COS TPID VLAN`."""
        pon, onu_id = self._onu_at(w, epon=True)
        w.keyword("port")
        w.integer(1, 4)
        w.keyword("service")
        self._view(pon, onu_id)
        if w.maybe("number"):
            count = w.integer(0, 8)
            w.done()
            self.olt.set_onu_config(pon, onu_id, "if", "service number", f"service number {count}")
            return []
        index = w.integer(1, 8)
        w.keyword("vlan_mode")
        w.keyword("tag")
        w.integer(0, 7)
        w.integer(0, 65535)
        vlan = w.integer(1, 4094)
        w.done()
        with contextlib.suppress(LabError):  # a new service, not a change of one
            self.olt.remove_service_port(index, pon, onu_id)
        self.olt.add_service_port(pon, onu_id, vlan=vlan, gemport=1, user_vlan=vlan, index=index)
        return []

    def _apply(self, w: Words) -> list[str]:
        """`apply onu S P N vlan`: the services set go to the ONU (the lab's take at once)."""
        w.keyword("onu")
        slot, port, onu_id = w.integer(1, 32), w.integer(1, 16), w.integer(1, 128)
        w.keyword("vlan")
        w.done()
        self._view(self._pon(str(slot), str(port)), onu_id)
        return []
