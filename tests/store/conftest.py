"""Stores for the store tests: every test taking `store_url` runs on SQLite and on PostgreSQL.

PostgreSQL: one throwaway database per test session (on $ISPFLOW_TEST_PG, by default the
server on 127.0.0.1:5432 with trust auth) and a fresh schema in it per test. If the server
cannot be reached the PostgreSQL tests fail, unless ISPFLOW_SKIP_POSTGRES=1.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from ispflow.store.db import Database, open_database
from ispflow.store.journal import Journal

PG_ADMIN_URL = os.environ.get("ISPFLOW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _admin_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """URL of a PostgreSQL database that lives for this test session."""
    if os.environ.get("ISPFLOW_SKIP_POSTGRES") == "1":
        pytest.skip("ISPFLOW_SKIP_POSTGRES=1")
    admin = _admin_dsn(PG_ADMIN_URL)
    name = f"ispflow_test_{os.getpid()}"
    unreachable = None
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        unreachable = exc
    if unreachable is not None:
        pytest.fail(
            f"PostgreSQL is not reachable at {make_url(admin)!r}: {unreachable}\n"
            "Start it (or point ISPFLOW_TEST_PG at one), or set ISPFLOW_SKIP_POSTGRES=1.",
            pytrace=False,
        )
    yield make_url(admin).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty store: a new SQLite file, or a new schema in the session's database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    base = request.getfixturevalue("pg_database")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    # The schema comes first on the search path, so tables and alembic_version land there.
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture
def db(store_url: str) -> Iterator[Database]:
    database = open_database(store_url)
    yield database
    database.close()


@pytest.fixture
def journal(db: Database) -> Iterator[Journal]:
    journal = Journal(db)
    yield journal
    journal.close()
