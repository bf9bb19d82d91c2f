"""Where ispflow finds its shipped files (runbooks, inventory, templates) and a user's runbooks."""

from __future__ import annotations

import os
import sys
from importlib.resources import files
from pathlib import Path

from ispflow.core.errors import UsageError


def _shipped(name: str) -> Path:
    """A folder of the package's data (runbooks, inventory, templates), on disk.

    Jinja2 and Nornir read these folders by path, so they must be real files: a wheel
    installed by pip always is; a zipped install is not supported."""
    folder = files("ispflow").joinpath(name)
    if not isinstance(folder, Path):
        raise UsageError(
            f"ispflow's shipped '{name}' folder is not on disk ({folder}); "
            "install ispflow unzipped (pip install)"
        )
    return folder


RUNBOOKS_DIR = _shipped("runbooks")
INVENTORY_DIR = _shipped("inventory")
TEMPLATES_DIR = _shipped("templates")
RUNBOOK_SUFFIXES = (".yaml", ".yml")


def runbook_dirs() -> list[Path]:
    """Shipped runbooks, plus any folders listed in ISPFLOW_RUNBOOKS (os.pathsep-separated)."""
    extra = [Path(p) for p in os.environ.get("ISPFLOW_RUNBOOKS", "").split(os.pathsep) if p]
    return [*extra, RUNBOOKS_DIR]


def find_runbook(source: str | Path) -> Path:
    """A runbook by path, or by name (``onu-authorize``) in the runbook folders."""
    path = Path(source)
    if path.is_file():
        return path
    name = str(source)
    if path.suffix in RUNBOOK_SUFFIXES or os.sep in name:
        raise UsageError(f"runbook file not found: {name}")
    for folder in runbook_dirs():
        for suffix in RUNBOOK_SUFFIXES:
            candidate = folder / f"{name}{suffix}"
            if candidate.is_file():
                return candidate
    known = ", ".join(sorted(shipped_runbooks())) or "none"
    raise UsageError(f"no runbook named '{name}' (shipped: {known})")


def shipped_runbooks() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in reversed(runbook_dirs()):
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.suffix in RUNBOOK_SUFFIXES:
                    found[path.stem] = path
    return found


def runbook_summary(path: Path, limit: int = 512 * 1024) -> str:
    """The first line of a runbook's `description`, read without checking the runbook (a
    list of runbooks needs no more); "" when the file does not say or cannot be read."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        with path.open("rb") as stream:
            data = stream.read(limit + 1)
        if len(data) > limit:
            return ""
        document = YAML(typ="safe").load(data)
    except (OSError, YAMLError, RecursionError, ValueError):
        return ""
    text = document.get("description") if isinstance(document, dict) else None
    return text.strip().splitlines()[0] if isinstance(text, str) and text.strip() else ""


def import_root() -> Path:
    """The folder to put on a child process's PYTHONPATH so that it imports this same
    `ispflow`: the checkout (where ispflow.py is) or the site-packages folder holding it."""
    origin = Path(sys.modules["ispflow"].__file__ or "").resolve()
    return origin.parent.parent if origin.name in ("__init__.py", "__main__.py") else origin.parent
