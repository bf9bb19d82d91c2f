"""A distributed run's secret vars, sealed in its `runs` row for its workers.

Workers of a run on other machines need its secret vars (a password a step sends), and the
broker carrying their messages is no place for them. The run's row keeps them as Fernet
ciphertext under the store's secret key (`store.secret_key`: every machine of the
run needs the same key), of a JSON object that names the run: ciphertext copied into another
run's row does not open there.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import InvalidToken

from ispflow.store.errors import StoreError
from ispflow.store.secret_key import fernet


def seal(run_id: str, values: dict[str, Any]) -> str:
    """Ciphertext of `values` that only `unseal(run_id, ...)` opens."""
    payload = json.dumps({"run": run_id, "vars": values}, ensure_ascii=False, sort_keys=True)
    return fernet().encrypt(payload.encode("utf-8")).decode("ascii")


def unseal(run_id: str, token: str) -> dict[str, Any]:
    """The secret vars sealed for `run_id`; StoreError when this machine's key is another
    one, or when the ciphertext was sealed for another run."""
    try:
        payload = json.loads(fernet().decrypt(token.encode("ascii")))
    except (InvalidToken, ValueError):
        raise StoreError(
            f"the secret vars of run {run_id} were sealed with another key than this "
            "machine's: give every machine of a distributed run the same key "
            "(provisioning.key_env / ISPFLOW_SECRET_KEY)"
        ) from None
    if not isinstance(payload, dict) or payload.get("run") != run_id:
        raise StoreError(f"the secret vars in the row of run {run_id} were sealed for another run")
    values = payload.get("vars")
    if not isinstance(values, dict):
        raise StoreError(f"the secret vars of run {run_id} are not a mapping")
    return values
