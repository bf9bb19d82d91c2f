"""Names a concentrator driver puts into a command: logins, profiles, pools, address lists.

Only names made of letters, digits and `@._:+-` (up to 64 characters) are passed on, so a
value can never be read by a device as another word, a query or a script.
"""

from __future__ import annotations

import re

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9@._:+-]{0,63}")


class BadName(ValueError):
    """A name or item id a driver refuses to put into a command."""


def checked_name(value: str, what: str, kind: str = "device") -> str:
    """`value` if it is a safe name; BadName saying what it is (`kind` names the system whose
    names these are, for the message) otherwise."""
    if not isinstance(value, str) or not NAME.fullmatch(value):
        raise BadName(
            f"{what} {value!r} is not a {kind} name (letters, digits and @._:+- only, "
            "up to 64 characters)"
        )
    return value
