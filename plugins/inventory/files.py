"""The inventory as a Nornir object: YAML files (hosts.yaml, groups.yaml, defaults.yaml) by
default, else NetBox or the store, as `--source` or the configuration's `inventory:` section
says."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from nornir.core import Nornir
from nornir.core.inventory import Host, Inventory
from nornir.core.plugins.inventory import InventoryPluginRegister
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from ispflow.core.errors import UsageError
from ispflow.core.paths import INVENTORY_DIR
from ispflow.core.settings import load_section
from ispflow.core.suggest import did_you_mean
from ispflow.plugins.inventory.credentials import apply_credentials, load_secrets_file
from ispflow.plugins.nornir_plugins import init_nornir

SOURCES = ("files", "netbox", "store")
SOURCE_ENV = "ISPFLOW_INVENTORY_SOURCE"

# What `ispflow lab up` leaves in the folder it was started from.
LAB_STATE_DIR = Path(".ispflow-lab")


def running_lab() -> Path | None:
    """The lab state folder in the working folder, if its server is up (server.json)."""
    return LAB_STATE_DIR if (LAB_STATE_DIR / "server.json").is_file() else None


def inventory_dir(path: str | Path | None = None) -> Path:
    """--inventory, else ISPFLOW_INVENTORY, else a lab running from here. Never the bundled
    example on its own: its hosts are on 127.0.0.1, where some other lab may be listening."""
    lab = running_lab()
    fallback = lab / "inventory" if lab is not None else None
    given = path or os.environ.get("ISPFLOW_INVENTORY") or fallback
    if given is None:
        raise UsageError(
            "no inventory: give --inventory DIR or set ISPFLOW_INVENTORY, or run from the "
            "folder where `ispflow lab up` runs a lab (no lab runs from here). The bundled "
            f"example: --inventory {INVENTORY_DIR}"
        )
    chosen = Path(given)
    if not (chosen / "hosts.yaml").is_file():
        raise UsageError(f"no inventory at {chosen} (expected {chosen / 'hosts.yaml'})")
    return chosen


def inventory_source(source: str | None = None, path: str | Path | None = None) -> str:
    """--source, else files when --inventory names a folder, else ISPFLOW_INVENTORY_SOURCE,
    else the configuration's `inventory: {source: ...}`, else files."""
    if source is None and path is not None:
        return "files"
    chosen = source or os.environ.get(SOURCE_ENV)
    if not chosen:
        section, _ = load_section("inventory", ("source",))
        chosen = section.get("source") or "files"
    if chosen not in SOURCES:
        raise UsageError(
            f"inventory source '{chosen}'{did_you_mean(str(chosen), SOURCES)} is not one of "
            f"{', '.join(SOURCES)}"
        )
    return str(chosen)


def inventory_named(path: str | Path | None = None, source: str | None = None) -> bool:
    """Whether anything names an inventory: --inventory, --source, their variables, the
    configuration file, or a lab running from here."""
    if path is not None or source is not None or os.environ.get("ISPFLOW_INVENTORY"):
        return True
    return running_lab() is not None or inventory_source(None, None) != "files"


def no_devices() -> Nornir:
    """An inventory with no host, for a runbook that works only on the store (`targets:
    local`) where no inventory is named."""
    from nornir.core import Nornir
    from nornir.core.configuration import Config
    from nornir.core.inventory import Defaults, Groups, Hosts, Inventory
    from nornir.plugins.runners import ThreadedRunner

    inventory = Inventory(hosts=Hosts(), groups=Groups(), defaults=Defaults())
    return Nornir(inventory=inventory, runner=ThreadedRunner(), config=Config())


def describe_inventory(source: str | None = None, path: str | Path | None = None) -> str:
    """Which inventory a run would use, in a few words: `.ispflow-lab/inventory (lab)`,
    `NetBox https://netbox.example`, `the store`."""
    chosen = inventory_source(source, path)
    if chosen == "store":
        return "the store's OLTs"
    if chosen == "netbox":
        from ispflow.plugins.inventory.netbox_settings import netbox_settings

        return f"NetBox {netbox_settings().url}"
    folder = inventory_dir(path)
    lab = running_lab()
    is_lab = lab is not None and folder.resolve() == (lab / "inventory").resolve()
    return f"{folder}{' (lab)' if is_lab else ''}"


def open_nornir(
    path: str | Path | None = None,
    source: str | None = None,
    *,
    refresh: bool = False,
    db: str | None = None,
) -> Nornir:
    """The inventory with credentials applied. `refresh` skips NetBox's cached device list;
    `db` is the store the `store` source reads."""
    chosen = inventory_source(source, path)
    if chosen == "netbox":
        from ispflow.plugins.inventory.netbox import NetBoxInventory

        return _plugin_nornir("ispflow_netbox", NetBoxInventory, {"refresh": refresh})
    if chosen == "store":
        from ispflow.plugins.inventory.store import StoreInventory

        return _plugin_nornir("ispflow_store", StoreInventory, {"db": db}, lab_login=True)
    return _files_nornir(path)


def _plugin_nornir(
    name: str, plugin: type, options: dict[str, Any], *, lab_login: bool = False
) -> Nornir:
    """With `lab_login`, hosts that are devices of the lab running from here (the OLTs `lab
    up` put in the store) log in with the lab's secrets, as the lab's own inventory does."""
    # The entry points register these too; registering here keeps a source usable from a
    # checkout whose package metadata predates it.
    InventoryPluginRegister.register(name, plugin)
    nornir = init_nornir(
        runner={"plugin": "threaded"},
        inventory={"plugin": name, "options": options},
        logging={"enabled": False},
    )
    lab = running_lab()
    if lab_login and lab is not None:
        devices = lab_devices(nornir.inventory, lab)
        if devices:
            apply_credentials(nornir.inventory, load_secrets_file(lab / "secrets.yaml"), devices)
    apply_credentials(nornir.inventory, load_secrets_file())
    return nornir


def lab_devices(inventory: Inventory, lab: Path) -> list[Host]:
    """The hosts at an address and port the lab's inventory gives one of its devices. Matched
    by address, not name: the lab's login must never go to a device elsewhere."""
    try:
        records = YAML(typ="safe").load((lab / "inventory" / "hosts.yaml").read_bytes())
    except (OSError, YAMLError):  # a lab stopping or starting: its login is not known now
        return []
    if not isinstance(records, dict):
        return []
    addresses = {
        (record.get("hostname"), record.get("port"))
        for record in records.values()
        if isinstance(record, dict) and record.get("port")
    }
    return [host for host in inventory.hosts.values() if (host.hostname, host.port) in addresses]


def _files_nornir(path: str | Path | None) -> Nornir:
    folder = inventory_dir(path)
    options = {"host_file": str(folder / "hosts.yaml")}
    for name in ("groups", "defaults"):
        if (folder / f"{name}.yaml").is_file():
            options[f"{name[:-1] if name == 'groups' else name}_file"] = str(
                folder / f"{name}.yaml"
            )
    try:
        nornir = init_nornir(
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
