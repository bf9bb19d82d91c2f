"""OLT host keys over real SSH: an unknown or changed key is refused before any login, `ispflow
inventory trust` enrols keys, `lab up` enrols its own, and the opt-out warns once per run.

A rogue SSH server (asyncssh, a fresh key) records every authentication attempt it receives:
a client that sent the password would show up there."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import threading
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any

import asyncssh
import paramiko
import pytest
from ruamel.yaml import YAML

from ispflow.plugins.connections.connect_errors import ConnectFailed
from ispflow.plugins.connections.host_keys import HostKeyChanged, HostKeyUnknown
from ispflow.plugins.connections.olt_cli import OltCli
from tests.conftest import Cli
from tests.lab.conftest import LabCli, RunningLab, start_lab

PASSWORD = "s3cr3t-Pass"


def paramiko_key(key: asyncssh.SSHKey) -> paramiko.PKey:
    kind, data = key.export_public_key("openssh").split()[:2]
    return paramiko.PKey.from_type_string(kind.decode(), base64.b64decode(data))


def fingerprint(key: paramiko.PKey) -> str:
    return f"{key.get_name()} {key.fingerprint}"


class Rogue:
    """An SSH server on a free port, with a key of its own, that records what clients try."""

    def __init__(self) -> None:
        self.key = asyncssh.generate_private_key("ssh-ed25519")
        self.public = paramiko_key(self.key)
        self.connections = 0
        self.auth_attempts: list[tuple[str, str]] = []  # (method, username)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._acceptor: asyncssh.SSHAcceptor = self._call(self._start())
        self.port = int(self._acceptor.get_port())

    def _call(self, coroutine: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(15)

    async def _start(self) -> asyncssh.SSHAcceptor:
        rogue = self

        class Server(asyncssh.SSHServer):
            def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
                rogue.connections += 1

            def begin_auth(self, username: str) -> bool:
                rogue.auth_attempts.append(("begin", username))
                return True

            def password_auth_supported(self) -> bool:
                return True

            def validate_password(self, username: str, password: str) -> bool:
                rogue.auth_attempts.append(("password", username))
                return False

        return await asyncssh.create_server(Server, "127.0.0.1", 0, server_host_keys=[self.key])

    def close(self) -> None:
        async def stop() -> None:
            self._acceptor.close()
            await self._acceptor.wait_closed()

        self._call(stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(15)


@pytest.fixture
def rogue() -> Iterator[Rogue]:
    server = Rogue()
    yield server
    server.close()


class EnvCli(LabCli):
    """The CLI with some variables of its own (another known_hosts file)."""

    def __init__(self, cwd: Path, db: str, inventory: Path | None, **env: str) -> None:
        super().__init__(cwd, db, inventory)
        self.extra = env

    def env(self) -> dict[str, str]:
        env = super().env()
        if self.inventory is not None:
            env["ISPFLOW_INVENTORY"] = str(self.inventory)
        return env | self.extra


def rogue_inventory(folder: Path, port: int) -> Path:
    """One OLT whose address is the rogue server's."""
    folder.mkdir(parents=True)
    (folder / "hosts.yaml").write_text(
        f"olt-poa-09:\n  hostname: 127.0.0.1\n  port: {port}\n  platform: huawei_smartax\n"
        "  data: {role: olt, vendor: huawei, site: poa, model: MA5800-X7}\n"
    )
    (folder / "groups.yaml").write_text("{}\n")
    (folder / "defaults.yaml").write_text(f"username: noc\npassword: {PASSWORD}\n")
    return folder


def checked(cli: Cli, *args: str, expect: int) -> dict:
    proc = cli("inventory", "check", "-o", "json", *args)
    assert proc.returncode == expect, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert PASSWORD not in proc.stdout + proc.stderr
    return {row["host"]: row for row in json.loads(proc.stdout)}


def test_an_unknown_key_is_refused_before_any_login(
    rogue: Rogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    known_hosts = tmp_path / "known_hosts"
    monkeypatch.setenv("ISPFLOW_KNOWN_HOSTS", str(known_hosts))
    where = f"127.0.0.1:{rogue.port}"
    with pytest.raises(HostKeyUnknown) as caught:
        OltCli().open("127.0.0.1", "noc", PASSWORD, rogue.port, "huawei_smartax")
    assert str(caught.value) == (
        f"unknown SSH host key at {where}: the server offers {fingerprint(rogue.public)}, "
        f"which {known_hosts} does not list; no login was tried (no password sent). If that "
        f"is the OLT's key, enrol it: `ispflow inventory trust {where}`"
    )
    assert rogue.connections == 1 and rogue.auth_attempts == []

    inventory = rogue_inventory(tmp_path / "inventory", rogue.port)
    cli = EnvCli(tmp_path, f"sqlite:///{tmp_path / 'ispflow.db'}", inventory)
    row = checked(cli, expect=1)["olt-poa-09"]
    assert row["status"] == "host key unknown"
    assert row["message"] == str(caught.value)
    assert rogue.connections > 1 and rogue.auth_attempts == []
    assert not known_hosts.exists()

    # Enrolled, the same server is logged in to: the refusal above was the key check's.
    trusted = cli("inventory", "trust", where)
    assert trusted.returncode == 0, trusted.stdout + trusted.stderr
    assert f"new       olt-poa-09  {where}  {fingerprint(rogue.public)}" in trusted.stdout
    assert rogue.auth_attempts == []  # enrolling does not log in
    row = checked(cli, expect=1)["olt-poa-09"]
    assert row["status"] == "login refused"
    assert ("password", "noc") in rogue.auth_attempts


def test_a_changed_key_is_refused_naming_both_fingerprints(
    rogue: Rogue, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    known_hosts = tmp_path / "known_hosts"
    monkeypatch.setenv("ISPFLOW_KNOWN_HOSTS", str(known_hosts))
    olt_key = paramiko_key(asyncssh.generate_private_key("ssh-ed25519"))
    known_hosts.write_text(
        f"[127.0.0.1]:{rogue.port} {olt_key.get_name()} {olt_key.get_base64()}\n"
    )
    where = f"127.0.0.1:{rogue.port}"
    with pytest.raises(HostKeyChanged) as caught:
        OltCli().open("127.0.0.1", "noc", PASSWORD, rogue.port, "huawei_smartax")
    message = str(caught.value)
    assert message.startswith(
        f"HOST KEY CHANGED at {where}: {known_hosts} records {fingerprint(olt_key)} but the "
        f"server offers {fingerprint(rogue.public)}. This may be an attack"
    )
    assert f"`ispflow inventory trust {where} --replace`" in message
    assert rogue.auth_attempts == []

    broken = tmp_path / "broken_known_hosts"
    broken.write_text(f"[127.0.0.1]:{rogue.port} ssh-ed25519 not!base64\n")
    monkeypatch.setenv("ISPFLOW_KNOWN_HOSTS", str(broken))
    with pytest.raises(ConnectFailed) as unreadable:
        OltCli().open("127.0.0.1", "noc", PASSWORD, rogue.port, "huawei_smartax")
    assert str(unreadable.value).startswith(
        f"{where}: the known hosts file {broken} has a line that is not a key"
    )
    assert rogue.auth_attempts == []
    monkeypatch.setenv("ISPFLOW_KNOWN_HOSTS", str(known_hosts))

    inventory = rogue_inventory(tmp_path / "inventory", rogue.port)
    cli = EnvCli(tmp_path, f"sqlite:///{tmp_path / 'ispflow.db'}", inventory)
    proc = cli("run", "onu-autofind", "-o", "json", "-q")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    [failed] = [r for r in json.loads(proc.stdout)["results"] if r["status"] == "failed"]
    assert failed["error"] == message
    assert rogue.auth_attempts == []

    kept = cli("inventory", "trust", "olt-poa-09", "-o", "json")
    assert kept.returncode == 1
    [row] = json.loads(kept.stdout)["hosts"]
    assert (row["status"], row["key"], row["previous"]) == (
        "changed",
        fingerprint(rogue.public),
        [fingerprint(olt_key)],
    )
    assert olt_key.get_base64() in known_hosts.read_text()
    text = cli("inventory", "trust", "olt-poa-09")
    assert text.returncode == 1 and text.stdout.startswith("CHANGED")
    assert "This may be an attack" in text.stdout and "--replace" in text.stdout
    assert rogue.auth_attempts == []


# -- on the lab ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def keys_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    yield from start_lab(tmp_path_factory.mktemp("keys"))


def lab_key(lab: RunningLab) -> paramiko.PKey:
    return paramiko_key(asyncssh.read_private_key(str(lab.state / "host_key")))


def cli_with(lab: RunningLab, **env: str) -> EnvCli:
    return EnvCli(lab.root, lab.db_url, None, **env)


def run(cli: Cli, *args: str, expect: int) -> subprocess.CompletedProcess[str]:
    proc = cli("run", *args, "-o", "json", "-q")
    assert proc.returncode == expect, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_lab_up_records_its_key_where_runs_check(keys_lab: RunningLab) -> None:
    known_hosts = Path(os.environ["ISPFLOW_KNOWN_HOSTS"])
    key = lab_key(keys_lab)
    for olt in keys_lab.fleet()["olts"]:
        line = f"[127.0.0.1]:{olt['port']} {key.get_name()} {key.get_base64()}"
        assert line in known_hosts.read_text().splitlines()
    for router in keys_lab.fleet()["concentrators"]:  # the RouterOS API is not SSH
        assert f"[127.0.0.1]:{router['port']} " not in known_hosts.read_text()
    run(keys_lab.cli, "onu-signal", expect=0)

    # `lab up` again with the same knobs leaves the lab alone and records its key again; a key
    # another lab left on a port where this one serves a RouterOS API goes.
    ours = tuple(f"[127.0.0.1]:{olt['port']} " for olt in keys_lab.fleet()["olts"])
    lines = known_hosts.read_text().splitlines()
    other = paramiko_key(asyncssh.generate_private_key("ssh-ed25519"))
    router_port = keys_lab.fleet()["concentrators"][0]["port"]
    stale = f"[127.0.0.1]:{router_port} {other.get_name()} {other.get_base64()}"
    kept = [line for line in lines if not line.startswith(ours)]
    known_hosts.write_text("".join(f"{line}\n" for line in [*kept, stale]))
    again = keys_lab.cli(*keys_lab.up_args)
    assert again.returncode == 0, again.stderr
    assert "already running" in again.stdout
    assert sorted(known_hosts.read_text().splitlines()) == sorted(lines)


def test_trust_enrols_and_then_the_run_works(keys_lab: RunningLab, tmp_path: Path) -> None:
    known_hosts = tmp_path / "elsewhere" / "known_hosts"
    cli = cli_with(keys_lab, ISPFLOW_KNOWN_HOSTS=str(known_hosts))
    olts = {olt["name"]: olt for olt in keys_lab.fleet()["olts"]}
    key = fingerprint(lab_key(keys_lab))

    refused = json.loads(run(cli, "onu-signal", expect=1).stdout)
    errors = {r["host"]: r["error"] for r in refused["results"] if r["status"] == "failed"}
    assert set(errors) == set(olts)
    for name, error in errors.items():
        assert error.startswith(f"unknown SSH host key at 127.0.0.1:{olts[name]['port']}")
        assert key in error

    proc = cli("inventory", "trust", "-o", "json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    done = json.loads(proc.stdout)
    assert done["known_hosts"] == str(known_hosts)
    assert {r["host"]: (r["status"], r["key"]) for r in done["hosts"]} == {
        name: ("new", key) for name in olts
    }
    run(cli, "onu-signal", expect=0)

    again = cli("inventory", "trust", "--limit", "site=poa")
    assert again.returncode == 0
    assert all(line.startswith("unchanged ") for line in again.stdout.splitlines())
    assert "known hosts" in again.stderr and "unchanged" in again.stderr

    # An OLT whose recorded key is another: refused loudly until --replace.
    name = sorted(olts)[0]
    other = paramiko_key(asyncssh.generate_private_key("ssh-ed25519"))
    recorded = f"[127.0.0.1]:{olts[name]['port']} "
    known_hosts.write_text(
        "".join(
            f"{recorded}{other.get_name()} {other.get_base64()}\n"
            if line.startswith(recorded)
            else line + "\n"
            for line in known_hosts.read_text().splitlines()
        )
    )
    failed = json.loads(run(cli, "onu-signal", expect=1).stdout)
    [error] = [r["error"] for r in failed["results"] if r["status"] == "failed"]
    assert error.startswith(f"HOST KEY CHANGED at 127.0.0.1:{olts[name]['port']}")
    assert fingerprint(other) in error and key in error

    kept = cli("inventory", "trust", name)
    assert kept.returncode == 1 and kept.stdout.startswith("CHANGED")
    replaced = cli("inventory", "trust", name, "--replace")
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    assert (
        replaced.stdout.startswith("replaced") and f"(was {fingerprint(other)})" in replaced.stdout
    )
    run(cli, "onu-signal", expect=0)

    concentrator = keys_lab.fleet()["concentrators"][0]["name"]
    wrong = cli("inventory", "trust", concentrator)
    assert wrong.returncode == 2
    assert f"{concentrator} is not an OLT (role 'concentrator')" in wrong.stderr
    assert cli("inventory", "trust", "olt-nowhere").returncode == 2


def test_the_opt_out_runs_unchecked_and_says_so_once(keys_lab: RunningLab, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"  # nothing recorded: a checked run would fail everywhere
    config = tmp_path / "ispflow.yaml"
    config.write_text("ssh:\n  host_key_check: false\n")
    cli = cli_with(keys_lab, ISPFLOW_KNOWN_HOSTS=str(empty), ISPFLOW_CONFIG=str(config))
    olts = sorted(olt["name"] for olt in keys_lab.fleet()["olts"])
    proc = run(cli, "onu-signal", expect=0)
    assert proc.stderr.count("SSH host keys NOT checked") == 1, proc.stderr
    assert (
        f"warning: SSH host keys NOT checked for {len(olts)} OLT(s) (ssh.host_key_check is "
        f"false in {config}): {', '.join(olts)}"
    ) in proc.stderr
    assert not empty.exists()  # an unchecked run records nothing
    dry = cli("run", "onu-signal", "--dry-run", "-q")
    assert dry.returncode == 0 and "NOT checked" not in dry.stderr  # nothing connects

    # One OLT opted out in its own extras: the others are checked (the lab recorded them).
    folder = tmp_path / "inventory"
    folder.mkdir()
    yaml = YAML(typ="safe")
    for name in ("groups.yaml", "defaults.yaml"):
        (folder / name).write_text((keys_lab.state / "inventory" / name).read_text())
    hosts = yaml.load((keys_lab.state / "inventory" / "hosts.yaml").read_text())
    hosts[olts[0]]["connection_options"] = {"olt_cli": {"extras": {"host_key_check": False}}}
    with (folder / "hosts.yaml").open("w") as out:
        yaml.dump(hosts, out)
    secrets = str(keys_lab.state / "secrets.yaml")
    one = EnvCli(keys_lab.root, keys_lab.db_url, folder, ISPFLOW_SECRETS=secrets)
    proc = run(one, "onu-signal", expect=0)
    assert proc.stderr.count("NOT checked") == 1
    assert (
        f"NOT checked for 1 OLT(s) (host_key_check: false in their olt_cli extras): {olts[0]};"
        in proc.stderr
    )
