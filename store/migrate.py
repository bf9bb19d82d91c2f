"""Bringing a database to the current schema with Alembic, safely from many processes at once.

The Alembic configuration is built here in code (no alembic.ini), so it does not depend on the
working directory and never reconfigures Python logging. For new revisions during development:

    ISPFLOW_DB=sqlite:///dev.db python -m store.migrate revision --autogenerate -m "what changed"
"""

from __future__ import annotations

import functools
import hashlib
import sys
from collections.abc import Sequence
from pathlib import Path

from alembic import command
from alembic.config import CommandLine, Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util.exc import CommandError
from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from ispflow.store.errors import StoreError

MIGRATIONS = Path(__file__).resolve().with_name("migrations")
# Every ispflow process migrating the same PostgreSQL database takes this advisory lock.
PG_MIGRATION_LOCK = int.from_bytes(
    hashlib.blake2b(b"ispflow.store.migrate", digest_size=8).digest(), "big", signed=True
)


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic config for the store's migrations; with `connection`, env.py runs on it."""
    config = Config()
    # ConfigParser interpolation would read a '%' in the path as a reference.
    config.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "store/migrations has no revisions"
    return head


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> bool:
    """Upgrade the database to the newest schema; False (and nearly free) when it already is."""
    head = head_revision()
    with engine.connect() as connection:
        if current_revision(connection) == head:
            return False
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            _upgrade_sqlite(connection, head)
        else:
            if engine.dialect.name == "postgresql":
                # Held until commit: a second process waits here, then finds the work done.
                connection.execute(select(func.pg_advisory_xact_lock(PG_MIGRATION_LOCK)))
            _upgrade_locked(connection, head)
            connection.commit()
    return True


def _upgrade_sqlite(connection: Connection, head: str) -> None:
    # pysqlite opens transactions lazily and not for DDL, so the transaction is opened by hand;
    # BEGIN IMMEDIATE takes the write lock now and a second process waits on busy_timeout.
    connection = connection.execution_options(isolation_level="AUTOCOMMIT")
    connection.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        _upgrade_locked(connection, head)
    except BaseException:
        connection.exec_driver_sql("ROLLBACK")
        raise
    connection.exec_driver_sql("COMMIT")


def _upgrade_locked(connection: Connection, head: str) -> None:
    current = current_revision(connection)
    if current == head:
        return
    if current is not None:
        try:
            ScriptDirectory.from_config(alembic_config()).get_revision(current)
        except CommandError:
            raise StoreError(
                f"its schema is at revision {current}, which this ispflow does not know "
                f"(newest known: {head}); upgrade ispflow"
            ) from None
    command.upgrade(alembic_config(connection), "head")


def main(argv: Sequence[str] | None = None) -> None:
    """The alembic command line, on the store's migrations and $ISPFLOW_DB."""
    cli = CommandLine(prog="python -m store.migrate")
    options = cli.parser.parse_args(argv)
    if not hasattr(options, "cmd"):
        cli.parser.error("too few arguments")
    config = alembic_config()
    config.cmd_opts = options
    cli.run_cmd(config, options)


if __name__ == "__main__":
    main(sys.argv[1:])
