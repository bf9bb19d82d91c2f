"""Nornir's plugins are registered by name and imported on first use."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
INVENTORY = {
    "host_file": str(ROOT / "inventory" / "hosts.yaml"),
    "group_file": str(ROOT / "inventory" / "groups.yaml"),
    "defaults_file": str(ROOT / "inventory" / "defaults.yaml"),
}


def probe(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    return done.stdout.strip()


def test_building_nornir_imports_only_the_plugins_it_uses() -> None:
    shown = probe(
        f"""
        import sys
        from ispflow.plugins.nornir_plugins import init_nornir
        from nornir.core.plugins.connections import ConnectionPluginRegister

        nornir = init_nornir(
            runner={{"plugin": "threaded"}},
            inventory={{"plugin": "SimpleInventory", "options": {INVENTORY!r}}},
            logging={{"enabled": False}},
        )
        print(len(nornir.inventory.hosts) > 0, "napalm" in sys.modules, "netmiko" in sys.modules)
        # Asked something, a connection plugin is imported: its class answers.
        plugin = ConnectionPluginRegister.get_plugin("napalm")
        print(plugin.open.__qualname__, "napalm" in sys.modules)
        """
    )
    assert shown.splitlines() == ["True False False", "Napalm.open True"]


def test_nornirs_own_init_still_registers_the_same_plugins_afterwards() -> None:
    shown = probe(
        f"""
        from nornir import InitNornir
        from ispflow.plugins.nornir_plugins import init_nornir

        settings = dict(
            runner={{"plugin": "threaded"}},
            inventory={{"plugin": "SimpleInventory", "options": {INVENTORY!r}}},
            logging={{"enabled": False}},
        )
        init_nornir(**settings)
        print(len(InitNornir(**settings).inventory.hosts) > 0)
        """
    )
    assert shown == "True"
