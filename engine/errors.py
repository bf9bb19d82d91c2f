"""Errors a user can act on: each says what was wrong and where."""

from __future__ import annotations

from dataclasses import dataclass

from ispflow.engine.model import Location


@dataclass(frozen=True)
class Problem:
    location: Location | None
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}" if self.location else self.message


class RunbookError(Exception):
    """A runbook (or the vars given to it) cannot be run; carries every problem found."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
