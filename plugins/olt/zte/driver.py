"""ZTE ZXA10 command side of the OLT driver: C300/C320 naming and C600 naming."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ispflow.plugins.olt.driver import AuthorizeRequest, CliStep, OltDriver, PonPort
from ispflow.plugins.olt.zte.config_secrets import SECRET_PATTERNS
from ispflow.plugins.olt.zte.parsers import ONLINE_PHASES

# Models whose CLI names interfaces gpon_olt-1/1/1 / gpon_onu-1/1/1:N instead of
# gpon-olt_1/1/1 / gpon-onu_1/1/1:N.
C600_FAMILY = re.compile(r"^C6\d\d", re.IGNORECASE)
DEFAULT_ONU_TYPE = "ZTE-F660"
DEFAULT_TCONT_PROFILE = "1G"


# Phase states of an ONU that is down. Seen in real `show gpon onu state` answers: `LOS`,
# `DyingGasp` (and `working`, `syncMib` for ONUs up or coming up). Known only from ZXA10
# manuals: `OffLine` (never seen since it was configured, or no cause kept), `LOFi`, `LOAMi`.
POWER_CAUSE = re.compile(r"dying[- ]?gasp", re.IGNORECASE)
FIBRE_CAUSE = re.compile(r"\b(?:LOS|LOF|LOAM|LOB)i?\b", re.IGNORECASE)


class ZteDriver(OltDriver):
    vendor = "zte"
    power_causes = POWER_CAUSE
    fibre_causes = FIBRE_CAUSE
    healthy_board_states = ("INSERVICE", "STANDBY")
    # `!` separators, `!<xpon>` section markers and C600's `$` block ends.
    config_structure = re.compile(r"!.*|\$")
    secret_patterns = SECRET_PATTERNS
    first_onu_id = 1
    first_pon = (1, 1, 1)
    # "%Code 32310-GPONSRV : No related information to show." is an empty list, not a refusal.
    error_pattern = re.compile(r"^\s*%(Error|Code (?!32310))")
    refusal_words = ("%",)
    nothing_to_remove = re.compile(r"does not exist")

    @property
    def c600_naming(self) -> bool:
        return bool(C600_FAMILY.match(self.model))

    def olt_interface(self, port: PonPort) -> str:
        return f"gpon_olt-{port}" if self.c600_naming else f"gpon-olt_{port}"

    def onu_interface(self, port: PonPort, onu_id: int) -> str:
        return f"gpon_onu-{port}:{onu_id}" if self.c600_naming else f"gpon-onu_{port}:{onu_id}"

    def port_context(self, port: PonPort) -> dict[str, Any]:
        return {**super().port_context(port), "olt_if": self.olt_interface(port)}

    def onu_context(self, port: PonPort, onu_id: int) -> dict[str, Any]:
        return {**super().onu_context(port, onu_id), "onu_if": self.onu_interface(port, onu_id)}

    authorize_parts = (("service port", "index"), ("OMCI service (pon-onu-mng)", "service"))
    # `onu N type T` names an onu-type profile of the OLT's own (`pon` / `onu-type T gpon`),
    # not the ONU's model, and `show gpon onu uncfg` reports no type: the default profile when
    # none is given, and the result says which one was sent.
    default_onu_type = DEFAULT_ONU_TYPE

    # Sent in the ONU's pon-onu-mng block (OMCI); the admin login is the ACS's (TR-069).
    sent_settings = ("wifi_ssid", "wifi_key", "voip_number", "voip_user", "voip_password")

    def onu_settings(self, settings: Mapping[str, str]) -> dict[str, str]:
        chosen = super().onu_settings(settings)
        for name, value in chosen.items():
            # ZXROS reads each value as one word: a blank would start another argument.
            if re.search(r"\s", str(value)):
                raise ValueError(
                    f"setting {name!r} has a blank; the ZTE CLI takes it as one word "
                    "(use _ instead)"
                )
        return chosen

    def onu_description(self, description: str) -> str:
        # ZXROS takes the ONU name as one word.
        return re.sub(r"\s+", "_", super().onu_description(description).strip()) or "onu"

    def authorize_context(self, request: AuthorizeRequest) -> dict[str, Any]:
        context = super().authorize_context(request)
        context["onu_if"] = self.onu_interface(request.port, request.onu_id)
        context["onu_type"] = request.onu_type or self.default_onu_type
        context["tcont_profile"] = DEFAULT_TCONT_PROFILE
        return context

    def down_cause_ports(self, ports: list[PonPort], olt_pons: int = 0) -> list[CliStep]:
        # `show gpon onu state` with no port lists every ONU of the OLT (seen on C300 V1.x,
        # V2.x and C600 TITAN): one round trip in place of one per PON, worth it when most
        # of the OLT's PONs need theirs, as in a fleet audit where most PONs have an ONU down.
        if olt_pons and len(ports) > 1 and 2 * len(ports) >= olt_pons:
            return [CliStep(line, every_pon=True) for line in self.render("down_causes_olt")]
        return super().down_cause_ports(ports)

    def down_cause_of(self, record: dict[str, Any]) -> str | None:
        # `show gpon onu state`: the Phase State of an ONU that is not working is why.
        phase = record.get("phase_state")
        return None if phase is None or phase.lower() in ONLINE_PHASES else phase

    def optical_onu(self, port: PonPort, onu_id: int) -> list[str]:
        return self.render(
            "optical_onu", **self.port_context(port), onu_if=self.onu_interface(port, onu_id)
        )
