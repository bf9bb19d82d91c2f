"""Alembic environment for the store.

`store.migrate` passes an open connection (inside a transaction it owns, holding its
migration lock); the alembic command line (`python -m store.migrate …`) gets none and
connects to $ISPFLOW_DB itself.
"""

from __future__ import annotations

import warnings
from typing import Any

from alembic import context
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, make_url

from ispflow.store.columns import UTCDateTime
from ispflow.store.db import database_url
from ispflow.store.reading_partitions import schema_object_included
from ispflow.store.schema import included_on, metadata, with_postgresql_options

config = context.config


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    # Migrations name the plain column type, so they never import application code.
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def configure(dialect: str, **kwargs: Any) -> None:
    if dialect == "postgresql":
        with_postgresql_options()
    if dialect == "sqlite":
        # SQLite cannot read back an index on an expression; the one the schema has is
        # PostgreSQL's alone, so there is nothing to compare.
        warnings.filterwarnings(
            "ignore", message="autogenerate skipping metadata-specified expression-based index"
        )
    context.configure(
        target_metadata=metadata,
        render_item=render_item,
        # SQLite alters tables by copying them; batch mode does that for later revisions.
        render_as_batch=True,
        compare_type=True,
        # PostgreSQL's day partitions of the readings are made at run time, not by revisions.
        include_name=schema_object_included,
        # An index made on one database only is not missing on the other.
        include_object=included_on(dialect),
        **kwargs,
    )


def run_with(connection: Connection) -> None:
    configure(connection.dialect.name, connection=connection)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    url = database_url()
    configure(make_url(url).get_backend_name(), url=url, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
elif (given := config.attributes.get("connection")) is not None:
    run_with(given)
else:
    engine = create_engine(database_url())
    try:
        with engine.connect() as connection:
            run_with(connection)
            connection.commit()
    finally:
        engine.dispose()
