"""How the lab puts a FiberHome OLT's customers in service, and how it names what it holds."""

from __future__ import annotations

from ispflow.lab.model import Device, LabOlt, PonPort


def provision(olt: LabOlt, pon: PonPort, device: Device, onu_id: int, description: str) -> None:
    """The whitelist entry, its description and the LAN port's VLAN service."""
    olt.authorize(
        pon.name,
        serial=device.serial,
        onu_id=onu_id,
        description=description,
        onu_type=device.model.onu_type,
    )
    service(olt, pon.name, onu_id, pon.vlan)


def service(olt: LabOlt, pon: str, onu_id: int, vlan: int, index: int = 1) -> None:
    """`set epon … port 1 service I vlan_mode tag 0 33024 VLAN`: LAN port 1, tagged."""
    olt.set_onu_config(pon, onu_id, "if", "service number", "port 1 service number 1")
    olt.add_service_port(pon, onu_id, vlan=vlan, gemport=1, user_vlan=vlan, index=index)


def interface_name(olt: LabOlt, pon: str) -> str:
    """`slot S pon P` (or `slot S link L` on older firmware)."""
    _frame, slot, port = pon.split("/")
    word = "link" if olt.firmware == "link" else "pon"
    return f"slot {slot} {word} {port}"
