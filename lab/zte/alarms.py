"""ZXA10 log and alarm lines, as the OLT pushes them into a command's output."""

from __future__ import annotations

import random
import time

from ispflow.lab.alarms import pick_onu
from ispflow.lab.model import LabOlt

EVENTS = (
    ("GPONSRV-4-ONU_LOS", "ONU LOS alarm"),
    ("GPONSRV-4-ONU_DYINGGASP", "ONU dying gasp alarm"),
    ("GPONSRV-5-ONU_ONLINE", "ONU online"),
    ("PONPWR-4-RX_LOW", "ONU receive optical power is low"),
)


def alarm(olt: LabOlt, rng: random.Random, now: float | None = None) -> list[str]:
    tag, text = rng.choice(EVENTS)
    pon, onu_id = pick_onu(olt, rng)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now or time.time()))
    onu = f"gpon-onu_{pon}:{onu_id}" if olt.model.name != "C600" else f"gpon_onu-{pon}:{onu_id}"
    if rng.random() < 0.5:
        return [f"%{tag}: {stamp} {text}, {onu}"]
    return [f"[ALARM] {stamp} {text} {onu} (code {rng.randint(1000, 9999)})"]
