"""The key that encrypts what the store keeps secret (contract secrets, a distributed run's
secret vars, configurations kept with their secrets), which is not in the store.

It is the variable or file named by `provisioning: {key_env: ..., key_file: ...}` in
ispflow.yaml, else ISPFLOW_SECRET_KEY, else ~/.config/ispflow/secret.key (made on first use,
readable by its owner only). Losing the key loses those secrets, not the store.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from cryptography.fernet import Fernet

from ispflow.core.errors import UsageError

KEY_ENV = "ISPFLOW_SECRET_KEY"
DEFAULT_KEY_FILE = Path.home() / ".config" / "ispflow" / "secret.key"
WHERE = "provisioning.key_env / ISPFLOW_SECRET_KEY"  # for errors: where the key comes from


def secret_key() -> bytes:
    """The key (made on first use when none is configured)."""
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
    _check_key_file(path)
    return path.read_bytes().strip()


def _check_key_file(path: Path) -> None:
    """The key file is this user's alone, as ssh wants of a private key: a key others can
    read is a key others have."""
    info = path.stat()
    if info.st_mode & 0o077:
        raise UsageError(
            f"the secret key file {path} can be read or written by others (mode "
            f"{info.st_mode & 0o777:04o}); not used: `chmod 600 {path}`"
        )
    if hasattr(os, "getuid") and info.st_uid != os.getuid():
        raise UsageError(f"the secret key file {path} belongs to another user; not used")


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
    """Fernet (AES-128-CBC with HMAC-SHA256) under the key; UsageError for a malformed key."""
    try:
        return Fernet(secret_key())
    except ValueError:
        raise UsageError("the secret key is not a Fernet key (32 url-safe base64 bytes)") from None


def subkey(purpose: bytes) -> bytes:
    """A 32-byte key for `purpose`, derived from the secret key (HKDF-SHA256): the secret key
    itself only ever keys Fernet."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose).derive(secret_key())
