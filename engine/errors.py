"""Errors a user can act on: each says what was wrong and where."""

from __future__ import annotations

from typing import Any

from ispflow.core.documents import Location, Problem, RunbookError

__all__ = ["Location", "Problem", "RunbookError", "RunInterrupted", "VarError", "VarErrors"]


class VarError(ValueError):
    """One problem with one var; ``str()`` reads "var 'vlan': 5000 is above the maximum 4094"."""

    def __init__(self, name: str, message: str) -> None:
        self.name = name
        self.message = message
        super().__init__(f"var '{name}': {message}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.name, self.message))


class VarErrors(ValueError):
    """Every problem found with the vars given to a runbook, reported together."""

    def __init__(self, errors: list[VarError]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(str(e) for e in self.errors))

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.errors,))


class RunInterrupted(KeyboardInterrupt):
    """Ctrl-C during a run: the run is recorded as aborted and can be resumed by its id."""

    def __init__(self, run_id: str) -> None:
        super().__init__(run_id)
        self.run_id = run_id
