"""Datacom DmOS (DM4610/DM4612) command side of the OLT driver.

DmOS changes a candidate configuration: authorize, describe and deauthorize end in `commit`,
and a refused line or commit is followed by `abort` (leave_config), which throws the
candidate away, so nothing of a failed change reaches the running configuration.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from ispflow.core.guard import check_cli_value
from ispflow.plugins.olt.datacom.config_secrets import SECRET_PATTERNS
from ispflow.plugins.olt.driver import AuthorizeRequest, CliStep, OltDriver, PonPort
from ispflow.plugins.olt.parsing import gpon_serial

# The line profile DmOS creates with `load default-gpon-profiles` (DmOS 12 command reference);
# used when the request carries the vendor-neutral default, a profile *number*.
DEFAULT_LINE_PROFILE = "DEFAULT-LINE"
NEUTRAL_PROFILE_DEFAULTS = ("", "1")
# Service ports are one table for the whole OLT, numbered by the operator (or by
# `service-port new`, lowest free first). Removing an ONU must name its service port, so the
# one authorize creates has an index fixed by the ONU's place: above the range `new` hands
# out on an OLT with fewer than 2048 service ports, one per ONU of a 16-PON board.
SERVICE_PORT_BASE = 2048
PONS_PER_SLOT = 16
ONUS_PER_PON = 128
# What a dry run shows for the service port of an ONU whose id is chosen at run time.
SERVICE_PORT_MARKER = "<service-port of the ONU>"
# What an ONU name and a service-port description hold: one word of these characters (the
# CLI answers `syntax error: invalid value` to any other, accented letters included).
_NOT_IN_NAME = re.compile(r"[^A-Za-z0-9_.\-]+")
_SERIAL = re.compile(r"^[A-Z0-9]{4}[0-9A-F]{8}$")


def device_serial(serial: str) -> str:
    """A GPON serial as DmOS takes it (`DACM9131CC5C`), from that form, `DACM-9131CC5C` or
    16 hex digits; anything else is refused before a line is sent (a row of a bulk file never
    went through the runbook's serial check)."""
    text = str(serial).strip()
    check_cli_value(text, "serial")
    found = gpon_serial(text) or ""
    if not _SERIAL.match(found):
        raise ValueError(
            f"serial {serial!r} is not a GPON serial (4-letter vendor id + 8 hex digits, "
            "e.g. DACM9131CC5C)"
        )
    return found


def service_port_index(port: PonPort, onu_id: int) -> int:
    """The service port authorize gives ONU `onu_id` of PON `port` (chassis/slot/port)."""
    return (
        SERVICE_PORT_BASE
        + ((port.b - 1) * PONS_PER_SLOT + (port.c - 1)) * ONUS_PER_PON
        + int(onu_id)
        + 1
    )


class DatacomDriver(OltDriver):
    vendor = "datacom"
    # A caret line then `syntax error: …` (seen on DmOS), `Aborted: …` from a refused commit
    # (DmOS 12 command reference) and `Error: …` (the CLI's other refusals).
    error_pattern = re.compile(r"^\s*(syntax error:|Aborted:|Error:)")
    # `no onu N` / `no service-port N` of something not configured.
    nothing_to_remove = re.compile(r"element does not exist", re.IGNORECASE)
    # `!` closes every block of a DmOS configuration.
    config_structure = re.compile(r"!")
    secret_patterns = SECRET_PATTERNS
    first_onu_id = 0
    max_onus = ONUS_PER_PON
    first_pon = (1, 1, 1)

    def port_context(self, port: PonPort) -> dict[str, Any]:
        return {**super().port_context(port), "pon": str(port)}

    def serial_context(self, serial: str) -> dict[str, Any]:
        return {"serial": device_serial(serial)}

    def onu_context(self, port: PonPort, onu_id: int) -> dict[str, Any]:
        return {
            **super().onu_context(port, onu_id),
            "service_port": service_port_index(port, onu_id),
        }

    def onu_description(self, description: str) -> str:
        # The ONU name and the service-port description are one word each, in plain ASCII:
        # `São João` is written `Sao_Joao`, the way the store writes a customer's name.
        text = super().onu_description(description).strip()
        plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
        return _NOT_IN_NAME.sub("_", plain).strip("_")

    def authorize_context(self, request: AuthorizeRequest) -> dict[str, Any]:
        if not request.serial:
            raise ValueError("DmOS authorizes GPON ONUs by serial; give serial")
        context = super().authorize_context(request)
        context["serial"] = device_serial(request.serial)
        profile = str(request.line_profile or "")
        context["line_profile"] = (
            DEFAULT_LINE_PROFILE if profile in NEUTRAL_PROFILE_DEFAULTS else profile
        )
        # In a dry run the id is a marker, and so is the service port it decides.
        context["service_port"] = (
            service_port_index(request.port, request.onu_id)
            if isinstance(request.onu_id, int)
            else SERVICE_PORT_MARKER
        )
        return context

    def deauthorize(self, port: PonPort, onu_id: int) -> list[str]:
        return self.render(
            "deauthorize", **self.port_context(port), **self._onu_or_marker(port, onu_id)
        )

    def _onu_or_marker(self, port: PonPort, onu_id: int | str) -> dict[str, Any]:
        if isinstance(onu_id, int):
            return self.onu_context(port, onu_id)
        return {"onu_id": onu_id, "service_port": SERVICE_PORT_MARKER}

    def authorize_missing(
        self, vlan: int, records: list[dict[str, Any]]
    ) -> tuple[list[str], list[str]]:
        # The service port read back is this ONU's only when it points at this ONU: one at
        # that index for another ONU is not the one authorize made.
        own = [
            r
            for r in records
            if "index" not in r
            or r["index"] == service_port_index(PonPort.parse(r["port"]), int(r["onu_id"]))
        ]
        return super().authorize_missing(vlan, own)

    def optical_onu(self, port: PonPort, onu_id: int) -> list[str]:
        return self.render("optical_onu", **self.port_context(port), onu_id=int(onu_id))

    def down_cause_ports(self, ports: list[PonPort], olt_pons: int = 0) -> list[CliStep]:
        # DmOS shows no cause of an ONU's last down in the answers we know (`Last Seen
        # Online` is a time): no command is spent asking.
        return []
