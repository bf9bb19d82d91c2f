"""SmartAX alarm blocks, as the OLT pushes them into a command's output."""

from __future__ import annotations

import random
import time

from ispflow.lab.alarms import pick_onu
from ispflow.lab.model import LabOlt

EVENTS = (
    ("MAJOR", "0x2e112001", "The ONT is offline", "LOSi/LOBi"),
    ("MINOR", "0x2e2d2011", "The optical signal level of the ONT is low", "Rx power low"),
    ("WARNING", "0x2e112002", "The ONT dying-gasp is received", "dying-gasp"),
    (
        "CRITICAL",
        "0x2e312004",
        "The distribute fiber is broken or OLT can not receive optical signal",
        "LOS",
    ),
)


def alarm(olt: LabOlt, rng: random.Random, now: float | None = None) -> list[str]:
    severity, code, name, cause = rng.choice(EVENTS)
    pon, onu_id = pick_onu(olt, rng)
    frame, slot, port = pon.split("/")
    stamp = time.strftime("%Y-%m-%d %H:%M:%S-03:00", time.localtime(now or time.time()))
    serial = rng.getrandbits(24)
    return [
        "",
        f"  ! {severity} ALARM {stamp}",
        f"  ALARM  {serial}  FAULT  {severity:<8} {code}  ID: {rng.randint(100, 9999)}  GPON",
        f"  ALARM NAME :{name}",
        f"  PARAMETERS :FrameID: {frame}, SlotID: {slot}, PortID: {port}, ONT ID: {onu_id}, Cause: {cause}",
        "",
    ]
