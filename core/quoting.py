"""Values a user gave, quoted in messages and cut short: a value may be as long as the file or
the cell it came from, and a message that echoes it whole buries what it says."""

from __future__ import annotations

# Longer than any contract code, login, serial or host name a message needs to show.
SHOWN = 60


def quoted(value: object, limit: int = SHOWN) -> str:
    """``repr(value)``; a longer text is cut to `limit` characters and says how long it was:
    ``'C-1C-1C-1…'… (21,000 characters)``."""
    if isinstance(value, str) and len(value) > limit:
        return f"{value[:limit]!r}… ({len(value):,} characters)"
    text = repr(value)
    return text if len(text) <= limit + 2 else text[:limit] + "…"
