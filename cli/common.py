"""What the commands share: consoles, the error line and exit code, the open store, JSON out."""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Iterator
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console

    from ispflow.store.db import Database

EXIT_USAGE = 2
# Piped or redirected output is read by scripts, grep and log viewers, not by a person at an
# 80-column window: a long line must stay one line, and a table as wide as its widest row.
# COLUMNS is ignored then on purpose: shells that export it would bring the wrapping back.
PIPED_WIDTH = 4096


def make_console(*, stderr: bool = False, markup: bool = True, quiet: bool = False) -> Console:
    """A console for the command line: the terminal's width on a terminal; otherwise text is
    never wrapped (soft wrap) and tables may be as wide as they need."""
    from rich.console import Console

    made = Console(stderr=stderr, highlight=False, markup=markup, quiet=quiet)
    # FORCE_COLOR (set by many CI systems) makes Rich treat a pipe as a terminal: keep its
    # colours, but not an 80-column width that nothing there would ever resize.
    if not (made.is_terminal and _isatty(made.file)):
        made.soft_wrap = True
        made.width = PIPED_WIDTH
    return made


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class _ConsoleOnFirstUse:
    """A console made when it is first used: Rich loads then, not before a command's work
    starts (a run's first login, say, when nothing goes wrong before it)."""

    def __init__(self, **options: Any) -> None:
        object.__setattr__(self, "_options", options)
        object.__setattr__(self, "_made", None)

    def _console(self) -> Console:
        made = object.__getattribute__(self, "_made")
        if made is None:
            made = make_console(**object.__getattribute__(self, "_options"))
            object.__setattr__(self, "_made", made)
        return made

    def __getattr__(self, name: str) -> Any:
        return getattr(self._console(), name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self._console(), name, value)


err: Console = _ConsoleOnFirstUse(stderr=True)  # type: ignore[assignment]


class ConsoleLog(logging.Handler):
    """The library's warnings and errors (a run's clear-text logins, say) as the command's
    own `warning: …` and `error: …` lines on standard error."""

    def emit(self, record: logging.LogRecord) -> None:
        from rich.text import Text

        try:
            style = "bold red" if record.levelno >= logging.ERROR else "bold yellow"
            label = Text(f"{record.levelname.lower()}: ", style=style)
            err.print(label + Text(self.format(record)), soft_wrap=True)
        except Exception:
            self.handleError(record)


def log_to_console() -> None:
    """Send the `ispflow` loggers' warnings and errors to `ConsoleLog` (once per process)."""
    library = logging.getLogger("ispflow")
    if not any(isinstance(handler, ConsoleLog) for handler in library.handlers):
        library.addHandler(ConsoleLog(logging.WARNING))


def fail(message: str, code: int = EXIT_USAGE) -> typer.Exit:
    """Print `error: message` on standard error; the exit to raise."""
    from rich.text import Text

    err.print(Text("error: ", style="bold red") + Text(message), soft_wrap=True)
    return typer.Exit(code)


@contextlib.contextmanager
def open_store(db: str | None) -> Iterator[Database]:
    """The open store; a refusal (StoreError, ValueError) or a store problem becomes its
    message and exit 2."""
    from sqlalchemy.exc import SQLAlchemyError

    from ispflow.store.db import StoreError, open_database

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
