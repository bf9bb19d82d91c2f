"""Secrets made for a contract (its ONU's WiFi key, admin password), kept encrypted.

Each is generated once, the first time an install needs it, and read back on every later
install of the same contract (a replaced ONU gets the same WiFi key). The store holds only
Fernet ciphertext (AES-128-CBC with HMAC-SHA256); the key is outside the store: the variable
or file named by `provisioning: {key_env: ..., key_file: ...}` in ispflow.yaml, else
ISPFLOW_SECRET_KEY, else ~/.config/ispflow/secret.key (made on first use, readable by its
owner only). Losing the key loses the secrets, not the store.
"""

from __future__ import annotations

import os
import secrets
import string
import threading
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ispflow.core.errors import UsageError
from ispflow.store.db import Database
from ispflow.store.errors import StoreError
from ispflow.store.schema import contract_secrets, contracts

KEY_ENV = "ISPFLOW_SECRET_KEY"
DEFAULT_KEY_FILE = Path.home() / ".config" / "ispflow" / "secret.key"
# Letters and digits only: every ONU's web page and every customer's phone takes them.
ALPHABET = string.ascii_letters + string.digits


def secret_key() -> bytes:
    """The key that encrypts contract secrets and the secret vars of distributed runs (made
    on first use when none is configured)."""
    from ispflow.core.settings import load_section, secret_from

    section, where = load_section("provisioning", ("templates", "key_env", "key_file"))
    configured = secret_from(section, where, env_key="key_env", file_key="key_file")
    if configured:
        return configured.encode()
    if os.environ.get(KEY_ENV):
        return os.environ[KEY_ENV].encode()
    path = Path(os.environ.get("ISPFLOW_SECRET_KEY_FILE") or DEFAULT_KEY_FILE)
    if not path.exists():
        _make_key_file(path)
    return path.read_bytes().strip()


def _make_key_file(path: Path) -> None:
    """Write a new key where none is; of two processes (or threads) doing it at once, the
    first one's key is the key: it is written whole elsewhere and linked into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(Fernet.generate_key())
    try:
        os.link(draft, path)
    except FileExistsError:
        pass  # another made it first: theirs is the key
    finally:
        draft.unlink()


def fernet() -> Fernet:
    """The store's cipher for what it keeps secret (contract secrets, a distributed run's
    secret vars), with the key above."""
    try:
        return Fernet(secret_key())
    except ValueError:
        raise UsageError("the secret key is not a Fernet key (32 url-safe base64 bytes)") from None


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
        raise StoreError(f"contract {contract!r} is not in the store")
    if found.ciphertext is not None:
        return _decrypt(cipher, found.ciphertext, contract, name)
    value = generate(length)
    try:
        with db.writing() as conn:
            conn.execute(
                contract_secrets.insert().values(
                    contract_id=found.id,
                    name=name,
                    ciphertext=cipher.encrypt(value.encode()).decode(),
                )
            )
    except IntegrityError:
        # Another install of the same contract made it first: theirs is the one.
        return contract_secret(db, contract, name, length)
    return value


def _decrypt(cipher: Fernet, ciphertext: str, contract: str, name: str) -> str:
    try:
        return cipher.decrypt(ciphertext.encode()).decode()
    except InvalidToken:
        raise StoreError(
            f"the {name} of contract {contract} was encrypted with another key than this "
            "machine's (see provisioning.key_env / ISPFLOW_SECRET_KEY)"
        ) from None
