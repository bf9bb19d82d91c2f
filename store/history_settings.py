"""How long the signal history keeps each grain: raw readings, hourly and daily roll-ups.

Configuration (`ispflow.yaml`); an environment variable wins over its key:

    history:
      raw_days: 14            # ISPFLOW_HISTORY_RAW_DAYS: every reading, as read
      hourly_days: 60         # ISPFLOW_HISTORY_HOURLY_DAYS: per ONU per hour
      rollup_days: 400        # ISPFLOW_HISTORY_ROLLUP_DAYS: per ONU per day
      prune_after_audit: true # ISPFLOW_HISTORY_PRUNE_AFTER_AUDIT: prune when a run stored readings
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace

from ispflow.core.errors import UsageError
from ispflow.core.settings import load_section

SECTION = "history"
KEYS = ("raw_days", "hourly_days", "rollup_days", "prune_after_audit")
ENV = {key: f"ISPFLOW_HISTORY_{key.upper()}" for key in KEYS}
# The audit compares each ONU with its earlier audits from raw readings: a day of them at least.
MIN_RAW_DAYS = 1
# A century: beyond it a history is as good as kept forever, and a date that many days back
# would soon fall before the calendar's year 1.
MAX_DAYS = 36_525


@dataclass(frozen=True)
class HistorySettings:
    raw_days: int = 14
    hourly_days: int = 60
    rollup_days: int = 400
    prune_after_audit: bool = True
    where: str = "the defaults"  # for messages

    def with_days(self, raw_days: int | None, rollup_days: int | None) -> HistorySettings:
        """These settings with the day counts given by a caller (None: as configured),
        checked."""
        chosen = replace(
            self,
            raw_days=self.raw_days if raw_days is None else raw_days,
            rollup_days=self.rollup_days if rollup_days is None else rollup_days,
            where=self.where if raw_days is None and rollup_days is None else "as given",
        )
        chosen.check()
        return chosen

    @property
    def kept_hourly_days(self) -> int:
        """Hourly roll-ups are kept at least as long as raw readings, at most as long as daily
        ones."""
        return min(max(self.hourly_days, self.raw_days), self.rollup_days)

    def check(self) -> None:
        for name in ("raw_days", "hourly_days", "rollup_days"):
            value = getattr(self, name)
            if (
                isinstance(value, bool)
                or not isinstance(value, int)
                or not MIN_RAW_DAYS <= value <= MAX_DAYS
            ):
                raise UsageError(
                    f"history.{name} ({self.where}) is a whole number of days from "
                    f"{MIN_RAW_DAYS} to {MAX_DAYS:,} (a century), not {value!r}"
                )
        if self.raw_days > self.rollup_days:
            raise UsageError(
                f"history: raw readings kept {self.raw_days} days but roll-ups only "
                f"{self.rollup_days} ({self.where}): roll-ups must outlive the raw readings "
                "they summarise"
            )


def history_settings() -> HistorySettings:
    """The `history:` settings of the configuration file, environment variables first."""
    section, where = load_section(SECTION, KEYS)
    values: dict[str, object] = {}
    for key in KEYS:
        named = os.environ.get(ENV[key])
        if named is not None:
            values[key] = _from_env(key, named.strip())
        elif key in section:
            values[key] = section[key]
    from_env = [ENV[key] for key in KEYS if os.environ.get(ENV[key]) is not None]
    shown = f"{where} and {', '.join(from_env)}" if from_env else where
    settings = HistorySettings(**values, where=shown)  # type: ignore[arg-type]
    if not isinstance(settings.prune_after_audit, bool):
        raise UsageError(
            f"history.prune_after_audit ({shown}) is true or false, not "
            f"{settings.prune_after_audit!r}"
        )
    settings.check()
    return settings


def _from_env(key: str, text: str) -> object:
    if key == "prune_after_audit":
        lowered = text.lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise UsageError(f"{ENV[key]} is true or false, not {text!r}")
    try:
        return int(text)
    except ValueError:
        raise UsageError(f"{ENV[key]} is a whole number of days, not {text!r}") from None
