"""Libraries the SSH stack imports at start-up but uses only in rare cases, loaded on first use.

paramiko imports `invoke` (and with it asyncio and unittest.mock) when it is itself imported,
only to run the `Match exec` lines of an OpenSSH client config. That import was about a
third of paramiko's, on the way to every run's first login. Here `invoke` stands in
sys.modules as a module that imports the real one the first time any of its names is read,
so an SSH config that needs it still gets it.

`importlib.util.LazyLoader` does the same, but on Python 3.11 two threads reading the lazy
module at once may both run its code; the stand-in below loads it under a lock.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import threading
import types
from typing import Any

DEFERRED = ("invoke",)
_loading = threading.Lock()


class _LoadedOnFirstUse(types.ModuleType):
    """Stands in for a module not yet imported; reading any name imports it."""

    def __getattr__(self, name: str) -> Any:
        return getattr(_load(self), name)

    def __dir__(self) -> list[str]:
        return dir(_load(self))


def _load(stand_in: types.ModuleType) -> types.ModuleType:
    with _loading:
        if sys.modules.get(stand_in.__name__) is stand_in:
            del sys.modules[stand_in.__name__]
            try:
                return importlib.import_module(stand_in.__name__)
            except BaseException:
                sys.modules[stand_in.__name__] = stand_in  # tried again on the next read
                raise
    return sys.modules[stand_in.__name__]


def defer(names: tuple[str, ...] = DEFERRED) -> None:
    """Put stand-ins for `names` into sys.modules; a module already imported, or not
    installed (its importers then see the ImportError they expect), is left alone."""
    for name in names:
        if name in sys.modules or importlib.util.find_spec(name) is None:
            continue
        sys.modules[name] = _LoadedOnFirstUse(name)
