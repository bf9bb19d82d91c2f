"""Rows of a CSV file given to a runbook (loop items, bulk lists): read strictly, so a
malformed file is an error naming the file and line, never a silently shorter list. Text and
separator as `core.csv_text` takes them (a spreadsheet's `;` or tab, UTF-8 only)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from ispflow.core.csv_text import NotUtf8, csv_text, separator


def resolve_csv(name: str, base_dir: Path | None) -> Path:
    """A CSV path as given (absolute or from the working folder), else next to the runbook."""
    path = Path(name).expanduser()
    if path.is_absolute() or path.exists() or base_dir is None:
        return path.resolve()
    beside = base_dir / path
    return beside.resolve() if beside.exists() else path.resolve()


def read_csv(path: Path) -> list[dict[str, str]]:
    try:
        text = csv_text(path.read_bytes())
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=separator(text))
        if not reader.fieldnames:
            raise ValueError(f"items: CSV file '{path}' has no header row")
        rows = []
        for line, row in enumerate(reader, start=2):
            if None in row:
                raise ValueError(f"items: {path}:{line}: more values than header columns")
            rows.append({k.strip(): (v.strip() if v else v) for k, v in row.items()})
        return rows
    except NotUtf8 as exc:
        raise ValueError(f"items: {path}:{exc.line}: {exc}") from None
    except OSError as exc:
        raise ValueError(f"items: cannot read CSV file '{path}': {exc.strerror or exc}") from exc
    except csv.Error as exc:
        raise ValueError(f"items: CSV file '{path}' is not readable CSV: {exc}") from exc
