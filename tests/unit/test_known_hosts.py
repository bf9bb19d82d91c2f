"""ispflow's known_hosts file: where it is, what recording a key does, which hosts go
unchecked. The file is OpenSSH's format: OpenSSH's own ssh-keygen reads what is written."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path

import asyncssh
import paramiko
import pytest
from nornir import InitNornir

from ispflow.core.errors import UsageError
from ispflow.plugins.connections.connect_errors import ConnectFailed
from ispflow.plugins.connections.host_keys import (
    check_wanted,
    netmiko_parameters,
    unchecked,
    unchecked_warning,
)
from ispflow.plugins.connections.known_hosts import (
    current,
    fingerprint,
    host_key_settings,
    known_name,
    read,
    record,
    recorded,
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("ISPFLOW_CONFIG", "ISPFLOW_KNOWN_HOSTS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)


def new_key() -> paramiko.PKey:
    public = asyncssh.generate_private_key("ssh-ed25519").export_public_key("openssh")
    kind, data = public.split()[:2]
    return paramiko.PKey.from_type_string(kind.decode(), base64.b64decode(data))


def test_the_file_is_beside_the_secret_key_unless_told(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = host_key_settings()
    assert settings.path == tmp_path / "home" / ".config" / "ispflow" / "known_hosts"
    assert settings.check is True
    (tmp_path / "ispflow.yaml").write_text("ssh:\n  known_hosts: ~/noc/known_hosts\n")
    assert host_key_settings().path == tmp_path / "home" / "noc" / "known_hosts"
    monkeypatch.setenv("ISPFLOW_KNOWN_HOSTS", str(tmp_path / "env_known_hosts"))
    assert host_key_settings().path == tmp_path / "env_known_hosts"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("ssh:\n  host_key_check: no-thanks\n", "ssh.host_key_check is true or false"),
        ("ssh:\n  host_key_cheque: false\n", "unknown key 'host_key_cheque'"),
    ],
)
def test_setting_mistakes_are_clear(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "ispflow.yaml").write_text(text)
    with pytest.raises(UsageError, match=message):
        host_key_settings()


def test_names_are_openssh_ones() -> None:
    assert known_name("10.0.0.1", 22) == "10.0.0.1"
    assert known_name("olt.example", 2222) == "[olt.example]:2222"


def test_recording_keeps_a_changed_key_out_unless_replacing(tmp_path: Path) -> None:
    path = tmp_path / "conf" / "known_hosts"
    first, second, other = new_key(), new_key(), new_key()
    name = known_name("127.0.0.1", 10201)

    [done] = record(path, [(name, first)], replace=False)
    assert done.status == "new"
    assert [done.status for done in record(path, [(name, first)], replace=False)] == ["unchanged"]
    record(path, [("10.0.0.9", other)], replace=False)
    text = path.read_text()

    [kept] = record(path, [(name, second)], replace=False)
    assert (kept.status, [fingerprint(k) for k in kept.previous]) == (
        "changed",
        [fingerprint(first)],
    )
    assert path.read_text() == text  # nothing written

    [swapped] = record(path, [(name, second)], replace=True)
    assert swapped.status == "replaced" and swapped.previous[0].asbytes() == first.asbytes()
    keys = read(path)
    assert [k.asbytes() for k in recorded(keys, name)] == [second.asbytes()]
    assert [k.asbytes() for k in recorded(keys, "10.0.0.9")] == [other.asbytes()]
    assert path.stat().st_mode & 0o777 == 0o644
    assert sorted(p.name for p in path.parent.iterdir()) == ["known_hosts"]  # no leftovers


@pytest.mark.skipif(shutil.which("ssh-keygen") is None, reason="OpenSSH's ssh-keygen is absent")
def test_openssh_reads_the_file(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    key = new_key()
    record(path, [(known_name("127.0.0.1", 10201), key)], replace=False)
    found = subprocess.run(
        ["ssh-keygen", "-l", "-F", "[127.0.0.1]:10201", "-f", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert key.fingerprint in found.stdout


def test_connections_read_a_parse_kept_until_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    assert recorded(current(path), "10.0.0.1") == []  # no file yet: nothing known
    first, second = new_key(), new_key()
    record(path, [("10.0.0.1", first)], replace=False)
    parsed = current(path)
    assert current(path) is parsed
    assert [k.asbytes() for k in recorded(parsed, "10.0.0.1")] == [first.asbytes()]
    record(path, [("10.0.0.2", second)], replace=False)
    assert current(path) is not parsed
    assert recorded(current(path), "10.0.0.2")[0].asbytes() == second.asbytes()


def test_the_file_reads_as_paramiko_reads_it(tmp_path: Path) -> None:
    """Names listed again with a key they have are dropped, hashed names (as copied from an
    OpenSSH known_hosts) and lines naming several hosts kept, comments and blanks skipped,
    a key type paramiko cannot read passed over: the same entries as HostKeys.load."""
    keys = [new_key() for _ in range(3)]
    line = [f"{k.get_name()} {k.get_base64()}" for k in keys]
    hashed = paramiko.HostKeys.hash_host("[10.0.0.9]:2222")
    path = tmp_path / "known_hosts"
    path.write_text(
        "# NOC OLTs\n\n"
        f"10.0.0.1 {line[0]}\n"
        f"10.0.0.2,[10.0.0.3]:2222 {line[1]}\n"
        f"10.0.0.1,10.0.0.4 {line[0]}\n"
        f"{hashed} {line[2]}\n"
        "10.0.0.5 ssh-unknown AAAA\n"
        f"  10.0.0.2 {line[2]}  \n"
    )
    expected = paramiko.HostKeys()
    expected.load(str(path))
    got = read(path)

    def entries(host_keys: paramiko.HostKeys) -> list[tuple[list[str], bytes]]:
        return [(e.hostnames, e.key.asbytes()) for e in host_keys._entries]  # noqa: SLF001

    assert entries(got) == entries(expected)
    assert [e[0] for e in entries(got)] == [
        ["10.0.0.1"], ["10.0.0.2", "[10.0.0.3]:2222"], ["10.0.0.4"], [hashed], ["10.0.0.2"]
    ]  # fmt: skip
    assert recorded(got, "[10.0.0.9]:2222")[0].asbytes() == keys[2].asbytes()
    assert recorded(got, "10.0.0.2")[0].asbytes() == keys[1].asbytes()  # the first line's


def test_a_broken_file_is_named(tmp_path: Path) -> None:
    path = tmp_path / "known_hosts"
    path.write_text("[127.0.0.1]:10201 ssh-ed25519 not!base64\n")
    with pytest.raises(UsageError, match=f"known hosts file {path} has a line that is not a key"):
        read(path)


def inventory(folder: Path, olt_extras: str = "") -> object:
    folder.mkdir()
    (folder / "hosts.yaml").write_text(
        "olt-a:\n  hostname: 127.0.0.1\n  data: {role: olt}\n"
        f"olt-b:\n  hostname: 127.0.0.1\n  data: {{role: olt}}\n{olt_extras}"
        "bras-a:\n  hostname: 127.0.0.1\n  data: {role: concentrator}\n"
    )
    (folder / "groups.yaml").write_text("{}\n")
    (folder / "defaults.yaml").write_text("{}\n")
    nornir = InitNornir(
        inventory={
            "plugin": "SimpleInventory",
            "options": {
                "host_file": str(folder / "hosts.yaml"),
                "group_file": str(folder / "groups.yaml"),
                "defaults_file": str(folder / "defaults.yaml"),
            },
        },
        logging={"enabled": False},
    )
    return nornir.inventory.hosts


def test_unchecked_olts_are_named_once(tmp_path: Path) -> None:
    hosts = inventory(tmp_path / "inv")
    assert unchecked(hosts.values()) == [] and unchecked_warning(hosts.values()) is None
    (tmp_path / "ispflow.yaml").write_text("ssh:\n  host_key_check: false\n")
    assert unchecked(hosts.values()) == ["olt-a", "olt-b"]  # concentrators have no SSH here
    warning = unchecked_warning(hosts.values())
    assert warning is not None
    assert warning.startswith("warning: SSH host keys NOT checked for 2 OLT(s)")
    assert "ssh.host_key_check is false in ispflow.yaml" in warning


def test_one_host_can_opt_out_in_its_extras(tmp_path: Path) -> None:
    extras = "  connection_options:\n    olt_cli:\n      extras: {host_key_check: false}\n"
    hosts = inventory(tmp_path / "inv", extras)
    assert unchecked(hosts.values()) == ["olt-b"]
    assert "host_key_check: false in their olt_cli extras" in str(unchecked_warning(hosts.values()))


def test_netmiko_host_key_arguments_follow_the_settings(tmp_path: Path) -> None:
    settings = host_key_settings()
    extras = {"host_key_check": False, "banner_timeout": 5}
    assert check_wanted(extras, "olt:22", settings) is False
    assert extras == {"banner_timeout": 5}
    assert netmiko_parameters(False, settings)["ssh_strict"] is False
    assert netmiko_parameters(True, settings) == {
        "ssh_strict": True,
        "system_host_keys": False,
        "alt_host_keys": False,
        "alt_key_file": str(settings.path),
    }
    assert check_wanted({"ssh_strict": True}, "olt:22", settings) is True
    with pytest.raises(ConnectFailed, match="olt:22: the olt_cli extras alt_key_file are set by"):
        check_wanted({"alt_key_file": "/tmp/x"}, "olt:22", settings)
    with pytest.raises(ConnectFailed, match="host_key_check is true or false, not 'no'"):
        check_wanted({"host_key_check": "no"}, "olt:22", settings)
