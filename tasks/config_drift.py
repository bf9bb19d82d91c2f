"""Configuration drift: a device's running configuration against the intended one.

The intended configuration is a Jinja2 template per platform (the compliance rule names it),
rendered over the host. Both texts are compared as sets of lines, indentation, repeated
blanks and order aside, the platform's structure lines (comments, separators, section
headings: its driver's `config_structure`) left out:

- missing: an intended line the device does not have;
- extra: a device line of a kind the intended configuration speaks of (the same first
  `key_words` words as some intended line: `snmp-agent community read`, `/ip pool add`) that
  it does not list. Lines of other kinds (the customers' ONUs, PPP secrets) are not its
  business.

Secrets are compared masked (both sides as the backup keeps them), so an intended template
writes a masked secret as `***`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

_BLANKS = re.compile(r"\s+")


@dataclass(frozen=True)
class Drift:
    missing: list[str]
    extra: list[str]

    def __bool__(self) -> bool:
        return bool(self.missing or self.extra)


def config_lines(text: str, structure: re.Pattern[str] | None = None) -> list[str]:
    """The configuration lines of a text, blanks squeezed, in order, each once; lines that
    `structure` matches whole (after squeezing) are left out."""
    seen: dict[str, None] = {}
    for raw in text.splitlines():
        line = _BLANKS.sub(" ", raw).strip()
        if line and not (structure is not None and structure.fullmatch(line)):
            seen.setdefault(line, None)
    return list(seen)


def _key(line: str, key_words: int) -> str:
    return " ".join(line.split(" ")[:key_words])


def compare(
    running: str, intended: str, key_words: int = 3, structure: re.Pattern[str] | None = None
) -> Drift:
    """What the running configuration lacks and has too many, against the intended one."""
    have = config_lines(running, structure)
    want = config_lines(intended, structure)
    have_set, want_set = set(have), set(want)
    kinds = {_key(line, key_words) for line in want}
    return Drift(
        missing=[line for line in want if line not in have_set],
        extra=[line for line in have if line not in want_set and _key(line, key_words) in kinds],
    )


class IntendedMissing(LookupError):
    """No intended-configuration template for this host's platform."""


_templates = SandboxedEnvironment(
    undefined=StrictUndefined, autoescape=False, trim_blocks=True, lstrip_blocks=True
)


@dataclass(frozen=True)
class Intended:
    path: Path
    text: str
    key_words: int | None  # the template's own `{% set key_words = N %}`, if it has one


def render_intended(path_template: str, base: Path, host: dict[str, Any]) -> Intended:
    """The intended configuration for `host` (name, hostname, platform, vendor, site, model,
    data): the template file named by `path_template` (itself a template over the host,
    relative to `base`), rendered. A template may say how many first words make a line's
    kind for its platform with `{% set key_words = 3 %}`. IntendedMissing when the file does
    not exist; a template error names the file and line."""
    path = Path(_templates.from_string(path_template).render(**host))
    if not path.is_absolute():
        path = base / path
    if not path.is_file():
        raise IntendedMissing(f"no intended configuration at {path}")
    try:
        template = _templates.from_string(path.read_text(encoding="utf-8"))
        module = template.make_module(host)
    except TemplateError as exc:
        line = getattr(exc, "lineno", None)
        raise ValueError(f"{path}{f':{line}' if line else ''}: {exc}") from None
    key_words = getattr(module, "key_words", None)
    if key_words is not None and (not isinstance(key_words, int) or key_words < 1):
        raise ValueError(f"{path}: key_words must be a whole number from 1, not {key_words!r}")
    return Intended(path, str(module), key_words)
