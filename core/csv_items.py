"""Rows of a CSV file given to a runbook (loop items, bulk lists): read strictly, so a
malformed file is an error naming the file and line, never a silently shorter list.

Files come from spreadsheets and ERPs as often as from scripts. Excel in a Portuguese (or
most European) locale saves "CSV" with `;` between values and in Windows-1252, and many ERP
exports are tab-separated, so the separator is the one of `,` `;` and tab the header line
holds most of, and a file that is not UTF-8 is read as Windows-1252 (which every byte such
an export holds decodes in; UTF-8 with or without a byte-order mark first).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

SEPARATORS = (",", ";", "\t")  # in this order on a tie: a one-column file is plain CSV
ENCODINGS = ("utf-8-sig", "cp1252")


def resolve_csv(name: str, base_dir: Path | None) -> Path:
    """A CSV path as given (absolute or from the working folder), else next to the runbook."""
    path = Path(name).expanduser()
    if path.is_absolute() or path.exists() or base_dir is None:
        return path.resolve()
    beside = base_dir / path
    return beside.resolve() if beside.exists() else path.resolve()


def read_csv(path: Path) -> list[dict[str, str]]:
    try:
        text = _decoded(path.read_bytes(), path)
        header = text.split("\n", 1)[0]
        separator = max(SEPARATORS, key=header.count)
        reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=separator)
        if not reader.fieldnames:
            raise ValueError(f"items: CSV file '{path}' has no header row")
        rows = []
        for line, row in enumerate(reader, start=2):
            if None in row:
                raise ValueError(f"items: {path}:{line}: more values than header columns")
            rows.append({k.strip(): (v.strip() if v else v) for k, v in row.items()})
        return rows
    except OSError as exc:
        raise ValueError(f"items: cannot read CSV file '{path}': {exc.strerror or exc}") from exc
    except csv.Error as exc:
        raise ValueError(f"items: CSV file '{path}' is not readable CSV: {exc}") from exc


def _decoded(data: bytes, path: Path) -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValueError(
        f"items: CSV file '{path}' is neither UTF-8 nor Windows-1252 text (save it as CSV UTF-8)"
    )
