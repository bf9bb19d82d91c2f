"""The YAML inventory (hosts.yaml, groups.yaml, defaults.yaml) as a Nornir object."""

from __future__ import annotations

import os
from pathlib import Path

from nornir import InitNornir
from nornir.core import Nornir

from engine.errors import UsageError
from engine.paths import INVENTORY_DIR
from plugins.inventory.credentials import apply_credentials, load_secrets_file

# What `ispflow lab up` leaves in the folder it was started from.
LAB_STATE_DIR = Path(".ispflow-lab")


def running_lab() -> Path | None:
    """The lab state folder in the working folder, if its server is up (server.json)."""
    return LAB_STATE_DIR if (LAB_STATE_DIR / "server.json").is_file() else None


def inventory_dir(path: str | Path | None = None) -> Path:
    """--inventory, else ISPFLOW_INVENTORY, else a lab running from here, else the bundled one."""
    lab = running_lab()
    fallback = lab / "inventory" if lab is not None else INVENTORY_DIR
    chosen = Path(path or os.environ.get("ISPFLOW_INVENTORY") or fallback)
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
    lab = running_lab()
    secrets_file = None
    if lab is not None and folder.resolve() == (lab / "inventory").resolve():
        secrets_file = lab / "secrets.yaml"
    apply_credentials(nornir.inventory, load_secrets_file(secrets_file))
    return nornir
