"""FiberHome AN5516 command side of the OLT driver: whitelist authorization, one ONU at a time.

Every line is written in the newer firmware's words (`slot S pon P`, run in `Admin\\onu#`);
the session speaks the older firmware's (`slot S link L`, in `Admin\\gpononu#`) where the OLT
runs it (see session.py), so a driver serves both.
"""

from __future__ import annotations

import re
from typing import Any

from ispflow.core.guard import check_cli_value
from ispflow.plugins.olt.driver import AuthorizeRequest, CliStep, OltDriver, PonPort
from ispflow.plugins.olt.fiberhome.config_secrets import SECRET_PATTERNS
from ispflow.plugins.olt.fiberhome.parsers import FRAME

# The whitelist wants the ONU's type: the one autofind reports for the serial, else (an ONU not
# plugged in yet) the common FiberHome bridge unit.
DEFAULT_ONU_TYPE = "5506-04-F1"
_VENDOR_FORM = re.compile(r"^([A-Za-z0-9]{4})-?([0-9A-Fa-f]{8})$")
_HEX_FORM = re.compile(r"^[0-9A-Fa-f]{16}$")
_TYPE = re.compile(r"^[A-Za-z0-9_.\-]{1,32}$")


def device_serial(serial: str) -> str:
    """A serial as the AN5516 prints and wants it: the vendor id, then the hex part in
    lowercase (`FHTT9d7c9f80`).

    The OLT compares serials case-sensitively and refuses an upper-cased one (`[ERR -598]
    physical address is error!`); every serial it prints, of its own ONUs and others'
    (`DGST0edac7ed`, `ZNTSa0b1c2d3`), has a lowercase hex part. So whatever case a serial was
    given in (a runbook's serial type upper-cases it), the one sent is the one the OLT showed.
    """
    text = str(serial).strip()
    check_cli_value(text, "serial")
    if _HEX_FORM.match(text):
        vendor = bytes.fromhex(text[:8]).decode("ascii", errors="replace")
        text = vendor + text[8:]
    found = _VENDOR_FORM.match(text)
    if not found:
        raise ValueError(
            f"serial {serial!r} is not a GPON serial (4-letter vendor id + 8 hex digits, "
            "e.g. FHTT9d7c9f80)"
        )
    return found[1].upper() + found[2].lower()


def onu_type(text: str) -> str:
    """An ONU type as the whitelist line takes it: one word (`HG6145E`, `5506-04-F1`)."""
    check_cli_value(text, "onu_type")
    if not _TYPE.match(text):
        raise ValueError(f"ONU type {text!r} is not one word of letters, digits, `-`, `_`, `.`")
    return text


class FiberhomeDriver(OltDriver):
    vendor = "fiberhome"
    first_onu_id = 1
    max_onus = 128
    first_pon = (FRAME, 1, 1)
    secret_patterns = SECRET_PATTERNS
    # `!` comment lines and the `cd DIR` lines that open each section.
    config_structure = re.compile(r"!.*|cd\s+\S+")
    error_pattern = re.compile(
        r"^\s*(?:\[\s*ERR\s*-?\d+\s*\]|Command executes failed|%?\s*Unknown command)",
        re.IGNORECASE,
    )
    # `[ ERR -506 ] the onu is not authorized!`: removing what is not there.
    nothing_to_remove = re.compile(r"ERR\s*-506\b|not authorized", re.IGNORECASE)
    # `[ ERR -553 ] onu is in unactive!`: an offline ONU has no optics to read.
    onu_offline = re.compile(r"ERR\s*-553\b|unactive", re.IGNORECASE)
    authorize_parts = (("VLAN service", "index"),)
    default_onu_type = DEFAULT_ONU_TYPE

    def port_context(self, port: PonPort) -> dict[str, Any]:
        if port.a != FRAME:
            raise ValueError(f"PON port '{port}': an AN5516 has frame {FRAME} only (1/SLOT/PON)")
        return {"slot": port.b, "pon": port.c}

    def serial_context(self, serial: str) -> dict[str, Any]:
        return {"serial": device_serial(serial)}

    def onu_description(self, description: str) -> str:
        # The CLI reads the description as one word.
        return re.sub(r"\s+", "_", super().onu_description(description).strip())

    def authorize_context(self, request: AuthorizeRequest) -> dict[str, Any]:
        if not request.serial:
            raise ValueError("the AN5516 whitelist authorizes GPON ONUs by serial; give serial")
        context = super().authorize_context(request)
        context["serial"] = device_serial(request.serial)
        context["onu_type"] = onu_type(request.onu_type or self.default_onu_type)
        return context

    def onu_type_reads(self, request: AuthorizeRequest) -> list[str]:
        """The PON's discovery table: the whitelist checks an ONU's type against the one the
        ONU reports, so an ONU whitelisted under another type does not come up."""
        if request.onu_type or not request.serial:
            return []
        return self.render("discovered", **self.port_context(request.port))

    def optical_ports(self, ports: list[PonPort]) -> list[CliStep]:
        """Each PON's ONU list; the OLT has no per-PON optical table, so the ONUs on it are
        read one by one after it (`optical_follow_up`)."""
        return [
            CliStep(line, pon=port)
            for port in ports
            for line in self.render("onu_serials", **self.port_context(port))
        ]

    def optical_follow_up(self, port: PonPort, records: list[dict[str, Any]]) -> list[CliStep]:
        """One `show optic_module` per ONU the list shows up: an ONU that is down has no
        optics (the OLT refuses with ERR -553), so it costs no command."""
        return [
            CliStep(line, pon=port)
            for record in records
            if "rx_dbm" not in record and record.get("run_state") == "online"
            for line in self.optical_onu(port, int(record["onu_id"]))
        ]

    def down_cause_ports(self, ports: list[PonPort], olt_pons: int = 0) -> list[CliStep]:
        # The AN5516's ONU tables say up or down, never why: nothing to read.
        return []
