"""The configuration file and the ticket backend chosen from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from ispflow.core.errors import UsageError
from ispflow.store.tickets.config import ticket_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("ISPFLOW_CONFIG", "ISPFLOW_TICKETS", "ISPFLOW_RT_URL", "ISPFLOW_RT_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)


def test_default_is_the_store_without_a_file() -> None:
    assert ticket_settings().backend == "store"


def test_rt_from_the_file_with_a_token_file(tmp_path: Path) -> None:
    (tmp_path / "rt.token").write_text("1-2-abcdef\n")
    (tmp_path / "ispflow.yaml").write_text(
        "tickets:\n  backend: rt\n  url: http://rt.example\n  token_file: rt.token\n"
    )
    settings = ticket_settings()
    assert (settings.backend, settings.url, settings.token) == (
        "rt",
        "http://rt.example",
        "1-2-abcdef",
    )
    assert "abcdef" not in repr(settings)


def test_environment_wins_over_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ispflow.yaml").write_text("tickets:\n  backend: rt\n  url: http://a\n")
    monkeypatch.setenv("ISPFLOW_TICKETS", "store")
    assert ticket_settings().backend == "store"
    monkeypatch.setenv("ISPFLOW_TICKETS", "rt")
    monkeypatch.setenv("ISPFLOW_RT_TOKEN", "t")
    monkeypatch.setenv("ISPFLOW_RT_URL", "http://b")
    assert ticket_settings().url == "http://b"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("tickets:\n  backend: rt\n  urll: x\n", "unknown key 'urll' (did you mean 'url'?)"),
        ("tickets:\n  backend: jira\n", "ticket backend 'jira' is not one of store, rt"),
        ("tickets:\n  backend: rt\n", "needs Request Tracker's URL"),
        ("tickets:\n  backend: rt\n  url: http://x\n", "needs an API token"),
        ("tickets: [rt]\n", "'tickets' is a mapping"),
        ("tickets: {backend: rt\n", "not valid YAML"),
        ("tickets:\n  backend: rt\n  url: http://x\n  token_file: nope.token\n", "nope.token"),
    ],
)
def test_configuration_mistakes_are_clear(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "ispflow.yaml").write_text(text)
    with pytest.raises(UsageError) as error:
        ticket_settings()
    assert message in str(error.value)
    assert "ispflow.yaml" in str(error.value) or "jira" in message


def test_a_named_configuration_file_must_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISPFLOW_CONFIG", "/nonexistent/ispflow.yaml")
    with pytest.raises(UsageError, match="does not exist"):
        ticket_settings()
