"""Huawei SmartAX (MA5600T/MA5608T/MA5800) command side of the OLT driver."""

from __future__ import annotations

import re
from typing import Any

from ispflow.plugins.olt.driver import AuthorizeRequest, CliStep, OltDriver, PonPort
from ispflow.plugins.olt.huawei.config_secrets import SECRET_PATTERNS, SETTING_WORDS


def serial_hex(serial: str) -> str:
    """`ont add … sn-auth` takes the 16-hex form: the 4-letter vendor id as ASCII hex + 8 hex."""
    if len(serial) == 16:
        return serial.upper()
    return serial[:4].upper().encode("ascii").hex().upper() + serial[4:].upper()


def mac_dotted(mac: str) -> str:
    """SmartAX writes MACs as aabb-ccdd-eeff."""
    digits = re.sub(r"[^0-9a-fA-F]", "", mac).lower()
    return f"{digits[0:4]}-{digits[4:8]}-{digits[8:12]}"


# Last down causes. Seen in real `display ont info summary` answers: `dying-gasp`,
# `LOSi/LOBi`, `ONT is reset by ONT comma(nd)`. Known only from SmartAX manuals: `LOS`,
# `LOFi`, `LOAMi`, `LOKi`, `DFi`, `SFi`, `LCDGi` (loss of signal, burst, frame, PLOAM, key or
# GEM delineation on the ONT's fibre; drift and signal fail of its laser).
POWER_CAUSE = re.compile(r"dying[- ]?gasp", re.IGNORECASE)
FIBRE_CAUSE = re.compile(r"\b(?:LOS|LOB|LOF|LOAM|LOK|LCDG|DF|SF)i?\b", re.IGNORECASE)


class HuaweiDriver(OltDriver):
    vendor = "huawei"
    power_causes = POWER_CAUSE
    fibre_causes = FIBRE_CAUSE
    healthy_board_states = ("Normal", "Active_normal", "Standby_normal")
    error_pattern = re.compile(
        r"^\s*(Failure:|% ?(Unknown command|Parameter error|Incomplete command|Too many parameters))"
    )
    refusal_words = ("Failure:", "%")
    nothing_to_remove = re.compile(
        r"No service virtual port can be operated|The service virtual port does not exist|"
        r"The ONT does not exist"
    )
    nothing_to_show = re.compile(r"No service virtual port can be operated")
    onu_offline = re.compile(r"The ONT is not online")
    # `#` separators, `[gpon]` section headings and their `<gpon-lineprofile>` echoes.
    config_structure = re.compile(r"#.*|\[[\w-]+\]|<[\w-]+>")
    secret_patterns = SECRET_PATTERNS
    setting_words = SETTING_WORDS

    def optical_ports(self, ports: list[PonPort]) -> list[CliStep]:
        """Each PON's summary (serials, run states and last down causes: the ONU list here)
        from config mode, then the optical tables inside `interface gpon F/S`, each board
        entered once. An audit so needs no further read to say why an ONU is down."""
        boards: dict[tuple[int, int], list[PonPort]] = {}
        for port in ports:
            boards.setdefault((port.a, port.b), []).append(port)
        steps = [CliStep(line) for line in self.render("enter_config")]
        for (frame, slot), members in boards.items():
            steps += [
                CliStep(line, pon=port)
                for port in members
                for line in self.render("down_causes", **self.port_context(port))
            ]
            steps += [CliStep(line) for line in self.render("enter_board", frame=frame, slot=slot)]
            steps += [
                CliStep(line, pon=port)
                for port in members
                for line in self.render("optical_read", port=port.c)
            ]
            steps += [CliStep(line) for line in self.render("leave_board")]
        return steps + [CliStep(line) for line in self.render("leave_config")]

    @staticmethod
    def optical_row(record: dict[str, Any]) -> bool:
        # The summary prints each ONU's Rx/Tx power too, but rounded and without the OLT's
        # side: the optical table's row (with the OLT's side) is the reading.
        return "olt_rx_dbm" in record

    def listed_down_causes(
        self, port: PonPort, records: list[dict[str, Any]]
    ) -> list[dict[str, Any]] | None:
        listed = [r for r in records if "last_down_cause" in r]
        return self.down_causes(port, listed) if listed else None

    def serial_context(self, serial: str) -> dict[str, Any]:
        return {"serial": serial, "serial_hex": serial_hex(serial)}

    def down_cause_of(self, record: dict[str, Any]) -> str | None:
        # `display ont info summary`: the Last DownCause column. An ONT the summary shows up
        # (dark by the optical read that follows) went down after it: the cause listed is
        # of an earlier down, not of this one.
        if record.get("run_state") == "online":
            return None
        return record.get("last_down_cause")

    def authorize_context(self, request: AuthorizeRequest) -> dict[str, Any]:
        context = super().authorize_context(request)
        if request.serial:
            context["serial_hex"] = serial_hex(request.serial)
        if request.mac:
            context["mac_dotted"] = mac_dotted(request.mac)
        return context
