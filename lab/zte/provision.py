"""How the lab puts a ZTE OLT's customers in service, and how it names what it holds."""

from __future__ import annotations

from ispflow.lab.model import Device, LabOlt, PonPort
from ispflow.lab.zte.render import Naming

# The T-CONT profile every lab ONU's T-CONT uses (defined in the running configuration).
TCONT_PROFILE = "FTTH-500M"


def provision(olt: LabOlt, pon: PonPort, device: Device, onu_id: int, description: str) -> None:
    """`onu N type … sn …`, its name, and what the install script configures in it."""
    olt.authorize(
        pon.name,
        serial=device.serial,
        onu_id=onu_id,
        description=description,
        onu_type=device.model.onu_type,
    )
    olt.set_onu_config(pon.name, onu_id, "if", "name", f"name {description}")
    service(olt, pon.name, onu_id, pon.vlan)


def service(olt: LabOlt, pon: str, onu_id: int, vlan: int) -> None:
    """The T-CONT / GEM port / service port / OMCI lines a ZTE install script leaves behind."""
    for key, line in (
        ("tcont 1", f"tcont 1 profile {TCONT_PROFILE}"),
        ("gemport 1", "gemport 1 name internet unicast tcont 1 dir both"),
        ("switchport vport 1", "switchport mode hybrid vport 1"),
    ):
        olt.set_onu_config(pon, onu_id, "if", key, line)
    olt.add_service_port(pon, onu_id, vlan=vlan, gemport=1, user_vlan=vlan, index=1)
    olt.set_onu_config(
        pon, onu_id, "mng", "service internet", f"service internet gemport 1 vlan {vlan}"
    )
    olt.set_onu_config(
        pon, onu_id, "mng", "vlan port eth_0/1", f"vlan port eth_0/1 mode tag vlan {vlan}"
    )


def interface_name(olt: LabOlt, pon: str) -> str:
    """`gpon-olt_R/S/P`, or `gpon_olt-R/S/P` on the C600."""
    return Naming(olt.model.name == "C600").olt_if(pon)
