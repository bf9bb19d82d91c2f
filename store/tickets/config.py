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

from ispflow.core.errors import UsageError
from ispflow.core.notices import warn_if_cleartext, warn_once
from ispflow.core.settings import from_working_folder, load_section, secret_from
from ispflow.store.db import Database
from ispflow.store.tickets.backend import TicketBackend

BACKENDS = ("store", "rt")
KEYS = ("backend", "url", "token_file", "token_env")


@dataclass(frozen=True)
class TicketSettings:
    backend: str = "store"
    url: str | None = None
    token: str | None = None

    def __repr__(self) -> str:  # the token stays out of logs and tracebacks
        return f"TicketSettings(backend={self.backend!r}, url={self.url!r})"


def ticket_settings(config: Path | None = None, backend: str | None = None) -> TicketSettings:
    section, where = load_section("tickets", KEYS, path=config)
    chosen = backend or os.environ.get("ISPFLOW_TICKETS") or section.get("backend") or "store"
    if chosen not in BACKENDS:
        raise UsageError(f"ticket backend {chosen!r} is not one of {', '.join(BACKENDS)}")
    url = os.environ.get("ISPFLOW_RT_URL") or section.get("url")
    token = os.environ.get("ISPFLOW_RT_TOKEN") or secret_from(
        section, where, env_key="token_env", file_key="token_file"
    )
    if chosen == "rt" and url:
        warn_if_cleartext("Request Tracker", str(url))
        if not os.environ.get("ISPFLOW_RT_URL") and from_working_folder(where):
            warn_once(
                f"found-config:tickets:{url}",
                f"the Request Tracker URL {url} comes from ./{where} in the working folder; "
                f"the API token is sent there (name the configuration with ISPFLOW_CONFIG "
                "to make this choice explicit)",
            )
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
        from ispflow.store.tickets.request_tracker import RequestTrackerBackend

        return RequestTrackerBackend(str(settings.url), str(settings.token))
    from ispflow.store.tickets.store_backend import StoreTicketBackend

    return StoreTicketBackend(db)
