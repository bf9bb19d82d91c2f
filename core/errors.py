"""Errors a user can act on: each says what was wrong."""

from __future__ import annotations


class UsageError(Exception):
    """A command-line option or argument that makes no sense; exit code 2."""


class ReportedError(Exception):
    """A failure whose message names its cause in full (what, where, what to do): reports
    show the message alone, not the exception's class name."""
