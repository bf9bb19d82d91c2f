"""The command line: one layer on top of the library, and nothing below imports it."""

from __future__ import annotations


def main() -> None:
    """The `ispflow` console script."""
    from ispflow.cli.app import main as run_app

    run_app()
