"""`show running-config` of a lab AN5516 (the lab's own layout: no captured output exists).

The configuration is the commands that rebuild the OLT, directory by directory, as the CLI
takes them: `cd DIR`, the `set …` lines, `cd ..`; `!` lines are comments.
"""

from __future__ import annotations

import hashlib
import time

from ispflow.lab.fiberhome.render import Firmware, shown_serial
from ispflow.lab.model import LabOlt


def _secret(seed: str, length: int) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:length]


def running_config(olt: LabOlt, generation: Firmware, now: float) -> list[str]:
    with olt.lock:
        views = [view for pon in olt.pons for view in olt.snapshot(pon)]
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(now))
    word = generation.pon_word
    lines = [
        f"! {olt.model.name} running configuration",
        f"! generated {stamp}",
        "cd system",
        f"set hostname {olt.name}",
        f"add user admin password {_secret(olt.name + ':admin', 16)} level admin",
        "cd ..",
        "cd snmp",
        f"set community {_secret(olt.name + ':snmp', 10)} access read",
        "cd ..",
        f"cd {generation.directory}",
    ]
    for view in views:
        _frame, slot, port = view.pon.split("/")
        where = f"slot {slot} {word} {port} onu {view.onu_id}"
        lines.append(
            f"set whitelist phy_addr address {shown_serial(view.serial)} password null "
            f"action add {where} type {view.onu_type or 'null'}"
        )
        if view.description:
            lines.append(f"set onu_desc {where} desc {view.description}")
        for sp in view.service_ports:
            lines.append(
                f"set epon slot {slot} pon {port} onu {view.onu_id} port 1 service {sp.index} "
                f"vlan_mode tag 0 33024 {sp.vlan}"
            )
    lines.append("cd ..")
    return lines
