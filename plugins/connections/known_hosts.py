"""ispflow's known_hosts file: the SSH host keys of the OLTs it logs in to.

OpenSSH's format, read and written by paramiko's HostKeys: one `NAME KEYTYPE BASE64` line per
key, NAME being the address for port 22 and `[address]:port` for any other port, so lines can
be compared with (or copied from) ~/.ssh/known_hosts. Where the file is: ISPFLOW_KNOWN_HOSTS,
else `ssh.known_hosts` in ispflow.yaml, else ~/.config/ispflow/known_hosts (beside the secret
key). `ssh.host_key_check: false` turns checking off for every host.

    # ispflow.yaml
    ssh:
      known_hosts: /etc/ispflow/known_hosts
      host_key_check: true
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ispflow.core.errors import UsageError
from ispflow.core.settings import load_section

# paramiko loads with the first key read: a run over concentrators only reads the settings.
if TYPE_CHECKING:
    from paramiko import HostKeys, PKey
    from paramiko.hostkeys import InvalidHostKey

SECTION = "ssh"
KEYS = ("known_hosts", "host_key_check")
PATH_ENV = "ISPFLOW_KNOWN_HOSTS"
SSH_PORT = 22


@dataclass(frozen=True)
class HostKeySettings:
    path: Path
    check: bool  # False: no host is checked (ssh.host_key_check: false)
    where: str  # the configuration file, for messages


def default_path() -> Path:
    # Read at each call: a process (or a test) may change HOME after import.
    return Path.home() / ".config" / "ispflow" / "known_hosts"


def host_key_settings(config: Path | None = None) -> HostKeySettings:
    """The `ssh:` settings; ISPFLOW_KNOWN_HOSTS wins over the file's `known_hosts`."""
    section, where = load_section(SECTION, KEYS, path=config)
    named = os.environ.get(PATH_ENV) or section.get("known_hosts")
    path = Path(str(named)).expanduser() if named else default_path()
    check = section.get("host_key_check", True)
    if not isinstance(check, bool):
        raise UsageError(f"{where}: ssh.host_key_check is true or false, not {check!r}")
    return HostKeySettings(path, check, where)


def known_name(hostname: str, port: int) -> str:
    """The name a known_hosts line gives a server, as OpenSSH and paramiko look it up."""
    return hostname if port == SSH_PORT else f"[{hostname}]:{port}"


def address(hostname: str, port: int) -> str:
    """host:port as messages (and `ispflow inventory trust`) spell it; the host alone on 22."""
    return hostname if port == SSH_PORT else f"{hostname}:{port}"


def fingerprint(key: PKey) -> str:
    """`ssh-ed25519 SHA256:…`: the key type and the fingerprint `ssh-keygen -lf` shows."""
    return f"{key.get_name()} {key.fingerprint}"


def read(path: Path) -> HostKeys:
    """The file's keys (none if it does not exist yet)."""
    from paramiko.hostkeys import InvalidHostKey

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the known hosts file {path}: {_reason(exc)}") from None
    try:
        return parse(text)
    except InvalidHostKey as exc:
        raise UsageError(unreadable_line(path, exc)) from None


def parse(text: str) -> HostKeys:
    """Keys from known_hosts text, as paramiko's HostKeys.load reads them (a name listed again
    with a key it already has is dropped), in one pass: load() looks every line's names up
    among all lines before it, 150 ms of CPU for a file of 300 OLTs, paid before the first
    login of every run."""
    from paramiko import HostKeys
    from paramiko.hostkeys import HostKeyEntry
    from paramiko.ssh_exception import SSHException

    keys = HostKeys()
    seen: set[tuple[str, str, bytes]] = set()
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        try:
            entry = HostKeyEntry.from_line(line, number)
        except SSHException:
            continue  # as load(): a line paramiko has no key class for
        if entry is None or entry.key is None:
            continue
        kind, blob = entry.key.get_name(), entry.key.asbytes()
        names = [name for name in entry.hostnames if (name, kind, blob) not in seen]
        seen.update((name, kind, blob) for name in names)
        if names:
            entry.hostnames = names
            keys._entries.append(entry)  # noqa: SLF001 - add() scans every entry, as load() does
    return keys


def unreadable_line(path: Path | str, exc: InvalidHostKey) -> str:
    return f"the known hosts file {path} has a line that is not a key: {str(exc.line)[:80]!r}"


_parsed: dict[Path, tuple[tuple[int, int, int], HostKeys]] = {}
_parsed_lock = threading.Lock()


def current(path: Path) -> HostKeys:
    """The file's keys, parsed again only when the file changed.

    Every connection looks its host up here: one parse per process, not one per login."""
    try:
        seen = path.stat()
    except FileNotFoundError:
        from paramiko import HostKeys

        return HostKeys()
    except OSError as exc:
        raise UsageError(f"cannot read the known hosts file {path}: {_reason(exc)}") from None
    stamp = (seen.st_ino, seen.st_mtime_ns, seen.st_size)
    with _parsed_lock:  # one thread parses; the others wait for its result
        cached = _parsed.get(path)
        if cached is None or cached[0] != stamp:
            cached = (stamp, read(path))
            _parsed[path] = cached
        return cached[1]


def recorded(keys: HostKeys, name: str) -> list[PKey]:
    found = keys.lookup(name)
    return list(found.values()) if found is not None else []


@dataclass(frozen=True)
class Recorded:
    """What recording a server's key did."""

    name: str  # as the known_hosts file names it
    key: PKey
    status: str  # new | unchanged | replaced | changed (another key is recorded; kept)
    previous: tuple[PKey, ...] = ()


def record(
    path: Path,
    offered: Sequence[tuple[str, PKey]],
    *,
    replace: bool,
    forget: Sequence[str] = (),
) -> list[Recorded]:
    """Record each (name, key); a name that has other keys keeps them unless `replace`.
    Names in `forget` lose every key recorded for them.

    Under an exclusive lock (other runs of `trust` and `lab up` may write the same file) and
    written whole through a temporary file, so a reader never sees half a file; not written
    at all when nothing changed."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # The folder is locked, not the file: the file is replaced, not rewritten in place.
        folder = os.open(path.parent, os.O_RDONLY)
        try:
            fcntl.flock(folder, fcntl.LOCK_EX)
            keys = read(path)
            done = [_record_one(keys, name, key, replace) for name, key in offered]
            gone = [name for name in forget if keys.lookup(name) is not None]
            for name in gone:
                while keys.lookup(name) is not None:
                    del keys[name]
            if gone or any(item.status in ("new", "replaced") for item in done):
                _save(keys, path)
            return done
        finally:
            os.close(folder)  # releases the lock
    except OSError as exc:
        raise UsageError(f"cannot write the known hosts file {path}: {_reason(exc)}") from None


def _record_one(keys: HostKeys, name: str, key: PKey, replace: bool) -> Recorded:
    before = recorded(keys, name)
    if any(old.asbytes() == key.asbytes() for old in before):
        return Recorded(name, key, "unchanged")
    if before and not replace:
        return Recorded(name, key, "changed", tuple(before))
    while keys.lookup(name) is not None:
        del keys[name]
    keys.add(name, key.get_name(), key)
    return Recorded(name, key, "replaced" if before else "new", tuple(before))


def _save(keys: HostKeys, path: Path) -> None:
    draft = path.with_name(f".{path.name}.{os.getpid()}")
    try:
        keys.save(str(draft))
        os.chmod(draft, 0o644)
        os.replace(draft, path)
    finally:
        draft.unlink(missing_ok=True)


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc)
