"""How the lab puts a Huawei OLT's customers in service, and how it names what it holds."""

from __future__ import annotations

import random

from ispflow.lab.model import Device, LabOlt, PonPort

# The line and service profiles every lab ONT is added with (profiles by id, as SmartAX has them).
LINE_PROFILE = "10"
SRV_PROFILE = "10"


def provision(olt: LabOlt, pon: PonPort, device: Device, onu_id: int, description: str) -> None:
    """`ont add … sn-auth` and one service port on the PON's VLAN, as the install script does."""
    olt.authorize(
        pon.name,
        serial=device.serial,
        onu_id=onu_id,
        line_profile=LINE_PROFILE,
        srv_profile=SRV_PROFILE,
        description=description,
    )
    olt.add_service_port(pon.name, onu_id, vlan=pon.vlan, gemport=1, user_vlan=pon.vlan)


def interface_name(olt: LabOlt, pon: str) -> str:
    """SmartAX configures a PON inside its board's interface: `gpon F/S`."""
    frame, slot, _port = pon.split("/")
    return f"gpon {frame}/{slot}"


def equipment_sn(rng: random.Random) -> str:
    """Huawei ONTs carry a 20-character equipment serial: 21500, digits, letters, digits."""
    letters = "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
    return f"21500{rng.randint(10000, 99999)}{letters}{rng.randint(1000000, 9999999)}"
