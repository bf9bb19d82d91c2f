"""Vars that name things: an inventory host (`type: host`), a contract in the store
(`type: contract`). A name that is not there is refused before any host runs, with the
nearest real names, so a typo never turns into a run where every step is skipped."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from ispflow.core.quoting import quoted
from ispflow.core.suggest import did_you_mean
from ispflow.engine.vartypes import VarError, VarErrors, VarSpec


def check_names(
    specs: Mapping[str, VarSpec], values: Mapping[str, Any], hosts: Collection[str], db: Any
) -> None:
    """Raise VarErrors for every host or contract var whose value names nothing known; an
    empty value (the var not given) passes. `db` is the store, or a function that opens it,
    called only for a contract var given a value."""
    errors = []
    for name, spec in specs.items():
        value = values.get(name)
        if not value or spec.type not in ("host", "contract"):
            continue
        if spec.type == "host" and value not in hosts:
            errors.append(
                VarError(
                    name, f"no host {quoted(value)} in the inventory{did_you_mean(value, hosts)}"
                )
            )
        elif spec.type == "contract":
            from ispflow.store.contracts import contract_codes_near

            if callable(db):
                db = db()
            found, near = contract_codes_near(db, str(value))
            if not found:
                errors.append(
                    VarError(
                        name, f"no contract {quoted(value)} in the store{did_you_mean(value, near)}"
                    )
                )
    if errors:
        raise VarErrors(errors)
