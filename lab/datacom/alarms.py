"""DmOS system messages, as the lab pushes them into a command's output.

No DmOS alarm or log line printed into an answer is in the material we have (captured
sessions, manual excerpts, notes). DmOS's CLI is built on a framework (Tail-f ConfD) whose
other phrases it shares word for word (`Possible completions:`, `Aborted: …`,
`Commit complete.`, `syntax error: …`); that framework interrupts a session with a system
message: a `System message at DATE TIME...` line, then the message. The lab writes its alarms
in that form, and a commit made in another session as the framework announces it. The alarm
wording after the header is the lab's own. Not confirmed on a device (docs/olt.md).
"""

from __future__ import annotations

import random
import time

from ispflow.lab.alarms import pick_onu
from ispflow.lab.model import LabOlt

EVENTS = (
    ("MAJOR", "raised", "ONU loss of signal (LOSi)"),
    ("MINOR", "raised", "ONU dying gasp (DGi)"),
    ("MINOR", "raised", "ONU receive optical power low"),
    ("MAJOR", "cleared", "ONU loss of signal (LOSi)"),
)


def alarm(olt: LabOlt, rng: random.Random, now: float | None = None) -> list[str]:
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now or time.time()))
    if rng.random() < 0.2:
        message = "Commit performed by admin via ssh using cli."
    else:
        severity, what, text = rng.choice(EVENTS)
        pon, onu_id = pick_onu(olt, rng)
        message = f"Alarm {severity} {what}: interface gpon {pon} onu {onu_id}: {text}"
    return ["", f"System message at {stamp}...", message, ""]
