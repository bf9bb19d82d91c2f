"""A session that cannot start says why, with host:port, against real sockets."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from ispflow.engine.step_runner import error_text
from ispflow.plugins.connections.connect_errors import ConnectFailed
from ispflow.plugins.connections.olt_cli import OltCli

PLATFORM = "huawei_smartax"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield int(server.getsockname()[1])
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def failure(port: int, **overrides: object) -> ConnectFailed:
    args: dict[str, object] = {
        "hostname": "127.0.0.1",
        "username": "noc",
        "password": "s3cr3t-Pass",
        "port": port,
        "platform": PLATFORM,
        "extras": {"conn_timeout": 2, "banner_timeout": 1, "auth_timeout": 1},
    }
    args.update(overrides)
    with pytest.raises(ConnectFailed) as caught:
        OltCli().open(**args)  # type: ignore[arg-type]
    return caught.value


def test_nothing_listening_is_connection_refused_at_host_port() -> None:
    port = closed_port()
    error = failure(port)
    assert str(error) == f"connection refused at 127.0.0.1:{port}: nothing listens on that port"
    assert error_text(error) == str(error)  # no class name in front of a message that says it


def test_a_port_that_never_speaks_ssh_is_named(silent_port: int) -> None:
    error = failure(silent_port)
    assert str(error).startswith(f"127.0.0.1:{silent_port} did not answer as an SSH server")


@pytest.mark.parametrize(("username", "password", "missing"), [
    (None, "x", "no username for"),
    ("noc", "", "no password for"),
    ("", None, "no username or password for"),
])  # fmt: skip
def test_missing_credentials_are_named_before_connecting(
    monkeypatch: pytest.MonkeyPatch, username: str | None, password: str | None, missing: str
) -> None:
    monkeypatch.delenv("ISPFLOW_SECRETS", raising=False)
    port = closed_port()  # not tried: the credentials are missing first
    error = str(failure(port, username=username, password=password))
    assert error.startswith(f"{missing} 127.0.0.1:{port}: looked in the inventory"), error
    assert "ISPFLOW_SECRETS is not set" in error and "ISPFLOW_USERNAME/ISPFLOW_PASSWORD" in error
    monkeypatch.setenv("ISPFLOW_SECRETS", "/etc/ispflow/secrets.yaml")
    assert "the secrets file /etc/ispflow/secrets.yaml" in str(failure(port, username=None))


def test_other_errors_keep_their_class_name() -> None:
    assert error_text(KeyError("port")) == "KeyError: 'port'"
