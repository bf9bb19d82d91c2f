"""Files with customer data or secrets are created readable by their owner only (or in the
mode the configuration names), whatever the umask."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from ispflow.core.errors import UsageError
from ispflow.core.private_files import file_mode, open_private, write_private
from ispflow.store.db import open_database


@pytest.fixture(autouse=True)
def open_umask(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    monkeypatch.delenv("ISPFLOW_FILE_MODE", raising=False)
    monkeypatch.delenv("ISPFLOW_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)
    old = os.umask(0o002)  # a umask that would make files readable and writable by the group
    yield
    os.umask(old)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_the_sqlite_store_and_its_wal_are_private(tmp_path: Path) -> None:
    path = tmp_path / "ispflow.db"
    database = open_database(f"sqlite:///{path}")
    try:
        with database.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
            made = [p for p in tmp_path.iterdir() if p.name.startswith("ispflow.db")]
            assert {p.name for p in made} >= {"ispflow.db", "ispflow.db-wal", "ispflow.db-shm"}
            assert {p.name: mode(p) for p in made} == {p.name: 0o600 for p in made}
    finally:
        database.close()


def test_a_report_replacing_a_readable_file_is_private(tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    report.write_text("old")
    report.chmod(0o644)
    write_private(report, "<html>cliente São João</html>")
    assert mode(report) == 0o600
    assert report.read_text(encoding="utf-8") == "<html>cliente São João</html>"
    with open_private(tmp_path / "export.csv", "w", encoding="utf-8-sig", newline="") as out:
        out.write("a,b\n")
    assert mode(tmp_path / "export.csv") == 0o600


def test_a_team_may_share_through_its_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ispflow.yaml").write_text('files:\n  mode: "0640"\n')
    assert file_mode() == 0o640
    write_private(tmp_path / "r.txt", "x")
    assert mode(tmp_path / "r.txt") == 0o640
    monkeypatch.setenv("ISPFLOW_FILE_MODE", "0660")
    assert file_mode() == 0o660


@pytest.mark.parametrize("value", ["0644", "0666", "0400", "rw-r-----", "0700"])
def test_a_mode_that_opens_personal_data_to_others_is_refused(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISPFLOW_FILE_MODE", value)
    with pytest.raises(UsageError, match="ISPFLOW_FILE_MODE"):
        file_mode()
