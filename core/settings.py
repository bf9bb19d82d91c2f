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
