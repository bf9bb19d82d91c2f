"""The configuration file: `$ISPFLOW_CONFIG`, else `./ispflow.yaml` (optional).

Each subsystem reads its own section (`tickets:`, `netbox:`, ...) and says which keys it
knows, so a typo is an error naming the file and the key, not a silently ignored setting.
Secrets are not written in this file: sections name an environment variable or a file that
holds them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ispflow.core.errors import UsageError
from ispflow.core.suggest import did_you_mean

CONFIG_ENV = "ISPFLOW_CONFIG"
DEFAULT_CONFIG = Path("ispflow.yaml")


def config_path(explicit: Path | None = None) -> tuple[Path, bool]:
    """The configuration file, and whether it was asked for (then it must exist)."""
    if explicit is not None:
        return explicit, True
    named = os.environ.get(CONFIG_ENV)
    return (Path(named), True) if named else (DEFAULT_CONFIG, False)


def from_working_folder(where: str) -> bool:
    """Whether settings named `where` came from ./ispflow.yaml, found in the working folder
    rather than named (ISPFLOW_CONFIG or --config)."""
    return where == str(DEFAULT_CONFIG) and not os.environ.get(CONFIG_ENV)


def _check_found_file(path: Path) -> None:
    """A configuration found in the working folder is used only if this user owns it and
    nobody else can write it: it says where tokens are sent and which code runbooks may run."""
    info = path.stat()
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise UsageError(
            f"{path.resolve()}: found in the working folder but owned by another user; not "
            f"used (name a configuration with {CONFIG_ENV} to use it)"
        )
    # Group-writable is fine for the user's own group (a umask of 002 with a group per user).
    others_write = info.st_mode & 0o002 or (
        info.st_mode & 0o020 and hasattr(os, "getgid") and info.st_gid != os.getgid()
    )
    if others_write:
        raise UsageError(
            f"{path.resolve()}: found in the working folder and writable by others (mode "
            f"{info.st_mode & 0o777:04o}); not used: `chmod go-w {path}`, or name a "
            f"configuration with {CONFIG_ENV}"
        )


def load_section(
    name: str, known: tuple[str, ...], *, path: Path | None = None
) -> tuple[dict[str, Any], str]:
    """The `name:` section of the configuration file ({} without one), and the file's name
    for messages."""
    chosen, required = config_path(path)
    if not chosen.is_file():
        if required:
            raise UsageError(f"configuration file {chosen} does not exist")
        return {}, str(chosen)
    if not required:
        _check_found_file(chosen)
    from ruamel.yaml import YAML, YAMLError

    try:
        data = YAML(typ="safe").load(chosen.read_text(encoding="utf-8")) or {}
    except YAMLError as exc:
        raise UsageError(f"{chosen}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise UsageError(f"{chosen}: the configuration is a mapping of sections")
    section = data.get(name, {})
    if not isinstance(section, dict):
        raise UsageError(f"{chosen}: '{name}' is a mapping ({', '.join(known)})")
    for key in sorted(set(section) - set(known)):
        raise UsageError(
            f"{chosen}: {name}: unknown key '{key}'{did_you_mean(str(key), known)} "
            f"(known: {', '.join(known)})"
        )
    return section, str(chosen)


def secret_from(section: dict[str, Any], where: str, *, env_key: str, file_key: str) -> str | None:
    """A secret named by the section: the variable in `env_key`, or the file in `file_key`."""
    if section.get(env_key):
        value = os.environ.get(str(section[env_key]))
        if value:
            return value
    if section.get(file_key):
        secret_path = Path(str(section[file_key])).expanduser()
        try:
            return secret_path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"{where}: {file_key} {secret_path}: {exc.strerror}") from None
    return None
