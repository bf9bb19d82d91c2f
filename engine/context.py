"""What expressions see for one host: vars, registered results, the host and the run."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from nornir.core.inventory import Host

from ispflow.engine.model import Scope
from ispflow.engine.vartypes import VarErrors, resolve_vars


class HostView(Mapping[str, Any]):
    """The inventory host as expressions see it: ``host.name``, ``host.site``, ``host.data.x``.

    Built lazily because most steps never look at the host and 10,000 copies of every
    host's merged data would cost more than the step itself.
    """

    __slots__ = ("_host", "_view")

    def __init__(self, host: Host) -> None:
        self._host = host
        self._view: dict[str, Any] | None = None

    def _build(self) -> dict[str, Any]:
        if self._view is None:
            host = self._host
            data = dict(host.items())
            self._view = {
                **data,
                "name": host.name,
                "hostname": host.hostname,
                "port": host.port,
                "platform": host.platform,
                "groups": [group.name for group in host.groups],
                "data": data,
            }
        return self._view

    def __getitem__(self, key: str) -> Any:
        return self._build()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._build())

    def __len__(self) -> int:
        return len(self._build())

    def __repr__(self) -> str:
        return f"HostView({self._host.name})"


class HostState:
    """One host's progress through a run: failure, registered results, expression contexts."""

    __slots__ = ("name", "host", "failed_at", "registered", "_contexts", "_run_vars", "_run_info")

    def __init__(self, host: Host, run_vars: dict[str, Any], run_info: dict[str, Any]) -> None:
        self.name = host.name
        self.host = host
        self.failed_at: int | None = None
        self.registered: dict[str, Any] = {}
        self._contexts: dict[int, dict[str, Any]] = {}
        self._run_vars = run_vars
        self._run_info = run_info

    def context(self, scope: Scope | None) -> dict[str, Any]:
        key = id(scope)
        ctx = self._contexts.get(key)
        if ctx is None:
            ctx = self._build(scope)
            self._contexts[key] = ctx
        return ctx

    def _build(self, scope: Scope | None) -> dict[str, Any]:
        if scope is None:
            values = self._run_vars
        else:
            parent = self.context(scope.parent)
            given = scope.var_values.render(parent)
            try:
                values = resolve_vars(scope.var_specs, given)
            except VarErrors as exc:
                raise ValueError(f"include '{scope.name}': {exc}") from exc
        ctx: dict[str, Any] = dict(self.registered)
        ctx.update(values)
        ctx["vars"] = values
        ctx["host"] = HostView(self.host)
        ctx["run"] = self._run_info
        return ctx

    def register(self, name: str, value: Any) -> None:
        self.registered[name] = value
        for ctx in self._contexts.values():
            ctx[name] = value
