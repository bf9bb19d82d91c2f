"""Where the distributed runner's broker and result backend are, from `celery:` in
ispflow.yaml or the environment; and the queue a host's shard goes to.

    celery:
      broker: redis://127.0.0.1:6379/0      # or ISPFLOW_BROKER_URL; amqp://... works too
      backend: redis://127.0.0.1:6379/1     # or ISPFLOW_RESULT_BACKEND
      password_env: ISPFLOW_BROKER_PASSWORD # optional: put into both URLs
      lease: 30                             # seconds a worker's hold on a shard lasts
      wait_for_workers: 120                 # seconds a shard may wait for a worker
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from ispflow.core.errors import UsageError
from ispflow.core.settings import load_section, secret_from

KEYS = ("broker", "backend", "password_env", "password_file", "lease", "wait_for_workers")
DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
DEFAULT_BACKEND = "redis://127.0.0.1:6379/1"
DEFAULT_QUEUE = "ispflow"
SITE_QUEUE_PREFIX = "site-"


@dataclasses.dataclass(frozen=True)
class CelerySettings:
    broker: str
    backend: str
    lease: float = 30.0
    wait_for_workers: float = 120.0

    def shown(self) -> str:
        """The broker for messages: without its password."""
        return without_password(self.broker)


def load_settings() -> CelerySettings:
    section, where = load_section("celery", KEYS)
    broker = os.environ.get("ISPFLOW_BROKER_URL") or str(section.get("broker") or DEFAULT_BROKER)
    backend = os.environ.get("ISPFLOW_RESULT_BACKEND") or str(
        section.get("backend") or DEFAULT_BACKEND
    )
    password = secret_from(section, where, env_key="password_env", file_key="password_file")
    if password:
        broker, backend = _with_password(broker, password), _with_password(backend, password)
    try:
        lease = float(section.get("lease", 30))
        wait = float(section.get("wait_for_workers", 120))
    except (TypeError, ValueError):
        raise UsageError(f"{where}: celery: lease and wait_for_workers are seconds") from None
    if lease < 2 or wait < 1:
        raise UsageError(f"{where}: celery: lease must be >= 2 s, wait_for_workers >= 1 s")
    return CelerySettings(broker, backend, lease, wait)


def _with_password(url: str, password: str) -> str:
    parts = urlsplit(url)
    user = parts.username or ""
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{quote(user)}:{quote(password, safe='')}@{host}{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def without_password(url: str) -> str:
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def queue_for(host: Any) -> str:
    """A host's queue: its site's (`site-poa`), so a worker in a POP takes only its own."""
    site = host.get("site") if hasattr(host, "get") else None
    if not site:
        return DEFAULT_QUEUE
    return SITE_QUEUE_PREFIX + re.sub(r"[^A-Za-z0-9_.-]", "_", str(site))
