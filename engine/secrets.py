"""Keep secret var values out of everything a run writes: journal, results, errors, reports.

A secret is also masked in the forms a task or an expression easily turns it into: any
letter case (`| upper`), reversed, base64 and hex. This is a safety net for mistakes; a
runbook that wants to leak a secret can (see "A runbook is code" in docs/runbooks.md).
"""

from __future__ import annotations

import base64
import pickle
import re
from collections.abc import Iterable
from typing import Any

MASK = "********"
# The only letters outside ASCII that a case-insensitive pattern matches to ASCII ones
# (İ ı ſ K), as UTF-8.
ASCII_CASE_MATES = tuple(c.encode() for c in "\u0130\u0131\u017f\u212a")
# Shorter secrets are masked as given only: their other forms would hit ordinary text.
MIN_VARIANT_LENGTH = 4


def variants(secret: str) -> set[str]:
    """The forms of `secret` masked besides itself (case aside: matching ignores it)."""
    if len(secret) < MIN_VARIANT_LENGTH:
        return set()
    raw = secret.encode("utf-8")
    found = {
        secret[::-1],
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        raw.hex(),
    }
    found.discard(secret)
    return found


class Secrets:
    def __init__(self, values: Iterable[Any]) -> None:
        # Longest first so a secret that contains another is masked whole.
        self._values = sorted(
            {str(v) for v in values if v not in (None, "")}, key=len, reverse=True
        )
        forms = sorted({f for v in self._values for f in (v, *variants(v))}, key=len, reverse=True)
        self._folded = [f.casefold() for f in forms]
        self._pattern = (
            re.compile("|".join(re.escape(f) for f in forms), re.IGNORECASE) if forms else None
        )
        # A secret that repr() shows as it is, whatever string it sits in (no quotes,
        # backslashes or unprintables, which repr escapes), can be looked for in one repr()
        # of a whole result (C speed) before walking it value by value.
        self._repr_safe = all(
            v.isprintable() and not any(c in v for c in "'\"\\") for v in self._values
        )
        # Faster still for ASCII secrets that are not numbers (a number in a result is masked
        # when it equals a secret, which no text search sees): pickle writes every string of
        # a result as its UTF-8 bytes, unescaped, in a fraction of repr()'s time.
        self._pickle_needles = (
            [f.encode("ascii") for f in self._folded]
            if all(v.isascii() and not _number_like(v) for v in self._values)
            else None
        )

    def __bool__(self) -> bool:
        return bool(self._values)

    def scrub(self, value: Any) -> Any:
        if not self._values:
            return value
        if isinstance(value, dict | list):
            packed = self._packed(value) if self._pickle_needles is not None else None
            if packed is not None:
                if not any(form in packed for form in self._pickle_needles or ()):
                    return value
            elif self._repr_safe:
                shown = repr(value).casefold()
                if not any(form in shown for form in self._folded):
                    return value
        return self._scrub(value)

    @staticmethod
    def _packed(value: Any) -> bytes | None:
        """The result's bytes, ASCII letters lowered; None when only repr() will do."""
        try:
            packed = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError, RecursionError):
            return None
        if any(letter in packed for letter in ASCII_CASE_MATES):
            return None
        return packed.lower()

    def _scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            assert self._pattern is not None
            return self._pattern.sub(MASK, value)
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


def _number_like(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True
