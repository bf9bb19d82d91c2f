"""The NetBox device list kept on disk for a while, so runs started minutes apart skip NetBox.

One file per NetBox URL and query (filters, roles, fields), holding the devices as NetBox
returned them: mapping them into hosts happens after the cache, so a change to the platform
or custom field mapping takes effect at once. The token is not part of the file nor its name.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

FORMAT = 1


class DeviceCache:
    def __init__(self, folder: Path, ttl: float) -> None:
        self.folder = folder
        self.ttl = ttl

    def path(self, url: str, query: dict[str, Any]) -> Path:
        key = json.dumps({"url": url, "query": query, "format": FORMAT}, sort_keys=True)
        return self.folder / f"devices-{hashlib.sha256(key.encode()).hexdigest()[:32]}.json"

    def load(self, url: str, query: dict[str, Any]) -> list[dict[str, Any]] | None:
        """The devices saved for this query, if younger than the TTL."""
        if self.ttl <= 0:
            return None
        path = self.path(url, query)
        try:
            if time.time() - path.stat().st_mtime >= self.ttl:
                return None
            saved = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None  # absent, or cut short by a crash: fetch again
        if not isinstance(saved, dict) or saved.get("format") != FORMAT:
            return None
        devices = saved.get("devices")
        return devices if isinstance(devices, list) else None

    def save(self, url: str, query: dict[str, Any], devices: list[dict[str, Any]]) -> None:
        if self.ttl <= 0:
            return
        path = self.path(url, query)
        tmp: str | None = None
        try:
            self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            # Written aside and renamed: a run reading the cache never sees half a file.
            fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".devices-", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump({"format": FORMAT, "url": url, "query": query, "devices": devices}, out)
            os.replace(tmp, path)
        except OSError:
            # A cache that cannot be written only costs the next run a fetch.
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def clear(self, url: str, query: dict[str, Any]) -> None:
        with contextlib.suppress(OSError):
            self.path(url, query).unlink()
