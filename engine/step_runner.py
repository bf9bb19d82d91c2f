"""One step on one host: when, loop, arguments, the task call with retries and timeout, assert.

This runs in a Nornir worker thread for every host of every step, so it is kept lean: no
parsing (everything is compiled by the loader), constant arguments are not rendered, and the
journal write is a queue append plus a wait for the group commit.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from nornir.core.task import Result, Task

from ispflow.core.errors import ReportedError
from ispflow.core.guard import UnsafeValueError
from ispflow.core.jsonsafe import jsonable
from ispflow.core.outcome import StepFailed, StepOutcome
from ispflow.engine import connections
from ispflow.engine.model import Step
from ispflow.engine.run_state import item_key
from ispflow.engine.timeouts import StepTimeout, watchdog
from ispflow.store import run_context

if TYPE_CHECKING:
    from ispflow.engine.run_state import RunState


def run_step(task: Task, step: Step, state: RunState, rollback: bool = False) -> Result:
    """The Nornir task the engine runs per host for each step."""
    host_state = state.hosts[task.host.name]
    outcome = StepOutcome(
        host=host_state.name,
        step_index=step.index,
        step_name=step.name,
        started_at=datetime.now(UTC),
        rollback=rollback,
    )
    if state.aborted and not rollback:
        outcome.status = "aborted"
        outcome.error = f"not run: {state.abort_reason}"
    else:
        connections.apply(dry_run=state.dry_run, limiter=state.limiter, early=state.early)
        _execute(task, step, state, host_state, outcome)
    outcome.finished_at = datetime.now(UTC)
    if state.secrets:
        outcome.result = state.secrets.scrub(outcome.result)
        outcome.error = state.secrets.scrub(outcome.error)
    try:
        state.finished(step, outcome)
    except Exception as exc:
        # Without a journal the run cannot promise an exact --resume: stop everyone.
        state.abort(f"the journal could not record results: {exc}")
        raise
    return Result(host=task.host, result=outcome, failed=outcome.status == "failed")


def _execute(
    task: Task, step: Step, state: RunState, host_state: Any, outcome: StepOutcome
) -> None:
    try:
        ctx = host_state.context(step.scope)
        if step.loop is None:
            if step.when is not None and not step.when.evaluate(ctx):
                outcome.status = "skipped"
                outcome.result = None
                return
            value, changed, attempts = _attempts(task, step, state, ctx)
            outcome.attempts = attempts
        else:
            value, changed, attempts = _loop(task, step, state, ctx, outcome)
            outcome.attempts = attempts
            if value is None:
                outcome.status = "skipped"
                return
        outcome.result = value
        outcome.changed = changed
        outcome.status = "changed" if changed else "ok"
        if step.register:
            host_state.register(step.register, value)
    except StepFailed as exc:
        outcome.status = "failed"
        outcome.error = str(exc)
        outcome.result = exc.result
        outcome.changed = exc.changed
        if step.register:
            host_state.register(step.register, exc.result)
    except StepTimeout:
        outcome.status = "failed"
        outcome.error = f"timed out after {step.timeout:g} s (step timeout)"
    except UnsafeValueError as exc:
        outcome.status = "failed"
        outcome.error = _unsafe_message(step, exc)
    except Exception as exc:  # a task's own error must fail this host, not the run
        outcome.status = "failed"
        outcome.error = error_text(exc)


def _loop(
    task: Task, step: Step, state: RunState, ctx: dict[str, Any], outcome: StepOutcome
) -> tuple[Any, bool, int]:
    """Every row on its own: a row that fails (whatever the error) is recorded with its
    reason and the next row goes on; rows an earlier run did are taken over, not re-run.
    Rows that change devices are journaled as they finish, so a run killed in the middle
    of a host's rows resumes with the rows still to do."""
    assert step.loop is not None
    items = state.loop_items(step, ctx)
    done_before = state.done_items.get((task.host.name, step.index), {})
    results: list[dict[str, Any]] = []
    changed_any = False
    attempts_total = 0
    failures: list[str] = []
    for index, item in enumerate(items):
        item_ctx = dict(ctx)
        item_ctx["item"] = item
        item_ctx["loop_index"] = index
        if step.when is not None and not step.when.evaluate(item_ctx):
            results.append({"item": item, "status": "skipped", "changed": False, "result": None})
            continue
        earlier = done_before.get(item_key(item))
        if earlier is not None:
            results.append({**earlier, "restored": True})
            continue
        try:
            value, changed, attempts = _attempts(task, step, state, item_ctx)
        except Exception as exc:  # one bad row never stops the others
            message = _row_error(step, exc)
            failures.append(f"item {index}: {message}")
            results.append(
                {
                    "item": item,
                    "status": "failed",
                    "changed": False,
                    "result": exc.result if isinstance(exc, StepFailed) else None,
                    "error": message,
                }
            )
            continue
        attempts_total += attempts
        changed_any = changed_any or changed
        status = "changed" if changed else "ok"
        results.append({"item": item, "status": status, "changed": changed, "result": value})
        if step.task.changes_device and not state.dry_run:
            _journal_rows(state, outcome, results)
    if failures:
        raise StepFailed(
            f"{len(failures)} of {len(items)} items failed; " + "; ".join(failures[:5]),
            results,
            changed=changed_any,
        )
    if all(r["status"] == "skipped" for r in results):  # also: no items at all
        return None, False, 0
    return results, changed_any, attempts_total


def _journal_rows(state: RunState, outcome: StepOutcome, rows: list[dict[str, Any]]) -> None:
    """The host's step as still pending, with the rows done so far (durable before the next
    row starts); the step's final result replaces it."""
    interim = StepOutcome(
        host=outcome.host,
        step_index=outcome.step_index,
        step_name=outcome.step_name,
        status="pending",
        changed=any(row.get("changed") for row in rows),
        result=state.secrets.scrub(jsonable(list(rows))) if state.secrets else jsonable(list(rows)),
        started_at=outcome.started_at,
        rollback=outcome.rollback,
    )
    state.journal.wait_durable(state.journal.record(state.run_id, interim))


def _row_error(step: Step, exc: Exception) -> str:
    if isinstance(exc, StepFailed):
        return str(exc)
    if isinstance(exc, StepTimeout):
        return f"timed out after {step.timeout:g} s (step timeout)"
    if isinstance(exc, UnsafeValueError):
        return _unsafe_message(step, exc)
    return error_text(exc)


def error_text(exc: Exception) -> str:
    """What a report says of an error: the message alone when it names its cause, else the
    exception's class too (a bare `[Errno 111] …` or `'port'` says too little)."""
    if isinstance(exc, ReportedError):
        return str(exc)
    return f"{type(exc).__name__}: {exc}"


def _attempts(
    task: Task, step: Step, state: RunState, ctx: dict[str, Any]
) -> tuple[Any, bool, int]:
    """Call the task, retrying with backoff while it fails or its assertion does not hold."""
    delay = step.delay
    attempt = 0
    while True:
        attempt += 1
        try:
            value, changed = _call(task, step, state, ctx)
            _check(step, ctx, value)
            return value, changed, attempt
        except (StepFailed, StepTimeout) as exc:
            if attempt > step.retries or state.aborted:
                if isinstance(exc, StepFailed) and attempt > 1:
                    raise StepFailed(f"{exc} (after {attempt} attempts)", exc.result) from exc
                raise
        if delay:
            time.sleep(delay)
            delay *= step.backoff


def _call(task: Task, step: Step, state: RunState, ctx: dict[str, Any]) -> tuple[Any, bool]:
    args = step.args.render(ctx)
    spec = step.task
    if state.dry_run and not spec.supports_dry_run:
        # The engine enforces dry runs for tasks that do not declare support for them.
        return {
            "dry_run": True,
            "task": spec.name,
            "not_called": True,
            "args": jsonable(args),
        }, False
    with run_context.in_step(step.index):
        if step.timeout is None:
            returned = spec.func(task, **args)
        else:
            with watchdog.deadline(step.timeout, on_expire=task.host.close_connections):
                returned = spec.func(task, **args)
    if isinstance(returned, Result):
        value = jsonable(returned.result)
        if returned.failed:
            raise StepFailed(_failure_text(returned), value)
        return value, bool(returned.changed)
    return jsonable(returned), False


def _check(step: Step, ctx: dict[str, Any], value: Any) -> None:
    assertion = step.assertion
    if assertion is None:
        return
    check_ctx = dict(ctx)
    check_ctx["result"] = value
    if step.register:
        check_ctx[step.register] = value
    for condition in assertion.conditions:
        if not condition.evaluate(check_ctx):
            if assertion.fail_msg is not None:
                message = str(assertion.fail_msg.render(check_ctx))
            else:
                message = f"assertion failed: {condition.source}"
            raise StepFailed(message, value)


def _failure_text(result: Result) -> str:
    if result.exception is not None:
        return f"{type(result.exception).__name__}: {result.exception}"
    value = result.result
    if isinstance(value, dict):
        for key in ("message", "error", "msg"):
            if value.get(key):
                return str(value[key])
    if isinstance(value, str) and value:
        return value.strip().splitlines()[-1]
    return "task reported failure"


def _unsafe_message(step: Step, exc: UnsafeValueError) -> str:
    root = exc.name.split("[")[0].split(".")[0]
    sources = sorted(step.arg_sources.get(root, ()))
    origin = f" (from var {', '.join(repr(s) for s in sources)})" if sources else ""
    return f"refused before contacting the device: {exc}{origin}"
