"""Which Python code a runbook may name as a task.

A runbook step names a registered task (`onu.signal`) or a Python path
(`package.module:function`). A Python path is code: importing it runs the module, and running
the task runs anything. So a runbook is code, and whoever may write one may run code as the
user who runs ispflow. This policy narrows that: Python paths refused altogether, or only from
modules under given prefixes, and, for a check (`ispflow validate`), found in the source
without running it.

Configuration (`ispflow.yaml`):

    runbooks:
      python_tasks: any          # the default for runs
      # python_tasks: none       # registered tasks only
      # python_tasks: [acme.ispflow_tasks, noc.tasks]   # only modules under these
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

from ispflow.core.errors import UsageError
from ispflow.core.settings import load_section

SECTION = "runbooks"
KEYS = ("python_tasks",)

# How a Python path is resolved: imported (its module runs), or read from the module's source
# without running it (for checks).
Resolution = Literal["import", "inspect"]


@dataclass(frozen=True)
class TaskPolicy:
    python_tasks: bool = True
    # Module prefixes a Python path must be under (empty: any module).
    prefixes: tuple[str, ...] = ()
    resolution: Resolution = "import"
    # Where the restriction came from, for the refusal message.
    origin: str = ""

    def registered_only(self, origin: str) -> TaskPolicy:
        return replace(self, python_tasks=False, prefixes=(), origin=origin)

    def inspecting(self) -> TaskPolicy:
        return replace(self, resolution="inspect")

    def refusal(self, path: str, module: str) -> str | None:
        """Why the Python path `path` (module `module`) may not be used; None when it may."""
        if not self.python_tasks:
            return (
                f"task '{path}' is a Python path, and only registered tasks are allowed here "
                f"({self.origin}); see `ispflow tasks`"
            )
        if self.prefixes and not any(
            module == prefix or module.startswith(prefix + ".") for prefix in self.prefixes
        ):
            return (
                f"task '{path}': module '{module}' is not under an allowed prefix "
                f"({', '.join(self.prefixes)}; {self.origin})"
            )
        return None


def configured_policy() -> TaskPolicy:
    """The policy the configuration file sets (`runbooks.python_tasks`), else any task."""
    section, where = load_section(SECTION, KEYS)
    value = section.get("python_tasks", "any")
    origin = f"runbooks.python_tasks in {where}"
    if value == "any":
        return TaskPolicy()
    if value == "none":
        return TaskPolicy(python_tasks=False, origin=origin)
    if isinstance(value, list) and value and all(_module_name(v) for v in value):
        return TaskPolicy(prefixes=tuple(str(v) for v in value), origin=origin)
    raise UsageError(
        f"{where}: runbooks.python_tasks is 'any', 'none' or a list of module prefixes such "
        f"as [acme.ispflow_tasks], not {value!r}"
    )


def _module_name(value: object) -> bool:
    return isinstance(value, str) and all(part.isidentifier() for part in value.split("."))
