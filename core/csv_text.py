"""What every CSV file ispflow reads shares, whoever reads it (runbook items, store imports):
its text and its separator, as spreadsheets and ERPs save them.

UTF-8, with or without the byte-order mark Excel's "CSV UTF-8" starts with; anything else is
refused with the line it goes wrong on, never guessed (a guess would write mangled names to
the store). The separator is `,`, `;` (Excel in a Portuguese or most European locales) or
tab (many ERP exports): whichever the header line holds most of, as column names hold none.
"""

from __future__ import annotations

SEPARATORS = (",", ";", "\t")  # in this order on a tie: a one-column file is plain CSV


class NotUtf8(ValueError):
    """The file's text is not UTF-8; `line` is where it stops being."""

    def __init__(self, line: int) -> None:
        super().__init__("not UTF-8 text (in Excel: save as 'CSV UTF-8')")
        self.line = line


def csv_text(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotUtf8(data[: exc.start].count(b"\n") + 1) from None


def separator(text: str) -> str:
    header = text.split("\n", 1)[0]
    return max(SEPARATORS, key=header.count)
