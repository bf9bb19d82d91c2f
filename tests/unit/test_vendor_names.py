"""Vendor knowledge lives only in the vendor's folders.

Every vendor registers one object (`ispflow.olt_vendors`, `ispflow.concentrator_vendors`);
code elsewhere asks the registry. This reads every module outside the vendors' folders and
fails on any identifier or string that names a registered vendor, its platforms or its
NetBox slugs (docstrings and comments may: they explain, they do not branch)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from ispflow.plugins.vendors import all_vendors, olt_vendors

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("cli", "core", "engine", "store", "tasks", "plugins", "lab")


def vendor_words() -> re.Pattern[str]:
    words = {
        word.lower()
        for vendor in all_vendors().values()
        for word in (vendor.name, *vendor.platforms, *vendor.netbox_slugs)
    }
    alternatives = "|".join(sorted(map(re.escape, words), key=len, reverse=True))
    return re.compile(rf"(?<![a-z])(?:{alternatives})(?![a-z])", re.IGNORECASE)


def vendor_folders() -> list[Path]:
    """Each vendor's driver folder, and its lab profile where that is a package of its own."""
    folders = [ROOT / "plugins" / "olt" / name for name in olt_vendors()]
    folders += [ROOT / "plugins" / "concentrator" / name for name in all_vendors()]
    for vendor in all_vendors().values():
        if vendor.lab_profile:
            folders.append(ROOT.joinpath(*vendor.lab_profile.split(".")[1:]))
    return [folder for folder in folders if folder.is_dir()]


# Keyword arguments that hold text for people (help, column comments), not behaviour.
PROSE_KEYWORDS = ("help", "comment")


def _prose(tree: ast.AST) -> set[int]:
    return {
        id(keyword.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        for keyword in node.keywords
        if keyword.arg in PROSE_KEYWORDS
    }


def _docstrings(tree: ast.AST) -> set[int]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def named_vendors(path: Path, pattern: re.Pattern[str], root: Path = ROOT) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    skip = _docstrings(tree) | _prose(tree)
    found = []
    for node in ast.walk(tree):
        text = None
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            text = node.value
        elif isinstance(node, ast.Name):
            text = node.id
        elif isinstance(node, ast.Attribute):
            text = node.attr
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.alias)):
            text = node.name
        elif isinstance(node, ast.ImportFrom):
            text = node.module
        if text and pattern.search(text):
            found.append(f"{path.relative_to(root)}:{getattr(node, 'lineno', '?')}: {text[:60]!r}")
    return found


def modules_naming_vendors() -> dict[str, list[str]]:
    pattern = vendor_words()
    inside = vendor_folders()
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" in path.parts or any(folder in path.parents for folder in inside):
                continue
            hits = named_vendors(path, pattern)
            if hits:
                found[str(path.relative_to(ROOT))] = hits
    return found


def test_only_the_vendors_folders_name_vendors() -> None:
    found = modules_naming_vendors()
    assert found == {}, "vendor knowledge outside the vendor's folder: ask the vendor registry"


def test_the_check_finds_a_vendor_branch(tmp_path: Path) -> None:
    vendor = sorted(olt_vendors())[0]
    module = tmp_path / "m.py"
    module.write_text(
        f'"""Docs may say {vendor}."""\n'
        f'typer.Option("--vendor", help="{vendor}")\n'
        f'if host.vendor == "{vendor}":\n    pass\n'
    )
    assert named_vendors(module, vendor_words(), tmp_path) == [f"m.py:3: {vendor!r}"]


@pytest.mark.parametrize("kind", ["olt", "concentrator"])
def test_an_unknown_vendor_is_an_error(kind: str) -> None:
    from ispflow.plugins.vendors import UnknownVendor, concentrator_vendor, olt_vendor

    lookup = olt_vendor if kind == "olt" else concentrator_vendor
    with pytest.raises(UnknownVendor, match="no-such-vendor.*known: "):
        lookup("no-such-vendor")
