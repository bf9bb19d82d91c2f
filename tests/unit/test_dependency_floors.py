"""The releases ispflow accepts carry the fixes for the advisories it is exposed to, and every
library it imports is declared."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]

# The first release with the fixes (sandbox escapes, certificate checks, Terrapin, OpenSSL).
FIXED = {
    "jinja2": "3.1.6",
    "requests": "2.32.4",
    "paramiko": "3.4",
    "cryptography": "44.0.1",
    "asyncssh": "2.14.2",
}


def declared() -> dict[str, Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    found = [Requirement(r) for r in project["dependencies"]]
    found += [Requirement(r) for r in project["optional-dependencies"]["lab"]]
    return {r.name.lower(): r for r in found}


def test_every_floor_is_at_a_fixed_release() -> None:
    requirements = declared()
    for name, fixed in FIXED.items():
        assert name in requirements, f"{name} is used but not declared"
        floors = [Version(s.version) for s in requirements[name].specifier if s.operator == ">="]
        assert floors and min(floors) >= Version(fixed), f"{name} allows releases before {fixed}"
