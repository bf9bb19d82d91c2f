"""The vendor-neutral OLT driver contract (in the spirit of NAPALM's base driver).

A driver turns a vendor-neutral request (authorize this serial on PON 0/1/3 with VLAN 100)
into the vendor's CLI lines, rendered from ``templates/olt/<vendor>/``, and turns the
device's answers into records through the vendor's parsers. It never talks to a device
itself: tasks send the lines through a :class:`plugins.olt.session.CliSession`, so a dry run
is the same code path minus the sending.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ispflow.core.command_render import CommandRenderer
from ispflow.core.guard import check_cli_value
from ispflow.core.paths import TEMPLATES_DIR
from ispflow.plugins.olt.parsing import UnreadableOutput, VendorParsers, gpon_serial
from ispflow.plugins.olt.raw_answers import keep as keep_raw

PORT_PATTERN = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{1,3})$")


@dataclass(frozen=True)
class PonPort:
    """A PON port as three numbers: frame/slot/port (Huawei) or shelf/slot/port (ZTE)."""

    a: int
    b: int
    c: int

    @classmethod
    def parse(cls, text: str) -> PonPort:
        match = PORT_PATTERN.match(str(text).replace(" ", ""))
        if not match:
            raise ValueError(
                f"PON port '{text}' is not frame/slot/port such as 0/1/3 (frame and slot of up "
                "to 2 digits, port of up to 3)"
            )
        return cls(*(int(g) for g in match.groups()))

    def __str__(self) -> str:
        return f"{self.a}/{self.b}/{self.c}"


@dataclass
class AuthorizeRequest:
    port: PonPort
    onu_id: int | str  # a str only in a dry run: the marker of an id chosen at run time
    vlan: int
    serial: str | None = None
    mac: str | None = None
    line_profile: int | str = 1
    service_profile: int | str = 1
    onu_type: str = ""
    description: str = ""
    gemport: int = 1
    # The ONU's own settings (WiFi, VoIP) from a provisioning template; secrets among them.
    settings: dict[str, str] = field(default_factory=dict)


@dataclass
class CliStep:
    """One CLI line to send; ``pon`` is set on lines whose answer is read for that PON, and
    ``every_pon`` on lines whose answer lists the ONUs of all the OLT's PONs, each record
    naming its port."""

    line: str
    pon: PonPort | None = None
    every_pon: bool = False


class OltDriver:
    """Base of every vendor driver; subclasses set ``vendor`` and the vendor's naming."""

    vendor: ClassVar[str] = ""
    # A line of device output that means the command was refused (vendor-specific).
    error_pattern: ClassVar[re.Pattern[str]] = re.compile(r"$^")
    # Text one of which every line `error_pattern` matches holds, as it is printed (the
    # pattern is case-sensitive): an answer with none of it is not searched line by line.
    # Empty: every answer is searched.
    refusal_words: ClassVar[tuple[str, ...]] = ()
    # A refusal, during a removal, that says the thing to remove is not there (already done).
    nothing_to_remove: ClassVar[re.Pattern[str]] = re.compile(r"$^")
    # A refusal, to a read, that only says there is nothing to list (no service ports).
    nothing_to_show: ClassVar[re.Pattern[str]] = re.compile(r"$^")
    # The words of a last down cause that mean the ONU lost its power (a dying gasp) and
    # those that mean it lost the light (vendor-specific).
    power_causes: ClassVar[re.Pattern[str]] = re.compile(r"$^")
    fibre_causes: ClassVar[re.Pattern[str]] = re.compile(r"$^")
    # A refusal, to one ONU's optical read, that says the ONU is offline (no light to read).
    onu_offline: ClassVar[re.Pattern[str]] = re.compile(r"$^")
    _renderers: ClassVar[dict[str, CommandRenderer]] = {}

    def __init__(self, model: str | None = None) -> None:
        self.model = model or ""

    # -- rendering -----------------------------------------------------------------------
    @classmethod
    def renderer(cls) -> CommandRenderer:
        renderer = cls._renderers.get(cls.vendor)
        if renderer is None:
            renderer = CommandRenderer([Path(TEMPLATES_DIR) / "olt" / cls.vendor])
            cls._renderers[cls.vendor] = renderer
        return renderer

    def render(self, template: str, **context: Any) -> list[str]:
        return self.renderer().render(f"{template}.j2", context)

    def port_context(self, port: PonPort) -> dict[str, Any]:
        """Names the templates use for a PON port; vendors add their interface names."""
        return {"frame": port.a, "slot": port.b, "port": port.c}

    def onu_context(self, port: PonPort, onu_id: int) -> dict[str, Any]:
        """Names the templates use for one ONU; vendors add their interface names."""
        return {"onu_id": int(onu_id)}

    def onu_description(self, description: str) -> str:
        """The description as the templates write it, refused when it could end the command.

        The raw text is checked before any vendor rewriting, so a rewrite (ZTE turns blanks
        into `_`) can never hide a newline or a quote that was in the value.
        """
        check_cli_value(description, "description")
        return description

    # -- requests -> CLI lines -----------------------------------------------------------
    def autofind(self) -> list[str]:
        return self.render("autofind")

    def version(self) -> list[str]:
        """Commands whose answer names the OLT's model and software version."""
        return self.render("version")

    def facts_commands(self) -> list[str]:
        """Commands whose answers give the chassis facts: version, model, boards."""
        return self.render("facts", frame=self.first_pon[0])

    def running_config_command(self) -> list[str]:
        """Commands whose last answer is the whole running configuration."""
        return self.render("running_config")

    def authorize(self, request: AuthorizeRequest) -> list[str]:
        return self.render("authorize", **self.authorize_context(request))

    # The type an OLT that registers ONUs by type is given when neither the request nor its
    # autofind names one; empty where the OLT takes no type.
    default_onu_type: ClassVar[str] = ""

    def onu_type_reads(self, request: AuthorizeRequest) -> list[str]:
        """Commands whose answer lists the ONUs waiting on the request's PON with the type the
        OLT discovered each as, read before authorizing a serial when no type is given; none
        where the OLT takes no type (or its autofind reports none)."""
        return []

    def discovered_type(
        self, request: AuthorizeRequest, records: list[dict[str, Any]]
    ) -> str | None:
        """The type the records of `onu_type_reads()` give the request's serial on its PON;
        None when they do not list it."""
        wanted = gpon_serial(str(request.serial or ""))
        if wanted is None:
            return None
        ports = (str(request.port), self.records_port(request.port))
        for record in records:
            if (
                record.get("onu_type")
                and record.get("port") in ports
                and gpon_serial(str(record.get("serial") or "")) == wanted
            ):
                return str(record["onu_type"])
        return None

    def authorize_context(self, request: AuthorizeRequest) -> dict[str, Any]:
        return {
            **self.port_context(request.port),
            "onu_id": request.onu_id,
            "vlan": request.vlan,
            "serial": request.serial,
            "mac": request.mac,
            "line_profile": request.line_profile,
            "service_profile": request.service_profile,
            "onu_type": request.onu_type,
            "description": self.onu_description(request.description),
            "gemport": request.gemport,
            "settings": self.onu_settings(request.settings),
        }

    # Board states that are fine (an active or standby board in service); any other state of
    # a present board is worth a look.
    healthy_board_states: tuple[str, ...] = ()

    # The provisioning settings this vendor's OLT can send to the ONU (over OMCI); the rest
    # (an ONU's admin login on most models) is the ACS's job (TR-069), not the OLT's.
    sent_settings: tuple[str, ...] = ()

    def onu_settings(self, settings: Mapping[str, str]) -> dict[str, str]:
        """The settings the authorize template sends, each refused when it could end the
        command or add another; settings this OLT cannot send are left out."""
        chosen = {}
        for name, value in settings.items():
            if name in self.sent_settings and value not in (None, ""):
                check_cli_value(str(value), name)
                chosen[name] = value
        return chosen

    # The parts authorize gives an ONU besides the ONU itself, as (what people call it, the
    # key a record of `authorize_check()` has when it is one): each must carry the VLAN.
    authorize_parts: ClassVar[tuple[tuple[str, str], ...]] = (("service port", "index"),)

    def authorize_check(self, port: PonPort, onu_id: int) -> list[str]:
        """Commands whose answers show what an authorized ONU has of what authorize gives it
        (each answer read on its own)."""
        return self.render(
            "authorize_check", **self.port_context(port), **self.onu_context(port, onu_id)
        )

    def authorize_missing(
        self, vlan: int, records: list[dict[str, Any]]
    ) -> tuple[list[str], list[str]]:
        """Of the parts authorize gives an ONU: the ones missing, and the ones present with
        another VLAN (someone else's configuration), from `authorize_check()`'s records."""
        missing, other = [], []
        for label, key in self.authorize_parts:
            mine = [r for r in records if key in r]
            if any(r.get("vlan") == vlan for r in mine):
                continue
            if mine:
                other.append(f"{label} with VLAN {mine[0].get('vlan')}")
            else:
                missing.append(f"{label} with VLAN {vlan}")
        return missing, other

    def describe(self, port: PonPort, onu_id: int, description: str) -> list[str]:
        """Commands that set an authorized ONU's description, ending where authorize ends."""
        return self.render(
            "describe",
            **self.port_context(port),
            **self.onu_context(port, onu_id),
            description=self.onu_description(description),
        )

    def deauthorize(self, port: PonPort, onu_id: int) -> list[str]:
        return self.render("deauthorize", **self.port_context(port), onu_id=onu_id)

    def onu_by_serial(self, serial: str) -> list[str]:
        return self.render("onu_by_serial", **self.serial_context(serial))

    def serial_context(self, serial: str) -> dict[str, Any]:
        return {"serial": serial}

    def leave_config(self) -> list[str]:
        """Back to the base mode after a sequence stopped half-way."""
        return self.render("leave_config")

    # Lowest ONU id the vendor allows on a PON, and how many.
    first_onu_id: ClassVar[int] = 0
    max_onus: ClassVar[int] = 128

    # Where the first PON sits when the inventory only gives a count (data.pon_ports).
    first_pon: ClassVar[tuple[int, int, int]] = (0, 1, 0)

    def default_pons(self, count: int) -> list[PonPort]:
        """`count` PONs on the first board, numbered the way this vendor numbers them."""
        a, b, c = self.first_pon
        return [PonPort(a, b, c + offset) for offset in range(count)]

    def list_onus(self, port: PonPort) -> list[str]:
        return self.render("list_onus", **self.port_context(port))

    def onu_serials(self, port: PonPort) -> list[str]:
        """Commands whose answer lists every ONU configured on the PON with its serial."""
        return self.render("onu_serials", **self.port_context(port))

    def onu_services(self, port: PonPort, onu_ids: list[int]) -> list[str]:
        """Commands whose answers give the service ports of these ONUs on one PON.

        Vendors read a whole PON at once or one ONU at a time, so callers merge the parsed
        records per (port, onu_id): a record with a "vlan" key is one service port, a record
        with a "description" key carries the ONU's description where the vendor keeps it
        in the same place.
        """
        onus = [self.onu_context(port, onu_id) for onu_id in onu_ids]
        return self.render("onu_services", **self.port_context(port), onus=onus)

    def optical_ports(self, ports: list[PonPort]) -> list[CliStep]:
        """Bulk reads of several PONs as one sequence; read lines carry their PON.

        Each PON's ONU list (serials) is read with its optical table: some firmware leaves
        offline ONUs out of the table, and a reading names the ONU it is of. `readings()`
        puts the two answers together.
        """
        return [
            CliStep(line, pon=port)
            for port in ports
            for template in ("onu_serials", "optical_read")
            for line in self.render(template, **self.port_context(port))
        ]

    def optical_follow_up(self, port: PonPort, records: list[dict[str, Any]]) -> list[CliStep]:
        """Reads that follow a PON's `optical_ports()` answers (their records given): none
        where a table gives the whole PON, one per ONU where the OLT reads ONUs one by one."""
        return []

    def readings(self, port: PonPort, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One reading per ONU of a PON from the records of its `optical_ports()` answers.

        Records that `optical_row()` takes for readings (by default those with `rx_dbm`) are
        optical rows; the others are the PON's ONU list. An ONU on the list without an
        optical row is offline (MA5800-style tables print only online ONUs), never left out;
        a row's serial comes from the list when the row has none. The list is read first:
        an ONU it shows up but the table reads no light for went down in between, one it
        shows down but the table reads came up, and the reading says what the table saw.
        """
        optical = self.optical_row
        listed = {r["onu_id"]: r for r in records if not optical(r) and "onu_id" in r}
        rows = {r["onu_id"]: r for r in records if optical(r)}
        readings = []
        name = str(port)
        for onu_id in sorted(set(listed) | set(rows)):
            row = rows.get(onu_id)
            known = listed.get(onu_id, {})
            if row is None:
                row = {
                    "onu_id": onu_id,
                    "rx_dbm": None,
                    "tx_dbm": None,
                    "olt_rx_dbm": None,
                    "optical_row": False,
                }
            reading = {**row, "port": name}
            if not reading.get("serial") and known.get("serial"):
                reading["serial"] = known["serial"]
            listed_state = known.get("run_state")
            if listed_state and "run_state" not in reading:
                if listed_state in ("online", "offline"):
                    listed_state = "offline" if reading.get("rx_dbm") is None else "online"
                reading["run_state"] = listed_state
            readings.append(reading)
        return readings

    @staticmethod
    def optical_row(record: dict[str, Any]) -> bool:
        """Is this record of a PON's answers a reading (else it is of the ONU list)?"""
        return "rx_dbm" in record

    def optical_onu(self, port: PonPort, onu_id: int) -> list[str]:
        return self.render("optical_onu", **self.port_context(port), onu_id=onu_id)

    # -- why an ONU is down --------------------------------------------------------------
    def down_cause_ports(self, ports: list[PonPort], olt_pons: int = 0) -> list[CliStep]:
        """One bulk read per PON whose answer lists each ONU's state with the last cause of
        its going down; read lines carry their PON. Sent only for PONs with offline ONUs.

        `olt_pons` is how many PONs the OLT has when the caller read every one of them (0
        when it read only some): a vendor whose OLT lists all its ONUs' states in one table
        may then read that table once (`every_pon` steps) instead of one per PON.
        """
        return [
            CliStep(line, pon=port)
            for port in ports
            for line in self.render("down_causes", **self.port_context(port))
        ]

    def listed_down_causes(
        self, port: PonPort, records: list[dict[str, Any]]
    ) -> list[dict[str, Any]] | None:
        """Why each ONU is down, from a PON's `optical_ports()` records when the ONU list read
        there already says it (as `down_causes()` gives it); None when it takes the
        `down_cause_ports()` read."""
        return None

    def down_causes(self, port: PonPort, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """{port, onu_id, down_cause, down_class} per ONU from the records of a
        `down_cause_ports()` answer; the vendor says which field holds the cause."""
        return [
            {
                "port": str(port),
                "onu_id": int(record["onu_id"]),
                "down_cause": cause,
                "down_class": self.down_class(cause),
            }
            for record in records
            if record.get("onu_id") is not None
            for cause in [self.down_cause_of(record)]
        ]

    def down_cause_of(self, record: dict[str, Any]) -> str | None:
        """The OLT's own words for why this ONU last went down; None when it does not say."""
        return None

    def down_class(self, cause: str | None) -> str | None:
        """`power` (dying gasp), `fibre` (loss of signal or frames), `other` (anything else
        the OLT said), None (it said nothing). Vendors name their words in `power_causes`
        and `fibre_causes`."""
        if cause is None:
            return None
        if self.power_causes.search(cause):
            return "power"
        if self.fibre_causes.search(cause):
            return "fibre"
        return "other"

    # -- answers -------------------------------------------------------------------------
    def refused(self, output: str, line: str | None = None) -> str | None:
        """The device's own error text when ``output`` says a command was refused.

        A read (``line``) answered only with the vendor's "nothing there" wording is an empty
        list, not a refusal.
        """
        words = self.refusal_words
        if words and not any(word in output for word in words):
            return None  # most answers: tables of thousands of lines with no refusal in them
        if line is not None:
            parsers = self.parsers()
            if parsers.is_read(line) and parsers.says_nothing_there(output, line):
                return None
        for text in output.splitlines():
            if self.error_pattern.search(text):
                return text.strip()
        return None

    def parsers(self) -> VendorParsers:
        from ispflow.plugins.olt import parsers_for

        return parsers_for(self.vendor)

    def parse(self, command: str, output: str, host: str = "") -> list[dict[str, Any]]:
        """Records from a device answer; an answer in a layout not known raises
        UnreadableOutput naming the model and where the raw answer was kept."""
        try:
            return self.parsers().parse(command, output)
        except UnreadableOutput as exc:
            raise exc.located(
                self.model, keep_raw(self.vendor, self.model, command, output, host)
            ) from None

    def facts(self, answers: list[tuple[str, str]]) -> dict[str, Any]:
        """The chassis facts from the answers to `facts_commands()`, in one record.

        Keys: vendor, model, os_version, patch, uptime, boards (slot, board_name, status and
        the vendor's own columns). An answer that names no model leaves model None.
        """
        facts: dict[str, Any] = {
            "vendor": self.vendor,
            "model": None,
            "os_version": None,
            "patch": None,
            "uptime": None,
            "boards": [],
        }
        for command, output in answers:
            for record in self.parse(command, output):
                if "slot" in record:
                    facts["boards"].append(record)
                elif record.get("model"):
                    facts.update(
                        model=record["model"],
                        os_version=record.get("software"),
                        patch=record.get("patch"),
                        uptime=record.get("uptime"),
                    )
        facts["boards_in_trouble"] = [
            " ".join(str(part) for part in ("slot", b["slot"], b.get("board_name")) if part)
            + f": {b['status']}"
            for b in facts["boards"]
            if b.get("status") and b["status"] not in self.healthy_board_states
        ]
        return facts

    def running_config(self, command: str, output: str) -> str:
        """The configuration text of a `running_config_command()` answer: no pager stops,
        echo, prompts or alarm lines, and no line that changes by itself (timestamps)."""
        [record] = self.parse(command, output) or [{"config": ""}]
        return str(record["config"])

    # Lines of a configuration that are its layout, not settings (comments, separators,
    # section headings), as a drift comparison should skip them; matched whole.
    config_structure: ClassVar[re.Pattern[str] | None] = None

    # Patterns whose `secret` group is a secret in this vendor's configuration.
    secret_patterns: ClassVar[tuple[re.Pattern[str], ...]] = ()
    # Words that stand where a secret would (`community complexity-check disable`) and are
    # settings of this vendor's, not secrets.
    setting_words: ClassVar[frozenset[str]] = frozenset()

    def mask_config(self, text: str) -> str:
        """The configuration with every password, cipher, community and key written as ***,
        each line otherwise as it was, so a diff still shows which line changed."""
        return mask_secrets(
            text, (*self.secret_patterns, SECRET_AFTER_KEYWORD), settings=self.setting_words
        )

    def records_port(self, port: PonPort) -> str:
        """How this vendor's parsed records write the PON port."""
        return str(port)


# -- configuration text ------------------------------------------------------------------
# Words after which a configuration line carries a secret, and the qualifiers that may sit
# between the word and the secret (`password 5 …`, `community read cipher …`,
# `enable secret level 15 5 …`, `password encrypted …`). `strong-password`, `once-password`
# and the like are settings, not secrets: a keyword must not follow a letter or a dash.
SECRET_AFTER_KEYWORD = re.compile(
    r"(?<![\w-])(?:password|passwd|pwd|secret|key|shared-key|pre-shared-key|community)"
    r"(?:\s+(?:cipher|simple|irreversible-cipher|encrypted|read|write|level\s+\d+|\d))*"
    r"\s+(?P<secret>\"[^\"]*\"|\S+)",
    re.IGNORECASE,
)
MASK = "***"
# A quoted text opens after a blank and closes before one: a `"` inside a token is a
# character of a cipher (real ones have them), not a quote.
_QUOTED = re.compile(r'(?<!\S)"[^"]*"(?!\S)')


def mask_secrets(
    text: str, patterns: tuple[re.Pattern[str], ...], *, settings: frozenset[str] = frozenset()
) -> str:
    """Every `secret` group of every pattern replaced by ***, the rest of each line kept.

    A keyword inside a quoted text (an ONU description that says "password") is text, and
    so is a word of `settings` where the secret would be.
    """

    def masked(match: re.Match[str]) -> str:
        if match.group("secret") in settings or any(
            start < match.start() < end for start, end in _quoted(match.string)
        ):
            return match.group(0)
        start, end = match.span("secret")
        whole = match.group(0)
        offset = match.start()
        return whole[: start - offset] + MASK + whole[end - offset :]

    lines = []
    for line in text.split("\n"):
        for pattern in patterns:
            line = pattern.sub(masked, line)
        lines.append(line)
    return "\n".join(lines)


def _quoted(line: str) -> list[tuple[int, int]]:
    return [found.span() for found in _QUOTED.finditer(line)] if '"' in line else []


def config_text(
    lines: list[str], *, volatile: re.Pattern[str] | None = None, drop: tuple[str, ...] = ()
) -> str:
    """Configuration lines as one text: blank lines, lines in `drop` and volatile lines out."""
    kept = [
        line
        for line in lines
        if line.strip()
        and line.strip() not in drop
        and not (volatile is not None and volatile.search(line))
    ]
    return "\n".join(kept) + ("\n" if kept else "")
