"""Run a runbook over a Nornir inventory: step by step, hosts in parallel, journaled.

A step runs on every host still in the race (not failed, matching the step's ``hosts``) with
Nornir's threaded runner; each host's result is journaled before the host moves on. A failed
host stops its own remaining steps, the failure budget can abort the rollout, and the
``rollback`` steps of what succeeded run, newest first, on the hosts where a later step failed.
``--resume`` and ``--rerun-failed`` are the same loop with the journal's earlier results
restored first, so nothing already done is done again.

Once the run is recorded, a store that fails does not make the run look as if nothing had
happened: `StoreLost` carries what this process did, from memory, for the caller to report.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import socket
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from nornir.core import Nornir
from nornir.core.inventory import Host, Hosts, Inventory
from nornir.core.plugins.runners import RunnersPluginRegister
from nornir.core.processor import Processor

from ispflow.core.errors import UsageError
from ispflow.core.journal import RunJournal
from ispflow.core.outcome import DONE_STATUSES, RunOutcome, StepOutcome
from ispflow.engine import connections
from ispflow.engine.context import HostState
from ispflow.engine.errors import RunInterrupted
from ispflow.engine.model import LOCAL_HOST, Runbook, RunOptions, Step
from ispflow.engine.run_state import RunState
from ispflow.engine.secrets import Secrets
from ispflow.engine.step_runner import run_step
from ispflow.engine.var_names import check_names
from ispflow.engine.vartypes import mask_secrets, resolve_vars
from ispflow.plugins.nornir_plugins import register_entry_points
from ispflow.store import run_context
from ispflow.store.errors import StoreError

DEFAULT_WORKERS = 20
# Host/step statuses that mean the task was called (and may have changed a device).
_RAN = frozenset({"ok", "changed", "failed"})
log = logging.getLogger(__name__)

# The Nornir runner of a step's hosts, by its registered name (pyproject: nornir.plugins.runners).
HOST_POOL_RUNNER = "ispflow_pool"


@functools.cache
def _host_pool_runner() -> Any:
    register_entry_points()  # a Nornir built by hand has not registered them
    return RunnersPluginRegister.get_plugin(HOST_POOL_RUNNER)


class StoreLost(StoreError):
    """The store failed after the run had started. `outcome` is the run as this process
    knows it (status `interrupted`: the journal may lack part of it); `ran` the host/steps
    whose task was called here, an empty list when no host ran before the store failed."""

    def __init__(self, outcome: RunOutcome, ran: list[StepOutcome], cause: StoreError) -> None:
        super().__init__(f"the store failed during run {outcome.run_id}: {cause}")
        self.outcome = outcome
        self.ran = ran
        self.cause = cause


class StepDispatcher(Protocol):
    """Runs a step's hosts somewhere else (workers) and puts their results into `state`."""

    def check_store(self, db: Any) -> None: ...

    def record_run(self, db: Any, run_id: str, runbook: Runbook, values: dict[str, Any]) -> None:
        """Keep with the recorded (or resumed) run what the workers need to run its steps."""
        ...

    def run_step(
        self, step: Step, hosts: list[str], state: RunState, inventory: Any, *, rollback: bool
    ) -> None: ...


class Executor:
    def __init__(
        self,
        nornir: Nornir,
        journal: RunJournal,
        processors: Sequence[Processor] = (),
        dispatcher: StepDispatcher | None = None,
    ) -> None:
        self.nornir = nornir
        self.journal = journal
        self.processors = list(processors)
        self.dispatcher = dispatcher
        connections.install()

    def run(
        self,
        runbook: Runbook,
        given_vars: dict[str, Any],
        options: RunOptions,
        *,
        resume_of: RunOutcome | None = None,
        rerun_of: RunOutcome | None = None,
    ) -> RunOutcome:
        """Run (or resume) a runbook; var and host-selection problems raise before any host.

        A store that fails before the run is recorded raises StoreError (nothing ran); after,
        StoreLost with the run as far as this process knows it."""
        values = resolve_vars(runbook.var_specs, given_vars)
        check_names(runbook.var_specs, values, self.nornir.inventory.hosts, lambda: self.journal.db)
        secrets = Secrets(
            [values[n] for n, spec in runbook.var_specs.items() if spec.secret]
            + [h.password for h in self.nornir.inventory.hosts.values() if h.password]
        )
        masked = mask_secrets(runbook.var_specs, values)
        prior = resume_of or rerun_of
        host_names = self._select_hosts(runbook, options, prior, rerun=rerun_of is not None)
        steps = [s for s in runbook.steps if _tag_selected(s, options)]
        self._preflight(steps)
        if not options.dry_run:
            self._warn_unchecked(host_names)

        run_info: dict[str, Any] = {"dry_run": options.dry_run}
        inventory = self.nornir.inventory.hosts
        host_states = {name: HostState(inventory[name], values, run_info) for name in host_names}
        limiter = connections.ConnectLimiter(options.max_connecting, options.connect_rate)
        early = None
        if prior is None and self.dispatcher is None and not options.dry_run and steps:
            early = self._log_in_early(steps[0], host_states, runbook, options, limiter)
        try:
            if self.dispatcher is not None:
                self.dispatcher.check_store(self.journal.db)
            if resume_of is not None:
                run_id = resume_of.run_id
                self.journal.reopen_run(run_id)
            else:
                run_id = self.journal.start_run(
                    runbook=runbook.name,
                    runbook_path=str(runbook.path) if runbook.path else None,
                    vars=masked,
                    hosts=host_names,
                    steps=[s.name for s in runbook.steps],
                    options=_options_record(options) | _report_record(runbook),
                    dry_run=options.dry_run,
                    parent_run_id=rerun_of.run_id if rerun_of else None,
                )
        except BaseException:
            if early is not None:
                early.close_unused()
            raise
        if self.dispatcher is not None:
            self._record_for_workers(run_id, runbook, values)
        run_info["id"] = run_id
        state = RunState(
            run_id=run_id,
            journal=self.journal,
            hosts=host_states,
            dry_run=options.dry_run,
            limiter=limiter,
            secrets=secrets,
            max_fail_percent=runbook.max_fail_percent,
            early=early,
        )
        started_at = datetime.now(UTC)
        record = RunOutcome(
            run_id=run_id,
            runbook=runbook.name,
            runbook_path=str(runbook.path) if runbook.path else None,
            vars=masked,
            status="running",
            started_at=resume_of.started_at if resume_of else started_at,
            hosts=host_names,
            steps=[s.name for s in runbook.steps],
            dry_run=options.dry_run,
            parent_run_id=rerun_of.run_id if rerun_of else None,
            options=(resume_of.options if resume_of else _options_record(options))
            | _report_record(runbook),
        )
        restored: dict[tuple[str, int, bool], StepOutcome] = {}
        try:
            if prior is not None:
                self._restore(runbook, state, prior, rerun=rerun_of is not None)
            restored = dict(state.outcomes)
            try:
                self._drive(steps, state, runbook, options)
            finally:
                state.end_early_logins()
            self.journal.flush()
            status, message = _run_status(state)
            self.journal.finish_run(run_id, status, message)
        except StoreError as exc:
            # Devices may have changed: hand back what ran instead of "nothing happened".
            lost = _finished(record, state, "interrupted", f"the store failed: {exc}")
            raise StoreLost(lost, _ran_here(state, restored), exc) from exc
        return _finished(record, state, status, message)

    def _log_in_early(
        self,
        step: Step,
        host_states: dict[str, HostState],
        runbook: Runbook,
        options: RunOptions,
        limiter: connections.ConnectLimiter,
    ) -> connections.EarlyLogins | None:
        """Log in to the first hosts of the run's first step while the run is being recorded,
        when that step changes nothing and its task opens its connection first thing: the
        hosts its `when` selects, as many as it runs at once. Only what the step's `when` and
        arguments read can be known before the run is recorded: run vars and the host (not
        the store, registered results or the run's id). A login that would send the password
        in clear is left to the task, so that the run notes it as it happens."""
        connection = step.task.opens
        if connection is None or step.task.changes_device:
            return None
        if step.loop is not None or step.scope is not None:
            return None
        known = {*runbook.var_specs, "host"}
        if not step.args.variables <= known:
            return None
        if step.when is not None and not step.when.variables <= known:
            return None
        at_once = step.workers or options.workers or runbook.workers or DEFAULT_WORKERS
        chosen: list[Host] = []
        for name in _hosts_for(step, host_states, {}):
            host_state = host_states[name]
            if name == LOCAL_HOST:
                continue
            try:
                if step.when is not None and not step.when.evaluate(host_state.context(None)):
                    continue
            except Exception:  # noqa: BLE001 - the step itself says what is wrong, later
                continue
            if connections.sends_password_in_clear(host_state.host, connection):
                continue
            chosen.append(host_state.host)
            if len(chosen) >= at_once:
                break
        if not chosen:
            return None
        early = connections.EarlyLogins()
        for host in chosen:
            early.start(host, connection, self.nornir.config, limiter)
        return early

    def _record_for_workers(self, run_id: str, runbook: Runbook, values: dict[str, Any]) -> None:
        """What the workers run, kept with the run before any of them is sent a shard. A run
        that cannot keep it (no secret key, a store error) ends failed, nothing run."""
        assert self.dispatcher is not None
        try:
            self.dispatcher.record_run(self.journal.db, run_id, runbook, values)
        except (UsageError, StoreError) as exc:
            try:
                self.journal.finish_run(run_id, "failed", f"not started on the workers: {exc}")
            except StoreError as lost:
                log.error("run %s: recording its end: %s", run_id, lost)
            raise

    def _drive(
        self, steps: list[Step], state: RunState, runbook: Runbook, options: RunOptions
    ) -> None:
        """The steps, then the rollbacks, with the run's context current in this thread (the
        runner's threads start from copies of it)."""
        self.nornir.data.dry_run = options.dry_run
        context = run_context.RunContext(
            state.run_id, self.journal.db, options.dry_run, hosts=self.nornir.inventory.hosts
        )
        try:
            with run_context.running(context):
                for step in steps:
                    if state.aborted:
                        break
                    hosts = _hosts_for(step, state.hosts, state.outcomes)
                    self._run_step(step, hosts, state, runbook, options)
                    state.end_early_logins()  # they were for the first step only
                if state.aborted:
                    self._record_aborted(steps, state)
                self._rollback(runbook, state, options)
        except KeyboardInterrupt as exc:
            state.abort("interrupted by the user")
            self.journal.flush()
            self.journal.finish_run(state.run_id, "aborted", state.abort_reason)
            raise RunInterrupted(state.run_id) from exc
        finally:
            _warn_clear_text(context)
            try:
                context.close()  # writes what tasks queued; every host's part was settled
            except Exception as exc:
                log.error("run %s: closing the run's shared writers: %s", state.run_id, exc)
            if self.dispatcher is not None and not options.dry_run:
                # The workers stored readings without pruning: the history is pruned here.
                from ispflow.store.readings import prune_after_run

                prune_after_run(self.journal.db, state.run_id)

    def run_shard(
        self,
        runbook: Runbook,
        given_vars: dict[str, Any],
        options: RunOptions,
        *,
        run_id: str,
        step_index: int,
        rollback: bool,
        hosts: list[str],
    ) -> dict[str, list[str]]:
        """A worker's part of a distributed run: one step on these hosts, journaled under the
        coordinator's run. Host/steps the journal already has are not run again, and each
        host's registered values come back from the journal first."""
        values = resolve_vars(runbook.var_specs, given_vars)
        inventory = self.nornir.inventory.hosts
        missing = [h for h in hosts if h not in inventory]
        if missing:
            raise UsageError(
                "hosts not in this worker's inventory: " + ", ".join(sorted(missing)[:10])
            )
        secrets = Secrets(
            [values[n] for n, spec in runbook.var_specs.items() if spec.secret]
            + [inventory[h].password for h in hosts if inventory[h].password]
        )
        run_info = {"dry_run": options.dry_run, "id": run_id}
        state = RunState(
            run_id=run_id,
            journal=self.journal,
            hosts={name: HostState(inventory[name], values, run_info) for name in hosts},
            dry_run=options.dry_run,
            limiter=connections.ConnectLimiter(options.max_connecting, options.connect_rate),
            secrets=secrets,
            max_fail_percent=None,  # the coordinator keeps the budget of the whole run
        )
        self._restore(runbook, state, self.journal.load_run(run_id, hosts), rerun=False)
        step = runbook.step_by_index(step_index)
        todo = [
            h
            for h in hosts
            if (h, step.index, rollback) not in state.outcomes
            and (rollback or state.hosts[h].failed_at is None)
        ]
        self.nornir.data.dry_run = options.dry_run
        context = run_context.RunContext(
            run_id,
            self.journal.db,
            options.dry_run,
            hosts=self.nornir.inventory.hosts,
            prunes_history=False,  # the coordinator prunes once, at the run's end
        )
        try:
            with run_context.running(context):
                self._run_here(step, todo, state, runbook, options, rollback=rollback)
        finally:
            _warn_clear_text(context)
            context.close()
            self.journal.flush()
        return {"ran": todo, "already_done": [h for h in hosts if h not in todo]}

    # -- selection and checks ------------------------------------------------------------
    def _select_hosts(
        self, runbook: Runbook, options: RunOptions, prior: RunOutcome | None, *, rerun: bool
    ) -> list[str]:
        if runbook.runs_locally:
            self._add_local_host()
        inventory = self.nornir.inventory.hosts
        if prior is not None:
            names = prior.failed_hosts() if rerun else list(prior.hosts)
            if rerun and not names:
                raise UsageError(f"run {prior.run_id} has no failed hosts to re-run")
            missing = [n for n in names if n not in inventory]
            if missing:
                raise UsageError(
                    f"run {prior.run_id} used hosts that are not in the inventory now: "
                    + ", ".join(missing[:10])
                )
            return names
        names = [n for n, h in inventory.items() if runbook.targets(h)]
        if options.limit is not None:
            names = [n for n in names if options.limit(inventory[n])]
        if not names:
            limit = f" and --limit '{options.limit}'" if options.limit is not None else ""
            raise UsageError(
                f"no host matches targets '{runbook.targets}'{limit} "
                f"(inventory has {len(inventory)} hosts)"
            )
        return names

    def _warn_unchecked(self, names: list[str]) -> None:
        """Once per run: the OLTs it logs in to without checking their SSH host key."""
        from ispflow.plugins.connections.unchecked_keys import unchecked_warning

        inventory = self.nornir.inventory.hosts
        warning = unchecked_warning(inventory[name] for name in names if name in inventory)
        if warning:
            log.warning(warning)

    def _preflight(self, steps: list[Step]) -> None:
        """Fail before touching any host on what can be known up front (CSV files)."""
        for step in steps:
            loop = step.loop
            if (
                loop is not None
                and loop.csv_file is not None
                and loop.csv_file.is_constant
                and str(loop.csv_file.render({}) or "").strip()
            ):
                from ispflow.core.csv_items import read_csv, resolve_csv

                try:
                    read_csv(resolve_csv(str(loop.csv_file.render({})), loop.base_dir))
                except ValueError as exc:
                    raise UsageError(f"{step.location}: {exc}") from exc

    def _restore(
        self, runbook: Runbook, state: RunState, prior: RunOutcome, *, rerun: bool
    ) -> None:
        """Take over what an earlier run already did, with the values its steps registered."""
        for outcome in prior.outcomes:
            if outcome.host in state.hosts and outcome.status == "pending":
                state.carry_items(outcome)  # rows a killed run finished on that host
            if outcome.host not in state.hosts or outcome.status not in DONE_STATUSES:
                continue
            if rerun and outcome.status == "failed":
                state.carry_items(outcome)  # its rows that went through are not run again
                continue
            try:
                step = runbook.step_by_index(outcome.step_index)
            except KeyError:
                continue
            if rerun:
                outcome = _copy_as_restored(outcome)
                state.journal.record(state.run_id, outcome)
            state.remember(step, outcome)
            # As when it ran: a skipped step registers nothing (`x is defined` stays false).
            if step.register and not outcome.rollback and outcome.status != "skipped":
                state.hosts[outcome.host].register(step.register, outcome.result)

    # -- running -------------------------------------------------------------------------
    def _run_step(
        self,
        step: Step,
        hosts: list[str],
        state: RunState,
        runbook: Runbook,
        options: RunOptions,
        *,
        rollback: bool = False,
    ) -> None:
        if not hosts:
            return
        if self.dispatcher is None:
            self._run_here(step, hosts, state, runbook, options, rollback=rollback)
            return
        # The stand-in host `local` (an analysis over the run's results) stays here.
        remote = [h for h in hosts if h != LOCAL_HOST]
        if remote:
            self.journal.plan_step(state.run_id, step.index, step.name, remote, rollback=rollback)
            self.dispatcher.run_step(
                step, remote, state, self.nornir.inventory.hosts, rollback=rollback
            )
        if LOCAL_HOST in hosts and not state.aborted:
            self._run_here(step, [LOCAL_HOST], state, runbook, options, rollback=rollback)

    def _run_here(
        self,
        step: Step,
        hosts: list[str],
        state: RunState,
        runbook: Runbook,
        options: RunOptions,
        *,
        rollback: bool = False,
    ) -> None:
        """The step on these hosts in this process, with Nornir's threads."""
        if not hosts:
            return
        self.journal.plan_step(state.run_id, step.index, step.name, hosts, rollback=rollback)
        workers = step.workers or options.workers or runbook.workers or DEFAULT_WORKERS
        pool = _host_pool_runner()
        nr = self._nornir_for(hosts).with_runner(pool(num_workers=min(workers, len(hosts))))
        if self.processors:
            nr = nr.with_processors(self.processors)
        try:
            nr.run(
                task=run_step,
                name=f"rollback: {step.name}" if rollback else step.name,
                on_failed=True,
                step=step,
                state=state,
                rollback=rollback,
            )
        finally:
            state.flush_buffer()
        self._settle_deferred(step, state, rollback)

    def _settle_deferred(self, step: Step, state: RunState, rollback: bool) -> None:
        """Hosts whose deferred work (readings handed to a writer, say) failed fail the step."""
        context = run_context.current()
        if context is None:
            return
        for host, error in context.settle().items():
            done = state.outcomes.get((host, step.index, rollback))
            if done is None or done.status == "failed":
                continue
            failed = dataclasses.replace(
                done, status="failed", error=state.secrets.scrub(f"{error}")
            )
            state.amend(step, failed)

    def _add_local_host(self) -> None:
        """The stand-in host of a `targets: local` runbook; nothing connects to it."""
        inventory = self.nornir.inventory
        if LOCAL_HOST not in inventory.hosts:
            inventory.hosts[LOCAL_HOST] = Host(
                name=LOCAL_HOST,
                hostname="localhost",
                data={"role": LOCAL_HOST},
                defaults=inventory.defaults,
            )

    def _nornir_for(self, hosts: list[str]) -> Nornir:
        """The inventory narrowed to these hosts, built directly: ``Nornir.filter`` would call
        a Python function for every host of the whole inventory on every step."""
        inventory = self.nornir.inventory
        narrowed = Inventory(
            hosts=Hosts((name, inventory.hosts[name]) for name in hosts),
            groups=inventory.groups,
            defaults=inventory.defaults,
        )
        return Nornir(inventory=narrowed, config=self.nornir.config, data=self.nornir.data)

    def _record_aborted(self, steps: list[Step], state: RunState) -> None:
        now = datetime.now(UTC)
        for step in steps:
            for host in state.hosts.values():
                key = (host.name, step.index, False)
                if host.failed_at is not None or key in state.outcomes:
                    continue
                if step.hosts is not None and not step.hosts(host.host):
                    continue
                outcome = StepOutcome(
                    host=host.name,
                    step_index=step.index,
                    step_name=step.name,
                    status="aborted",
                    error=f"not run: {state.abort_reason}",
                    started_at=now,
                    finished_at=now,
                )
                state.journal.record(state.run_id, outcome)
                state.remember(step, outcome)

    def _rollback(self, runbook: Runbook, state: RunState, options: RunOptions) -> None:
        for step in reversed(runbook.steps):
            if not step.rollback:
                continue
            hosts = [
                h.name
                for h in state.hosts.values()
                if h.failed_at is not None
                and h.failed_at > step.index
                and _succeeded(state, h.name, step.index)
            ]
            for undo in step.rollback:
                pending = [n for n in hosts if (n, undo.index, True) not in state.outcomes]
                self._run_step(undo, pending, state, runbook, options, rollback=True)


def _hosts_for(
    step: Step, hosts: dict[str, HostState], outcomes: dict[tuple[str, int, bool], StepOutcome]
) -> list[str]:
    """The hosts a forward step runs on: not failed, without a result for it, matching its
    `hosts`."""
    return [
        h.name
        for h in hosts.values()
        if h.failed_at is None
        and (h.name, step.index, False) not in outcomes
        and (step.hosts is None or step.hosts(h.host))
    ]


def _warn_clear_text(context: run_context.RunContext) -> None:
    """Once per run (or shard), at its end: the hosts whose password it sent unencrypted."""
    from ispflow.plugins.connections import clear_text

    for notice in clear_text.notices(context):
        log.warning("run %s: %s", context.run_id, notice)


def _succeeded(state: RunState, host: str, index: int) -> bool:
    outcome = state.outcomes.get((host, index, False))
    return outcome is not None and outcome.status in ("ok", "changed")


def _tag_selected(step: Step, options: RunOptions) -> bool:
    if options.skip_tags and step.tags & options.skip_tags:
        return False
    if not options.tags:
        return "never" not in step.tags
    return bool(step.tags & options.tags) or "always" in step.tags


def _run_status(state: RunState) -> tuple[str, str | None]:
    if state.aborted:
        return "aborted", state.abort_reason
    failed = state.failed_count()
    if failed:
        return "failed", f"{failed} of {len(state.hosts)} hosts failed"
    return "ok", None


def _finished(record: RunOutcome, state: RunState, status: str, message: str | None) -> RunOutcome:
    """The run's record with its end: status, message and every host/step result."""
    return dataclasses.replace(
        record,
        status=status,
        message=message,
        finished_at=datetime.now(UTC),
        outcomes=_ordered(state, record.hosts),
    )


def _ran_here(
    state: RunState, restored: dict[tuple[str, int, bool], StepOutcome]
) -> list[StepOutcome]:
    """The host/steps whose task this process called (not those taken over from an earlier
    run), in run order."""
    order = {name: i for i, name in enumerate(state.hosts)}
    ran = [
        outcome
        for key, outcome in list(state.outcomes.items())
        if outcome.status in _RAN and restored.get(key) is not outcome
    ]
    return sorted(ran, key=lambda o: (order.get(o.host, 0), o.rollback, o.step_index))


def _ordered(state: RunState, host_names: list[str]) -> list[StepOutcome]:
    order = {name: i for i, name in enumerate(host_names)}
    return sorted(
        state.outcomes.values(),
        key=lambda o: (order.get(o.host, 0), o.rollback, o.step_index),
    )


def _copy_as_restored(outcome: StepOutcome) -> StepOutcome:
    return StepOutcome(
        host=outcome.host,
        step_index=outcome.step_index,
        step_name=outcome.step_name,
        status=outcome.status,
        changed=outcome.changed,
        result=outcome.result,
        error=outcome.error,
        started_at=outcome.started_at,
        finished_at=outcome.finished_at,
        attempts=0,
        rollback=outcome.rollback,
    )


def _report_record(runbook: Runbook) -> dict[str, Any]:
    """What the report needs of the runbook, kept with the run for `runs show`: the forward
    steps' indexes in order (rollback steps take indexes in between), the result key each
    step counts (`tally:`) and how each step's results are shown (its task's view, `show:`)."""
    return {
        "step_indexes": [s.index for s in runbook.steps],
        "tally": {str(s.index): s.tally for s in runbook.steps if s.tally},
        "views": {
            str(s.index): {"task": s.task.name, "show": list(s.show) if s.show else None}
            for s in runbook.steps
        },
    }


def _options_record(options: RunOptions) -> dict[str, Any]:
    return {
        "dry_run": options.dry_run,
        "workers": options.workers,
        "limit": str(options.limit) if options.limit is not None else None,
        "tags": sorted(options.tags),
        "skip_tags": sorted(options.skip_tags),
        "max_connecting": options.max_connecting,
        "connect_rate": options.connect_rate,
        "pid": os.getpid(),
        "machine": socket.gethostname(),
    }
