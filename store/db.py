"""Opening the store: which database, how its connections are set up, migrated on open."""

from __future__ import annotations

import contextlib
import functools
import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import StaticPool

from ispflow.core.private_files import create_private
from ispflow.store.errors import StoreError
from ispflow.store.schema_head import newest_revision

__all__ = ["Database", "StoreError", "database_url", "open_database"]

ENV_VAR = "ISPFLOW_DB"
DEFAULT_URL = "sqlite:///ispflow.db"
# Long enough to ride out another process's migration or a big batch of readings.
SQLITE_BUSY_TIMEOUT_MS = 30_000
SQLITE_CACHE_KIB = 64 * 1024
SQLITE_MMAP_BYTES = 256 * 1024 * 1024
PG_CONNECT_TIMEOUT_S = 10


def database_url(url: str | None = None) -> str:
    """The store URL: `url` if given, else $ISPFLOW_DB, else ./ispflow.db (SQLite).

    `postgresql://` (and `postgres://`) URLs are pointed at the psycopg 3 driver.
    """
    source = "the store URL"
    if not url:
        url = os.environ.get(ENV_VAR) or DEFAULT_URL
        source = ENV_VAR if os.environ.get(ENV_VAR) else source
    try:
        parsed = make_url(url)
    except ArgumentError:
        # The text may hold a password, so it is not repeated.
        raise StoreError(
            f"{source} is not a database URL (use sqlite:///FILE or postgresql://USER@HOST/DB)"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


class Database:
    """An open store: the SQLAlchemy engine and what callers need to know about it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sqlite_writer = threading.Lock()

    @contextlib.contextmanager
    def writing(self) -> Iterator[Connection]:
        """A write transaction. On SQLite, this process's writers take turns here: SQLite has
        one writer at a time, and threads left to its busy handler sleep 1, 2, 5 ... 100 ms
        between tries (costly in time when 20 workers and the journal write at once)."""
        if self.dialect_name != "sqlite":
            with self.engine.begin() as conn:
                yield conn
            return
        with self._sqlite_writer, self.engine.begin() as conn:
            yield conn

    @contextlib.contextmanager
    def serialized(self, lock_key: int) -> Iterator[Connection]:
        """A write transaction that no other `serialized(lock_key)` of any process runs
        beside, so what it reads stays true until it commits: on PostgreSQL it holds the
        advisory lock `lock_key` until then; SQLite takes its one write lock at BEGIN
        (IMMEDIATE) rather than at the first write, where a second writer would be refused
        instead of waiting."""
        if self.dialect_name != "sqlite":
            with self.engine.begin() as conn:
                conn.execute(select(func.pg_advisory_xact_lock(lock_key)))
                yield conn
            return
        with self._sqlite_writer, self.engine.connect() as conn:
            conn = conn.execution_options(isolation_level="AUTOCOMMIT")
            conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.exec_driver_sql("ROLLBACK")
                raise
            conn.exec_driver_sql("COMMIT")

    @property
    def url(self) -> URL:
        # sqlalchemy's URL masks the password in str() and repr().
        return self.engine.url

    @property
    def dialect_name(self) -> str:
        return self.engine.dialect.name

    def checkpoint(self) -> None:
        """After a bulk load: fold SQLite's write-ahead log into the database file now, so
        the next small write does not pay for it (and the log file shrinks). No-op elsewhere."""
        if self.dialect_name == "sqlite":
            with self.engine.connect() as conn:
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __str__(self) -> str:
        # For people: SQLAlchemy writes a path's accents as %C3%AA; the password stays ***.
        return unquote(self.url.render_as_string(hide_password=True))

    def __repr__(self) -> str:
        return f"Database({str(self)!r})"


def open_database(url: str | None = None, *, migrate: bool = True) -> Database:
    """Open the store at `url` (see `database_url`), creating or upgrading its schema."""
    resolved = make_url(database_url(url))
    shown = resolved.render_as_string(hide_password=True)
    engine = _create_engine(resolved)
    try:
        with engine.connect() as connection:
            current = _schema_revision(connection) if migrate else None
        # A store already at the newest migration opens without loading Alembic.
        if migrate and (current is None or current != newest_revision()):
            from ispflow.store.migrate import (
                upgrade,  # alembic loads only when there is work for it
            )

            upgrade(engine)
    except SQLAlchemyError as exc:
        engine.dispose()
        cause = getattr(exc, "orig", None) or exc
        raise StoreError(f"cannot open the store at {shown}: {cause}") from exc
    except StoreError as exc:
        engine.dispose()
        raise StoreError(f"cannot open the store at {shown}: {exc}") from exc
    return Database(engine)


def _schema_revision(connection: Connection) -> str | None:
    """The store's schema revision as Alembic recorded it; None for a new or odd store."""
    try:
        return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
    except SQLAlchemyError:  # no such table yet: the connection is rolled back on release
        return None


def _create_engine(url: URL) -> Engine:
    options: dict[str, Any] = {
        # allow_nan=False: NaN/Infinity are not JSON and PostgreSQL rejects them.
        "json_serializer": functools.partial(json.dumps, ensure_ascii=False, allow_nan=False),
    }
    if url.get_backend_name() == "sqlite":
        memory = url.database in (None, "", ":memory:")
        if not memory and not str(url.database).startswith("file:"):
            # Customer data: the file, and the WAL and shared-memory files SQLite makes with
            # the same mode, readable by the owner only.
            with contextlib.suppress(OSError):  # no folder, no right to write: SQLite says so
                create_private(url.database)
        if memory:
            # One connection shared by all threads, or each thread sees its own empty database.
            options |= {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}}
        engine = create_engine(url, **options)
        event.listen(engine, "connect", functools.partial(_sqlite_pragmas, wal=not memory))
        return engine
    if url.get_backend_name() == "postgresql":
        from ispflow.store.schema import with_postgresql_options

        with_postgresql_options()
        options |= {
            "pool_pre_ping": True,
            "connect_args": {"connect_timeout": PG_CONNECT_TIMEOUT_S},
        }
    return create_engine(url, **options)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any, *, wal: bool) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if wal:
            _enable_wal(cursor)
        # In WAL mode NORMAL survives a crash of the process; only a power loss can lose the
        # last commits, and it saves an fsync per commit.
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        # The readings history runs to millions of rows: with SQLite's default 2 MB page cache
        # an audit's inserts re-read index pages from the file over and over. Both are
        # ceilings, taken as pages are used.
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA mmap_size = {SQLITE_MMAP_BYTES}")
    finally:
        cursor.close()


def _enable_wal(cursor: sqlite3.Cursor) -> None:
    # Switching a new file to WAL needs it to itself, and SQLite answers "database is locked"
    # at once instead of waiting on busy_timeout when another process is opening it too.
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    pause = 0.005
    while True:
        try:
            cursor.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != sqlite3.SQLITE_BUSY or time.monotonic() > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.1)
