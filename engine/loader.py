"""Turn a runbook file into a checked, compiled :class:`engine.model.Runbook`.

Every problem is collected (not just the first) and reported as file:line:col before any
host is touched: unknown keys, wrong types, unknown tasks or task arguments, bad filters,
expressions that do not compile or that use a variable no one defines.

Loading is total and bounded: any file gives a runbook or problems, never another exception,
in bounded time and memory (the YAML reader, the expression compiler and var patterns have
their own limits; this module bounds numbers, includes and the count of expressions).
"""

from __future__ import annotations

import keyword
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap, CommentedSeq

from ispflow.core.errors import UsageError
from ispflow.core.expressions import (
    CompiledCondition,
    CompiledValue,
    ExpressionError,
    Expressions,
)
from ispflow.core.paths import RUNBOOK_SUFFIXES, find_runbook
from ispflow.core.suggest import did_you_mean
from ispflow.core.yaml_source import YamlBudget, plain, read_yaml, value_where, where
from ispflow.engine.errors import Problem, RunbookError
from ispflow.engine.filters import FilterError, HostFilter, parse_filter
from ispflow.engine.model import Assertion, Location, Loop, Runbook, Scope, Step
from ispflow.engine.store_functions import FUNCTIONS
from ispflow.engine.vartypes import VarError, VarSpec, pattern_time_budget, spec_from_mapping
from ispflow.tasks.registry import TaskRegistry, TaskSpec, UnknownTaskError
from ispflow.tasks.registry import registry as default_registry
from ispflow.tasks.task_policy import TaskPolicy, configured_policy

TOP_KEYS = ("name", "description", "vars", "targets", "steps", "max_fail_percent", "workers")
STEP_KEYS = (
    "name", "task", "with", "hosts", "when", "loop", "items", "register", "assert",
    "fail_msg", "retries", "delay", "backoff", "timeout", "workers", "serial",
    "on_failure", "rollback", "tags", "tally", "show",
)  # fmt: skip
INCLUDE_KEYS = ("name", "include", "vars", "tags")
ON_FAILURE = ("stop", "continue", "abort")
# Names the engine puts in every expression context.
BUILTIN_NAMES = frozenset({"host", "run", "vars"})
LOOP_NAMES = frozenset({"item", "loop_index"})
RESULT_NAMES = frozenset({"result"})
RESERVED = BUILTIN_NAMES | LOOP_NAMES | RESULT_NAMES
# Compiling one expression takes about a millisecond: bound how many one load compiles.
MAX_EXPRESSIONS = 1_000
MAX_EXPRESSION_TEXT = 64 * 1024
MAX_MESSAGE = 1_000
MAX_PATH = 4096
# Includes are read again each time: without a bound, two includes per level double the work.
MAX_INCLUDES = 100


@dataclass(frozen=True)
class Bounds:
    """The values a numeric key may take; beyond them a number is a typo or an attack."""

    minimum: float
    maximum: float
    integer: bool = False
    unit: str = ""

    def describe(self) -> str:
        kind = "a whole number" if self.integer else "a number"
        return f"{kind} from {self.minimum:g} to {self.maximum:g}{self.unit}"


RUNBOOK_NUMBERS = {
    "max_fail_percent": Bounds(0, 100, unit=" (percent)"),
    "workers": Bounds(1, 1000, integer=True),
}
STEP_NUMBERS = {
    "retries": Bounds(0, 100, integer=True),
    "delay": Bounds(0, 3600, unit=" seconds"),
    "backoff": Bounds(1, 10),
    "timeout": Bounds(0.001, 86400, unit=" seconds"),
    "workers": Bounds(1, 1000, integer=True),
    "serial": Bounds(1, 1000, integer=True),
}


class Loader:
    def __init__(
        self,
        registry: TaskRegistry | None = None,
        expressions: Expressions | None = None,
        policy: TaskPolicy | None = None,
    ) -> None:
        self.registry = registry or default_registry
        # Which Python-path tasks a runbook may name (None: the configuration's policy).
        self.policy = policy
        self.expressions = expressions or Expressions(functions=FUNCTIONS)
        self.jinja_globals = frozenset(self.expressions.env.globals)

    def load(self, source: str | Path) -> Runbook:
        try:
            path = find_runbook(source)
        except (OSError, ValueError) as exc:  # a name too long for the system, a NUL in it
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise UsageError(f"runbook '{_clip(str(source))}' cannot be opened: {reason}") from None
        if self.policy is None:
            self.policy = configured_policy()
        builder = _Builder(self, path)
        with pattern_time_budget():
            runbook = builder.build()
        if builder.problems:
            raise RunbookError(builder.problems)
        assert runbook is not None
        return runbook


def load_runbook(source: str | Path, policy: TaskPolicy | None = None) -> Runbook:
    """Load and check a runbook by path or by the name of a shipped one. `policy` says which
    Python-path tasks it may name (default: `runbooks.python_tasks` of the configuration)."""
    return Loader(policy=policy).load(source)


class _Builder:
    def __init__(self, loader: Loader, path: Path) -> None:
        self.loader = loader
        self.path = path
        self.problems: list[Problem] = []
        self.next_index = 0
        self.rollback_steps: list[Step] = []
        # What could not be checked without running code (said, not an error).
        self.notes: list[Problem] = []
        self.registered: list[str] = []
        self.include_stack: list[Path] = [path.resolve()]
        # Shared by the runbook and everything it includes, so includes cannot multiply work.
        self.yaml_budget = YamlBudget()
        self.expressions_left = MAX_EXPRESSIONS
        self.includes_left = MAX_INCLUDES
        self.expression_text_left = MAX_EXPRESSION_TEXT

    # -- helpers -------------------------------------------------------------------------
    def problem(self, location: Location | None, message: str) -> None:
        # A message may quote what was written, and that may be as long as the file.
        self.problems.append(Problem(location, _clip(message, MAX_MESSAGE)))

    def check_keys(
        self, file: str, node: CommentedMap, allowed: tuple[str, ...], what: str
    ) -> None:
        for key in node:
            if key not in allowed:
                self.problem(
                    where(file, node, key),
                    f"unknown {what} key '{_clip(str(key))}'{did_you_mean(str(key), allowed)}",
                )

    def spend_expressions(self, location: Location, count: int, size: int) -> bool:
        """Whether ``count`` more expressions of ``size`` characters fit in this load's budget."""
        if not count:
            return True
        self.expressions_left -= count
        self.expression_text_left -= size
        if self.expressions_left >= 0 and self.expression_text_left >= 0:
            return True
        if self.expressions_left + count >= 0 and self.expression_text_left + size >= 0:
            self.problem(
                location,
                f"too many expressions: a runbook and what it includes may hold at most "
                f"{MAX_EXPRESSIONS} ({MAX_EXPRESSION_TEXT // 1024} KiB of expression text)",
            )
        return False

    def compile_value(
        self, file: str, node: Any, key: Any, value: Any, known: frozenset[str], label: str
    ) -> CompiledValue | None:
        value = plain(value)
        if not self.spend_expressions(value_where(file, node, key), *_expression_cost(value)):
            return None
        try:
            compiled = self.loader.expressions.compile_value(value)
        except ExpressionError as exc:
            self.problem(value_where(file, node, key), f"{label}: {exc}")
            return None
        self.check_names(compiled.variables, known, value_where(file, node, key), label)
        return compiled

    def compile_condition(
        self, file: str, location: Location, value: Any, known: frozenset[str], label: str
    ) -> CompiledCondition | None:
        if not isinstance(value, str | bool):
            self.problem(location, f"{label} must be an expression (text), not {_kind(value)}")
            return None
        if isinstance(value, str) and not self.spend_expressions(location, 1, len(value)):
            return None
        try:
            compiled = self.loader.expressions.compile_condition(plain(value))
        except ExpressionError as exc:
            self.problem(location, f"{label}: {exc}")
            return None
        self.check_names(compiled.variables, known, location, label)
        return compiled

    def check_names(
        self, names: frozenset[str], known: frozenset[str], location: Location, label: str
    ) -> None:
        for name in sorted(names - known - self.loader.jinja_globals):
            self.problem(
                location,
                f"{label}: undefined variable '{name}'{did_you_mean(name, known)}",
            )

    def number(self, file: str, node: CommentedMap, key: str, bounds: Bounds) -> Any:
        """The value of a numeric key, or None (with a problem) when absent, wrong or absurd."""
        value = node.get(key)
        if value is None:
            return None
        ok_type = isinstance(value, int) if bounds.integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok_type:
            self.problem(
                value_where(file, node, key),
                f"'{key}' must be {bounds.describe()}, not {_kind(value)}",
            )
            return None
        if not (bounds.minimum <= value <= bounds.maximum):  # also refuses NaN
            self.problem(
                value_where(file, node, key),
                f"'{key}' must be at least {bounds.minimum:g} and at most {bounds.maximum:g}"
                f"{bounds.unit}, not {_number(value)}",
            )
            return None
        return value

    def filter(self, file: str, node: CommentedMap, key: str) -> HostFilter | None:
        try:
            return parse_filter(plain(node.get(key)))
        except FilterError as exc:
            location = value_where(file, node, key)
            if exc.position is not None and isinstance(node.get(key), str):
                location = Location(location.file, location.line, location.col + exc.position)
            self.problem(location, f"bad host filter in '{key}': {exc.message}")
            return None
        except (RecursionError, OverflowError):  # from compiling a regular expression in it
            self.problem(
                value_where(file, node, key),
                f"bad host filter in '{key}': a regular expression in it is nested too deeply "
                f"or repeats too much",
            )
            return None

    def text(
        self, file: str, node: CommentedMap, key: str, default: str | None = None
    ) -> str | None:
        value = node.get(key, default)
        if value is not None and not isinstance(value, str):
            self.problem(value_where(file, node, key), f"'{key}' must be text, not {_kind(value)}")
            return default
        return value

    # -- the runbook ---------------------------------------------------------------------
    def build(self) -> Runbook | None:
        file = str(self.path)
        data, problems = read_yaml(self.path, budget=self.yaml_budget)
        self.problems.extend(problems)
        if problems:
            return None
        if not isinstance(data, CommentedMap):
            self.problem(
                Location(file, 1, 1),
                f"a runbook is a mapping with 'name' and 'steps', not {_kind(data, echo=False)}",
            )
            return None
        self.check_keys(file, data, TOP_KEYS, "runbook")
        name = self.text(file, data, "name", self.path.stem) or self.path.stem
        description = self.text(file, data, "description", "") or ""
        var_specs = self.var_specs(file, data)
        targets = self.filter(file, data, "targets") if "targets" in data else parse_filter(None)
        max_fail = self.number(file, data, "max_fail_percent", RUNBOOK_NUMBERS["max_fail_percent"])
        workers = self.number(file, data, "workers", RUNBOOK_NUMBERS["workers"])
        steps = self.steps(file, data, var_specs, None, frozenset())
        return Runbook(
            name=name,
            description=description,
            path=self.path,
            var_specs=var_specs,
            targets=targets or parse_filter(None),
            steps=steps,
            rollback_steps=self.rollback_steps,
            max_fail_percent=max_fail,
            workers=workers,
            notes=self.notes,
        )

    def var_specs(self, file: str, node: CommentedMap) -> dict[str, VarSpec]:
        specs: dict[str, VarSpec] = {}
        raw = node.get("vars")
        if raw is None:
            return specs
        if not isinstance(raw, CommentedMap):
            self.problem(
                value_where(file, node, "vars"),
                f"'vars' must be a mapping of name: spec, not {_kind(raw)}",
            )
            return specs
        for name, spec in raw.items():
            location = where(file, raw, name)
            if not isinstance(name, str) or not name.isidentifier() or keyword.iskeyword(name):
                self.problem(
                    location, f"var name '{name}' must be a plain identifier (letters, digits, _)"
                )
                continue
            if name in RESERVED:
                self.problem(location, f"var name '{name}' is reserved for the engine")
                continue
            if spec is None:
                spec = {}
            elif isinstance(spec, str):
                spec = {"type": spec}
            elif not isinstance(spec, dict):
                self.problem(
                    value_where(file, raw, name),
                    f"var '{name}': give a type name or a mapping, not {_kind(spec)}",
                )
                continue
            try:
                specs[name] = spec_from_mapping(name, plain(spec))
            except VarError as exc:
                self.problem(_key_or_value(file, spec, exc, location), str(exc))
        return specs

    # -- steps ---------------------------------------------------------------------------
    def steps(
        self,
        file: str,
        node: CommentedMap,
        var_specs: dict[str, VarSpec],
        scope: Scope | None,
        inherited_tags: frozenset[str],
    ) -> list[Step]:
        raw = node.get("steps")
        if raw is None:
            self.problem(where(file, node), "a runbook needs 'steps' (a list of steps)")
            return []
        if not isinstance(raw, CommentedSeq) or not raw:
            self.problem(
                value_where(file, node, "steps"), "'steps' must be a non-empty list of steps"
            )
            return []
        result: list[Step] = []
        for index, item in enumerate(raw):
            location = where(file, raw, index=index)
            if not isinstance(item, CommentedMap):
                self.problem(
                    location, f"a step is a mapping with 'task' (or 'include'), not {_kind(item)}"
                )
                continue
            if "include" in item:
                result.extend(self.include(file, item, var_specs, scope, inherited_tags))
            else:
                step = self.step(file, item, var_specs, scope, inherited_tags, in_rollback=False)
                if step is not None:
                    result.append(step)
        return result

    def show(self, file: str, node: CommentedMap) -> tuple[str, ...] | None:
        """`show: [serial, rx_dbm, signal]`: the result columns the report prints."""
        if "show" not in node:
            return None
        value = node["show"]
        names = [value] if isinstance(value, str) else value
        if (
            not isinstance(names, list)
            or not names
            or not all(isinstance(n, str) and n.isidentifier() for n in names)
        ):
            self.problem(
                value_where(file, node, "show"),
                "'show' must list keys of the result records, e.g. 'show: [serial, rx_dbm]'",
            )
            return None
        return tuple(dict.fromkeys(names))

    def known_names(self, var_specs: dict[str, VarSpec]) -> frozenset[str]:
        return frozenset(var_specs) | BUILTIN_NAMES | frozenset(self.registered)

    def step(
        self,
        file: str,
        node: CommentedMap,
        var_specs: dict[str, VarSpec],
        scope: Scope | None,
        inherited_tags: frozenset[str],
        *,
        in_rollback: bool,
    ) -> Step | None:
        self.check_keys(file, node, STEP_KEYS, "step")
        location = where(file, node)
        task_name = node.get("task")
        spec: TaskSpec | None = None
        if task_name is None:
            self.problem(
                location,
                f"step needs 'task' (or 'include'){did_you_mean('task', [str(k) for k in node])}",
            )
        elif not isinstance(task_name, str):
            self.problem(
                value_where(file, node, "task"),
                f"'task' must be a task name, not {_kind(task_name)}",
            )
        else:
            try:
                spec = self.loader.registry.resolve(task_name, self.loader.policy)
            except UnknownTaskError as exc:
                self.problem(value_where(file, node, "task"), str(exc))
            else:
                if spec.unchecked:
                    self.notes.append(
                        Problem(
                            value_where(file, node, "task"),
                            f"task '{_clip(task_name)}': {spec.unchecked}",
                        )
                    )
        name = self.text(file, node, "name", task_name if isinstance(task_name, str) else "step")
        if scope is not None:
            name = f"{scope.name} / {name}"

        known = self.known_names(var_specs)
        loop = self.loop(file, node, known)
        if loop is not None:
            known = known | LOOP_NAMES

        args, arg_sources = self.args(file, node, known, spec)
        hosts = self.filter(file, node, "hosts") if "hosts" in node else None
        when = None
        if "when" in node:
            when = self.compile_condition(
                file, value_where(file, node, "when"), node["when"], known, "when"
            )

        register = node.get("register")
        if register is not None and (not isinstance(register, str) or not register.isidentifier()):
            self.problem(
                value_where(file, node, "register"), "'register' must be a plain identifier"
            )
            register = None
        elif register in RESERVED or register in var_specs:
            self.problem(
                value_where(file, node, "register"),
                f"'register: {register}' would hide a var or engine name",
            )
            register = None

        assert_known = known | RESULT_NAMES | ({register} if register else set())
        assertion = self.assertion(file, node, assert_known)

        retries = self.number(file, node, "retries", STEP_NUMBERS["retries"]) or 0
        delay = self.number(file, node, "delay", STEP_NUMBERS["delay"]) or 0.0
        backoff = self.number(file, node, "backoff", STEP_NUMBERS["backoff"]) or 1.0
        timeout = self.number(file, node, "timeout", STEP_NUMBERS["timeout"])
        workers = self.workers(file, node)
        on_failure = node.get("on_failure", "stop")
        if on_failure not in ON_FAILURE:
            self.problem(
                value_where(file, node, "on_failure"),
                f"'on_failure' must be one of {', '.join(ON_FAILURE)}, not '{on_failure}'{did_you_mean(str(on_failure), ON_FAILURE)}",
            )
            on_failure = "stop"
        tags = inherited_tags | self.tags(file, node)
        tally = node.get("tally")
        if tally is not None and (not isinstance(tally, str) or not tally.isidentifier()):
            self.problem(
                value_where(file, node, "tally"),
                "'tally' must name one key of the result records, e.g. 'tally: signal'",
            )
            tally = None
        show = self.show(file, node)

        index = self.next_index
        self.next_index += 1
        step = Step(
            index=index,
            name=name or "step",
            task=spec,  # type: ignore[arg-type]  # None only when problems were recorded
            location=location,
            args=args,  # type: ignore[arg-type]
            hosts=hosts,
            when=when,
            loop=loop,
            register=register,
            assertion=assertion,
            retries=retries,
            delay=float(delay),
            backoff=float(backoff),
            timeout=float(timeout) if timeout is not None else None,
            workers=workers,
            on_failure=on_failure,
            tags=tags,
            scope=scope,
            tally=tally,
            show=show,
            arg_sources=arg_sources,
        )
        if "rollback" in node:
            if in_rollback:
                self.problem(
                    where(file, node, "rollback"), "a rollback step cannot have its own 'rollback'"
                )
            else:
                step.rollback = self.rollback(file, node, var_specs, scope, tags)
        # Registered after the step so it is visible to later steps, not to itself.
        if register:
            self.registered.append(register)
        return step

    def args(
        self, file: str, node: CommentedMap, known: frozenset[str], spec: TaskSpec | None
    ) -> tuple[CompiledValue | None, dict[str, frozenset[str]]]:
        raw = node.get("with")
        if raw is None:
            raw = CommentedMap()
        if not isinstance(raw, CommentedMap):
            self.problem(
                value_where(file, node, "with"),
                f"'with' must be a mapping of argument: value, not {_kind(raw)}",
            )
            return None, {}
        sources: dict[str, frozenset[str]] = {}
        complete = True
        for key, value in raw.items():
            compiled = self.compile_value(file, raw, key, value, known, f"with.{key}")
            if compiled is not None:
                sources[str(key)] = compiled.variables
            else:
                complete = False
        if spec is not None:
            for message in spec.check_args({str(k) for k in raw}):
                self.problem(
                    where(file, node, "with") if "with" in node else where(file, node, "task"),
                    message,
                )
        if not complete:
            return None, sources  # already reported per argument
        try:
            return self.loader.expressions.compile_value(plain(raw)), sources
        except ExpressionError:
            return None, sources

    def loop(self, file: str, node: CommentedMap, known: frozenset[str]) -> Loop | None:
        if "loop" in node and "items" in node:
            self.problem(where(file, node, "items"), "use either 'loop' or 'items', not both")
            return None
        if "loop" in node:
            raw = node["loop"]
            if not isinstance(raw, list | str):
                self.problem(
                    value_where(file, node, "loop"),
                    f"'loop' must be a list or an expression giving a list, not {_kind(raw)}",
                )
                return None
            compiled = self.compile_value(file, node, "loop", raw, known, "loop")
            return Loop(items=compiled) if compiled else None
        if "items" in node:
            raw = node["items"]
            if not isinstance(raw, str):
                self.problem(
                    value_where(file, node, "items"),
                    f"'items' must be the path of a CSV file, not {_kind(raw)}",
                )
                return None
            compiled = self.compile_value(file, node, "items", raw, known, "items")
            return Loop(csv_file=compiled, base_dir=self.path.parent) if compiled else None
        return None

    def assertion(self, file: str, node: CommentedMap, known: frozenset[str]) -> Assertion | None:
        if "assert" not in node:
            if "fail_msg" in node:
                self.problem(
                    where(file, node, "fail_msg"), "'fail_msg' only makes sense with 'assert'"
                )
            return None
        raw = node["assert"]
        fail_msg_node, fail_msg_key = node, "fail_msg"
        if isinstance(raw, CommentedMap):
            self.check_keys(file, raw, ("that", "fail_msg"), "assert")
            fail_msg_node = raw
            raw_that = raw.get("that")
            holder, holder_key = raw, "that"
        else:
            raw_that = raw
            holder, holder_key = node, "assert"
        if isinstance(raw_that, CommentedSeq):
            items = [(c, where(file, raw_that, index=i)) for i, c in enumerate(raw_that)]
        elif raw_that is None:
            self.problem(
                value_where(file, holder, holder_key), "'assert' needs at least one expression"
            )
            items = []
        else:
            items = [(raw_that, value_where(file, holder, holder_key))]
        conditions = []
        for expr, location in items:
            compiled = self.compile_condition(file, location, expr, known, "assert")
            if compiled is not None:
                conditions.append(compiled)
        fail_msg = None
        if fail_msg_key in fail_msg_node:
            fail_msg = self.compile_value(
                file, fail_msg_node, fail_msg_key, fail_msg_node[fail_msg_key], known, "fail_msg"
            )
        return Assertion(conditions=conditions, fail_msg=fail_msg)

    def workers(self, file: str, node: CommentedMap) -> int | None:
        if "workers" in node and "serial" in node:
            self.problem(where(file, node, "serial"), "use either 'workers' or 'serial', not both")
            return None
        if "serial" in node:
            serial = node["serial"]
            if serial is True:
                return 1
            if serial is False:
                return None
            return self.number(file, node, "serial", STEP_NUMBERS["serial"])
        return self.number(file, node, "workers", STEP_NUMBERS["workers"])

    def tags(self, file: str, node: CommentedMap) -> frozenset[str]:
        raw = node.get("tags")
        if raw is None:
            return frozenset()
        if isinstance(raw, str):
            return frozenset(t.strip() for t in raw.split(",") if t.strip())
        if isinstance(raw, list) and all(isinstance(t, str) for t in raw):
            return frozenset(str(t) for t in raw)
        self.problem(value_where(file, node, "tags"), "'tags' must be a tag or a list of tags")
        return frozenset()

    def rollback(
        self,
        file: str,
        node: CommentedMap,
        var_specs: dict[str, VarSpec],
        scope: Scope | None,
        tags: frozenset[str],
    ) -> list[Step]:
        raw = node["rollback"]
        items = raw if isinstance(raw, CommentedSeq) else [raw]
        steps = []
        for item in items:
            if not isinstance(item, CommentedMap):
                self.problem(
                    value_where(file, node, "rollback"),
                    "'rollback' must be a step or a list of steps",
                )
                continue
            step = self.step(file, item, var_specs, scope, tags, in_rollback=True)
            if step is not None:
                steps.append(step)
                self.rollback_steps.append(step)
        return steps

    # -- include -------------------------------------------------------------------------
    def include(
        self,
        file: str,
        node: CommentedMap,
        var_specs: dict[str, VarSpec],
        scope: Scope | None,
        tags: frozenset[str],
    ) -> list[Step]:
        self.check_keys(file, node, INCLUDE_KEYS, "include")
        target = node["include"]
        location = value_where(file, node, "include")
        if not isinstance(target, str) or not 0 < len(target) <= MAX_PATH:
            self.problem(
                location,
                f"'include' must be a runbook path or name (at most {MAX_PATH} characters), "
                f"not {_kind(target)}",
            )
            return []
        self.includes_left -= 1
        if self.includes_left < 0:
            if self.includes_left == -1:
                self.problem(
                    location, f"more than {MAX_INCLUDES} includes in all (counting repeats)"
                )
            return []
        path = self.include_path(location, target)
        if path is None:
            return []
        if path.resolve() in self.include_stack:
            chain = " -> ".join(p.name for p in [*self.include_stack, path])
            self.problem(location, f"include loop: {chain}")
            return []
        child_file = str(path)
        data, problems = read_yaml(path, budget=self.yaml_budget)
        self.problems.extend(problems)
        if problems:
            return []
        if not isinstance(data, CommentedMap) or "steps" not in data:
            # Said at the include, without a word of the file: it may be anything readable.
            self.problem(
                location, f"include '{_clip(target)}' is not a runbook (a mapping with 'steps')"
            )
            return []
        self.check_keys(child_file, data, TOP_KEYS, "runbook")
        child_specs = self.var_specs(child_file, data)
        given = node.get("vars") or CommentedMap()
        if not isinstance(given, CommentedMap):
            self.problem(value_where(file, node, "vars"), "'vars' of an include must be a mapping")
            given = CommentedMap()
        for key in given:
            if key not in child_specs:
                self.problem(
                    where(file, given, key),
                    f"runbook '{path.name}' has no var '{key}'{did_you_mean(str(key), child_specs)}",
                )
        for key, spec in child_specs.items():
            if spec.required and key not in given:
                self.problem(location, f"runbook '{path.name}' needs var '{key}'")
        parent_known = self.known_names(var_specs)
        compiled = [
            self.compile_value(file, given, key, value, parent_known, f"vars.{key}")
            for key, value in given.items()
        ]
        if any(c is None for c in compiled):
            return []
        try:
            compiled_vars = self.loader.expressions.compile_value(plain(given))
        except ExpressionError:
            return []
        include_name = self.text(file, node, "name", None) or str(data.get("name") or path.stem)
        child_scope = Scope(include_name, child_specs, compiled_vars, scope)
        self.include_stack.append(path.resolve())
        try:
            return self.steps(
                child_file, data, child_specs, child_scope, tags | self.tags(file, node)
            )
        finally:
            self.include_stack.pop()

    def include_path(self, location: Location, target: str) -> Path | None:
        """The runbook file an include names, or None (with a problem) when it names none."""
        candidate = (self.path.parent / target) if not Path(target).is_absolute() else Path(target)
        try:
            path = find_runbook(candidate if candidate.is_file() else target)
        except (UsageError, OSError, ValueError) as exc:  # ValueError: a NUL in the path
            self.problem(location, str(exc) if isinstance(exc, UsageError) else "no such runbook")
            return None
        if path.suffix not in RUNBOOK_SUFFIXES:
            self.problem(
                location,
                f"include '{_clip(target)}' is not a runbook: a runbook is a "
                f"{' or '.join(RUNBOOK_SUFFIXES)} file",
            )
            return None
        return path


def _kind(value: Any, *, echo: bool = True) -> str:
    """What a value is, for messages; text is quoted only in part, and not at all without echo."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"a boolean ({str(value).lower()})"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, int | float):
        return f"a number ({_number(value)})"
    if isinstance(value, str):
        return f"text ('{_clip(value)}')" if echo else "text"
    return type(value).__name__


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _number(value: float) -> str:
    if isinstance(value, float) and not math.isfinite(value):
        return ".nan" if math.isnan(value) else (".inf" if value > 0 else "-.inf")
    return f"{value:g}" if isinstance(value, float) else str(value)


def _expression_cost(value: Any) -> tuple[int, int]:
    """How many templates ``value`` holds, and their length in all."""
    count = size = 0
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            if "{{" in item or "{%" in item:
                count += 1
                size += len(item)
        elif isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return count, size


def _key_or_value(file: str, spec: Any, exc: VarError, fallback: Location) -> Location:
    """Point at the spec key a var error is about, when the message names one."""
    if isinstance(spec, CommentedMap):
        for key in spec:
            if f"'{key}'" in str(exc) or str(exc).startswith(f"{key}"):
                return value_where(file, spec, key)
    return fallback
