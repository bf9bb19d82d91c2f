"""Nornir's plugins registered by name and imported when first used.

Nornir's `InitNornir` imports every installed connection, inventory and runner plugin before
it builds anything: NAPALM with all its drivers, for instance, in every `ispflow` run that
never opens a NAPALM connection. Here each entry point is registered under its name as a
stand-in that imports the plugin the first time Nornir calls it or asks it something, and
`init_nornir` builds the Nornir object as InitNornir does, from that registry.
"""

from __future__ import annotations

import functools
from importlib.metadata import EntryPoint
from typing import Any

from nornir.core import Nornir
from nornir.core.configuration import Config
from nornir.core.plugins.connections import CONNECTIONS_PLUGIN_PATH, ConnectionPluginRegister
from nornir.core.plugins.inventory import INVENTORY_PLUGIN_PATH, InventoryPluginRegister
from nornir.core.plugins.register import PluginRegister
from nornir.core.plugins.runners import RUNNERS_PLUGIN_PATH, RunnersPluginRegister
from nornir.core.state import GlobalState

from ispflow.core.entry_points import entry_points


class OnFirstUse:
    """An entry point's plugin, imported when Nornir first calls it or reads an attribute."""

    def __init__(self, entry: EntryPoint) -> None:
        self._entry = entry
        self._plugin: Any = None

    def load(self) -> Any:
        if self._plugin is None:
            self._plugin = self._entry.load()
        return self._plugin

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.load()(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.load(), name)

    # Nornir's `register` refuses a second, different plugin under a name: a later
    # `auto_register` (InitNornir elsewhere in the process) registers the same plugin again.
    def __eq__(self, other: object) -> bool:
        return other is self or self.load() == other

    def __hash__(self) -> int:
        return hash((self._entry.group, self._entry.name))

    def __repr__(self) -> str:
        return f"<{self._entry.name}: {self._entry.value}, imported on first use>"


_REGISTERS: tuple[tuple[str, PluginRegister[Any]], ...] = (
    (CONNECTIONS_PLUGIN_PATH, ConnectionPluginRegister),
    (INVENTORY_PLUGIN_PATH, InventoryPluginRegister),
    (RUNNERS_PLUGIN_PATH, RunnersPluginRegister),
)


@functools.cache
def register_entry_points() -> None:
    """Every installed connection, inventory and runner plugin, under its name, unimported
    (a name something registered already keeps what it has)."""
    for group, register in _REGISTERS:
        for entry in entry_points(group=group):
            if entry.name not in register.available:
                register.register(entry.name, OnFirstUse(entry))  # type: ignore[arg-type]


def init_nornir(**settings: Any) -> Nornir:
    """`nornir.InitNornir(**settings)` (no config file, no dry run), importing only the
    plugins it uses."""
    register_entry_points()
    config = Config.from_dict(**settings)
    if config.inventory.transform_function:
        from nornir import InitNornir

        return InitNornir(**settings)
    config.logging.configure()
    inventory_plugin = InventoryPluginRegister.get_plugin(config.inventory.plugin)
    runner_plugin = RunnersPluginRegister.get_plugin(config.runner.plugin)
    return Nornir(
        inventory=inventory_plugin(**config.inventory.options).load(),
        runner=runner_plugin(**config.runner.options),
        config=config,
        data=GlobalState(dry_run=False),
    )
