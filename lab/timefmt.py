"""Times as the OLTs print them. The lab's OLTs keep Brasília time (UTC−3, no DST)."""

from __future__ import annotations

import time

OFFSET_S = -3 * 3600


def stamp(t: float | None, *, offset: bool = False) -> str:
    """2025-11-24 10:12:40 (or …-03:00 as SmartAX writes it); `-` when unknown."""
    if t is None:
        return "-"
    text = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t + OFFSET_S))
    return text + "-03:00" if offset else text
