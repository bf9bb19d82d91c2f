"""Warnings a user must see once per process, on standard error: a setting that is unsafe
but allowed (a URL without TLS, settings taken from the working folder)."""

from __future__ import annotations

import sys
import threading
from urllib.parse import urlsplit

_said: set[str] = set()
_lock = threading.Lock()
LOOPBACK = ("localhost", "127.0.0.1", "::1")


def warn_once(key: str, message: str) -> bool:
    """Print `warning: message` the first time `key` is warned about; whether it printed."""
    with _lock:
        if key in _said:
            return False
        _said.add(key)
    sys.stderr.write(f"warning: {message}\n")
    sys.stderr.flush()
    return True


def warn_if_cleartext(what: str, url: str) -> None:
    """A token sent to an http:// URL crosses the network readable; on this machine's own
    loopback it does not leave it."""
    parts = urlsplit(url)
    if parts.scheme == "http" and (parts.hostname or "") not in LOOPBACK:
        warn_once(
            f"cleartext:{what}:{url}",
            f"{what} URL {url} is not encrypted: its API token crosses the network in clear "
            "text; use https://",
        )
