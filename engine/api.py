"""The library API behind `ispflow run`: run a runbook, parse `-e`/`--limit` values, exit codes.

    from ispflow import load_runbook, run_runbook, RunOptions

Exit codes: 0 every host ok; 1 some host failed; 2 runbook, vars, usage or store error
(nothing was run); 3 the run was aborted (failure budget, ``on_failure: abort``, or Ctrl-C);
4 the store failed after work was done (what ran is printed from memory).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ispflow.core.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_ABORTED, EXIT_STORE_LOST = 0, 1, 2, 3, 4


def run_runbook(
    runbook: str | Path | None,
    given_vars: dict[str, Any] | None = None,
    options: Any = None,
    *,
    inventory: str | Path | None = None,
    source: str | None = None,
    refresh: bool = False,
    db: str | None = None,
    resume: str | None = None,
    rerun_failed: str | None = None,
    progress: Console | None = None,
    runner: str = "local",
    shard_by: str = "site",
    registered_tasks_only: bool = False,
) -> Any:
    """Run a runbook and return its :class:`engine.outcome.RunOutcome` (the API behind `run`).

    `source` is the inventory source (files, netbox, store); `refresh` skips NetBox's cached
    device list; `runner` is local or celery (steps' hosts sent to workers, in shards per
    site or per host as `shard_by` says). `registered_tasks_only` refuses a runbook that
    names a Python-path task (for runbooks from elsewhere: a Python path runs its code).

    Threads of one process may call this at once: each call is a run of its own. A store
    that fails once the run is recorded raises `engine.executor.StoreLost` (a StoreError)
    holding the run as far as this process knows it."""
    from ispflow.engine.executor import Executor
    from ispflow.engine.loader import load_runbook
    from ispflow.engine.model import RunOptions
    from ispflow.plugins.inventory.files import (
        describe_inventory,
        inventory_named,
        no_devices,
        open_nornir,
    )
    from ispflow.tasks.task_policy import configured_policy

    options = options or RunOptions()
    given = dict(given_vars or {})
    # The store opens when the run first needs it (to record itself, say): a run's first
    # logins can be under way by then. Anything that stops the run before that reports the
    # store's own error first, as when the store was opened before everything else.
    store = _RunStore(db)
    try:
        prior = None
        if resume or rerun_failed:
            prior = store.journal.load_run(resume or rerun_failed)  # type: ignore[arg-type]
            dropped = prior.results_dropped()
            if dropped:
                # Later steps read the results of earlier ones (register:); these are gone.
                raise UsageError(
                    f"run {prior.run_id} cannot be continued: the results of its steps that "
                    f"read signal were dropped on {dropped[0]} with their raw readings "
                    "(history.raw_days); start a new run instead"
                )
            if runbook is None:
                if not prior.runbook_path:
                    raise UsageError(f"run {prior.run_id} has no runbook file recorded; name it")
                runbook = prior.runbook_path
            given = _prior_vars(prior, given)
            options = _prior_options(prior, options, resume=bool(resume))
        elif runbook is None:
            raise UsageError("name a runbook (file or shipped name), or use --resume RUN_ID")
        policy = configured_policy()
        if registered_tasks_only:
            policy = policy.registered_only("--registered-tasks-only")
        book = load_runbook(runbook, policy)
        if prior is not None:
            _check_same_runbook(book, prior)
            _check_secrets_given(book, prior, given_vars or {})
        devices = not book.runs_only_locally or inventory_named(inventory, source)
        nornir = open_nornir(inventory, source, refresh=refresh, db=db) if devices else no_devices()
        processors = []
        if progress is not None:
            from ispflow.plugins.processors.progress import RunProgress

            # Which inventory and store: said once a step starts (not for a run refused first).
            used = describe_inventory(source, inventory) if devices else "none (local steps)"
            where = lambda: f"inventory {used} · store {store.database}"  # noqa: E731
            processors.append(RunProgress(progress, header=where, every=progress_every()))
        dispatcher = _dispatcher(runner, shard_by, book, options, processors)
        executor = Executor(nornir, store.lazy_journal(), processors, dispatcher)
        try:
            outcome = executor.run(
                book,
                given,
                options,
                resume_of=prior if resume else None,
                rerun_of=prior if rerun_failed else None,
            )
        finally:
            for processor in processors:  # a step cut short leaves no ticker behind
                processor.stop()
    except Exception:
        store.open_before_reporting()
        store.close_quietly()
        raise
    except BaseException:
        # The error that stopped the run is the one to report, not one from closing after it.
        store.close_quietly()
        raise
    store.close()
    return outcome


class _RunStore:
    """A run's store and journal, opened on first use."""

    def __init__(self, url: str | None) -> None:
        self.url = url
        self._database: Any = None
        self._journal: Any = None
        self._tried = False

    @property
    def journal(self) -> Any:
        if self._journal is None:
            from ispflow.store.db import open_database
            from ispflow.store.journal import Journal

            self._tried = True
            database = open_database(self.url)
            try:
                self._journal = Journal(database)
            except BaseException:
                database.close()
                raise
            self._database = database
        return self._journal

    @property
    def database(self) -> Any:
        return self.journal.db

    def lazy_journal(self) -> Any:
        """The journal for the executor, opened when it first reaches for it."""
        return _JournalOnFirstUse(self)

    def open_before_reporting(self) -> None:
        """A store that cannot be opened is the error to report, as it would have been had
        the store been opened first; one already tried is not tried again."""
        if self._tried:
            return
        try:
            self.journal  # noqa: B018 - opening it is the point
        except Exception as exc:
            raise exc from None  # the error as when it came first, not as a second one

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._database.close()

    def close_quietly(self) -> None:
        if self._journal is not None:
            _close_quietly(self._journal, self._database)


class _JournalOnFirstUse:
    """Stands in for the run's journal; the store opens when an attribute is first read."""

    def __init__(self, store: _RunStore) -> None:
        self._store = store

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store.journal, name)


def _close_quietly(journal: Any, database: Any) -> None:
    for close in (journal.close, database.close):
        try:
            close()
        except Exception as exc:
            logging.getLogger("ispflow").debug("closing the store after an error: %s", exc)


# Runners other than this process register a dispatcher class by entry point; the engine
# knows them only by name.
RUNNER_GROUP = "ispflow.runners"
PROGRESS_EVERY_ENV = "ISPFLOW_PROGRESS_EVERY"


def progress_every() -> float:
    """Seconds between "still running" lines off a terminal: $ISPFLOW_PROGRESS_EVERY, else 5;
    0 turns them off."""
    from ispflow.plugins.processors.progress import EVERY_S

    text = os.environ.get(PROGRESS_EVERY_ENV, "").strip()
    if not text:
        return EVERY_S
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not seconds >= 0:  # also NaN
        raise UsageError(f"{PROGRESS_EVERY_ENV}={text!r}: give seconds, 0 or more")
    return seconds


LOCAL_RUNNER = "local"


def runner_names() -> tuple[str, ...]:
    from ispflow.core.entry_points import entry_points

    return (LOCAL_RUNNER, *sorted(entry.name for entry in entry_points(group=RUNNER_GROUP)))


def _dispatcher(runner: str, shard_by: str, book: Any, options: Any, processors: list) -> Any:
    """Who runs each step's hosts: None for this process, or a registered runner's dispatcher."""
    if runner == LOCAL_RUNNER:
        return None
    from ispflow.core.entry_points import entry_points

    found = entry_points(group=RUNNER_GROUP, name=runner)
    if not found:
        raise UsageError(f"--runner '{runner}': choose {' or '.join(runner_names())}")
    dispatcher_class = next(iter(found)).load()
    from ispflow.core.paths import RUNBOOKS_DIR

    path = Path(book.path).resolve() if book.path else None
    # A shipped runbook goes by name (every worker has it); another by its full path.
    shipped = path is not None and path.parent == RUNBOOKS_DIR.resolve()
    reference = path.stem if shipped else str(path or book.name)
    shard_options = {
        "dry_run": options.dry_run,
        "workers": options.workers,
        "max_connecting": options.max_connecting,
        "connect_rate": options.connect_rate,
    }
    return dispatcher_class(reference, shard_options, shard_by=shard_by, progress=processors)


def exit_code(status: str) -> int:
    return {"ok": EXIT_OK, "failed": EXIT_FAILED, "aborted": EXIT_ABORTED}.get(status, EXIT_FAILED)


def parse_extra_vars(items: list[str]) -> dict[str, Any]:
    """`key=value` pairs and `@file.yaml` mappings, later ones winning."""
    from ruamel.yaml import YAML

    values: dict[str, Any] = {}
    for item in items:
        if item.startswith("@"):
            path = Path(item[1:])
            try:
                data = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
            except OSError as exc:
                raise UsageError(f"-e {item}: cannot read {path}: {exc.strerror or exc}") from exc
            except Exception as exc:
                raise UsageError(f"-e {item}: {path} is not valid YAML: {exc}") from exc
            if not isinstance(data, dict):
                raise UsageError(f"-e {item}: {path} must hold a mapping of var: value")
            values.update({str(k): v for k, v in data.items()})
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"-e '{item}': expected key=value or @file.yaml")
        values[key.strip()] = value
    return values


def parse_limit(limit: str | None) -> Any:
    if limit is None:
        return None
    from ispflow.engine.filters import FilterError, parse_filter

    try:
        return parse_filter(limit)
    except FilterError as exc:
        pointer = f" (at character {exc.position + 1})" if exc.position is not None else ""
        raise UsageError(f"--limit '{limit}': {exc.message}{pointer}") from exc


def _prior_vars(prior: Any, given: dict[str, Any]) -> dict[str, Any]:
    from ispflow.engine.secrets import MASK

    values = {k: v for k, v in prior.vars.items() if v != MASK}
    values.update(given)
    return values


def _prior_options(prior: Any, options: Any, *, resume: bool) -> Any:
    from dataclasses import replace

    recorded = prior.options or {}
    return replace(
        options,
        dry_run=bool(recorded.get("dry_run", prior.dry_run)) if resume else options.dry_run,
        tags=frozenset(recorded.get("tags") or ()) if not options.tags else options.tags,
        skip_tags=frozenset(recorded.get("skip_tags") or ())
        if not options.skip_tags
        else options.skip_tags,
        workers=options.workers or recorded.get("workers"),
    )


def _check_same_runbook(book: Any, prior: Any) -> None:
    names = [s.name for s in book.steps]
    if prior.steps and names != list(prior.steps):
        raise UsageError(
            f"the runbook's steps changed since run {prior.run_id} "
            f"(then: {len(prior.steps)} steps, now: {len(names)}); start a new run instead"
        )


def _check_secrets_given(book: Any, prior: Any, given: dict[str, Any]) -> None:
    from ispflow.engine.secrets import MASK

    missing = [
        name
        for name, spec in book.var_specs.items()
        if spec.secret and prior.vars.get(name) == MASK and name not in given
    ]
    if missing:
        raise UsageError(
            "secret vars are not kept in the journal; give them again: "
            + " ".join(f"-e {name}=…" for name in missing)
        )
