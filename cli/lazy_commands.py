"""The top-level app builds only the command that runs.

Typer turns every registered command into a Click command on each start, reading every
function's signature and annotations: about sixty commands, to run one. `defer_building`
takes the app's commands and sub-apps as registered, and those of the package's other
modules by name (not imported), and hands them to `LazyGroup`, which imports and builds one
when it is invoked; the app's own help lists them from their help texts without building
them.

Typer converts every parameter's value with a Pydantic adapter it builds for it, even for a
value that needs no conversion (a string for a `str`, the default `10` for an `int`):
importing Pydantic and building the adapters is about a fifth of a command's start. A built
command's parameters of plain types (str, int, float, bool, Path and lists of them) take such
values as they are; any other value goes to Typer's own adapter, which converts it or words
the error as it always does.
"""

from __future__ import annotations

import importlib
import inspect
import re
from dataclasses import dataclass
from difflib import get_close_matches
from pathlib import Path
from typing import Any, ClassVar, get_args, get_origin

import typer
from typer.core import TyperCommand, TyperGroup
from typer.main import get_command, get_command_name, solve_typer_info_help
from typer.models import CommandInfo, DefaultPlaceholder, TyperInfo

try:  # Typer from 0.2x carries its own copy of Click
    from typer._click.exceptions import UsageError
except ImportError:  # pragma: no cover - older Typer, on Click itself
    from click.exceptions import UsageError  # type: ignore[no-redef]
try:  # Typer that converts values with Pydantic adapters
    from typer._coercion import RuntimeParam, build_runtime_param
    from typer._param_types import coerce_cli_path
except ImportError:  # pragma: no cover - older Typer converts with Click's types
    RuntimeParam = None  # type: ignore[assignment,misc]


class LazyGroup(TyperGroup):
    """A group whose commands are built on first use (`deferred`, set by defer_building)."""

    deferred: ClassVar[dict[str, CommandInfo | TyperInfo | str]] = {}
    settings: ClassVar[dict[str, Any]] = {}  # the app's, for the Typer that builds one

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._listing = False

    def list_commands(self, ctx: Any) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in self.deferred if n not in self.commands)]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        found = super().get_command(ctx, cmd_name)
        info = self.deferred.get(cmd_name)
        if found is not None or info is None:
            return found
        if self._listing:
            return _summary(cmd_name, info)
        command = _build(cmd_name, info, self.settings)
        _plain_help_flag(command.get_help_option(ctx))
        _take_plain_values(command)
        _flags_show_no_value(command, ctx)
        self.commands[cmd_name] = command
        return command

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        _plain_help_flag(option)
        _flags_show_no_value(self, ctx, commands=False)
        return option

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        # Typer suggests names from the commands built so far: here, from all of them.
        suggest, self.suggest_commands = self.suggest_commands, False
        try:
            return super().resolve_command(ctx, args)
        except UsageError as exc:
            matches = (
                get_close_matches(args[0], self.list_commands(ctx)) if suggest and args else []
            )
            if matches:
                shown = ", ".join(f"{m!r}" for m in matches)
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {shown}?"
            raise
        finally:
            self.suggest_commands = suggest

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False


def defer_building(
    app: typer.Typer,
    *,
    commands: dict[str, str] | None = None,
    groups: dict[str, str] | None = None,
) -> None:
    """Move `app`'s registered commands and sub-apps to a LazyGroup that builds them, with
    the commands and sub-apps of other modules (name: "module:attribute"), imported only to
    run one or to list them. The help lists commands, then sub-apps, in this order."""
    deferred: dict[str, CommandInfo | TyperInfo | str] = dict(commands or {})
    for info in app.registered_commands:
        assert info.callback is not None
        deferred[info.name or get_command_name(info.callback.__name__)] = info
    for sub in app.registered_groups:
        assert sub.name, "a sub-app needs its name given to add_typer"
        deferred[sub.name] = sub
    deferred.update(groups or {})
    settings = {
        "rich_markup_mode": app.rich_markup_mode,
        "pretty_exceptions_enable": app.pretty_exceptions_enable,
        "pretty_exceptions_short": app.pretty_exceptions_short,
    }
    app.info.cls = type(
        "DeferredCommands", (LazyGroup,), {"deferred": deferred, "settings": settings}
    )
    app.registered_commands.clear()
    app.registered_groups.clear()


def _registered(name: str, info: CommandInfo | TyperInfo | str) -> CommandInfo | TyperInfo:
    """A command or sub-app as Typer registers it; a reference is imported and registered
    the way `app.command(name)` or `app.add_typer(sub_app, name=name)` would."""
    if not isinstance(info, str):
        return info
    module, _, attribute = info.partition(":")
    found = getattr(importlib.import_module(module), attribute)
    holder = typer.Typer()
    if isinstance(found, typer.Typer):
        holder.add_typer(found, name=name)
        return holder.registered_groups[0]
    holder.command(name)(found)
    return holder.registered_commands[0]


def _build(name: str, info: CommandInfo | TyperInfo | str, settings: dict[str, Any]) -> Any:
    """The Click command Typer would have built for `info`, through Typer's public API."""
    info = _registered(name, info)
    holder = typer.Typer(add_completion=False, **settings)
    if isinstance(info, CommandInfo):
        holder.registered_commands.append(info)
        return get_command(holder)
    holder.registered_groups.append(info)
    return get_command(holder).commands[name]  # type: ignore[attr-defined]


def _plain_help_flag(option: Any) -> None:
    """The help flag's value when it is not given: False. Typer converts every parameter's
    value with Pydantic unless it already is a bool, and the flag's unset value is None:
    loading Pydantic (about a sixth of a command's start) for a command with no other
    parameter, such as `ispflow runbooks`."""
    if option is not None and option.default is None and option.is_flag:
        option.default = False
    if option is not None and option.metavar is None:
        option.metavar = ""


def _flags_show_no_value(command: Any, ctx: Any, *, commands: bool = True) -> None:
    """Typer's help shows a flag's type (`<bool>`) where an option's value goes, as if
    `--dry-run` took one: a flag (and each command's --help) shows none."""
    params = command.params if not commands else [*command.params, command.get_help_option(ctx)]
    for param in params:
        if param is not None and getattr(param, "is_flag", False) and param.metavar is None:
            param.metavar = ""
    for sub in getattr(command, "commands", {}).values() if commands else ():
        _flags_show_no_value(sub, ctx)


def _summary(name: str, info: CommandInfo | TyperInfo | str) -> TyperCommand:
    """What the app's help shows of a command: its name and help, nothing built."""
    info = _registered(name, info)
    if isinstance(info, TyperInfo):
        return TyperCommand(
            name=name,
            help=solve_typer_info_help(info),
            short_help=_solved(info, "short_help"),
            hidden=bool(_solved(info, "hidden")),
            deprecated=bool(_solved(info, "deprecated")),
            rich_help_panel=_solved(info, "rich_help_panel"),
        )
    return TyperCommand(
        name=name,
        help=inspect.cleandoc(info.help)
        if info.help is not None
        else inspect.getdoc(info.callback),
        short_help=info.short_help,
        hidden=info.hidden,
        deprecated=info.deprecated,
        rich_help_panel=info.rich_help_panel,
    )


def _solved(info: TyperInfo, field: str) -> Any:
    """A sub-app's setting as Typer settles it: add_typer's, else the sub-app's own."""
    for source in (info, info.typer_instance.info if info.typer_instance else None):
        value = getattr(source, field, None)
        if value is not None and not isinstance(value, DefaultPlaceholder):
            return value
    return None


# Numbers written the one way Pydantic and Python read alike; any other spelling (`1_000`,
# ` 5`, `1e3`, `inf`) goes to Typer's adapter.
_INT = re.compile(r"-?(0|[1-9][0-9]{0,17})")
_FLOAT = re.compile(r"-?(0|[1-9][0-9]{0,14})(\.[0-9]{1,15})?")
_NOT_PLAIN = object()


def _take_plain_values(command: Any) -> None:
    """Give each parameter of `command` (and of its subcommands) the plain conversion."""
    if RuntimeParam is None:  # pragma: no cover - older Typer
        return
    for param in command.params:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is not None and getattr(param, "_runtime_param", False) is None:
            param._runtime_param = _PlainValues(descriptor.parameter_info, descriptor.annotation)
    for sub in getattr(command, "commands", {}).values():
        _take_plain_values(sub)


if RuntimeParam is not None:

    @dataclass(frozen=True)
    class _PlainValues(RuntimeParam):
        """A value of a plain type as it is; any other through Typer's Pydantic adapter."""

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            plain = _plain(self.annotation, self.parameter_info, value, param, ctx)
            if plain is not _NOT_PLAIN:
                return plain
            return build_runtime_param(param.type_descriptor)._coerce_value(
                value, param=param, ctx=ctx
            )


def _plain(annotation: Any, info: Any, value: Any, param: Any, ctx: Any) -> Any:
    """`value` converted as Typer's adapter would, when that needs no Pydantic; else
    _NOT_PLAIN."""
    if info.parser is not None or getattr(info, "clamp", False):
        return _NOT_PLAIN
    if get_origin(annotation) is list:
        if not isinstance(value, (list, tuple)):
            return _NOT_PLAIN
        (item_type,) = get_args(annotation)
        items = [_plain(item_type, info, item, param, ctx) for item in value]
        return _NOT_PLAIN if any(item is _NOT_PLAIN for item in items) else items
    if annotation is str or annotation is bool:
        return value if type(value) is annotation else _NOT_PLAIN
    if annotation is int:
        if type(value) is str and _INT.fullmatch(value):
            value = int(value)
        return value if type(value) is int and _in_range(value, info) else _NOT_PLAIN
    if annotation is float:
        if type(value) is str and _FLOAT.fullmatch(value):
            value = float(value)
        return value if type(value) is float and _in_range(value, info) else _NOT_PLAIN
    if annotation is Path and info.path_type is None and type(value) is str and value:
        return coerce_cli_path(Path(value), info, path_type=Path, param=param, ctx=ctx)
    return _NOT_PLAIN


def _in_range(value: float, info: Any) -> bool:
    """Within the parameter's min/max (out of range: the adapter words the error)."""
    return (info.min is None or value >= info.min) and (info.max is None or value <= info.max)
