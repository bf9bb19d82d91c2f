"""The YAML inventory (hosts.yaml, groups.yaml, defaults.yaml) as a Nornir object."""

from __future__ import annotations

import os
from pathlib import Path

from nornir import InitNornir
from nornir.core import Nornir

from engine.errors import UsageError
from engine.paths import INVENTORY_DIR
from plugins.inventory.credentials import apply_credentials


def inventory_dir(path: str | Path | None = None) -> Path:
    """--inventory, else ISPFLOW_INVENTORY, else the bundled lab inventory."""
    chosen = Path(path or os.environ.get("ISPFLOW_INVENTORY") or INVENTORY_DIR)
    if not (chosen / "hosts.yaml").is_file():
        raise UsageError(f"no inventory at {chosen} (expected {chosen / 'hosts.yaml'})")
    return chosen


def open_nornir(path: str | Path | None = None) -> Nornir:
    folder = inventory_dir(path)
    options = {"host_file": str(folder / "hosts.yaml")}
    for name in ("groups", "defaults"):
        if (folder / f"{name}.yaml").is_file():
            options[f"{name[:-1] if name == 'groups' else name}_file"] = str(
                folder / f"{name}.yaml"
            )
    try:
        nornir = InitNornir(
            runner={"plugin": "threaded"},
            inventory={"plugin": "SimpleInventory", "options": options},
            logging={"enabled": False},
        )
    except Exception as exc:  # ruamel/pydantic errors from a hand-edited inventory
        raise UsageError(f"inventory {folder}: {exc}") from exc
    apply_credentials(nornir.inventory)
    return nornir
