"""The newest schema revision, read from the migration files without loading Alembic.

Every command that opens the store checks that its schema is current; Alembic (and its
migration scripts) load only when it is not. The revision ids are read from each script's
`revision` and `down_revision` lines: the head is the one revision no other revises.
tests/store/test_migrations.py keeps this equal to Alembic's own answer.
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

VERSIONS = Path(__file__).resolve().with_name("migrations") / "versions"
_ASSIGNED = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.+?)\s*$", re.MULTILINE)


@functools.cache
def newest_revision() -> str | None:
    """The store's newest schema revision; None when the files do not say plainly (then
    Alembic decides)."""
    return head_in(VERSIONS)


def head_in(versions: Path) -> str | None:
    """The single head revision of the migration scripts in `versions`, or None."""
    revised: set[str] = set()
    revisions: set[str] = set()
    try:
        scripts = sorted(versions.glob("*.py"))
        for script in scripts:
            found = dict(_ASSIGNED.findall(script.read_text(encoding="utf-8")))
            revision = _literal(found.get("revision", ""))
            down = _literal(found.get("down_revision", "None"))
            if not isinstance(revision, str):
                return None
            revisions.add(revision)
            if isinstance(down, str):
                revised.add(down)
            elif isinstance(down, tuple | list) and all(isinstance(d, str) for d in down):
                revised.update(down)
            elif down is not None:
                return None
    except (OSError, UnicodeDecodeError):
        return None
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def _literal(text: str) -> object:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return ValueError
