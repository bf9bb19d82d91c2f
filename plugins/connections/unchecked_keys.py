"""Which OLTs a run logs in to without checking their SSH host key (see host_keys.py).

Apart from host_keys so that a run can warn about them without loading paramiko: a run
over concentrators alone never needs it.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ispflow.plugins.connections.known_hosts import HostKeySettings, host_key_settings

CONNECTION = "olt_cli"
EXTRA = "host_key_check"  # in connection_options.olt_cli.extras


# -- opt-out --------------------------------------------------------------------------------
def is_olt(host: Any) -> bool:
    return host.get("role") == "olt"


def unchecked(hosts: Iterable[Any], settings: HostKeySettings | None = None) -> list[str]:
    """The OLTs among these Nornir hosts whose SSH host key will not be checked."""
    settings = settings or host_key_settings()
    names = []
    for host in hosts:
        if not is_olt(host):
            continue
        extras = host.get_connection_parameters(CONNECTION).extras or {}
        if extras.get(EXTRA, settings.check) is False:
            names.append(host.name)
    return names


def unchecked_warning(hosts: Iterable[Any], shown: int = 20) -> str | None:
    """One line for a run whose OLTs include some that are not checked, else None."""
    settings = host_key_settings()
    names = unchecked(hosts, settings)
    if not names:
        return None
    listed = ", ".join(names[:shown]) + (
        f" and {len(names) - shown} more" if len(names) > shown else ""
    )
    why = (
        f"ssh.host_key_check is false in {settings.where}"
        if not settings.check
        else f"{EXTRA}: false in their olt_cli extras"
    )
    return (
        f"warning: SSH host keys NOT checked for {len(names)} OLT(s) ({why}): {listed}; "
        "a server posing as one of them would be sent its password"
    )
