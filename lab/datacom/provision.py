"""How the lab puts a DmOS OLT's customers in service, and how it names what it holds."""

from __future__ import annotations

from ispflow.lab.model import Device, LabOlt, PonPort
from ispflow.plugins.olt.datacom.driver import (
    DEFAULT_LINE_PROFILE,
    service_port_index,
)
from ispflow.plugins.olt.driver import PonPort as Pon


def provision(olt: LabOlt, pon: PonPort, device: Device, onu_id: int, description: str) -> None:
    """The ONU as ispflow authorizes it: name, serial, line profile, VLAN, service port."""
    olt.authorize(
        pon.name,
        serial=device.serial,
        onu_id=onu_id,
        description=description,
        line_profile=DEFAULT_LINE_PROFILE,
    )
    set_onu(olt, pon.name, onu_id, "name", description)
    set_onu(olt, pon.name, onu_id, "line-profile", DEFAULT_LINE_PROFILE)
    set_onu(olt, pon.name, onu_id, "native-vlan", str(pon.vlan))
    index = service_port_index(Pon.parse(pon.name), onu_id)
    olt.add_service_port(
        pon.name, onu_id, vlan=pon.vlan, gemport=1, user_vlan=pon.vlan, index=index
    )
    set_service_description(olt, pon.name, onu_id, index, description)


# An ONU's own lines, kept in its `if_config` as (key → line); the line is what the running
# configuration prints inside `onu N`.
LINES = {
    "name": "name {}",
    "line-profile": "line-profile {}",
    "native-vlan": "ethernet 1 native vlan vlan-id {}",
}


def set_onu(olt: LabOlt, pon: str, onu_id: int, key: str, value: str | None) -> None:
    line = None if value is None else LINES[key].format(value)
    olt.set_onu_config(pon, onu_id, "if", key, line)
    if key == "name":
        olt.set_description(pon, onu_id, value or "")


def set_service_description(
    olt: LabOlt, pon: str, onu_id: int, index: int, description: str | None
) -> None:
    """A service port's description, kept with its ONU (`mng_config`, unused on DmOS)."""
    line = f"{index} {description}" if description else None
    olt.set_onu_config(pon, onu_id, "mng", f"service-port {index}", line)


def service_descriptions(mng_config: tuple[str, ...]) -> dict[int, str]:
    found = {}
    for line in mng_config:
        index, _, text = line.partition(" ")
        if index.isdigit():
            found[int(index)] = text
    return found


def interface_name(olt: LabOlt, pon: str) -> str:
    return f"gpon {pon}"
