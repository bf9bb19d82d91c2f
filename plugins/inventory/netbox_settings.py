"""How the NetBox inventory source is configured: the `netbox:` section of ispflow.yaml.

    # ispflow.yaml
    netbox:
      url: https://netbox.example.net
      token_file: /etc/ispflow/netbox.token      # or token_env: NETBOX_TOKEN
      roles: {olt: olt, concentrator: bng}       # ispflow role -> NetBox device role slug
      filters: {site: [poa, cwb], tenant: acme, tag: gpon, status: active}
      platforms:                                 # NetBox platform slug -> how to drive it
        huawei-ma5800: {platform: huawei_smartax, vendor: huawei}
      custom_fields: {olt_model: model, pon_count: pon_ports, mgmt_port: port}
      page_size: 500
      workers: 4
      cache_ttl: 300
      verify_tls: true

ISPFLOW_NETBOX_URL and ISPFLOW_NETBOX_TOKEN win over the file. The token is never written in
the file itself, so the file can be shared, and never appears in a repr or an error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ispflow.core.errors import UsageError
from ispflow.core.notices import warn_if_cleartext, warn_once
from ispflow.core.settings import from_working_folder, load_section, secret_from
from ispflow.core.suggest import did_you_mean
from ispflow.plugins.vendors import all_vendors

SECTION = "netbox"
KEYS = (
    "url",
    "token_env",
    "token_file",
    "roles",
    "filters",
    "platforms",
    "custom_fields",
    "page_size",
    "workers",
    "cache_ttl",
    "cache_dir",
    "verify_tls",
    "timeout",
)
# Accepted only to answer with a useful message: a token written in the file is refused.
_REFUSED_KEYS = ("token",)
ROLES = ("olt", "concentrator")
FILTER_KEYS = ("site", "tenant", "tag", "status")

DEFAULT_ROLES: dict[str, tuple[str, ...]] = {"olt": ("olt",), "concentrator": ("concentrator",)}
DEFAULT_FILTERS: dict[str, tuple[str, ...]] = {"status": ("active",)}
# NetBox custom field -> host data key. `port` goes to the host's port: NetBox addresses
# carry no TCP port.
DEFAULT_CUSTOM_FIELDS: dict[str, str] = {
    "mgmt_port": "port",
    "olt_model": "model",
    "pon_count": "pon_ports",
    "pons": "pons",
}
# Host data the inventory itself sets from NetBox's own fields.
RESERVED_DATA = ("role", "vendor", "site", "tenant", "netbox_id")
PORT_KEY = "port"

URL_ENV = "ISPFLOW_NETBOX_URL"
TOKEN_ENV = "ISPFLOW_NETBOX_TOKEN"


@dataclass(frozen=True)
class PlatformMapping:
    """How to drive the devices of one NetBox platform: Nornir platform, vendor, extra data."""

    platform: str
    vendor: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class NetBoxSettings:
    url: str
    token: str | None = None
    roles: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_ROLES))
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: dict(DEFAULT_FILTERS))
    platforms: Mapping[str, PlatformMapping] = field(default_factory=dict)
    custom_fields: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_CUSTOM_FIELDS))
    page_size: int = 500
    workers: int = 4
    cache_ttl: float = 300.0
    cache_dir: Path = field(default_factory=lambda: default_cache_dir())
    verify_tls: bool | str = True
    timeout: float = 30.0
    where: str = "ispflow.yaml"

    def __repr__(self) -> str:  # the token stays out of logs and tracebacks
        return (
            f"NetBoxSettings(url={self.url!r}, roles={dict(self.roles)!r}, "
            f"filters={dict(self.filters)!r}, token={'set' if self.token else 'none'})"
        )

    def role_of(self, slug: str) -> str | None:
        """The ispflow role of a NetBox device role slug."""
        for role, slugs in self.roles.items():
            if slug in slugs:
                return role
        return None

    def query(self) -> dict[str, list[str]]:
        """The server-side filters of the device list, as NetBox's query parameters."""
        query = {key: list(values) for key, values in self.filters.items() if values}
        query["role"] = sorted({slug for slugs in self.roles.values() for slug in slugs})
        return query


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ispflow" / "netbox"


def netbox_settings(
    config: Path | None = None, *, url: str | None = None, token: str | None = None
) -> NetBoxSettings:
    """The settings from the configuration file, the environment winning; `url`/`token`
    (e.g. from a test or a caller that knows better) win over both."""
    section, where = load_section(SECTION, KEYS + _REFUSED_KEYS, path=config)
    if "token" in section:
        raise UsageError(
            f"{where}: netbox: the token is not written in the configuration file; name the "
            f"variable that holds it (token_env) or a file (token_file), or set {TOKEN_ENV}"
        )
    chosen_url = url or os.environ.get(URL_ENV) or section.get("url")
    if not chosen_url:
        raise UsageError(
            f"the NetBox inventory needs NetBox's URL: set {URL_ENV} or netbox.url in {where}"
        )
    chosen_token = (
        token
        or os.environ.get(TOKEN_ENV)
        or secret_from(section, where, env_key="token_env", file_key="token_file")
    )
    if not url and not os.environ.get(URL_ENV) and from_working_folder(where):
        warn_once(
            f"found-config:netbox:{chosen_url}",
            f"the NetBox URL {chosen_url} comes from ./{where} in the working folder; the API "
            "token is sent there (name the configuration with ISPFLOW_CONFIG to make this "
            "choice explicit)",
        )
    return NetBoxSettings(
        url=_checked_url(str(chosen_url), where),
        token=chosen_token or None,
        roles=_roles(section.get("roles"), where),
        filters=_filters(section.get("filters"), where),
        platforms=_platforms(section.get("platforms"), where),
        custom_fields=_custom_fields(section.get("custom_fields"), where),
        page_size=_number(section, "page_size", 500, where, minimum=1, kind=int),
        workers=_number(section, "workers", 4, where, minimum=1, kind=int),
        cache_ttl=_number(section, "cache_ttl", 300.0, where, minimum=0, kind=float),
        cache_dir=Path(str(section["cache_dir"])).expanduser()
        if section.get("cache_dir")
        else default_cache_dir(),
        verify_tls=_verify(section.get("verify_tls", True), where),
        timeout=_number(section, "timeout", 30.0, where, minimum=0.1, kind=float),
        where=where,
    )


# -- one key each ---------------------------------------------------------------------------
def _checked_url(url: str, where: str) -> str:
    url = url.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise UsageError(f"{where}: netbox.url {url!r} is not an http:// or https:// URL")
    # pynetbox adds /api itself; a URL copied from the browser's API page would double it.
    if url.endswith("/api"):
        url = url[: -len("/api")]
    warn_if_cleartext("NetBox", url)
    return url


def _slugs(value: Any, what: str, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else [value]
    for item in items:
        if not isinstance(item, str | int) or isinstance(item, bool) or not str(item).strip():
            raise UsageError(f"{where}: {what} takes a slug or a list of slugs, not {item!r}")
    return tuple(str(item).strip() for item in items)


def _roles(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    roles = dict(DEFAULT_ROLES)
    if value is None:
        return roles
    if not isinstance(value, dict):
        raise UsageError(
            f"{where}: netbox.roles maps an ispflow role ({', '.join(ROLES)}) to a NetBox "
            "device role slug"
        )
    for role, slugs in value.items():
        if role not in ROLES:
            raise UsageError(
                f"{where}: netbox.roles: '{role}' is not an ispflow role"
                f"{did_you_mean(str(role), ROLES)} (roles: {', '.join(ROLES)})"
            )
        roles[role] = _slugs(slugs, f"netbox.roles.{role}", where)
    if not any(roles.values()):
        raise UsageError(f"{where}: netbox.roles maps no role to a NetBox device role")
    taken: dict[str, str] = {}
    for role, slugs in roles.items():
        for slug in slugs:
            if slug in taken:
                raise UsageError(
                    f"{where}: netbox.roles: NetBox role '{slug}' is given to both "
                    f"{taken[slug]} and {role}"
                )
            taken[slug] = role
    return roles


def _filters(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    filters = dict(DEFAULT_FILTERS)
    if value is None:
        return filters
    if not isinstance(value, dict):
        raise UsageError(f"{where}: netbox.filters is a mapping ({', '.join(FILTER_KEYS)})")
    for key, slugs in value.items():
        if key not in FILTER_KEYS:
            raise UsageError(
                f"{where}: netbox.filters: unknown filter '{key}'"
                f"{did_you_mean(str(key), FILTER_KEYS)} (filters: {', '.join(FILTER_KEYS)})"
            )
        filters[key] = _slugs(slugs, f"netbox.filters.{key}", where)
    return filters


def _platforms(value: Any, where: str) -> dict[str, PlatformMapping]:
    merged: dict[str, Any] = default_platforms()
    if value is not None:
        if not isinstance(value, dict):
            raise UsageError(
                f"{where}: netbox.platforms maps a NetBox platform slug to "
                "{platform: ..., vendor: ...}"
            )
        merged.update(value)
    known = known_vendors()
    platforms = {}
    for slug, entry in merged.items():
        if entry is None:  # a default the user does not want
            continue
        what = f"netbox.platforms.{slug}"
        if not isinstance(entry, dict):
            raise UsageError(f"{where}: {what} is a mapping {{platform: ..., vendor: ...}}")
        for key in ("platform", "vendor"):
            if not isinstance(entry.get(key), str) or not entry[key].strip():
                raise UsageError(f"{where}: {what} needs '{key}'")
        vendor = entry["vendor"].strip()
        if vendor not in known:
            raise UsageError(
                f"{where}: {what}: vendor '{vendor}' is not one ispflow drives"
                f"{did_you_mean(vendor, known)} (vendors: {', '.join(known)})"
            )
        extra = {k: v for k, v in entry.items() if k not in ("platform", "vendor")}
        for key in sorted(set(extra) & set(RESERVED_DATA)):
            raise UsageError(f"{where}: {what}: '{key}' is set from NetBox itself")
        platforms[str(slug)] = PlatformMapping(entry["platform"].strip(), vendor, extra)
    return platforms


def _custom_fields(value: Any, where: str) -> dict[str, str]:
    fields = dict(DEFAULT_CUSTOM_FIELDS)
    if value is None:
        return fields
    if not isinstance(value, dict):
        raise UsageError(
            f"{where}: netbox.custom_fields maps a NetBox custom field to a host data key"
        )
    for name, key in value.items():
        if key is None:
            fields.pop(str(name), None)
            continue
        if not isinstance(key, str) or not key.strip():
            raise UsageError(
                f"{where}: netbox.custom_fields.{name} names a host data key, not {key!r}"
            )
        if key in RESERVED_DATA:
            raise UsageError(
                f"{where}: netbox.custom_fields.{name}: data key '{key}' is set from NetBox "
                f"itself ({', '.join(RESERVED_DATA)})"
            )
        fields[str(name)] = key.strip()
    return fields


def _number(
    section: dict[str, Any],
    key: str,
    default: float,
    where: str,
    *,
    minimum: float,
    kind: type[int] | type[float],
) -> Any:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UsageError(f"{where}: netbox.{key} is a number, not {value!r}")
    if kind is int and value != int(value):
        raise UsageError(f"{where}: netbox.{key} is a whole number, not {value!r}")
    if value < minimum:
        raise UsageError(f"{where}: netbox.{key} is at least {minimum:g}, not {value!r}")
    return kind(value)


def _verify(value: Any, where: str) -> bool | str:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip():
        return str(Path(value).expanduser())  # a CA bundle for a private certificate
    raise UsageError(f"{where}: netbox.verify_tls is true, false or a CA bundle file")


def default_platforms() -> dict[str, dict[str, Any]]:
    """NetBox platform slugs each registered vendor claims (the slugs people commonly give its
    platform, its manufacturer's slug for devices whose platform is not set)."""
    return {
        slug: {"platform": vendor.platform, "vendor": vendor.name}
        for vendor in all_vendors().values()
        for slug in (vendor.name, *vendor.netbox_slugs, *vendor.platforms)
    }


def known_vendors() -> tuple[str, ...]:
    """The registered OLT and concentrator vendors."""
    return tuple(sorted(all_vendors()))
