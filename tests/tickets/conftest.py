"""Ticket backends under test: the store on SQLite and PostgreSQL, and a real Request Tracker."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from ispflow.store.db import open_database
from ispflow.store.tickets.backend import TicketBackend


@pytest.fixture(
    params=[
        "store-sqlite",
        pytest.param("store-postgres", marks=pytest.mark.postgres),
        pytest.param("rt", marks=pytest.mark.rt),
    ]
)
def tickets(request: pytest.FixtureRequest, tmp_path: Any) -> Iterator[TicketBackend]:
    if request.param == "rt":
        from ispflow.store.tickets.request_tracker import RequestTrackerBackend

        service = request.getfixturevalue("request_tracker")
        backend: TicketBackend = RequestTrackerBackend(service["url"], service["token"])
        yield backend
        backend.dispose()
        return
    from ispflow.store.tickets.store_backend import StoreTicketBackend

    if request.param == "store-sqlite":
        url = f"sqlite:///{tmp_path / 'ispflow.db'}"
    else:
        url = request.getfixturevalue("db_url_postgres")
    db = open_database(url)
    yield StoreTicketBackend(db)
    db.close()


@pytest.fixture
def db_url_postgres(request: pytest.FixtureRequest) -> str:
    """A fresh PostgreSQL database (the `db_url` fixture's PostgreSQL half)."""
    import psycopg

    base = request.getfixturevalue("pg_server_url")
    name = f"ispflow_t_{uuid.uuid4().hex[:12]}"
    admin = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    request.addfinalizer(drop)
    return base.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture
def tag() -> str:
    """A word only this test's tickets carry, so tests share one RT without a reset."""
    return f"t{uuid.uuid4().hex[:10]}"
