"""Settings that decide where tokens go: a configuration found in the working folder is used
only when it is this user's and not writable by others, and is named when it sends a token
somewhere; an unencrypted URL is warned about."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from ispflow.core.errors import UsageError
from ispflow.core.notices import warn_if_cleartext, warn_once
from ispflow.core.settings import load_section
from ispflow.plugins.inventory.netbox_settings import netbox_settings
from ispflow.store.tickets.config import ticket_settings


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in ("ISPFLOW_CONFIG", "ISPFLOW_RT_URL", "ISPFLOW_RT_TOKEN", "ISPFLOW_TICKETS"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("ISPFLOW_NETBOX_URL", raising=False)
    return tmp_path


def test_a_found_configuration_others_can_write_is_not_used(here: Path) -> None:
    config = here / "ispflow.yaml"
    config.write_text("tickets:\n  backend: store\n")
    config.chmod(0o666)
    with pytest.raises(UsageError, match=r"writable by others \(mode 0666\); not used"):
        load_section("tickets", ("backend",))
    config.chmod(0o644)
    assert load_section("tickets", ("backend",))[0] == {"backend": "store"}


def test_a_named_configuration_is_the_users_choice(
    here: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = here / "shared.yaml"
    config.write_text("tickets:\n  backend: store\n")
    config.chmod(0o666)
    monkeypatch.setenv("ISPFLOW_CONFIG", str(config))
    assert load_section("tickets", ("backend",))[0] == {"backend": "store"}


def test_a_token_sent_where_the_working_folder_says_is_named(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"https://rt-{uuid.uuid4().hex[:8]}.example.net"
    (here / "ispflow.yaml").write_text(f"tickets:\n  backend: rt\n  url: {url}\n")
    monkeypatch.setenv("ISPFLOW_RT_TOKEN", "token-from-the-environment")
    assert ticket_settings().url == url
    ticket_settings()
    err = capsys.readouterr().err
    assert err.count(f"the Request Tracker URL {url} comes from ./ispflow.yaml") == 1
    assert "token-from-the-environment" not in err


def test_netbox_from_the_working_folder_is_named_too(
    here: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"https://nb-{uuid.uuid4().hex[:8]}.example.net"
    (here / "ispflow.yaml").write_text(f"netbox:\n  url: {url}\n")
    monkeypatch.setenv("ISPFLOW_NETBOX_TOKEN", "nb-token")
    netbox_settings()
    assert f"the NetBox URL {url} comes from ./ispflow.yaml" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("url", "warned"),
    [
        ("http://netbox.isp.example", True),
        ("https://netbox.isp.example", False),
        ("http://127.0.0.1:8000", False),
        ("http://localhost:8080", False),
    ],
)
def test_a_url_without_tls_is_warned_about(
    url: str, warned: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    warn_if_cleartext(f"NetBox {uuid.uuid4().hex}", url)
    err = capsys.readouterr().err
    assert ("is not encrypted: its API token crosses the network in clear text" in err) is warned


def test_a_warning_is_said_once(capsys: pytest.CaptureFixture[str]) -> None:
    key = uuid.uuid4().hex
    assert warn_once(key, "first") and not warn_once(key, "again")
    assert capsys.readouterr().err == "warning: first\n"


def test_group_writable_is_fine_for_the_users_own_group_only(here: Path) -> None:
    config = here / "ispflow.yaml"
    config.write_text("tickets:\n  backend: store\n")
    config.chmod(0o664)
    assert load_section("tickets", ("backend",))[0] == {"backend": "store"}
    other_group = os.getgid() + 1
    try:
        os.chown(config, -1, other_group)
    except PermissionError:
        pytest.skip("changing a file's group needs privileges here")
    with pytest.raises(UsageError, match="writable by others"):
        load_section("tickets", ("backend",))
