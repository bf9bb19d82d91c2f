"""Optical signal classes, as ISPs use them: good, warning, critical, overload, offline.

Thresholds (dBm) come from the host's inventory data `signal_thresholds` (so a group can
set its own), else the common defaults: good >= -25, warning -25 to -27, critical below -27,
overload above -8.
"""

from __future__ import annotations

from typing import Any

from ispflow.core.views import Row, TaskView, rank

DEFAULTS = {"good": -25.0, "critical": -27.0, "overload": -8.0}


def thresholds_for(host: Any) -> dict[str, float]:
    custom = host.get("signal_thresholds") or {}
    unknown = set(custom) - set(DEFAULTS)
    if unknown:
        raise ValueError(
            f"signal_thresholds of {host.name}: unknown keys {sorted(unknown)} (use {sorted(DEFAULTS)})"
        )
    limits = {**DEFAULTS, **{k: float(v) for k, v in custom.items()}}
    if not limits["critical"] <= limits["good"] < limits["overload"]:
        raise ValueError(f"signal_thresholds of {host.name}: need critical <= good < overload")
    return limits


def classify(rx_dbm: float | None, limits: dict[str, float] = DEFAULTS) -> str:
    if rx_dbm is None:
        return "offline"
    if rx_dbm > limits["overload"]:
        return "overload"
    if rx_dbm >= limits["good"]:
        return "good"
    if rx_dbm >= limits["critical"]:
        return "warning"
    return "critical"


# The order a NOC looks at readings in: no light first, then the weakest.
WORST_FIRST = ("offline", "critical", "overload", "warning", "good")
_signal_rank = rank(WORST_FIRST)
_NO_LIGHT = float("-inf")


def worst_first(row: Row) -> tuple[int, float]:
    rx = row.get("rx_dbm")
    return _signal_rank(row.get("signal")), rx if isinstance(rx, int | float) else _NO_LIGHT


READINGS_VIEW = TaskView(
    columns=(
        "port",
        "onu_id",
        "serial",
        "run_state",
        "rx_dbm",
        "olt_rx_dbm",
        "signal",
        "down_cause",
    ),
    order=worst_first,
)
