"""Spelling suggestions for error messages: "unknown key 'regster' (did you mean 'register'?)"."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def did_you_mean(word: str, candidates: Iterable[str]) -> str:
    """The closest candidate as `` (did you mean 'x'?)``, or ``""`` when none is close.

    Returns an empty string rather than None so callers can always write
    ``f"unknown key '{key}'{did_you_mean(key, keys)}"``.
    """
    match = closest(word, candidates)
    return f" (did you mean '{match}'?)" if match else ""


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The candidate most like ``word`` (a typo away), if any; never ``word`` itself."""
    names = [str(c) for c in candidates]
    if not names or word in names:
        return None
    lowered = word.lower()
    for name in names:
        # A difference only in case is the likeliest typo, and difflib scores it poorly.
        if name.lower() == lowered:
            return name
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    if close:
        return close[0]
    by_lower = {name.lower(): name for name in names}
    close = difflib.get_close_matches(lowered, list(by_lower), n=1, cutoff=0.6)
    return by_lower[close[0]] if close else None
