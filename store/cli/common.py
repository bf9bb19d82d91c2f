"""What the store's commands share: the error line and exit code, the open store, JSON out."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from store.db import Database

EXIT_USAGE = 2
err = Console(stderr=True, highlight=False)


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print `error: message` on standard error; the exit to raise."""
    err.print(Text("error: ", style="bold red") + Text(message), soft_wrap=True)
    return typer.Exit(code)


@contextlib.contextmanager
def open_store(db: str | None) -> Iterator[Database]:
    """The open store; a refusal (StoreError, ValueError) or a store problem becomes its
    message and exit 2."""
    from sqlalchemy.exc import SQLAlchemyError

    from store.db import StoreError, open_database

    database = None
    try:
        database = open_database(db)
        yield database
    except (StoreError, ValueError) as exc:
        raise fail(str(exc)) from None
    except SQLAlchemyError as exc:
        raise fail(f"cannot use the store: {getattr(exc, 'orig', None) or exc}") from None
    finally:
        if database is not None:
            database.close()


def print_json(value: Any) -> None:
    """`value` as indented JSON on standard output, dates in ISO form."""

    def default(item: Any) -> str:
        if isinstance(item, datetime | date):
            return item.isoformat()
        raise TypeError(f"{type(item).__name__} is not JSON")

    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=default) + "\n")
