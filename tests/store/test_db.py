"""Opening the store: which URL, connection settings, errors that name the store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, insert, select, text

from ispflow.store.db import Database, StoreError, database_url, open_database
from ispflow.store.schema import customers


def test_url_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ISPFLOW_DB", raising=False)
    assert database_url() == "sqlite:///ispflow.db"
    monkeypatch.setenv("ISPFLOW_DB", "sqlite:////tmp/from-env.db")
    assert database_url() == "sqlite:////tmp/from-env.db"
    assert database_url("sqlite:////tmp/given.db") == "sqlite:////tmp/given.db"
    monkeypatch.setenv("ISPFLOW_DB", "")
    assert database_url() == "sqlite:///ispflow.db"


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
def test_postgresql_urls_use_psycopg3(scheme: str) -> None:
    url = database_url(f"{scheme}://isp:s3cret@db.example:5433/ispflow?sslmode=require")
    assert url == "postgresql+psycopg://isp:s3cret@db.example:5433/ispflow?sslmode=require"
    assert database_url("postgresql+psycopg://u@h/d") == "postgresql+psycopg://u@h/d"


def test_not_a_url_does_not_echo_it() -> None:
    with pytest.raises(StoreError) as error:
        database_url("user:pa55word at somewhere")
    assert "pa55word" not in str(error.value)


def test_unreachable_postgresql_names_the_url_without_password() -> None:
    with pytest.raises(StoreError) as error:
        open_database("postgresql://isp:t0psecret@127.0.0.1:1/ispflow")
    message = str(error.value)
    assert "127.0.0.1:1/ispflow" in message and "isp:***@" in message
    assert "t0psecret" not in message


def test_unopenable_sqlite_file_names_it(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no-such-dir"):
        open_database(f"sqlite:///{tmp_path / 'no-such-dir' / 'x.db'}")


def test_password_is_masked_in_str_and_repr() -> None:
    database = Database(create_engine("postgresql+psycopg://isp:hunter2@db.example/ispflow"))
    shown = [str(database), repr(database), str(database.url), repr(database.url)]
    assert all("hunter2" not in s and "db.example/ispflow" in s for s in shown), shown
    assert database.dialect_name == "postgresql"
    database.close()


def test_sqlite_connections_are_set_up(tmp_path: Path) -> None:
    database = open_database(f"sqlite:///{tmp_path / 's.db'}")
    try:
        with database.engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
            assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
            assert conn.execute(text("PRAGMA busy_timeout")).scalar() >= 1000
    finally:
        database.close()


def test_timestamps_come_back_aware_and_in_utc(db: Database) -> None:
    given = datetime(2026, 3, 1, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=-3)))
    with db.engine.begin() as conn:
        conn.execute(
            insert(customers).values(
                name="Ana", name_search="ana", created_at=given, updated_at=given
            )
        )
        conn.execute(insert(customers).values(name="Bia", name_search="bia"))  # server default
    with db.engine.connect() as conn:
        rows = conn.execute(select(customers).order_by(customers.c.id)).all()
    assert rows[0].created_at == given
    assert rows[0].created_at.utcoffset() == timedelta(0)
    assert rows[0].phones == []
    now = datetime.now(UTC)
    assert rows[1].created_at.tzinfo is not None
    assert abs(rows[1].created_at - now) < timedelta(minutes=1)


def test_a_store_is_shown_as_written_with_no_password(tmp_path: Path) -> None:
    folder = tmp_path / "inadimplência"
    folder.mkdir()
    with open_database(f"sqlite:///{folder / 'cobrança.db'}") as db:
        assert str(db) == f"sqlite:///{folder / 'cobrança.db'}"
    hidden = Database(create_engine("postgresql+psycopg://noc:s3nh%40@db.example/isp"))
    assert str(hidden) == "postgresql+psycopg://noc:***@db.example/isp"
