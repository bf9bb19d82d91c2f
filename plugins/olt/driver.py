"""The vendor-neutral OLT driver contract (in the spirit of NAPALM's base driver).

A driver turns a vendor-neutral request (authorize this serial on PON 0/1/3 with VLAN 100)
into the vendor's CLI lines, rendered from ``templates/olt/<vendor>/``, and turns the
device's answers into records through the vendor's parsers. It never talks to a device
itself: tasks send the lines through a :class:`plugins.olt.session.CliSession`, so a dry run
is the same code path minus the sending.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from engine.command_render import CommandRenderer
from engine.guard import check_cli_value
from engine.paths import TEMPLATES_DIR

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
            raise ValueError(f"PON port '{text}' is not of the form 0/1/3")
        return cls(*(int(g) for g in match.groups()))

    def __str__(self) -> str:
        return f"{self.a}/{self.b}/{self.c}"


@dataclass
class AuthorizeRequest:
    port: PonPort
    onu_id: int
    vlan: int
    serial: str | None = None
    mac: str | None = None
    line_profile: int | str = 1
    service_profile: int | str = 1
    onu_type: str = ""
    description: str = ""
    gemport: int = 1


@dataclass
class CliStep:
    """One CLI line to send; ``pon`` is set on lines whose answer is read for that PON."""

    line: str
    pon: PonPort | None = None


class OltDriver:
    """Base of every vendor driver; subclasses set ``vendor`` and the vendor's naming."""

    vendor: ClassVar[str] = ""
    # A line of device output that means the command was refused (vendor-specific).
    error_pattern: ClassVar[re.Pattern[str]] = re.compile(r"$^")
    # A refusal, during a removal, that says the thing to remove is not there (already done).
    nothing_to_remove: ClassVar[re.Pattern[str]] = re.compile(r"$^")
    # A refusal, to a read, that only says there is nothing to list (no service ports).
    nothing_to_show: ClassVar[re.Pattern[str]] = re.compile(r"$^")
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

    def authorize(self, request: AuthorizeRequest) -> list[str]:
        return self.render("authorize", **self.authorize_context(request))

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
        }

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
        """Bulk reads of several PONs as one sequence; read lines carry their PON."""
        return [
            CliStep(line, pon=port)
            for port in ports
            for line in self.render("optical_read", **self.port_context(port))
        ]

    def optical_onu(self, port: PonPort, onu_id: int) -> list[str]:
        return self.render("optical_onu", **self.port_context(port), onu_id=onu_id)

    # -- answers -------------------------------------------------------------------------
    def refused(self, output: str) -> str | None:
        """The device's own error text when ``output`` says a command was refused."""
        for line in output.splitlines():
            if self.error_pattern.search(line):
                return line.strip()
        return None

    def parse(self, command: str, output: str) -> list[dict[str, Any]]:
        from plugins.olt import parsers_for

        return parsers_for(self.vendor).parse(command, output)

    def records_port(self, port: PonPort) -> str:
        """How this vendor's parsed records write the PON port."""
        return str(port)
