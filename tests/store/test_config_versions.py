"""Configuration versions: one per change (not per backup), texts kept once by their hash,
found by number, hash prefix or time; on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import func, select

from ispflow.store.config_versions import (
    find_version,
    latest_by_host,
    normalize,
    parse_time,
    record_config,
    unified_diff,
    versions,
)
from ispflow.store.db import Database
from ispflow.store.errors import StoreError
from ispflow.store.schema import config_blobs, config_versions

T0 = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)
V1 = "sysname olt-a\nvlan 101 smart\n"
V2 = "sysname olt-a\nvlan 101 smart\nvlan 102 smart\n"


def count(db: Database, table: object) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_a_version_per_change_not_per_backup(db: Database) -> None:
    first = record_config(db, "olt-a", V1, platform="huawei_smartax", run_id="r1", now=T0)
    assert (first["number"], first["changed"], first["previous"]) == (1, True, None)
    # The same text again, with other line ends and trailing blanks: not a change.
    same = record_config(db, "olt-a", V1.replace("\n", "  \r\n"), now=T0 + timedelta(days=1))
    assert (same["number"], same["changed"]) == (1, False)
    second = record_config(db, "olt-a", V2, run_id="r3", now=T0 + timedelta(days=2))
    assert (second["number"], second["changed"], second["previous"]) == (2, True, 1)
    assert (second["added"], second["removed"]) == (1, 0)
    # Back to the first text: a change again (v3), its text stored once all the same.
    back = record_config(db, "olt-a", V1, now=T0 + timedelta(days=3))
    assert (back["number"], back["sha256"], back["removed"]) == (3, first["sha256"], 1)
    assert count(db, config_versions) == 3 and count(db, config_blobs) == 2
    listed = versions(db, "olt-a")
    assert [v["number"] for v in listed] == [1, 2, 3]
    assert listed[0]["last_seen"] == T0 + timedelta(days=1)
    assert listed[0]["run_id"] == "r1" and listed[1]["run_id"] == "r3"


def test_the_same_text_on_two_devices_is_kept_once(db: Database) -> None:
    record_config(db, "bras-01", "/system identity set name=x\n", now=T0)
    record_config(db, "bras-02", "/system identity set name=x\n", now=T0)
    assert count(db, config_blobs) == 1
    assert [r["host"] for r in latest_by_host(db)] == ["bras-01", "bras-02"]


def test_found_by_number_hash_prefix_and_time(db: Database) -> None:
    one = record_config(db, "olt-a", V1, now=T0)
    two = record_config(db, "olt-a", V2, now=T0 + timedelta(hours=5))
    assert find_version(db, "olt-a")["number"] == 2
    assert find_version(db, "olt-a", "1")["content"] == normalize(V1)
    assert find_version(db, "olt-a", "v2")["content"] == normalize(V2)
    assert find_version(db, "olt-a", one["sha256"][:8])["number"] == 1
    assert find_version(db, "olt-a", at=T0 + timedelta(hours=4))["number"] == 1
    assert find_version(db, "olt-a", "2026-11-01 09:00")["number"] == 2
    assert find_version(db, "olt-a", "2026-11-01")["number"] == 2  # the end of that day
    diff = unified_diff(find_version(db, "olt-a", "1"), find_version(db, "olt-a", "2"))
    assert "+vlan 102 smart" in diff and "-vlan" not in diff
    assert f"olt-a v2 (2026-11-01 08:00:00 UTC, {two['sha256'][:12]})" in diff
    assert unified_diff(find_version(db, "olt-a", "1"), find_version(db, "olt-a", "1")) == ""


@pytest.mark.parametrize(
    ("ref", "message"),
    [
        ("9", "olt-a has no version 9 (versions 1 to 1)"),
        ("abcdef12", "no version of olt-a has a SHA-256 starting abcdef12"),
        ("last tuesday", "'last tuesday' is not a time"),
        ("2020-01-01", "olt-a had no stored configuration at 2020-01-01 23:59:59 UTC"),
    ],
)
def test_a_version_that_is_not_there_is_a_clear_error(db: Database, ref: str, message: str) -> None:
    record_config(db, "olt-a", V1, now=T0)
    with pytest.raises(StoreError, match=message.replace("(", r"\(").replace(")", r"\)")):
        find_version(db, "olt-a", ref)
    with pytest.raises(StoreError, match="no configuration of olt-b is stored"):
        find_version(db, "olt-b")


def test_times_without_an_offset_are_utc() -> None:
    assert parse_time("2026-11-30 14:05") == datetime(2026, 11, 30, 14, 5, tzinfo=UTC)
    assert parse_time("2026-11-30T14:05:00-03:00").astimezone(UTC).hour == 17


def test_concurrent_backups_of_one_host_make_one_version(db: Database) -> None:
    barrier = threading.Barrier(6)
    results: list[dict] = []
    errors: list[BaseException] = []

    def backup() -> None:
        barrier.wait()
        try:
            results.append(record_config(db, "olt-a", V2))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=backup) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sum(r["changed"] for r in results) == 1
    assert [v["number"] for v in versions(db, "olt-a")] == [1]


# -- texts kept with their secrets ----------------------------------------------------------
SECRET = "Sup3r-S3cret"
KEPT = f"sysname olt-a\nlocal-user noc password irreversible-cipher {SECRET}\n"


@pytest.fixture
def key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "secret.key"
    monkeypatch.setenv("ISPFLOW_SECRET_KEY_FILE", str(path))
    monkeypatch.delenv("ISPFLOW_SECRET_KEY", raising=False)
    return path


def test_a_text_with_its_secrets_is_stored_encrypted(db: Database, key_file: Path) -> None:
    masked = record_config(db, "olt-a", KEPT.replace(SECRET, "***"), now=T0)
    kept = record_config(db, "olt-a", KEPT, masked=False, now=T0 + timedelta(days=1))
    assert (kept["number"], kept["masked"], kept["added"], kept["removed"]) == (2, False, 1, 1)
    assert key_file.exists()  # made on first use
    with db.engine.connect() as conn:
        rows = {r.sha256: r for r in conn.execute(select(config_blobs))}
    assert rows[masked["sha256"]].content == KEPT.replace(SECRET, "***")
    sealed = rows[kept["sha256"]]
    assert SECRET not in sealed.content and "local-user" not in sealed.content
    assert (sealed.masked, sealed.lines) == (False, 2)
    # Named by a keyed digest: the store holds nothing to test a guessed password against.
    assert kept["sha256"] != hashlib.sha256(KEPT.encode()).hexdigest()

    assert find_version(db, "olt-a")["content"] == KEPT
    assert find_version(db, "olt-a", kept["sha256"][:8])["content"] == KEPT
    assert find_version(db, "olt-a", "1")["content"] == KEPT.replace(SECRET, "***")
    diff = unified_diff(find_version(db, "olt-a", "1"), find_version(db, "olt-a", "2"))
    assert f"+local-user noc password irreversible-cipher {SECRET}" in diff

    # The same text again is the same version, and another text after it counts its lines.
    again = record_config(db, "olt-a", KEPT, masked=False, now=T0 + timedelta(days=2))
    assert (again["number"], again["changed"]) == (2, False)
    third = record_config(db, "olt-a", KEPT + "vlan 9 smart\n", masked=False)
    assert (third["number"], third["added"], third["removed"]) == (3, 1, 0)


def test_another_key_cannot_read_a_text_kept_with_its_secrets(
    db: Database, key_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record_config(db, "olt-a", KEPT, masked=False, now=T0)
    monkeypatch.setenv("ISPFLOW_SECRET_KEY", Fernet.generate_key().decode())
    with pytest.raises(StoreError, match="olt-a v1 was kept with its secrets, encrypted with"):
        find_version(db, "olt-a")
    # A backup still works: only the line counts against the unreadable version are unknown.
    later = record_config(db, "olt-a", KEPT + "vlan 9 smart\n", masked=False)
    assert (later["number"], later["added"], later["removed"]) == (2, None, None)
    assert find_version(db, "olt-a")["content"] == KEPT + "vlan 9 smart\n"


def test_a_text_kept_in_clear_before_encryption_still_reads(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(
            config_blobs.insert().values(sha256="ab" * 32, content=KEPT, lines=2, masked=False)
        )
        conn.execute(
            config_versions.insert().values(
                host="olt-a", number=1, sha256="ab" * 32, first_seen=T0, last_seen=T0
            )
        )
    assert find_version(db, "olt-a")["content"] == KEPT
