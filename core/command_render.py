"""Render vendor command templates (``templates/olt/huawei/onu_authorize.j2``) into CLI lines.

Templates run in the same sandbox as runbook expressions, with StrictUndefined, and every
value that reaches the output is checked by :mod:`ispflow.core.guard` twice:

* before rendering, every context entry is checked under its own name, so an error says
  ``unsafe value for 'desc'`` rather than pointing at a line of template;
* while rendering, ``finalize`` checks each ``{{ ... }}`` result, which catches values a
  template computes (``{{ a ~ b }}``, filters); those are reported as ``<expression>`` with
  the template file and line.

Text a template itself produces (its literal lines, macros, ``{% set %}`` blocks) is the
template author's and is not checked; a macro's output is marked as such so calling a
macro that writes ``desc "{{ d }}"`` does not trip over its own quotes.

Templates are compiled once per renderer and kept; rendering is thread-safe.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from jinja2 import FileSystemLoader, Template, TemplateError, TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError, TemplatesNotFound
from jinja2.exceptions import TemplateNotFound as _JinjaTemplateNotFound
from jinja2.runtime import Undefined

from ispflow.core.expressions import HintingUndefined, SandboxEnvironment
from ispflow.core.guard import MAX_LENGTH, UnsafeValueError, check_cli_context, check_cli_value
from ispflow.core.suggest import closest

_STRING_CACHE_SIZE = 512


class CommandRenderError(Exception):
    """A command template that cannot be rendered; names the template and line."""

    def __init__(
        self, message: str, template: str | None = None, lineno: int | None = None
    ) -> None:
        self.message = message
        self.template = template
        self.lineno = lineno
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.message, self.template, self.lineno))


class TemplateNotFound(CommandRenderError, LookupError):
    """No file with that template name under any search path."""


class _TemplateText(str):
    """Text produced by template code (a macro, a ``{% set %}`` block), not by a value."""

    __slots__ = ()


def _template_concat(parts: Iterable[str]) -> str:
    return _TemplateText("".join(parts))


class _CommandEnvironment(SandboxEnvironment):
    # Jinja joins macro and block output with ``environment.concat``; marking that text lets
    # finalize tell the template's own text from substituted values.
    concat = staticmethod(_template_concat)  # type: ignore[assignment]


class CommandRenderer:
    """Renders command templates found under ``search_paths`` into lists of CLI lines."""

    def __init__(
        self, search_paths: Sequence[str | Path] | str | Path, *, max_value_length: int = MAX_LENGTH
    ) -> None:
        if isinstance(search_paths, str | Path):
            search_paths = [search_paths]
        self.search_paths = [str(Path(p)) for p in search_paths]
        self.max_value_length = max_value_length
        self.env = _CommandEnvironment(
            loader=FileSystemLoader(self.search_paths),
            undefined=HintingUndefined,
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            auto_reload=False,
            finalize=self._finalize,
        )
        self._templates: dict[str, Template] = {}
        self._strings: dict[str, Template] = {}
        self._lock = threading.Lock()

    # -- public --------------------------------------------------------------------------
    def render(self, template: str, context: Mapping[str, Any]) -> list[str]:
        """The non-empty, right-stripped lines of ``template`` rendered with ``context``."""
        check_cli_context(context, self.max_value_length)
        return self._run(self._template(template), context, template)

    def render_string(self, source: str, context: Mapping[str, Any]) -> list[str]:
        """Like :meth:`render`, for template text given inline."""
        check_cli_context(context, self.max_value_length)
        return self._run(self._string(source), context, "<string>")

    # -- internals -----------------------------------------------------------------------
    def _finalize(self, value: Any) -> Any:
        if value is None or isinstance(value, bool | int | float | _TemplateText | Undefined):
            return value
        check_cli_value(value, "<expression>", self.max_value_length)
        return value

    def _template(self, name: str) -> Template:
        compiled = self._templates.get(name)
        if compiled is None:
            with self._lock:
                compiled = self._templates.get(name)
                if compiled is None:
                    compiled = self._load(name)
                    self._templates[name] = compiled
        return compiled

    def _load(self, name: str) -> Template:
        try:
            return self.env.get_template(name)
        except (_JinjaTemplateNotFound, TemplatesNotFound) as exc:
            raise self._not_found(exc.name or name, None) from None
        except TemplateSyntaxError as exc:
            where = f"{exc.name or name}:{exc.lineno}"
            raise CommandRenderError(
                f"{where}: {exc.message}", exc.name or name, exc.lineno
            ) from None

    def _string(self, source: str) -> Template:
        compiled = self._strings.get(source)
        if compiled is None:
            try:
                compiled = self.env.from_string(source)
            except TemplateSyntaxError as exc:
                raise CommandRenderError(
                    f"<string>:{exc.lineno}: {exc.message}", "<string>", exc.lineno
                ) from None
            with self._lock:
                if len(self._strings) >= _STRING_CACHE_SIZE:
                    self._strings.clear()
                self._strings[source] = compiled
        return compiled

    def _not_found(self, name: Any, where: str | None) -> TemplateNotFound:
        if self.search_paths:
            places = "searched " + ", ".join(self.search_paths)
        else:
            places = "no template search path is configured"
        included = f" (included at {where})" if where else ""
        return TemplateNotFound(
            f"command template '{name}' not found{included}; {places}", str(name)
        )

    def _run(self, template: Template, context: Mapping[str, Any], label: str) -> list[str]:
        try:
            ctx = template.new_context(dict(context))
            text = "".join(template.root_render_func(ctx))
        except UnsafeValueError as exc:
            where = _location(exc, label)
            raise UnsafeValueError(exc.name, exc.value, exc.reason, where[2]) from None
        except (_JinjaTemplateNotFound, TemplatesNotFound) as exc:
            raise self._not_found(exc.name, _location(exc, label)[2]) from None
        except UndefinedError as exc:
            name, lineno, where = _location(exc, label)
            message = exc.message or "undefined value"
            if message.endswith("is undefined") and message.count("'") >= 2:
                near = closest(message.split("'")[1], [str(k) for k in context])
                if near:
                    message += f" (the context has '{near}')"
            raise CommandRenderError(f"{message} in {where}", name, lineno) from None
        except SecurityError as exc:
            name, lineno, where = _location(exc, label)
            raise CommandRenderError(f"not allowed: {exc} in {where}", name, lineno) from None
        except (TemplateError, ArithmeticError, LookupError, TypeError, ValueError) as exc:
            name, lineno, where = _location(exc, label)
            detail = (
                exc.message
                if isinstance(exc, TemplateError) and exc.message
                else f"{type(exc).__name__}: {exc}"
            )
            raise CommandRenderError(f"{detail} in {where}", name, lineno) from None
        if "\r" in text or "\0" in text:
            # Values cannot bring these (the guard refuses them) and Jinja normalizes template
            # newlines, so this means a bug in a filter or the renderer, never a second command.
            raise CommandRenderError(
                f"{label} rendered a carriage return or NUL; refusing to send it", label
            )
        return [line.rstrip() for line in text.split("\n") if line.strip()]


def _location(exc: BaseException, fallback: str) -> tuple[str, int | None, str]:
    """(template name, line, "name:line") of the innermost template frame of the error."""
    name, lineno = fallback, None
    tb = exc.__traceback__
    while tb is not None:
        template = tb.tb_frame.f_globals.get("__jinja_template__")
        if template is not None:
            name = template.name or fallback
            lineno = template.get_corresponding_lineno(tb.tb_lineno)
        tb = tb.tb_next
    return name, lineno, f"{name}:{lineno}" if lineno else name
