"""Store lookups that runbook expressions may call, e.g. `lookup_contract(item.contract).olt`.

They read the store of the running run and remember each answer for the rest of the run, so
a `when:` evaluated on every host for every CSV row costs one query per distinct value.
"""

from __future__ import annotations

from typing import Any

from ispflow.store import run_context


def lookup_contract(code: Any) -> dict[str, Any]:
    """The contract with its customer, OLT, PON, ONU serial, VLAN and an OLT-safe description."""
    from ispflow.store.contracts import find_contract

    context = run_context.current()
    if context is None:
        raise RuntimeError("lookup_contract() reads the store of a run; there is no run")
    key = ("contract", str(code).strip())
    with context.memo_lock:
        if key in context.memo:
            return context.memo[key]
    found = find_contract(context.database, key[1])
    with context.memo_lock:
        context.memo[key] = found
    return found


def lookup_onu(code: Any) -> dict[str, Any]:
    """Like lookup_contract, for a contract whose ONU is authorized (else an error saying so)."""
    from ispflow.store.contracts import ContractError

    found = lookup_contract(code)
    if found["onu_id"] is None or found["onu_state"] != "authorized":
        raise ContractError(
            f"contract {found['contract']!r} has no authorized ONU (its ONU is "
            f"{found['onu_state'] or 'unknown'})"
        )
    return found


FUNCTIONS = {"lookup_contract": lookup_contract, "lookup_onu": lookup_onu}
