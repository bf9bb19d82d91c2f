"""The pages' Content-Security-Policy allows exactly their own scripts, by hash.

A report page is opened from disk or a mail attachment, and shows text that came from devices
and customers. With `script-src 'unsafe-inline'` any script that slipped past escaping would
run; with the hash of the page's own script nothing else does."""

from __future__ import annotations

import base64
import hashlib
import re

INLINE = "script-src 'unsafe-inline'"
_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


def pin_scripts(page: str) -> str:
    """`page` with its CSP's `script-src` naming the SHA-256 of each of its inline scripts."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode() + "'"
        for body in _SCRIPT.findall(page)
    )
    return page.replace(INLINE, f"script-src {hashes}" if hashes else "script-src 'none'", 1)
