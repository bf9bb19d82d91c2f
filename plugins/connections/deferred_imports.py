"""Libraries the SSH stack imports at start-up but uses only in rare cases, loaded on first use.

paramiko imports `invoke` (and with it asyncio and unittest.mock) when it is itself imported,
only to run the `Match exec` lines of an OpenSSH client config. That import was about a
third of paramiko's, on the way to every run's first login. Here `invoke` stands in
sys.modules as a module that imports the real one the first time any of its names is read,
so an SSH config that needs it still gets it.

`importlib.util.LazyLoader` does the same, but on Python 3.11 two threads reading the lazy
module at once may both run its code; the stand-in below loads it under a lock.

netmiko's `__init__` imports its dispatcher, and with it every platform it supports (some
260 modules, a third of a run's imports before its first login) where an OLT session needs
its base class, its vendor's class and its exceptions. Its package stands in sys.modules
with `__init__` not run: its submodules import as usual, and reading any other name of the
package runs `__init__` then, in the same module object.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sys
import threading
import types
from collections.abc import Callable
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


def _netmiko_names(package: types.ModuleType) -> None:
    # What netmiko's own modules import from the package itself, as its __init__ makes it.
    package.log = logging.getLogger("netmiko")  # type: ignore[attr-defined]
    package.log.addHandler(logging.NullHandler())  # type: ignore[attr-defined]


# Package -> what its submodules need of it before its __init__ has run.
INIT_DEFERRED: dict[str, Callable[[types.ModuleType], None]] = {"netmiko": _netmiko_names}
_initializing = threading.RLock()


class _InitOnFirstUse(types.ModuleType):
    """A package whose `__init__` has not run: submodules import, other names run it."""

    _init_state = "pending"  # pending | running | done

    def __getattr__(self, name: str) -> Any:
        if importlib.util.find_spec(f"{self.__name__}.{name}") is not None:
            return importlib.import_module(f"{self.__name__}.{name}")
        _run_init(self)
        try:
            return self.__dict__[name]
        except KeyError:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}") from None


def _run_init(package: _InitOnFirstUse) -> None:
    with _initializing:
        if package._init_state == "running":
            return  # read by its own __init__ (through a submodule): as partly initialized
        if package._init_state == "done":
            return
        package._init_state = "running"
        try:
            assert package.__spec__ is not None and package.__spec__.loader is not None
            package.__spec__.loader.exec_module(package)
        except BaseException:
            package._init_state = "pending"  # tried again on the next read
            raise
        package._init_state = "done"


def defer_init(packages: dict[str, Callable[[types.ModuleType], None]] = INIT_DEFERRED) -> None:
    """Put stand-ins for `packages` into sys.modules, `__init__` not run; a package already
    imported, or not installed, is left alone."""
    for name, preset in packages.items():
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.submodule_search_locations is None or spec.loader is None:
            continue
        package = _InitOnFirstUse(name)
        package.__spec__ = spec
        package.__loader__ = spec.loader
        package.__file__ = spec.origin
        package.__path__ = list(spec.submodule_search_locations)
        package.__package__ = name
        preset(package)
        sys.modules[name] = package
