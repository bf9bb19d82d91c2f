"""The concentrators' API runs over TLS unless a host says `tls: false`: by default no
password reaches the network in clear text, through the API connection or NAPALM's, and a
run that logs in without TLS says so once, naming the hosts."""

from __future__ import annotations

import json
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import librouteros
import pytest
from nornir import InitNornir
from nornir.core import Nornir
from ruamel.yaml import YAML

from ispflow.plugins.concentrator.mikrotik.napalm_device import ConcentratorConnectError
from ispflow.tasks.concentrator_facts import facts
from tests.conftest import Cli
from tests.lab.conftest import RunningLab, start_lab

PASSWORD = "n4o-pode-vazar-42"
WARNING = "login without TLS"
# Two steps, each logging in to every concentrator again (the probe closes its session):
# still one warning for the run.
TWO_STEPS = """\
name: concentrators-twice
targets: role=concentrator
steps:
  - name: probe
    task: inventory.probe
    with: {facts: false}
  - name: facts
    task: concentrator.facts
"""


class PlainListener:
    """A plain TCP server where a concentrator should be. Of each client it keeps what the
    client sends until its first message is whole (a TLS record, or an API sentence with its
    closing empty word), then hangs up: a TLS client has then sent its ClientHello and waits
    for an answer; a plain API client has sent its login."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.received: list[bytes] = []
        self.closing = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            client, _ = self.server.accept()
            if self.closing:
                client.close()
                return
            with client:
                data = bytearray()
                while not _whole(data):
                    chunk = client.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            if data:  # the probe's reachability check connects and sends nothing
                self.received.append(bytes(data))

    def close(self) -> None:
        # A blocked accept() does not wake when its socket is closed: a last client wakes it.
        self.closing = True
        socket.create_connection(("127.0.0.1", self.port)).close()
        self.thread.join()
        self.server.close()


def _whole(data: bytearray) -> bool:
    if len(data) >= 5 and data[0] == 0x16:  # TLS handshake record: 5-byte header, its length
        return len(data) >= 5 + int.from_bytes(data[3:5], "big")
    return data.endswith(b"\x00")


@pytest.fixture
def listener() -> Iterator[PlainListener]:
    found = PlainListener()
    yield found
    found.close()


def write_inventory(folder: Path, port: int, extras: dict[str, Any] | None = None) -> Path:
    """One concentrator at the listener's port; its API settings are `extras` or none."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "groups.yaml").write_text(
        "mikrotik:\n  platform: routeros\n  data: {vendor: mikrotik, role: concentrator}\n"
    )
    (folder / "defaults.yaml").write_text(f"username: noc\npassword: {PASSWORD}\n")
    host: dict[str, Any] = {"hostname": "127.0.0.1", "port": port, "groups": ["mikrotik"]}
    if extras is not None:
        host["connection_options"] = {"routeros_api": {"extras": extras}}
    (folder / "hosts.yaml").write_text(json.dumps({"bras-99": host}))  # JSON is YAML
    return folder


def nornir_on(inventory: Path) -> Nornir:
    return InitNornir(
        runner={"plugin": "serial"},
        inventory={
            "plugin": "SimpleInventory",
            "options": {
                "host_file": str(inventory / "hosts.yaml"),
                "group_file": str(inventory / "groups.yaml"),
                "defaults_file": str(inventory / "defaults.yaml"),
            },
        },
        logging={"enabled": False},
    )


def test_by_default_no_password_reaches_a_plain_listener(
    tmp_path: Path, listener: PlainListener
) -> None:
    inventory = write_inventory(tmp_path / "inventory", listener.port)
    cli = Cli(tmp_path, f"sqlite:///{tmp_path / 'ispflow.db'}", inventory)
    proc = cli("run", "inventory-probe", "-o", "json", "-q")
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    [result] = json.loads(proc.stdout)["results"]
    assert "TLS handshake failed" in result["error"] and "api-ssl" in result["error"]
    # What arrived is a TLS ClientHello (a handshake record, then type 1), never a login.
    [hello] = listener.received
    assert hello[:3] == b"\x16\x03\x01" and hello[5] == 1
    assert PASSWORD.encode() not in hello and b"=password=" not in hello
    assert WARNING not in proc.stderr

    # The same host with `tls: false`: the listener reads the password, and the run says so.
    write_inventory(tmp_path / "inventory", listener.port, {"tls": False})
    proc = cli("run", "inventory-probe", "-o", "json", "-q")
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert f"=password={PASSWORD}".encode() in listener.received[-1]
    assert proc.stderr.count(WARNING) == 1 and "bras-99" in proc.stderr


def test_a_tls_setting_that_is_no_boolean_is_refused_before_anything_is_sent(
    tmp_path: Path, listener: PlainListener
) -> None:
    # `no` is a string to YAML 1.2: read as true or as false, it would be a guess.
    inventory = write_inventory(tmp_path / "inventory", listener.port, {"tls": "no"})
    cli = Cli(tmp_path, f"sqlite:///{tmp_path / 'ispflow.db'}", inventory)
    proc = cli("run", "inventory-probe", "-o", "json", "-q")
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    [result] = json.loads(proc.stdout)["results"]
    assert (
        "routeros_api extras: tls is true or false (a YAML boolean), not 'no'" in (result["error"])
    )
    assert listener.received == []


def test_napalm_sessions_use_tls_by_default(
    tmp_path: Path, listener: PlainListener, caplog: pytest.LogCaptureFixture
) -> None:
    nornir = nornir_on(write_inventory(tmp_path / "inventory", listener.port))
    try:
        result = nornir.run(task=facts)
    finally:
        nornir.close_connections()
    error = result["bras-99"].exception
    assert isinstance(error, ConcentratorConnectError) and error.status == "connection failed"
    assert "TLS handshake failed" in str(error) and PASSWORD not in str(error)
    [hello] = listener.received
    assert hello[:3] == b"\x16\x03\x01" and hello[5] == 1
    assert PASSWORD.encode() not in hello and b"=password=" not in hello
    assert not [r for r in caplog.records if WARNING in r.getMessage()]


def test_the_lab_serves_tls_by_default(lab: RunningLab) -> None:
    routers = lab.fleet()["concentrators"]
    assert routers and all(router["tls"] for router in routers)
    hosts = YAML(typ="safe").load((lab.state / "inventory" / "hosts.yaml").read_text())
    for router in routers:
        extras = hosts[router["name"]]["connection_options"]["routeros_api"]["extras"]
        assert extras["tls"] is True and Path(extras["ca_file"]).is_file()
    with pytest.raises((librouteros.exceptions.ConnectionClosed, OSError)):
        librouteros.connect(  # the TLS port does not speak the plain API
            "127.0.0.1", "lab", lab.password(), port=routers[0]["port"], timeout=3
        )
    (lab.root / "twice.yaml").write_text(TWO_STEPS)
    proc = lab.cli("run", "twice.yaml", "-q")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert WARNING not in proc.stderr


@pytest.fixture(scope="module")
def plain_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    yield from start_lab(tmp_path_factory.mktemp("plain-api"), "--no-api-tls")


def test_a_run_without_tls_says_so_once_naming_the_hosts(plain_lab: RunningLab) -> None:
    routers = sorted(router["name"] for router in plain_lab.fleet()["concentrators"])
    assert len(routers) == 2 and not any(r["tls"] for r in plain_lab.fleet()["concentrators"])
    hosts = plain_lab.nornir().inventory.hosts
    assert all(
        hosts[name].get_connection_parameters("routeros_api").extras == {"tls": False}
        for name in routers
    )
    (plain_lab.root / "twice.yaml").write_text(TWO_STEPS)
    proc = plain_lab.cli("run", "twice.yaml", "-o", "json", "-q")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    run_id = json.loads(proc.stdout)["run_id"]
    # Two steps, two hosts, the API and NAPALM each: one warning, naming both hosts.
    assert proc.stderr.count(WARNING) == 1, proc.stderr
    [line] = [line for line in proc.stderr.splitlines() if WARNING in line]
    assert line.startswith(f"warning: run {run_id}: {', '.join(routers)}: ")
    assert "clear text" in line and plain_lab.password() not in proc.stderr

    # Nothing is sent on a dry run, and inventory-check touches no device: nothing to say.
    for args in (("twice.yaml", "--dry-run"), ("inventory-check",)):
        proc = plain_lab.cli("run", *args, "-q")
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        assert WARNING not in proc.stderr, args


def test_two_runs_in_one_process_each_say_it_once(
    plain_lab: RunningLab, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from ispflow import RunOptions, run_runbook

    monkeypatch.chdir(plain_lab.root)  # the running lab's inventory and secrets
    book = plain_lab.root / "twice.yaml"
    book.write_text(TWO_STEPS)
    outcomes: list[Any] = [None, None]

    def run(index: int) -> None:
        outcomes[index] = run_runbook(book, {}, RunOptions(), db=plain_lab.db_url)

    caplog.set_level(logging.WARNING, logger="ispflow")
    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [o.status for o in outcomes] == ["ok", "ok"]
    said = [r.getMessage() for r in caplog.records if WARNING in r.getMessage()]
    assert sorted(m.split(":", 1)[0] for m in said) == sorted(f"run {o.run_id}" for o in outcomes)


def test_debug_logging_never_shows_the_password(
    lab: RunningLab, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from ispflow import RunOptions, run_runbook

    monkeypatch.chdir(lab.root)
    book = lab.root / "twice.yaml"
    book.write_text(TWO_STEPS)  # the API session's login and NAPALM's
    caplog.set_level(logging.DEBUG)  # an application embedding ispflow, logging everything
    outcome = run_runbook(book, {}, RunOptions(), db=lab.db_url)
    assert outcome.status == "ok"
    logins = [r for r in caplog.records if r.name == "librouteros" and "=password=" in r.msg]
    assert len(logins) >= 2, "librouteros logged no login sentence: nothing was checked"
    assert all(r.getMessage().endswith("=password=********'") for r in logins)
    assert lab.password() not in caplog.text
