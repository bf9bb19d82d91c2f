"""Installed entry points, read once per process.

`importlib.metadata.entry_points(group=...)` reads the entry points of every installed
distribution each time it is called; a run asks for five or six groups (Nornir's plugins,
tasks, vendors), which read them five or six times over.
"""

from __future__ import annotations

import functools
from importlib import metadata


@functools.cache
def _installed() -> metadata.EntryPoints:
    return metadata.entry_points()


def entry_points(*, group: str, name: str | None = None) -> metadata.EntryPoints:
    """The installed entry points of `group` (and `name`), as `importlib.metadata` has them."""
    found = _installed().select(group=group)
    return found if name is None else found.select(name=name)
