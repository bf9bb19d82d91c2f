"""Which ticket backend a command or run uses, from the configuration.

In order, later wins: the default (the store), the `tickets:` section of the configuration file
(`$ISPFLOW_CONFIG`, else `./ispflow.yaml`), then environment variables:

    # ispflow.yaml
    tickets:
      backend: rt                      # store | rt
      url: https://rt.example.net      # Request Tracker's base URL (REST2 is under /REST/2.0)
      token_file: /etc/ispflow/rt.token    # or token_env: RT_TOKEN

    ISPFLOW_TICKETS=rt  ISPFLOW_RT_URL=...  ISPFLOW_RT_TOKEN=...

The token is never written in the configuration file itself, so the file can be shared.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine.errors import UsageError
from store.db import Database
from store.tickets.backend import TicketBackend

BACKENDS = ("store", "rt")
CONFIG_ENV = "ISPFLOW_CONFIG"
DEFAULT_CONFIG = Path("ispflow.yaml")


@dataclass(frozen=True)
class TicketSettings:
    backend: str = "store"
    url: str | None = None
    token: str | None = None

    def __repr__(self) -> str:  # the token stays out of logs and tracebacks
        return f"TicketSettings(backend={self.backend!r}, url={self.url!r})"


def _config_section(path: Path | None = None) -> tuple[dict[str, Any], str]:
    chosen = path or Path(os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG)
    if not chosen.is_file():
        if path is not None or os.environ.get(CONFIG_ENV):
            raise UsageError(f"configuration file {chosen} does not exist")
        return {}, str(chosen)
    from ruamel.yaml import YAML, YAMLError

    try:
        data = YAML(typ="safe").load(chosen.read_text(encoding="utf-8")) or {}
    except YAMLError as exc:
        raise UsageError(f"{chosen}: not valid YAML: {exc}") from None
    section = data.get("tickets", {}) if isinstance(data, dict) else None
    if not isinstance(section, dict):
        raise UsageError(f"{chosen}: 'tickets' is a mapping (backend, url, token_file)")
    unknown = set(section) - {"backend", "url", "token_file", "token_env"}
    if unknown:
        raise UsageError(
            f"{chosen}: tickets: unknown key(s) {', '.join(sorted(unknown))} "
            "(known: backend, url, token_file, token_env)"
        )
    return section, str(chosen)


def ticket_settings(config: Path | None = None, backend: str | None = None) -> TicketSettings:
    section, where = _config_section(config)
    chosen = backend or os.environ.get("ISPFLOW_TICKETS") or section.get("backend") or "store"
    if chosen not in BACKENDS:
        raise UsageError(f"ticket backend {chosen!r} is not one of {', '.join(BACKENDS)}")
    url = os.environ.get("ISPFLOW_RT_URL") or section.get("url")
    token = os.environ.get("ISPFLOW_RT_TOKEN")
    if token is None and section.get("token_env"):
        token = os.environ.get(str(section["token_env"]))
    if token is None and section.get("token_file"):
        token_path = Path(str(section["token_file"])).expanduser()
        try:
            token = token_path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise UsageError(f"{where}: tickets.token_file {token_path}: {exc.strerror}") from None
    if chosen == "rt" and not url:
        raise UsageError(
            "the rt ticket backend needs Request Tracker's URL: set ISPFLOW_RT_URL "
            f"or tickets.url in {where}"
        )
    if chosen == "rt" and not token:
        raise UsageError(
            "the rt ticket backend needs an API token: set ISPFLOW_RT_TOKEN, or "
            f"tickets.token_file / tickets.token_env in {where}"
        )
    return TicketSettings(backend=chosen, url=url, token=token)


def open_ticket_backend(db: Database, settings: TicketSettings | None = None) -> TicketBackend:
    """The configured backend; the store one works on `db`."""
    settings = settings or ticket_settings()
    if settings.backend == "rt":
        from store.tickets.request_tracker import RequestTrackerBackend

        return RequestTrackerBackend(str(settings.url), str(settings.token))
    from store.tickets.store_backend import StoreTicketBackend

    return StoreTicketBackend(db)
