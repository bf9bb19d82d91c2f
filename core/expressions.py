"""Runbook expressions: Jinja2 in a sandbox, compiled once at load, evaluated per host.

Two forms, as in Ansible:

* values (``with:``, ``loop:``, ``fail_msg:``, include ``vars:``) - any YAML value; strings
  holding ``{{`` or ``{%`` are templates. A string that is exactly one ``{{ expr }}``
  (surrounding whitespace allowed) gives the expression's Python value (an int stays an
  int, a list a list); any other template gives text. Everything else is a constant.
* conditions (``when:``, ``assert:``) - a bare expression (``result.rx > -27``), or one
  wrapped in ``{{ }}``; true/false are constant conditions.

The environment is :class:`jinja2.sandbox.ImmutableSandboxedEnvironment` with
StrictUndefined, no loader and no autoescaping: no dunder attributes, no mutation of
registered results, no file or environment access; ranges, sequence repetition and
powers are capped so one expression cannot eat the memory or CPU of a 10,000-host run.

Compiling is bounded too, as a runbook is checked before anything runs: brackets may nest
MAX_NESTING deep, a parsed expression may be MAX_DEPTH levels deep with MAX_NODES nodes,
and no filter or test runs at load, even on literals (Jinja would fold
``'aaaa!' is match('(a+)+$')`` while compiling, and that can run for ever).

Cost model (this runs per host per step): parsing and code generation happen in
``compile_*``; a constant renders as the very object that was compiled (no copy: the
immutable sandbox cannot change it, and tasks must treat their arguments as read-only);
a template renders by calling its compiled Jinja function with a light context built
directly on the caller's dict (no copy of it).
"""

from __future__ import annotations

import functools
import ipaddress
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from jinja2 import (
    StrictUndefined,
    TemplateError,
    TemplateSyntaxError,
    UndefinedError,
    nodes,
    pass_context,
)
from jinja2.exceptions import SecurityError
from jinja2.filters import do_center, do_format, do_indent, do_slice
from jinja2.meta import find_undeclared_variables
from jinja2.nodes import EvalContext
from jinja2.parser import Parser
from jinja2.runtime import Context, Undefined, missing
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import _PassArg

from ispflow.core.suggest import did_you_mean

MAX_RANGE = 100_000
MAX_SIZE = 1_000_000  # characters or items one operation may produce
MAX_NESTING = 20  # brackets inside brackets: Jinja's parser recurses about a dozen calls per level
MAX_DEPTH = 50  # levels of a parsed expression
MAX_NODES = 5_000  # parts of one parsed expression or template
_MAX_POWER_BITS = 100_000
_DICT_ATTRIBUTES = frozenset(dir(dict))
_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


class ExpressionError(Exception):
    """An expression that does not compile or cannot be evaluated."""

    def __init__(self, message: str, source: str | None = None) -> None:
        self.message = message
        self.source = source
        super().__init__(message)

    def __str__(self) -> str:
        if not self.source:
            return self.message
        shown = self.source if len(self.source) <= 120 else self.source[:117] + "..."
        return f"{self.message} (in {shown!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.source))


class HintingUndefined(StrictUndefined):
    """StrictUndefined whose 'has no attribute' message suggests the key that was meant."""

    __slots__ = ()

    @property
    def _undefined_message(self) -> str:
        message: str = super()._undefined_message
        obj = self._undefined_obj
        name = self._undefined_name
        if self._undefined_hint is None and isinstance(obj, Mapping) and isinstance(name, str):
            message += did_you_mean(name, [k for k in obj if isinstance(k, str)])
        return message


# -- limits ------------------------------------------------------------------------------
def safe_range(*args: int) -> range:
    """``range`` that refuses to produce more than MAX_RANGE numbers."""
    numbers = range(*args)
    try:
        too_big = len(numbers) > MAX_RANGE
    except OverflowError:  # more numbers than fit in a machine word
        too_big = True
    if too_big:
        raise SecurityError(f"range{args} is too big (at most {MAX_RANGE} numbers)")
    return numbers


def _size_of(value: Any) -> int | None:
    if isinstance(value, str | bytes | list | tuple):
        return len(value)
    return None


def _capped(func: Callable[..., Any]) -> Callable[..., Any]:
    """A filter whose integer arguments (widths, counts) must stay below MAX_SIZE."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        for arg in (*args[1:], *kwargs.values()):
            if isinstance(arg, int) and not isinstance(arg, bool) and abs(arg) > MAX_SIZE:
                raise SecurityError(
                    f"{func.__name__.removeprefix('do_')}: {arg} is too big (at most {MAX_SIZE})"
                )
        return func(*args, **kwargs)

    return wrapper


# Printf-style ("%999999999d", "%*d") and str.format ("{:>999999999}", "{:{width}}") field
# widths: a one-line expression could otherwise build a string of any size.
_BIG_WIDTH = re.compile(r"%[^a-zA-Z%]*(\*|\d{7,})")
_BIG_FORMAT_FIELD = re.compile(r"\{[^{}]*:[^{}]*(\d{7,}|\{)")


def _format(value: Any, *args: Any, **kwargs: Any) -> str:
    if isinstance(value, str) and _BIG_WIDTH.search(value):
        raise SecurityError("format: field widths above 6 digits or '*' are not allowed")
    return do_format(value, *args, **kwargs)


class SandboxEnvironment(ImmutableSandboxedEnvironment):
    """The sandbox shared by runbook expressions and command templates."""

    intercepted_binops = frozenset({"*", "**", "%"})

    def __init__(self, **options: Any) -> None:
        options.setdefault("undefined", HintingUndefined)
        options.setdefault("autoescape", False)
        super().__init__(**options)
        # lipsum only generates filler text (and arbitrary amounts of it).
        self.globals.pop("lipsum", None)
        self.globals["range"] = safe_range
        self.filters.update(FILTERS)
        self.tests.update(TESTS)
        self.filters["center"] = _capped(do_center)
        self.filters["indent"] = _capped(do_indent)
        self.filters["slice"] = _capped(do_slice)
        self.filters["format"] = _format

    def getattr(self, obj: Any, attribute: str) -> Any:
        # ``result.rx`` on a plain dict: Jinja tries the attribute first and pays for an
        # AttributeError on every lookup. For an exact dict the outcome is known up front.
        if type(obj) is dict and attribute not in _DICT_ATTRIBUTES:
            try:
                return obj[attribute]
            except KeyError:
                return self.undefined(obj=obj, name=attribute)
        return super().getattr(obj, attribute)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None and _BIG_FORMAT_FIELD.search(value.__self__):

            def refuse(*args: Any, **kwargs: Any) -> str:
                raise SecurityError(
                    "format: field widths above 6 digits or taken from arguments are not allowed"
                )

            return refuse
        return wrapped

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "%":
            if isinstance(left, str) and _BIG_WIDTH.search(left):
                raise SecurityError(
                    "'%' formatting: field widths above 6 digits or '*' are not allowed"
                )
        elif operator == "*":
            for seq, times in ((left, right), (right, left)):
                size = _size_of(seq)
                if size is not None and isinstance(times, int) and size * times > MAX_SIZE:
                    raise SecurityError(
                        f"repeating a sequence {times} times is too big (at most {MAX_SIZE} items)"
                    )
        elif (
            isinstance(left, int)
            and isinstance(right, int)
            and right > 0
            and abs(left) > 1
            and abs(left).bit_length() * right > _MAX_POWER_BITS
        ):
            raise SecurityError(f"{left} ** {right} is too big")
        return super().call_binop(context, operator, left, right)

    def call(self, context: Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        # str.ljust(10**9), str.zfill(...), [].__mul__ is already refused as a dunder.
        if isinstance(getattr(obj, "__self__", None), str | bytes):
            for arg in (*args, *kwargs.values()):
                if isinstance(arg, int) and not isinstance(arg, bool) and arg > MAX_SIZE:
                    raise SecurityError(f"{arg} is too big an argument (at most {MAX_SIZE})")
        return super().call(context, obj, *args, **kwargs)


# -- extra filters and tests ---------------------------------------------------------------
@functools.lru_cache(maxsize=512)
def _regex(pattern: str, flags: int) -> re.Pattern[str]:
    return re.compile(pattern, flags)


def _flags(ignorecase: bool, multiline: bool) -> int:
    return (re.IGNORECASE if ignorecase else 0) | (re.MULTILINE if multiline else 0)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else str(value)


def regex_search(
    value: Any, pattern: str, *groups: Any, ignorecase: bool = False, multiline: bool = False
) -> Any:
    """The first match (or, given group refs like '\\1' or '\\g<name>', a list of them); None if no match."""
    match = _regex(pattern, _flags(ignorecase, multiline)).search(_text(value))
    if match is None:
        return None
    if not groups:
        return match.group(0)
    picked = []
    for group in groups:
        if isinstance(group, str) and group.startswith("\\g<") and group.endswith(">"):
            group = group[3:-1]
        elif isinstance(group, str) and group.startswith("\\"):
            group = int(group[1:])
        picked.append(match.group(group))
    return picked


def regex_replace(
    value: Any,
    pattern: str,
    replacement: str = "",
    ignorecase: bool = False,
    multiline: bool = False,
    count: int = 0,
) -> str:
    return _regex(pattern, _flags(ignorecase, multiline)).sub(
        replacement, _text(value), count=count
    )


def regex_findall(
    value: Any, pattern: str, ignorecase: bool = False, multiline: bool = False
) -> list[Any]:
    return _regex(pattern, _flags(ignorecase, multiline)).findall(_text(value))


def test_match(value: Any, pattern: str, ignorecase: bool = False, multiline: bool = False) -> bool:
    return _regex(pattern, _flags(ignorecase, multiline)).match(_text(value)) is not None


def test_search(
    value: Any, pattern: str, ignorecase: bool = False, multiline: bool = False
) -> bool:
    return _regex(pattern, _flags(ignorecase, multiline)).search(_text(value)) is not None


def to_json(value: Any, indent: int | None = None, sort_keys: bool = False) -> str:
    return json.dumps(value, indent=indent, sort_keys=sort_keys, ensure_ascii=False, default=str)


def from_json(value: Any) -> Any:
    return json.loads(value)


def to_bool(value: Any) -> bool:
    """yes/no, on/off, true/false, 1/0 (any case) to a boolean, as CSV columns and vars give them."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return value != 0
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"{value!r} is not a boolean (true/false, yes/no, on/off, 1/0)")


_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_Interface = ipaddress.IPv4Interface | ipaddress.IPv6Interface


@functools.lru_cache(maxsize=1024)
def _network(text: str) -> _Network:
    return ipaddress.ip_network(text, strict=False)


def _address_or_network(value: Any) -> Any:
    if isinstance(
        value,
        ipaddress.IPv4Address
        | ipaddress.IPv6Address
        | ipaddress.IPv4Network
        | ipaddress.IPv6Network,
    ):
        return value
    text = _text(value).strip()
    if "/" in text:
        return _network(text)
    return ipaddress.ip_address(text)


def ip_in(value: Any, *networks: Any) -> bool:
    """Whether an address (or a network) lies inside any of the networks given."""
    wanted: list[Any] = []
    for net in networks:
        wanted.extend(net if isinstance(net, list | tuple) else [net])
    try:
        candidate = _address_or_network(value)
    except (ValueError, TypeError):
        return False
    for net in wanted:
        network = (
            net
            if isinstance(net, ipaddress.IPv4Network | ipaddress.IPv6Network)
            else _network(_text(net).strip())
        )
        if candidate.version != network.version:
            continue
        if isinstance(candidate, ipaddress.IPv4Network | ipaddress.IPv6Network):
            if candidate.subnet_of(network):  # type: ignore[arg-type]
                return True
        elif candidate in network:
            return True
    return False


def ipaddr(value: Any, query: str = "") -> Any:
    """A small part of Ansible's ipaddr: the normalized value, or one of its parts; False if not IP.

    query: '' (address or network as given, normalized), 'address', 'network', 'netmask',
    'prefix', 'cidr' (network/prefix), 'version'.
    """
    text = _text(value).strip()
    try:
        iface: _Interface = ipaddress.ip_interface(text)
    except ValueError:
        return False
    if query == "":
        return str(iface.ip) if "/" not in text else str(iface.with_prefixlen)
    answers: dict[str, Callable[[], Any]] = {
        "address": lambda: str(iface.ip),
        "network": lambda: str(iface.network.network_address),
        "netmask": lambda: str(iface.netmask),
        "prefix": lambda: iface.network.prefixlen,
        "cidr": lambda: str(iface.network),
        "version": lambda: iface.version,
    }
    if query not in answers:
        raise ValueError(f"ipaddr: unknown query {query!r}; use one of {', '.join(answers)}")
    return answers[query]()


def test_ip(value: Any) -> bool:
    try:
        ipaddress.ip_address(_text(value).strip())
    except ValueError:
        return False
    return True


FILTERS: dict[str, Callable[..., Any]] = {
    "to_json": to_json,
    "from_json": from_json,
    "regex_search": regex_search,
    "regex_replace": regex_replace,
    "regex_findall": regex_findall,
    "ip_in": ip_in,
    "ipaddr": ipaddr,
    "bool": to_bool,
}
TESTS: dict[str, Callable[..., Any]] = {
    "ip_in": ip_in,
    "ip": test_ip,
    "match": test_match,
    "search": test_search,
}


def _never_fold(functions: dict[str, Callable[..., Any]]) -> None:
    """Make every filter or test take the context, which keeps Jinja from running it at compile
    time on literal arguments (the runbook would run while it is only being validated)."""
    for name, func in functions.items():
        functions[name] = _with_context(func)


def _with_context(func: Callable[..., Any]) -> Callable[..., Any]:
    kind = _PassArg.from_obj(func)
    if kind is _PassArg.context:
        return func

    @pass_context
    @functools.wraps(func)
    def call(context: Context, *args: Any, **kwargs: Any) -> Any:
        if kind is _PassArg.eval_context:
            return func(context.eval_ctx, *args, **kwargs)
        if kind is _PassArg.environment:
            return func(context.environment, *args, **kwargs)
        return func(*args, **kwargs)

    return call


# -- evaluation ------------------------------------------------------------------------------
class _Context(Context):
    """A Jinja Context built without copying the caller's dict or re-deriving globals."""

    def __init__(self, environment: Any, parent: Mapping[str, Any], eval_ctx: EvalContext) -> None:
        self.parent = parent  # type: ignore[assignment]
        self.vars = {}
        self.environment = environment
        self.eval_ctx = eval_ctx
        self.exported_vars = set()
        self.name = None
        self.globals_keys = set()
        self.blocks = {}


def _runtime_error(exc: Exception, source: str, context: Mapping[str, Any]) -> ExpressionError:
    if isinstance(exc, SecurityError):
        message = f"not allowed: {exc}"
    elif isinstance(exc, UndefinedError):
        message = str(exc.message)
        undefined = re.fullmatch(r"'(.+)' is undefined", message)
        if undefined:
            message += did_you_mean(undefined.group(1), [k for k in context if isinstance(k, str)])
    elif isinstance(exc, TemplateError):
        message = exc.message or str(exc)
    else:
        message = f"{type(exc).__name__}: {exc}"
    return ExpressionError(message, source)


def _syntax_error(exc: TemplateSyntaxError, source: str, env: Any) -> ExpressionError:
    message = exc.message or "syntax error"
    unknown = re.match(r"No (filter|test) named '([^']+)'", message)
    if unknown:
        known = env.filters if unknown.group(1) == "filter" else env.tests
        message = message.rstrip(".") + did_you_mean(unknown.group(2), known)
    if "\n" in source.strip() and exc.lineno:
        message += f" (line {exc.lineno})"
    return ExpressionError(message, source)


def _unreadable(exc: Exception, source: str) -> ExpressionError:
    if isinstance(exc, RecursionError):
        return ExpressionError("nested too deeply", source)
    return ExpressionError(f"cannot be compiled: {type(exc).__name__}: {exc}", source)


def _check_size(root: nodes.Node, source: str) -> None:
    """Refuse trees that are too deep or too big to compile in bounded time and stack."""
    stack = [(root, 1)]
    count = 0
    while stack:
        node, depth = stack.pop()
        count += 1
        if depth > MAX_DEPTH:
            raise ExpressionError(f"nested more than {MAX_DEPTH} levels deep", source)
        if count > MAX_NODES:
            raise ExpressionError(f"too long: more than {MAX_NODES} parts", source)
        stack.extend((child, depth + 1) for child in node.iter_child_nodes())


def _single_expression(ast: nodes.Template) -> nodes.Expr | None:
    """The expression of a template that is one ``{{ expr }}`` with only whitespace around it."""
    if len(ast.body) != 1 or not isinstance(ast.body[0], nodes.Output):
        return None
    parts = [
        n
        for n in ast.body[0].nodes
        if not (isinstance(n, nodes.TemplateData) and not n.data.strip())
    ]
    if len(parts) == 1 and not isinstance(parts[0], nodes.TemplateData):
        return parts[0]
    return None


class CompiledValue:
    """A runbook value ready to render per host; ``variables`` are the root names it reads."""

    __slots__ = ("is_constant", "variables", "source", "_value", "_render")

    def __init__(
        self, source: Any, variables: frozenset[str], value: Any = None, render: Any = None
    ) -> None:
        self.source = source
        self.variables = variables
        self.is_constant = render is None
        self._value = value
        self._render = render

    def render(self, context: Mapping[str, Any]) -> Any:
        """The value for one context; a constant is returned as is (shared: do not mutate it)."""
        if self.is_constant:
            return self._value
        return self._render(context)

    def __repr__(self) -> str:
        return f"CompiledValue({self.source!r})"


class CompiledCondition:
    """A ``when:``/``assert:`` expression ready to evaluate per host."""

    __slots__ = ("is_constant", "variables", "source", "_value", "_evaluate")

    def __init__(
        self, source: str, variables: frozenset[str], value: bool = False, evaluate: Any = None
    ) -> None:
        self.source = source
        self.variables = variables
        self.is_constant = evaluate is None
        self._value = value
        self._evaluate = evaluate

    def evaluate(self, context: Mapping[str, Any]) -> bool:
        if self.is_constant:
            return self._value
        value = self._evaluate(context)
        if value is True or value is False:
            return value
        if isinstance(value, str):
            # "no" and "false" are truthy strings: guessing would run steps that should not run.
            raise ExpressionError(
                f"the condition gave the text {value!r}, not true/false; compare it "
                f"(x == 'yes') or convert it with '| bool'",
                self.source,
            )
        return bool(value)

    def __repr__(self) -> str:
        return f"CompiledCondition({self.source!r})"


_Render = Callable[[Mapping[str, Any]], Any]
_RESULT = "_ispflow_value"
_Compiled = tuple[bool, Any, frozenset[str]]  # (is_constant, value or render function, variables)


class Expressions:
    """Compiles runbook values and conditions in one shared sandbox."""

    def __init__(
        self, env: SandboxEnvironment | None = None, functions: Mapping[str, Any] | None = None
    ) -> None:
        # Text templates keep a trailing newline: a YAML block scalar means what it shows.
        if env is None:
            env = SandboxEnvironment(keep_trailing_newline=True)
            env.globals.update(functions or {})
            _never_fold(env.filters)
            _never_fold(env.tests)
        self.env = env
        self._eval_ctx = EvalContext(self.env, None)

    # -- public ------------------------------------------------------------------------
    def compile_value(self, value: Any) -> CompiledValue:
        constant, payload, variables = self._compile(value)
        if constant:
            return CompiledValue(value, frozenset(), value=payload)
        return CompiledValue(value, variables, render=payload)

    def compile_condition(self, expr: str | bool) -> CompiledCondition:
        if isinstance(expr, bool):
            return CompiledCondition(str(expr).lower(), frozenset(), value=expr)
        if not isinstance(expr, str):
            raise ExpressionError(
                f"a condition is an expression (text) or true/false, not {type(expr).__name__}"
            )
        text = expr.strip()
        if not text:
            raise ExpressionError("the condition is empty", expr)
        if "{{" in text or "{%" in text:
            node = _single_expression(self._parse(text))
            if node is None:
                raise ExpressionError(
                    "a condition is one expression, bare or as '{{ expression }}'", expr
                )
        else:
            node = self._parse_expression(text)
        variables = self._expression_variables(node, expr)
        constant = self._constant(node)
        if constant is not missing:
            if isinstance(constant, str):
                raise ExpressionError(
                    f"the condition is the text {constant!r}, not true/false", expr
                )
            return CompiledCondition(expr, frozenset(), value=bool(constant))
        return CompiledCondition(expr, variables, evaluate=self._native(node, expr))

    # -- compiling -----------------------------------------------------------------------
    def _compile(self, value: Any) -> _Compiled:
        if isinstance(value, str):
            if "{{" not in value and "{%" not in value:
                return True, value, frozenset()
            return self._compile_text(value)
        if isinstance(value, dict):
            return self._compile_dict(value)
        if isinstance(value, list | tuple):
            return self._compile_sequence(value)
        return True, value, frozenset()

    def _compile_text(self, source: str) -> _Compiled:
        ast = self._parse(source)
        variables = self._variables(ast, source)
        expr = _single_expression(ast)
        if expr is not None:
            constant = self._constant(expr)
            if constant is not missing:
                return True, constant, frozenset()
            return False, self._native(expr, source), variables
        return False, self._text(ast, source), variables

    def _compile_dict(self, value: dict[Any, Any]) -> _Compiled:
        compiled = {key: self._compile(item) for key, item in value.items()}
        if all(c[0] for c in compiled.values()):
            if all(c[1] is value[key] for key, c in compiled.items()):
                return True, value, frozenset()
            return True, {key: c[1] for key, c in compiled.items()}, frozenset()  # folded "{{ 1 }}"
        # Constant entries are laid out once; per render only the dynamic ones are filled in,
        # into a copy that keeps the written key order.
        layout = {key: (c[1] if c[0] else None) for key, c in compiled.items()}
        dynamic = tuple((key, c[1]) for key, c in compiled.items() if not c[0])
        variables = frozenset().union(*(c[2] for c in compiled.values()))

        if len(dynamic) == 1:
            ((only_key, only_render),) = dynamic

            def render_one(context: Mapping[str, Any]) -> dict[Any, Any]:
                out = layout.copy()
                out[only_key] = only_render(context)
                return out

            return False, render_one, variables

        def render_dict(context: Mapping[str, Any]) -> dict[Any, Any]:
            out = layout.copy()
            for key, render in dynamic:
                out[key] = render(context)
            return out

        return False, render_dict, variables

    def _compile_sequence(self, value: list[Any] | tuple[Any, ...]) -> _Compiled:
        compiled = [self._compile(item) for item in value]
        make = tuple if isinstance(value, tuple) else list
        if all(c[0] for c in compiled):
            if all(c[1] is item for c, item in zip(compiled, value, strict=True)):
                return True, value, frozenset()
            return True, make(c[1] for c in compiled), frozenset()
        parts = tuple((c[0], c[1]) for c in compiled)
        variables = frozenset().union(*(c[2] for c in compiled))

        def render_sequence(context: Mapping[str, Any]) -> Any:
            return make([item if constant else item(context) for constant, item in parts])

        return False, render_sequence, variables

    def _parse(self, source: str) -> nodes.Template:
        self._check_nesting(source, None)
        try:
            ast = self.env.parse(source)
        except TemplateSyntaxError as exc:
            raise _syntax_error(exc, source, self.env) from None
        except Exception as exc:
            raise _unreadable(exc, source) from None
        _check_size(ast, source)
        return ast

    def _parse_expression(self, source: str) -> nodes.Expr:
        self._check_nesting(source, "variable")
        try:
            parser = Parser(self.env, source, state="variable")
            expr = parser.parse_expression()
            if not parser.stream.eos:
                raise TemplateSyntaxError(
                    f"unexpected {parser.stream.current.value!r} after the expression",
                    parser.stream.current.lineno,
                )
        except TemplateSyntaxError as exc:
            raise _syntax_error(exc, source, self.env) from None
        except Exception as exc:
            raise _unreadable(exc, source) from None
        _check_size(expr, source)
        expr.set_environment(self.env)
        return expr

    def _check_nesting(self, source: str, state: str | None) -> None:
        """Refuse deep brackets before parsing: the parser would run out of stack on them."""
        depth = 0
        try:
            for _, token, value in self.env.lexer.tokeniter(source, None, state=state):
                if token != "operator":
                    continue
                if value in ("(", "[", "{"):
                    depth += 1
                    if depth > MAX_NESTING:
                        raise ExpressionError(
                            f"brackets nested more than {MAX_NESTING} deep", source
                        )
                elif value in (")", "]", "}"):
                    depth -= 1
        except TemplateSyntaxError:
            return  # the parser reports it, with a better message

    def _variables(self, ast: nodes.Template, source: str) -> frozenset[str]:
        try:
            return frozenset(find_undeclared_variables(ast))
        except TemplateSyntaxError as exc:  # an unknown filter or test is found here
            raise _syntax_error(exc, source, self.env) from None

    def _expression_variables(self, expr: nodes.Expr, source: str) -> frozenset[str]:
        wrapper = nodes.Template([nodes.Output([expr], lineno=1)], lineno=1)
        wrapper.set_environment(self.env)
        return self._variables(wrapper, source)

    def _constant(self, expr: nodes.Expr) -> Any:
        """The expression's value if it reads no variable and calls nothing, else ``missing``."""
        if any(True for _ in expr.find_all((nodes.Name, nodes.Call))):
            return missing
        try:
            value = expr.as_const(self._eval_ctx)
        except Exception:  # nodes.Impossible, or an error better reported when evaluated
            return missing
        # ''.__class__ folds to an Undefined carrying the sandbox's refusal: raise it per render.
        if isinstance(value, Undefined) or (
            isinstance(value, list | tuple | dict)
            and any(
                isinstance(v, Undefined)
                for v in (value.values() if isinstance(value, dict) else value)
            )
        ):
            return missing
        return value

    def _compile_template(self, ast: nodes.Template, source: str) -> Any:
        try:
            return self.env.from_string(ast)
        except TemplateSyntaxError as exc:
            raise _syntax_error(exc, source, self.env) from None
        except Exception as exc:  # Python's own compiler limits (nesting, indentation)
            raise _unreadable(exc, source) from None

    def _globals_for(self, node: nodes.Node) -> dict[str, Any]:
        """The globals (range, dict, ...) a template reads; find_undeclared_variables omits them."""
        names = {n.name for n in node.find_all(nodes.Name) if n.ctx == "load"}
        return {name: self.env.globals[name] for name in names if name in self.env.globals}

    def _native(self, expr: nodes.Expr, source: str) -> _Render:
        # The value is assigned to a template variable (Assign keeps it as a Python object,
        # where output would make it text) whose name no runbook can use.
        assign = nodes.Assign(nodes.Name(_RESULT, "store", lineno=1), expr, lineno=1)
        template = self._compile_template(nodes.Template([assign], lineno=1), source)
        root = template.root_render_func
        env = self.env
        eval_ctx = self._eval_ctx
        global_values = self._globals_for(expr)
        # A literal [a, b] or {k: v} does not fail on an undefined item by itself.
        literal = isinstance(expr, nodes.List | nodes.Tuple | nodes.Dict)

        def render_native(context: Mapping[str, Any]) -> Any:
            try:
                ctx = _Context(
                    env, {**global_values, **context} if global_values else context, eval_ctx
                )
                for _ in root(ctx):
                    pass
                value = ctx.vars[_RESULT]
                if isinstance(value, Undefined):
                    value._fail_with_undefined_error()
                if literal:
                    _reject_undefined(value)
                return value
            except Exception as exc:
                raise _runtime_error(exc, source, context) from exc

        return render_native

    def _text(self, ast: nodes.Template, source: str) -> _Render:
        template = self._compile_template(ast, source)
        root = template.root_render_func
        env = self.env
        eval_ctx = self._eval_ctx
        global_values = self._globals_for(ast)
        join = env.concat

        def render_text(context: Mapping[str, Any]) -> str:
            try:
                ctx = _Context(
                    env, {**global_values, **context} if global_values else context, eval_ctx
                )
                return join(root(ctx))  # type: ignore[no-any-return]
            except Exception as exc:
                raise _runtime_error(exc, source, context) from exc

        return render_text


def _reject_undefined(value: Any) -> None:
    items = value.values() if isinstance(value, dict) else value
    for item in items:
        if isinstance(item, Undefined):
            item._fail_with_undefined_error()


__all__ = [
    "MAX_DEPTH",
    "MAX_NESTING",
    "MAX_NODES",
    "MAX_RANGE",
    "CompiledCondition",
    "CompiledValue",
    "ExpressionError",
    "Expressions",
    "HintingUndefined",
    "SandboxEnvironment",
]
