"""Where ispflow finds its shipped files (runbooks, inventory, templates) and a user's runbooks."""

from __future__ import annotations

import os
from pathlib import Path

from engine.errors import UsageError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
RUNBOOKS_DIR = PROJECT_ROOT / "runbooks"
INVENTORY_DIR = PROJECT_ROOT / "inventory"
TEMPLATES_DIR = PROJECT_ROOT / "templates"
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
