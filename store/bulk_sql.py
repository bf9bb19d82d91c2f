"""Many rows in few statements, with plain DB-API parameters.

SQLAlchemy's per-value type processing costs tens of microseconds a row; a fleet run writes
tens of thousands of rows (results, readings). One multi-row VALUES statement is one call into
the database library, where an executemany is one per row (and, for SQLite, one GIL hand-over
per row, which under 20 busy worker threads is what costs most). Parameters are given in the
form each driver stores: text timestamps in UTC for SQLite (SQLAlchemy's own storage format,
so reads through the schema see the same values), aware datetimes for PostgreSQL.
"""

from __future__ import annotations

import itertools
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Connection

# 400 rows x up to 16 parameters stays under every driver's parameter limit.
ROWS_PER_STATEMENT = 400


def marks(dialect: str, columns: Sequence[str], json_columns: frozenset[str] = frozenset()) -> str:
    mark = "?" if dialect == "sqlite" else "%s"
    return ", ".join(
        f"{mark}::json" if c in json_columns and dialect != "sqlite" else mark for c in columns
    )


def chunks(rows: list[tuple[Any, ...]]) -> list[list[tuple[Any, ...]]]:
    return [rows[i : i + ROWS_PER_STATEMENT] for i in range(0, len(rows), ROWS_PER_STATEMENT)]


def flat(rows: list[tuple[Any, ...]]) -> tuple[Any, ...]:
    return tuple(itertools.chain.from_iterable(rows))


def timestamp_param(value: datetime | None, dialect: str) -> Any:
    if value is None:
        return None
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if dialect == "sqlite":
        return value.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return value


def insert_rows(
    conn: Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """INSERT rows (tuples in `columns` order, parameters already in driver form)."""
    dialect = conn.dialect.name
    row_marks = f"({marks(dialect, columns)})"
    for chunk in chunks(rows):
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES " + ", ".join(
            [row_marks] * len(chunk)
        )
        conn.exec_driver_sql(sql, flat(chunk))


# UPDATE ... FROM came with SQLite 3.33 (2020); an older library gets the executemany.
SQLITE_UPDATE_FROM = sqlite3.sqlite_version_info >= (3, 33)


def update_by_key(
    conn: Connection,
    table: Table,
    key: str,
    columns: Sequence[str],
    rows: Sequence[Mapping[str, Any]],
    key_field: str | None = None,
) -> bool:
    """SQLite: set `columns` on the rows of `table` whose `key` column equals each dict's
    `key_field` value (default: `key`), a few hundred rows a statement (a CTE of VALUES
    joined with UPDATE ... FROM). The values go through the columns' own bind processors,
    so they are stored as SQLAlchemy stores them. A key given twice takes its last values,
    as an executemany would leave it. False, having done nothing, where this cannot be done
    (another database, an old SQLite): the caller's executemany does it then."""
    if conn.dialect.name != "sqlite" or not SQLITE_UPDATE_FROM:
        return False
    last = {row[key_field or key]: row for row in rows}
    quote = conn.dialect.identifier_preparer.quote
    processors = [table.c[c].type.bind_processor(conn.dialect) for c in columns]
    names = ", ".join(["k", *(f"v{i}" for i in range(len(columns)))])
    setters = ", ".join(f"{quote(c)} = v.v{i}" for i, c in enumerate(columns))
    row_marks = "(" + ", ".join("?" * (len(columns) + 1)) + ")"
    values = [
        (
            row[key_field or key],
            *(p(row[c]) if p else row[c] for c, p in zip(columns, processors, strict=True)),
        )
        for row in last.values()
    ]
    for chunk in chunks(values):
        conn.exec_driver_sql(
            f"WITH v({names}) AS (VALUES {', '.join([row_marks] * len(chunk))}) "
            f"UPDATE {quote(table.name)} SET {setters} FROM v "
            f"WHERE {quote(table.name)}.{quote(key)} = v.k",
            flat(chunk),
        )
    return True


def copy_rows(
    conn: Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[tuple[Any, ...]],
    types: Sequence[str] | None = None,
) -> None:
    """PostgreSQL: the rows through COPY, in the connection's transaction; several times
    faster than INSERT for thousands of rows (one stream, no statement per chunk). With the
    columns' PostgreSQL `types`, in COPY's binary form: the server parses no text, about a
    sixth less time per row; the values must then be of those types already. `rows` may be
    a generator: rows made while COPY sends the ones before are inserted by the server
    meanwhile."""
    driver = conn.connection.driver_connection
    assert driver is not None
    binary = " (FORMAT BINARY)" if types else ""
    with (
        driver.cursor() as cursor,
        cursor.copy(  # type: ignore[attr-defined]
            f"COPY {table} ({', '.join(columns)}) FROM STDIN{binary}"
        ) as copy,
    ):
        if types:
            copy.set_types(list(types))
        for row in rows:
            copy.write_row(row)
