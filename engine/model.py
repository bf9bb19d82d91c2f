"""The runbook as the engine executes it: a validated, compiled tree of plain objects.

The loader builds these from YAML; nothing here knows about YAML. Expressions are already
compiled, tasks already resolved, so executing a step per host does no parsing at all.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from ispflow.core.documents import Location, Problem

if TYPE_CHECKING:
    from ispflow.core.expressions import CompiledCondition, CompiledValue
    from ispflow.engine.filters import HostFilter
    from ispflow.engine.vartypes import VarSpec
    from ispflow.tasks.registry import TaskSpec

OnFailure = Literal["stop", "continue", "abort"]


@dataclass
class Assertion:
    conditions: list[CompiledCondition]
    fail_msg: CompiledValue | None = None


@dataclass
class Loop:
    """Either a list (possibly one expression giving a list) or rows of a CSV file."""

    items: CompiledValue | None = None
    csv_file: CompiledValue | None = None
    base_dir: Path | None = None


@dataclass
class Scope:
    """Variables of an included runbook, computed per host from the including step."""

    name: str
    var_specs: dict[str, VarSpec]
    var_values: CompiledValue
    parent: Scope | None = None


@dataclass
class Step:
    index: int
    name: str
    task: TaskSpec
    location: Location
    args: CompiledValue
    hosts: HostFilter | None = None
    when: CompiledCondition | None = None
    loop: Loop | None = None
    register: str | None = None
    assertion: Assertion | None = None
    retries: int = 0
    delay: float = 0.0
    backoff: float = 1.0
    timeout: float | None = None
    workers: int | None = None
    on_failure: OnFailure = "stop"
    rollback: list[Step] = field(default_factory=list)
    tags: frozenset[str] = frozenset()
    scope: Scope | None = None
    # A key of the step's result records to count by value in the run report ("signal").
    tally: str | None = None
    # Result columns the text report prints (`show:`), instead of the task's own choice.
    show: tuple[str, ...] | None = None
    # Runbook vars each argument was computed from, to name them when a value is refused.
    arg_sources: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return self.name


LOCAL_HOST = "local"


@dataclass
class Runbook:
    name: str
    description: str
    path: Path | None
    var_specs: dict[str, VarSpec]
    targets: HostFilter
    steps: list[Step]
    rollback_steps: list[Step]
    max_fail_percent: float | None = None
    workers: int | None = None
    # What the load could not check without running code (see TaskPolicy).
    notes: list[Problem] = field(default_factory=list)

    @property
    def all_steps(self) -> list[Step]:
        return self.steps + self.rollback_steps

    @property
    def runs_locally(self) -> bool:
        """`local` among the targets (`targets: local`, or `[role=olt, local]`): steps that
        work on the store or a ticket system, on no device, run once, as the host `local`."""
        return LOCAL_HOST in (term.strip() for term in str(self.targets).split(","))

    @property
    def runs_only_locally(self) -> bool:
        """`targets: local` and nothing else: no step needs a device."""
        return all(term.strip() == LOCAL_HOST for term in str(self.targets).split(","))

    def step_by_index(self, index: int) -> Step:
        for step in self.all_steps:
            if step.index == index:
                return step
        raise KeyError(index)


@dataclass
class RunOptions:
    """How one run is carried out; none of this changes what the runbook means."""

    dry_run: bool = False
    workers: int | None = None
    limit: HostFilter | None = None
    tags: frozenset[str] = frozenset()
    skip_tags: frozenset[str] = frozenset()
    max_connecting: int = 10
    connect_rate: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
