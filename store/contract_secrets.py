"""Secrets made for a contract (its ONU's WiFi key, admin password), kept encrypted.

Each is generated once, the first time an install needs it, and read back on every later
install of the same contract (a replaced ONU gets the same WiFi key). The store holds only
Fernet ciphertext (AES-128-CBC with HMAC-SHA256) under the key of store.secret_key, which is
outside the store. Losing the key loses the secrets, not the store.
"""

from __future__ import annotations

import json
import secrets
import string

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ispflow.core.quoting import quoted
from ispflow.store.db import Database
from ispflow.store.errors import StoreError
from ispflow.store.schema import contract_secrets, contracts
from ispflow.store.secret_key import WHERE, fernet

# Letters and digits only: every ONU's web page and every customer's phone takes them.
ALPHABET = string.ascii_letters + string.digits


def generate(length: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def contract_secret(db: Database, contract: str, name: str, length: int) -> str:
    """The contract's secret `name`, generated (and stored encrypted) the first time."""
    cipher = fernet()
    with db.engine.connect() as conn:
        found = conn.execute(
            select(contract_secrets.c.ciphertext, contracts.c.id)
            .select_from(contracts)
            .outerjoin(
                contract_secrets,
                (contract_secrets.c.contract_id == contracts.c.id)
                & (contract_secrets.c.name == name),
            )
            .where(contracts.c.code == contract)
        ).first()
    if found is None:
        raise StoreError(f"contract {quoted(contract)} is not in the store")
    if found.ciphertext is not None:
        return _decrypt(cipher, found.ciphertext, contract, name)
    value = generate(length)
    sealed = json.dumps({"contract": contract, "name": name, "value": value})
    try:
        with db.writing() as conn:
            conn.execute(
                contract_secrets.insert().values(
                    contract_id=found.id,
                    name=name,
                    ciphertext=cipher.encrypt(sealed.encode()).decode(),
                )
            )
    except IntegrityError:
        # Another install of the same contract made it first: theirs is the one.
        return contract_secret(db, contract, name, length)
    return value


def _decrypt(cipher: Fernet, ciphertext: str, contract: str, name: str) -> str:
    """The value sealed for this contract's `name`. The ciphertext names both, so one copied
    onto another contract's row (or another secret's) is refused, not used."""
    try:
        plain = cipher.decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise StoreError(
            f"the {name} of contract {contract} was encrypted with another key than this "
            f"machine's (see {WHERE})"
        ) from None
    try:
        sealed = json.loads(plain)
    except ValueError:
        return plain  # sealed before secrets named their contract: the value alone
    if not isinstance(sealed, dict) or "value" not in sealed:
        return plain
    if (sealed.get("contract"), sealed.get("name")) != (contract, name):
        raise StoreError(
            f"the {name} stored for contract {contract} was sealed for contract "
            f"{sealed.get('contract')!r} ({sealed.get('name')}); not used"
        )
    return str(sealed["value"])
