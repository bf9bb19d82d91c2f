"""Alarm and log lines an OLT pushes to the terminal in the middle of a command's output.

Real OLTs print these whenever something happens on a PON, even while a table is being
written; parsers that assume clean tables break on them, so the lab can do it on purpose.
"""

from __future__ import annotations

import random
import time

from ispflow.lab.model import LabOlt

HUAWEI_EVENTS = (
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
ZTE_EVENTS = (
    ("GPONSRV-4-ONU_LOS", "ONU LOS alarm"),
    ("GPONSRV-4-ONU_DYINGGASP", "ONU dying gasp alarm"),
    ("GPONSRV-5-ONU_ONLINE", "ONU online"),
    ("PONPWR-4-RX_LOW", "ONU receive optical power is low"),
)


def _pick(olt: LabOlt, rng: random.Random) -> tuple[str, int]:
    ports = olt.populated() or list(olt.pons.values())
    port = rng.choice(ports)
    ids = sorted(port.onts) or [olt.id_range.start]
    return port.name, rng.choice(ids)


def huawei_alarm(olt: LabOlt, rng: random.Random, now: float | None = None) -> list[str]:
    severity, code, name, cause = rng.choice(HUAWEI_EVENTS)
    pon, onu_id = _pick(olt, rng)
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


def zte_alarm(olt: LabOlt, rng: random.Random, now: float | None = None) -> list[str]:
    tag, text = rng.choice(ZTE_EVENTS)
    pon, onu_id = _pick(olt, rng)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now or time.time()))
    onu = f"gpon-onu_{pon}:{onu_id}" if olt.model.name != "C600" else f"gpon_onu-{pon}:{onu_id}"
    if rng.random() < 0.5:
        return [f"%{tag}: {stamp} {text}, {onu}"]
    return [f"[ALARM] {stamp} {text} {onu} (code {rng.randint(1000, 9999)})"]
