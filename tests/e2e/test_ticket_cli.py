"""`ispflow ticket ...` as a field team uses it, on the store (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.conftest import Cli


def opened(cli: Cli, *args: str) -> dict:
    proc = cli("ticket", "open", "--as", "ana", "-o", "json", *args)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def listed(cli: Cli, *args: str) -> list[str]:
    proc = cli("ticket", "list", "-o", "json", *args)
    assert proc.returncode == 0, proc.stderr
    return [t["protocol"] for t in json.loads(proc.stdout)]


def test_ticket_lifecycle_from_the_command_line(cli: Cli) -> None:
    first = opened(
        cli,
        "-s",
        "Sem sinal",
        "--queue",
        "remote-support",
        "--cause",
        "LOS",
        "--channel",
        "whatsapp",
    )
    urgent = opened(
        cli,
        "-s",
        "Fibra rompida",
        "--queue",
        "on-site-visit",
        "--urgent",
        "--visit",
        "2026-12-02T09:00-03:00",
    )
    assert listed(cli) == [urgent["protocol"], first["protocol"]]
    assert listed(cli, "--urgent") == [urgent["protocol"]]
    assert listed(cli, "--channel", "whats") == [first["protocol"]]
    assert listed(cli, "--visit-from", "2026-12-02", "--visit-to", "2026-12-02") == [
        urgent["protocol"]
    ]
    assert listed(cli, "--visit-from", "2026-12-03") == []

    claim = cli("ticket", "claim", first["protocol"], "--as", "ana")
    assert claim.returncode == 0, claim.stderr
    second = cli("ticket", "claim", first["protocol"], "--as", "bruno")
    assert second.returncode == 1
    assert "already claimed by ana" in second.stderr
    assert listed(cli, "--unowned") == [urgent["protocol"]]

    assert cli("ticket", "comment", first["protocol"], "RX -28 dBm", "--as", "ana").returncode == 0
    moved = cli("ticket", "move", first["protocol"], "--queue", "on-site-visit", "--as", "ana")
    assert moved.returncode == 0
    assert listed(cli, "--queue", "on-site-visit") == [urgent["protocol"], first["protocol"]]

    no_code = cli("ticket", "close", first["protocol"], "--as", "ana")
    assert no_code.returncode == 2 and "--code" in no_code.stderr
    by_other = cli("ticket", "close", first["protocol"], "--code", "X", "--as", "bruno")
    assert by_other.returncode == 1 and "ana" in by_other.stderr
    closed = cli(
        "ticket",
        "close",
        first["protocol"],
        "--code",
        "DROP-TROCADO",
        "--text",
        "drop trocado",
        "--as",
        "ana",
        "-o",
        "json",
    )
    assert closed.returncode == 0, closed.stderr
    shown = json.loads(closed.stdout)
    assert shown["status"] == "closed" and shown["solution_code"] == "DROP-TROCADO"
    assert [a["kind"] for a in shown["actions"]] == ["opened", "claim", "comment", "move", "close"]
    assert listed(cli, "--status", "closed") == [first["protocol"]]
    assert listed(cli, "--status", "closed", "--date-type", "closed", "--since", "2000-01-01") == [
        first["protocol"]
    ]

    text = cli("ticket", "show", first["protocol"])
    assert text.returncode == 0 and "DROP-TROCADO" in text.stdout and "RX -28 dBm" in text.stdout


def test_ticket_input_errors_are_clear(sqlite_cli: Cli) -> None:
    cli = sqlite_cli
    missing = cli("ticket", "show", "424242")
    assert missing.returncode == 1 and "no service order '424242'" in missing.stderr
    bad_date = cli("ticket", "list", "--since", "30/11/2026")
    assert bad_date.returncode == 2 and "--since '30/11/2026'" in bad_date.stderr
    bad_status = cli("ticket", "list", "--status", "done")
    assert bad_status.returncode == 2 and "--status 'done'" in bad_status.stderr
    unknown_contract = cli("ticket", "open", "-s", "x", "--contract", "C-404", "--as", "ana")
    assert unknown_contract.returncode == 1 and "C-404" in unknown_contract.stderr
    rt_without_url = cli("ticket", "list", "--backend", "rt")
    assert rt_without_url.returncode == 2 and "ISPFLOW_RT_URL" in rt_without_url.stderr
    assert "Traceback" not in missing.stderr + bad_date.stderr + rt_without_url.stderr


def test_ticket_help_teaches(sqlite_cli: Cli) -> None:
    helped = sqlite_cli("ticket", "--help")
    assert helped.returncode == 0
    for word in ("claim", "close", "move", "list", "ispflow ticket claim"):
        assert word in helped.stdout


@pytest.mark.rt
def test_ticket_commands_on_request_tracker(
    sqlite_cli: Cli, request_tracker: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISPFLOW_TICKETS", "rt")
    monkeypatch.setenv("ISPFLOW_RT_URL", request_tracker["url"])
    monkeypatch.setenv("ISPFLOW_RT_TOKEN", request_tracker["token"])
    cli = sqlite_cli
    cause = f"cli-{uuid.uuid4().hex[:8]}"
    made = opened(cli, "-s", "Sem sinal", "--queue", "remote-support", "--cause", cause)
    assert listed(cli, "--cause", cause, "--unowned") == [made["protocol"]]
    assert cli("ticket", "claim", made["protocol"], "--as", "ana").returncode == 0
    second = cli("ticket", "claim", made["protocol"], "--as", "bruno")
    assert second.returncode == 1 and "ana" in second.stderr
    closed = cli(
        "ticket",
        "close",
        made["protocol"],
        "--code",
        "OK",
        "--text",
        "feito",
        "--as",
        "ana",
        "-o",
        "json",
    )
    assert closed.returncode == 0, closed.stderr
    assert json.loads(closed.stdout)["status"] == "closed"
    everything = " ".join(
        p.stdout + p.stderr for p in (second, closed, cli("ticket", "show", made["protocol"]))
    )
    assert request_tracker["token"] not in everything


def test_bad_rt_token_is_a_clear_error_without_the_token(
    sqlite_cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISPFLOW_RT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("ISPFLOW_RT_TOKEN", "1-99-secret-token-value")
    proc = sqlite_cli("ticket", "list", "--backend", "rt")
    assert proc.returncode == 1
    assert "127.0.0.1:9" in proc.stderr
    assert "secret-token-value" not in proc.stdout + proc.stderr
