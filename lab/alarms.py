"""Alarm and log lines an OLT pushes to the terminal in the middle of a command's output.

Real OLTs print these whenever something happens on a PON, even while a table is being
written; parsers that assume clean tables break on them, so the lab can do it on purpose.
Each vendor's lab profile words its own lines (lab/<vendor>/alarms.py); this picks the ONU
they are about.
"""

from __future__ import annotations

import random

from ispflow.lab.model import LabOlt


def pick_onu(olt: LabOlt, rng: random.Random) -> tuple[str, int]:
    """(PON, ONU id) an alarm is about: an ONU of a populated PON (any id on an empty OLT)."""
    ports = olt.populated() or list(olt.pons.values())
    port = rng.choice(ports)
    ids = sorted(port.onts) or [olt.id_range.start]
    return port.name, rng.choice(ids)
