"""Device credentials come from the environment or a secrets file, never from runbooks.

Order, most specific first: the secrets file's ``hosts.<name>``, its ``groups.<group>``, its
``defaults``, then ISPFLOW_USERNAME / ISPFLOW_PASSWORD. The secrets file is the YAML file named
by ISPFLOW_SECRETS; values already in the inventory are kept.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from nornir.core.inventory import Host, Inventory
from ruamel.yaml import YAML

from ispflow.core.errors import UsageError

FIELDS = ("username", "password")


def load_secrets_file(path: str | Path | None = None) -> dict[str, Any]:
    chosen = path or os.environ.get("ISPFLOW_SECRETS")
    if not chosen:
        return {}
    try:
        data = YAML(typ="safe").load(Path(chosen).read_text(encoding="utf-8")) or {}
    except OSError as exc:
        raise UsageError(f"secrets file {chosen}: {exc.strerror or exc}") from exc
    except Exception as exc:
        raise UsageError(f"secrets file {chosen} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise UsageError(f"secrets file {chosen}: expected a mapping with defaults/groups/hosts")
    return data


def apply_credentials(
    inventory: Inventory,
    secrets: dict[str, Any] | None = None,
    hosts: Iterable[Host] | None = None,
) -> None:
    """Fill in the login of `hosts` (default: every host) where the inventory has none."""
    secrets = load_secrets_file() if secrets is None else secrets
    env = {
        "username": os.environ.get("ISPFLOW_USERNAME"),
        "password": os.environ.get("ISPFLOW_PASSWORD"),
    }
    for host in inventory.hosts.values() if hosts is None else hosts:
        for field in FIELDS:
            if getattr(host, field):
                continue
            value = _lookup(host, field, secrets) or env[field]
            if value:
                setattr(host, field, value)


def _lookup(host: Host, field: str, secrets: dict[str, Any]) -> Any:
    entry = (secrets.get("hosts") or {}).get(host.name) or {}
    if entry.get(field):
        return entry[field]
    for group in host.extended_groups():
        entry = (secrets.get("groups") or {}).get(group.name) or {}
        if entry.get(field):
            return entry[field]
    return (secrets.get("defaults") or {}).get(field)
