"""Keep secret var values out of everything a run writes: journal, results, errors, reports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

MASK = "********"


class Secrets:
    def __init__(self, values: Iterable[Any]) -> None:
        # Longest first so a secret that contains another is masked whole.
        self._values = sorted(
            {str(v) for v in values if v not in (None, "")}, key=len, reverse=True
        )
        # A secret that repr() shows as it is, whatever string it sits in (no quotes,
        # backslashes or unprintables, which repr escapes), can be looked for in one repr()
        # of a whole result (C speed) before walking it value by value.
        self._repr_safe = all(
            v.isprintable() and not any(c in v for c in "'\"\\") for v in self._values
        )

    def __bool__(self) -> bool:
        return bool(self._values)

    def scrub(self, value: Any) -> Any:
        if not self._values:
            return value
        if isinstance(value, dict | list) and self._repr_safe:
            shown = repr(value)
            if not any(secret in shown for secret in self._values):
                return value
        return self._scrub(value)

    def _scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            for secret in self._values:
                if secret in value:
                    value = value.replace(secret, MASK)
            return value
        if isinstance(value, dict):
            return {k: self._scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._scrub(v) for v in value]
        if (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and str(value) in self._values
        ):
            return MASK
        return value
