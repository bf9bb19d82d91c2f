"""Provisioning templates: what a plan's ONU of a given model gets when it is authorized.

A templates file is YAML. The shipped templates are each OLT vendor's own,
templates/olt/<vendor>/provisioning.yaml, read together; yours, one file, is named by
`provisioning: {templates: FILE}` in ispflow.yaml or ISPFLOW_PROVISIONING:

    templates:
      - name: huawei-router
        plans: [FIBRA 300M, FIBRA 500M]     # the contracts' plans
        models: [EG8145V5, HG8245H]          # ONU models, as the OLT reports them
        line_profile: 10                     # the OLT's profiles (vendor numbering)
        service_profile: 10
        vlan: contract                       # the contract's VLAN in the store, or a number
        gemport: 1
        settings:                            # the ONU's own settings
          wifi_ssid: "{{ customer_first }}_{{ contract }}"
          wifi_key: {generate: 12}           # per contract, kept encrypted in the store
          admin_user: admin
          admin_password: {env: ISPFLOW_ONU_ADMIN_PASSWORD}

Settings are plain values, Jinja2 templates over the contract (contract, customer,
customer_first, plan, olt, port, serial), or secrets: `{generate: N}` (a random key of N
characters made once per contract), `{env: VAR}` or `{file: PATH}`. Secrets are never shown:
a resolved plan prints them as `***`. Vendor commands stay in templates/olt/<vendor>/.
"""

from __future__ import annotations

import dataclasses
import os
import re
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError
from jinja2.sandbox import SandboxedEnvironment

from ispflow.core.documents import Problem, RunbookError
from ispflow.core.paths import TEMPLATES_DIR
from ispflow.core.suggest import did_you_mean
from ispflow.core.yaml_source import plain, read_yaml, value_where, where

# Each OLT vendor ships the templates of its own ONU models in its folder.
SHIPPED_TEMPLATES = "olt/*/provisioning.yaml"
TEMPLATES_ENV = "ISPFLOW_PROVISIONING"
KEYS = ("name", "plans", "models", "line_profile", "service_profile", "vlan", "gemport",
        "onu_type", "settings")  # fmt: skip
SETTINGS = ("wifi_ssid", "wifi_key", "admin_user", "admin_password", "voip_number",
            "voip_user", "voip_password", "voip_server")  # fmt: skip
SECRET_SETTINGS = ("wifi_key", "admin_password", "voip_password")
SECRET_SOURCES = ("generate", "env", "file")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class ProvisioningError(ValueError):
    """No template for a plan and model, or a setting that cannot be filled in."""


@dataclasses.dataclass(frozen=True)
class SecretSpec:
    """Where a secret setting comes from: generated per contract, a variable, a file."""

    source: str
    value: str | int

    def __repr__(self) -> str:
        return f"SecretSpec({self.source})"


@dataclasses.dataclass(frozen=True)
class Template:
    name: str
    plans: tuple[str, ...]
    models: tuple[str, ...]
    line_profile: int
    service_profile: int
    vlan: int | None  # None: the contract's VLAN
    gemport: int
    onu_type: str | None
    settings: dict[str, str | SecretSpec]


class Secret(str):
    """A secret value: the text for the device, `***` wherever it is shown."""

    def __repr__(self) -> str:
        return "'***'"

    def shown(self) -> str:
        return "***"


@dataclasses.dataclass(frozen=True)
class Provisioning:
    """A template filled in for one contract: what its ONU gets."""

    template: str
    line_profile: int
    service_profile: int
    vlan: int
    gemport: int
    onu_type: str | None
    settings: dict[str, str]

    def shown(self) -> dict[str, Any]:
        """For reports and logs: secrets as `***`."""
        data = dataclasses.asdict(self)
        data["settings"] = {
            k: ("***" if isinstance(v, Secret) else v) for k, v in self.settings.items()
        }
        return data


@dataclasses.dataclass(frozen=True)
class TemplateSet:
    source: str
    templates: tuple[Template, ...]

    def template_for(self, plan: str, model: str) -> Template:
        """The template of a plan and ONU model; ProvisioningError naming both if none."""
        wanted = _model_key(model)
        for template in self.templates:
            if plan in template.plans and wanted in {_model_key(m) for m in template.models}:
                return template
        for_plan = sorted({m for t in self.templates if plan in t.plans for m in t.models})
        if not for_plan:
            plans = sorted({p for t in self.templates for p in t.plans})
            raise ProvisioningError(
                f"plan '{plan}' has no provisioning template in {self.source} "
                f"(plans with one: {', '.join(plans) or 'none'})"
            )
        raise ProvisioningError(
            f"plan '{plan}' has no provisioning template for ONU model '{model}' in "
            f"{self.source} (models it has one for: {', '.join(for_plan)})"
        )


_templates = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False)


def _model_key(model: str) -> str:
    """Models compare as the stock keeps them: blanks squeezed, upper-case."""
    return " ".join(str(model).split()).upper()


def templates_path(explicit: str | Path | None = None) -> Path | None:
    """The templates file given or configured; None: the shipped ones."""
    if explicit:
        return Path(explicit)
    if os.environ.get(TEMPLATES_ENV):
        return Path(os.environ[TEMPLATES_ENV])
    from ispflow.core.settings import load_section

    section, _ = load_section("provisioning", ("templates", "key_env", "key_file"))
    return Path(str(section["templates"])) if section.get("templates") else None


def shipped_template_files() -> list[Path]:
    return sorted(TEMPLATES_DIR.glob(SHIPPED_TEMPLATES))


def load_templates(path: str | Path | None = None) -> TemplateSet:
    """The templates of a file (None: the shipped ones, every vendor's file together);
    RunbookError lists every problem with its file:line."""
    file = templates_path(path)
    files = [file] if file is not None else shipped_template_files()
    stamps = []
    for one in files:
        stat = one.stat() if one.is_file() else None
        stamps.append((str(one), stat.st_mtime_ns if stat else 0))
    source = str(file) if file is not None else str(TEMPLATES_DIR / SHIPPED_TEMPLATES)
    return _load(source, tuple(stamps))


@cache
def _load(source: str, files: tuple[tuple[str, int], ...]) -> TemplateSet:
    problems: list[Problem] = []
    found: list[tuple[str, Any, Template]] = []  # (file, node, template)
    names: set[str] = set()
    for name, _mtime_ns in files:
        data, read_problems = read_yaml(Path(name))
        problems += read_problems
        if read_problems:
            continue
        nodes = data.get("templates") if isinstance(data, dict) else None
        if not isinstance(nodes, list):
            problems.append(Problem(where(name, data) if data else None, "expected `templates:`"))
            continue
        for index, node in enumerate(nodes):
            template = _template(name, nodes, index, node, problems)
            if template is None:
                continue
            if template.name in names:
                problems.append(
                    Problem(value_where(name, node, "name"), f"template '{template.name}' twice")
                )
            names.add(template.name)
            found.append((name, node, template))
    problems += _overlaps(found)
    if problems:
        raise RunbookError(problems)
    return TemplateSet(source, tuple(template for _, _, template in found))


def _template(
    name: str, parent: Any, index: int, node: Any, problems: list[Problem]
) -> Template | None:
    if not isinstance(node, dict):
        problems.append(Problem(where(name, parent, index=index), "a template is a mapping"))
        return None
    count = len(problems)
    for key in node:
        if key not in KEYS:
            hint = did_you_mean(str(key), KEYS)
            problems.append(Problem(where(name, node, key), f"unknown key '{key}'{hint}"))
    label = str(node.get("name", ""))
    if not _NAME.match(label):
        problems.append(Problem(where(name, node), "each template needs a `name`"))
    lists = {}
    for key in ("plans", "models"):
        value = node.get(key)
        if not isinstance(value, list) or not value or not all(str(v).strip() for v in value):
            problems.append(
                Problem(
                    value_where(name, node, key) if key in node else where(name, node),
                    f"`{key}` is a non-empty list",
                )
            )
        else:
            lists[key] = tuple(str(v).strip() for v in value)
    numbers = {
        key: _number(name, node, key, low, high, problems)
        for key, low, high in (
            ("line_profile", 0, 65535),
            ("service_profile", 0, 65535),
            ("gemport", 0, 4095),
        )
    }
    vlan_value = node.get("vlan", "contract")
    vlan = None if vlan_value == "contract" else _number(name, node, "vlan", 1, 4094, problems)
    settings = _settings(name, node, problems)
    if len(problems) > count:
        return None
    return Template(
        name=label,
        plans=lists["plans"],
        models=lists["models"],
        line_profile=int(numbers["line_profile"] or 0),
        service_profile=int(numbers["service_profile"] or 0),
        vlan=vlan,
        gemport=int(numbers["gemport"] if numbers["gemport"] is not None else 1),
        onu_type=str(node["onu_type"]) if node.get("onu_type") else None,
        settings=settings,
    )


def _number(
    name: str, node: Any, key: str, low: int, high: int, problems: list[Problem]
) -> int | None:
    if key not in node:
        if key == "gemport":
            return 1
        problems.append(Problem(where(name, node), f"`{key}` is required"))
        return None
    value = node[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.append(
            Problem(value_where(name, node, key), f"`{key}` must be a whole number {low}-{high}")
        )
        return None
    return int(value)


def _settings(name: str, node: Any, problems: list[Problem]) -> dict[str, str | SecretSpec]:
    given = node.get("settings") or {}
    if not isinstance(given, dict):
        problems.append(Problem(value_where(name, node, "settings"), "`settings` is a mapping"))
        return {}
    settings: dict[str, str | SecretSpec] = {}
    for key, value in given.items():
        at = value_where(name, given, key)
        if key not in SETTINGS:
            hint = did_you_mean(str(key), SETTINGS)
            problems.append(Problem(where(name, given, key), f"unknown setting '{key}'{hint}"))
            continue
        if isinstance(value, dict):
            spec = _secret(value)
            if spec is None:
                problems.append(
                    Problem(at, "a secret is {generate: LENGTH}, {env: VARIABLE} or {file: PATH}")
                )
                continue
            settings[str(key)] = spec
            continue
        if key in SECRET_SETTINGS:
            problems.append(
                Problem(at, f"'{key}' is a secret: write {{generate: 12}}, {{env: VAR}} or "
                "{file: PATH}, not the value itself")
            )  # fmt: skip
            continue
        text = str(plain(value))
        try:
            _templates.parse(text)
        except TemplateError as exc:
            problems.append(Problem(at, f"'{key}' is not a valid template: {exc}"))
            continue
        settings[str(key)] = text
    return settings


def _secret(value: dict[str, Any]) -> SecretSpec | None:
    if len(value) != 1:
        return None
    [(source, detail)] = value.items()
    if source not in SECRET_SOURCES:
        return None
    if source == "generate":
        if isinstance(detail, bool) or not isinstance(detail, int) or not 8 <= detail <= 63:
            return None
        return SecretSpec("generate", int(detail))
    if not isinstance(detail, str) or not detail.strip():
        return None
    return SecretSpec(str(source), detail.strip())


def _overlaps(found: list[tuple[str, Any, Template]]) -> list[Problem]:
    """A plan and model in two templates would make the choice depend on the order."""
    problems = []
    seen: dict[tuple[str, str], str] = {}
    for name, node, template in found:
        for plan in template.plans:
            for model in template.models:
                other = seen.setdefault((plan, _model_key(model)), template.name)
                if other != template.name:
                    problems.append(
                        Problem(
                            where(name, node),
                            f"plan '{plan}' with model '{model}' is in templates "
                            f"'{other}' and '{template.name}'",
                        )
                    )
    return problems


def fill(
    template: Template,
    contract: dict[str, Any],
    secret_for: Any,
) -> Provisioning:
    """The template for one contract: its VLAN, rendered settings, secrets resolved.

    `secret_for(name, length)` gives the contract's generated secret (made once, kept
    encrypted in the store by the caller)."""
    vlan = template.vlan if template.vlan is not None else contract.get("vlan")
    if vlan is None:
        raise ProvisioningError(
            f"template '{template.name}' takes the contract's VLAN and contract "
            f"{contract.get('contract')} has none in the store"
        )
    fields = {
        "contract": contract.get("contract"),
        "customer": contract.get("customer") or "",
        "customer_first": (contract.get("customer") or "").split(" ")[0],
        "plan": contract.get("plan"),
        "olt": contract.get("olt"),
        "port": contract.get("port"),
        "serial": contract.get("serial"),
    }
    settings: dict[str, str] = {}
    for key, value in template.settings.items():
        if isinstance(value, SecretSpec):
            settings[key] = Secret(_secret_value(key, value, secret_for))
            continue
        try:
            settings[key] = _templates.from_string(value).render(**fields)
        except TemplateError as exc:
            raise ProvisioningError(f"template '{template.name}': {key}: {exc}") from None
    return Provisioning(
        template=template.name,
        line_profile=template.line_profile,
        service_profile=template.service_profile,
        vlan=int(vlan),
        gemport=template.gemport,
        onu_type=template.onu_type,
        settings=settings,
    )


def _secret_value(key: str, spec: SecretSpec, secret_for: Any) -> str:
    if spec.source == "generate":
        return str(secret_for(key, int(spec.value)))
    if spec.source == "env":
        value = os.environ.get(str(spec.value))
        if not value:
            raise ProvisioningError(f"setting '{key}': variable {spec.value} is not set")
        return value
    path = Path(str(spec.value)).expanduser()
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ProvisioningError(f"setting '{key}': {path}: {exc.strerror}") from None
