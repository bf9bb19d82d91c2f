"""Reports of a run: a terminal/plain-text summary, JSON, JUnit XML and a standalone HTML page.

Every format reads only a `RunOutcome`, so a live run and one read back from the journal
(`ispflow runs show`) render identically.
"""

from __future__ import annotations

from pathlib import Path

from ispflow.core.outcome import RunOutcome
from ispflow.core.private_files import write_private

FORMATS: tuple[str, ...] = ("text", "json", "junit", "html")


def render_report(
    run: RunOutcome, fmt: str, *, verbose: bool = False, fail_on: str | None = None
) -> str:
    """The run in format `fmt` (one of FORMATS); `verbose` only changes the text summary;
    `fail_on` makes findings at least that severe JUnit failures."""
    # Imported lazily: the CLI renders one format per run, and only HTML needs Jinja2.
    if fmt == "text":
        from ispflow.engine.reports.text import render_text

        return render_text(run, verbose=verbose)
    if fmt == "json":
        from ispflow.engine.reports.json_report import render_json

        return render_json(run)
    if fmt == "junit":
        from ispflow.engine.reports.junit import render_junit

        return render_junit(run, fail_on)
    if fmt == "html":
        from ispflow.engine.reports.html import render_html

        return render_html(run)
    raise ValueError(f"unknown report format {fmt!r}; choose one of {', '.join(FORMATS)}")


def write_report(
    run: RunOutcome,
    fmt: str,
    path: str | Path,
    *,
    verbose: bool = False,
    fail_on: str | None = None,
) -> None:
    """Write the report to `path` as UTF-8, creating missing parent folders."""
    text = render_report(run, fmt, verbose=verbose, fail_on=fail_on)
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    write_private(target, text)


__all__ = ["FORMATS", "render_report", "write_report"]
