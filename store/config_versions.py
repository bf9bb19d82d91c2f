"""Device configurations, versioned: one version per change on a host, not per backup.

A configuration text is stored once, under its SHA-256 (table config_blobs); a version
(config_versions) says which text a host had from `first_seen` to `last_seen`. A backup that
finds the host's latest text again only moves `last_seen`; a different text (even one the
host had before) is a new version numbered after the last.

A text kept with its secrets (not masked) is stored encrypted, as one Fernet token under the
store's secret key (store.secret_key), and named by an HMAC-SHA256 of it under a key derived
from that one instead of its SHA-256: a plain hash would let whoever reads the store test
guesses of a weak password against the rest of the text, which masked versions show. Reading
such a version needs the same key.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import re
from datetime import UTC, date, datetime, time
from typing import Any

from cryptography.fernet import InvalidToken
from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ispflow.store.db import Database
from ispflow.store.errors import StoreError
from ispflow.store.schema import config_blobs, config_versions
from ispflow.store.secret_key import WHERE, fernet, subkey

_SHA_PREFIX = re.compile(r"^[0-9a-f]{6,64}$")
_VERSION = re.compile(r"^v?(\d{1,9})$")


def normalize(text: str) -> str:
    """The form a configuration is hashed and kept in: \\n line ends, no trailing blanks, one
    final newline (so an editor's or a transport's line endings are not a change)."""
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    return "\n".join(lines) + "\n" if lines else ""


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _sealed_digest(text: str) -> str:
    key = subkey(b"ispflow configuration digest")
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _stored_form(text: str, masked: bool) -> tuple[str, str]:
    """The name (digest) and stored content of a text: as it is when masked, else sealed."""
    if masked:
        return digest(text), text
    return _sealed_digest(text), fernet().encrypt(text.encode("utf-8")).decode("ascii")


def _readable(content: str, masked: bool) -> str:
    """The text of stored content. A Fernet token is one line and a stored text ends with a
    newline: an unmasked text stored before texts were sealed reads as it is."""
    if masked or not content or "\n" in content:
        return content
    return fernet().decrypt(content.encode("ascii")).decode("utf-8")


def _version(row: Any) -> dict[str, Any]:
    return {
        "host": row.host,
        "number": row.number,
        "sha256": row.sha256,
        "platform": row.platform,
        "first_seen": row.first_seen,
        "last_seen": row.last_seen,
        "run_id": row.run_id,
        "lines": row.lines,
        "masked": row.masked,
    }


def _select() -> Any:
    return select(
        config_versions.c.host,
        config_versions.c.number,
        config_versions.c.sha256,
        config_versions.c.platform,
        config_versions.c.first_seen,
        config_versions.c.last_seen,
        config_versions.c.run_id,
        config_blobs.c.lines,
        config_blobs.c.masked,
    ).join(config_blobs, config_blobs.c.sha256 == config_versions.c.sha256)


def _latest(conn: Connection, host: str) -> Any:
    return conn.execute(
        _select().where(config_versions.c.host == host).order_by(config_versions.c.number.desc())
    ).first()


def _keep_blob(conn: Connection, sha: str, content: str, lines: int, masked: bool) -> None:
    if conn.execute(select(config_blobs.c.sha256).where(config_blobs.c.sha256 == sha)).first():
        return
    conn.execute(
        config_blobs.insert().values(sha256=sha, content=content, lines=lines, masked=masked)
    )


def record_config(
    db: Database,
    host: str,
    text: str,
    *,
    platform: str | None = None,
    masked: bool = True,
    run_id: str | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Keep `text` as `host`'s configuration: a new version if it differs from the latest.

    Returns the version (number, sha256, ...) with `changed` (a new version was made),
    `previous` (the number it follows, or None) and `added`/`removed` line counts."""
    text = normalize(text)
    sha, content = _stored_form(text, masked)
    now = now or datetime.now(UTC)
    for attempt in range(3):
        try:
            return _record(db, host, text, (sha, content), platform, masked, run_id, now)
        except IntegrityError:
            # Another backup of this host, or of a host with the same text, wrote first.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _record(
    db: Database,
    host: str,
    text: str,
    stored: tuple[str, str],
    platform: str | None,
    masked: bool,
    run_id: str | None,
    now: datetime,
) -> dict[str, Any]:
    sha, content = stored
    with db.writing() as conn:
        latest = _latest(conn, host)
        if latest is not None and latest.sha256 == sha:
            conn.execute(
                update(config_versions)
                .where(config_versions.c.host == host, config_versions.c.number == latest.number)
                .values(last_seen=now)
            )
            return {**_version(latest), "last_seen": now, "changed": False, "previous": None}
        _keep_blob(conn, sha, content, text.count("\n"), masked)
        number = (latest.number if latest is not None else 0) + 1
        conn.execute(
            config_versions.insert().values(
                host=host,
                number=number,
                sha256=sha,
                platform=platform,
                first_seen=now,
                last_seen=now,
                run_id=run_id,
            )
        )
        before = _stored_content(conn, latest.sha256) if latest is not None else ("", True)
    added: int | None
    removed: int | None
    try:
        added, removed = _line_changes(_readable(*before), text)
    except InvalidToken:
        added = removed = None  # the version before was sealed under another key
    found = {
        "host": host,
        "number": number,
        "sha256": sha,
        "platform": platform,
        "first_seen": now,
        "last_seen": now,
        "run_id": run_id,
        "lines": text.count("\n"),
        "masked": masked,
    }
    previous = latest.number if latest is not None else None
    return {**found, "changed": True, "previous": previous, "added": added, "removed": removed}


def _line_changes(before: str, after: str) -> tuple[int, int]:
    added = removed = 0
    for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0):
        if line.startswith("+") and not line.startswith("+++"):
            added += 1
        elif line.startswith("-") and not line.startswith("---"):
            removed += 1
    return added, removed


def _stored_content(conn: Connection, sha: str) -> tuple[str, bool]:
    row = conn.execute(
        select(config_blobs.c.content, config_blobs.c.masked).where(config_blobs.c.sha256 == sha)
    ).one()
    return row.content, row.masked


# -- reading --------------------------------------------------------------------------------
def versions(db: Database, host: str) -> list[dict[str, Any]]:
    """The host's versions, oldest first."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            _select().where(config_versions.c.host == host).order_by(config_versions.c.number)
        ).all()
    return [_version(row) for row in rows]


def latest_by_host(db: Database) -> list[dict[str, Any]]:
    """Every host's latest version, with how many versions it has."""
    counts = (
        select(
            config_versions.c.host,
            func.max(config_versions.c.number).label("number"),
        )
        .group_by(config_versions.c.host)
        .subquery()
    )
    with db.engine.connect() as conn:
        rows = conn.execute(
            _select()
            .join(
                counts,
                (counts.c.host == config_versions.c.host)
                & (counts.c.number == config_versions.c.number),
            )
            .order_by(config_versions.c.host)
        ).all()
    return [_version(row) for row in rows]


def parse_time(text: str) -> datetime:
    """A moment as people write it: 2026-11-30, 2026-11-30 14:05, 2026-11-30T14:05:00Z (UTC
    unless an offset is given); a bare date means the end of that day."""
    cleaned = text.strip()
    try:
        if len(cleaned) == 10:
            return datetime.combine(date.fromisoformat(cleaned), time.max, tzinfo=UTC)
        moment = datetime.fromisoformat(cleaned.replace("Z", "+00:00"))
    except ValueError:
        raise StoreError(
            f"'{text}' is not a time: write 2026-11-30, 2026-11-30 14:05 or "
            "2026-11-30T14:05:00+00:00"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def find_version(
    db: Database, host: str, ref: str | None = None, *, at: datetime | None = None
) -> dict[str, Any]:
    """One version of `host` with its text: by `ref` (a number like 3 or v3, or a SHA-256
    prefix of 6+ hex digits), else the one the host had `at` a moment, else the latest."""
    known = versions(db, host)
    if not known:
        raise StoreError(f"no configuration of {host} is stored (run the config-backup runbook)")
    chosen = _choose(known, host, ref, at)
    with db.engine.connect() as conn:
        content, masked = _stored_content(conn, chosen["sha256"])
    try:
        return {**chosen, "content": _readable(content, masked)}
    except InvalidToken:
        raise StoreError(
            f"{host} v{chosen['number']} was kept with its secrets, encrypted with another key "
            f"than this machine's (see {WHERE})"
        ) from None


def _choose(
    known: list[dict[str, Any]], host: str, ref: str | None, at: datetime | None
) -> dict[str, Any]:
    span = f"versions 1 to {known[-1]['number']}"
    if ref is not None:
        cleaned = ref.strip().lower()
        number = _VERSION.match(cleaned)
        if number:
            found = [v for v in known if v["number"] == int(number[1])]
            if not found and _SHA_PREFIX.match(cleaned):
                # A digest prefix can be all digits: no such version number, so it is one.
                found = [v for v in known if v["sha256"].startswith(cleaned)][-1:]
            if not found:
                raise StoreError(f"{host} has no version {cleaned} ({span})")
            return found[0]
        if _SHA_PREFIX.match(cleaned):
            found = [v for v in known if v["sha256"].startswith(cleaned)]
            if len({v["sha256"] for v in found}) > 1:
                raise StoreError(f"'{ref}' names several versions of {host}: give more digits")
            if not found:
                raise StoreError(f"no version of {host} has a SHA-256 starting {cleaned}")
            return found[-1]
        return _choose(known, host, None, parse_time(ref))
    if at is None:
        return known[-1]
    before = [v for v in known if v["first_seen"] <= at]
    if not before:
        first = known[0]["first_seen"]
        raise StoreError(
            f"{host} had no stored configuration at {at:%Y-%m-%d %H:%M:%S} UTC "
            f"(the first is from {first:%Y-%m-%d %H:%M:%S} UTC)"
        )
    return before[-1]


def unified_diff(old: dict[str, Any], new: dict[str, Any], context: int = 3) -> str:
    """A unified diff between two versions (as find_version returns them)."""

    def label(version: dict[str, Any]) -> str:
        return (
            f"{version['host']} v{version['number']} "
            f"({version['first_seen']:%Y-%m-%d %H:%M:%S} UTC, {version['sha256'][:12]})"
        )

    lines = difflib.unified_diff(
        old["content"].splitlines(),
        new["content"].splitlines(),
        fromfile=label(old),
        tofile=label(new),
        n=context,
        lineterm="",
    )
    return "\n".join(lines) + "\n" if old["content"] != new["content"] else ""
