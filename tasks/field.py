"""Field records from runbooks: the CTO port a contract's drop is on, and its seal."""

from __future__ import annotations

from nornir.core.task import Result, Task

from ispflow.core.views import TaskView, unwrapped
from ispflow.store import run_context
from ispflow.store.cto import link_cto, register_seal
from ispflow.tasks.registry import task


def _database(task_name: str):  # noqa: ANN202 - Database, imported lazily by the store
    context = run_context.current()
    if context is None:
        raise RuntimeError(f"{task_name} writes to the store of a run; there is no run")
    return context.database


@task(
    "cto.link",
    dry_run=True,
    view=TaskView(columns=("contract", "cto", "port", "changed"), rows=unwrapped("would_link")),
)
def link(task: Task, contract: str, cto: str, port: int) -> Result:
    """Put a contract on a CTO port; the CTO must be on the PON of the contract's ONU."""
    if task.is_dry_run():
        return Result(
            host=task.host,
            result={"would_link": {"contract": contract, "cto": cto, "port": int(port)}},
        )
    linked = link_cto(_database("cto.link"), contract, cto, int(port))
    return Result(host=task.host, result=linked, changed=linked["changed"])


@task(
    "seal.register",
    dry_run=True,
    view=TaskView(columns=("contract", "seal", "changed"), rows=unwrapped("would_register")),
)
def seal(task: Task, contract: str, code: str, by: str | None = None) -> Result:
    """Register the seal code put on a contract's connection; a code is used once."""
    if task.is_dry_run():
        return Result(
            host=task.host, result={"would_register": {"contract": contract, "seal": code}}
        )
    registered = register_seal(_database("seal.register"), contract, code, by=by)
    return Result(host=task.host, result=registered, changed=registered["changed"])
