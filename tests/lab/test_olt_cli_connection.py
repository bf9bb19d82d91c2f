"""The olt_cli connection on its own: long answers that page, and a session the OLT closes."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import paramiko
import pytest

from ispflow.plugins.connections.olt_cli import AEAD_CIPHERS, OltCli, aead_first_transport
from ispflow.plugins.olt.driver import PonPort
from ispflow.plugins.olt.drivers import driver_class
from ispflow.plugins.olt.session import CliSession, SessionLost
from tests.lab.conftest import RunningLab, start_lab

ONUS = 24  # more rows than a page of 10 lines


@pytest.fixture(scope="module")
def big_lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningLab]:
    yield from start_lab(tmp_path_factory.mktemp("big"), "--onus", str(ONUS), "--autofind", "0")


def _session(lab: RunningLab, model: str) -> tuple[CliSession, OltCli, dict]:
    olt = lab.olt_of_model(model)
    plugin = OltCli()
    plugin.open("127.0.0.1", "lab", lab.password(), olt["port"], olt["platform"])
    driver = driver_class(olt["vendor"])(model=olt["model"])
    return CliSession(plugin.connection, driver, read_timeout=10), plugin, olt


@pytest.mark.parametrize(
    ("model", "paging"), [("MA5800-X7", "scroll 10"), ("C320", "terminal length 10")]
)
def test_a_paged_answer_is_read_whole(big_lab: RunningLab, model: str, paging: str) -> None:
    session, plugin, olt = _session(big_lab, model)
    try:
        session.run([paging])  # the OLT now stops every 10 lines and waits for a key
        pon = PonPort.parse(olt["pons"][0]["port"])
        steps = session.driver.optical_ports([pon])
        answers = session.read([step.line for step in steps])
    finally:
        plugin.close()
    outputs = {line: output for line, output in answers}
    reads = [step.line for step in steps if step.pon is not None]
    assert len(reads) == 2  # the PON's ONU list, then its optical table
    records = []
    for read in reads:
        assert "More" not in outputs[read]
        records += session.driver.parse(read, outputs[read])
    port = olt["pons"][0]["port"]
    expected = {onu["onu_id"] for onu in big_lab.onus(olt=olt["name"], port=port, autofind=False)}
    assert len(expected) == ONUS
    assert {reading["onu_id"] for reading in session.driver.readings(pon, records)} == expected


def test_a_session_the_olt_closes_fails_at_once(big_lab: RunningLab) -> None:
    session, plugin, olt = _session(big_lab, "MA5800-X7")
    try:
        fault = big_lab.cli("lab", "fault", olt["name"], "--drop-on", "display ont optical-info")
        assert fault.returncode == 0, fault.stderr
        pon = PonPort.parse(olt["pons"][0]["port"])
        with pytest.raises(SessionLost, match="closed the session"):
            session.run([step.line for step in session.driver.optical_ports([pon])])
    finally:
        big_lab.cli("lab", "fault", "--clear")
        plugin.close()


def test_the_session_is_encrypted_with_aes_gcm_when_the_olt_offers_it(
    big_lab: RunningLab,
) -> None:
    _, plugin, _ = _session(big_lab, "C320")
    try:
        transport = plugin.connection.remote_conn.get_transport()
        assert (transport.local_cipher, transport.remote_cipher) == (
            "aes128-gcm@openssh.com",
            "aes128-gcm@openssh.com",
        )
    finally:
        plugin.close()


def test_an_olt_without_aes_gcm_is_offered_the_usual_ciphers() -> None:
    near, far = socket.socketpair()
    try:
        usual = aead_first_transport(near, disabled_algorithms={"ciphers": list(AEAD_CIPHERS)})
        assert usual.preferred_ciphers == tuple(
            c for c in paramiko.Transport._preferred_ciphers if c not in AEAD_CIPHERS
        )
        preferred = aead_first_transport(far)
        assert preferred.preferred_ciphers[:2] == AEAD_CIPHERS
        assert set(preferred.preferred_ciphers) == set(paramiko.Transport._preferred_ciphers)
    finally:
        near.close()
        far.close()


def _recording(session: CliSession, events: list[tuple[str, object]]) -> None:
    """Log each line the real connection sends, next to the handler's calls."""
    connection = session.connection
    send_line = connection.send_line

    def sent(line: str) -> str:
        events.append(("sent", line))
        return send_line(line)

    connection.send_line = sent


def test_each_answer_is_handed_over_once_the_next_line_is_on_its_way(big_lab: RunningLab) -> None:
    session, plugin, olt = _session(big_lab, "MA5800-X7")
    pon = PonPort.parse(olt["pons"][0]["port"])
    lines = [step.line for step in session.driver.optical_ports([pon])]
    events: list[tuple[str, object]] = []
    handed: dict[int, tuple[str, str]] = {}

    def on_answer(index: int, line: str, output: str) -> None:
        events.append(("handed", index))
        handed[index] = (line, output)

    try:
        _recording(session, events)
        answers = session.read(lines, on_answer=on_answer)
        again = session.read(lines)  # the same reads with nobody handed anything
    finally:
        plugin.close()
    expected: list[tuple[str, object]] = [("sent", lines[0])]
    for index, line in enumerate(lines[1:]):
        expected += [("sent", line), ("handed", index)]
    expected.append(("handed", len(lines) - 1))
    assert events[: len(expected)] == expected
    assert [handed[i] for i in range(len(lines))] == answers
    records = [r for (line, out) in answers for r in session.driver.parse(line, out)]
    assert records == [r for (line, out) in again for r in session.driver.parse(line, out)]
    assert {r["onu_id"] for r in records} == {
        onu["onu_id"]
        for onu in big_lab.onus(olt=olt["name"], port=olt["pons"][0]["port"], autofind=False)
    }


def test_a_handler_that_fails_leaves_the_session_in_step(big_lab: RunningLab) -> None:
    """What the handler raises comes once the answer on its way is read: nothing after it is
    sent, and the session's next command gets its own answer."""
    session, plugin, olt = _session(big_lab, "MA5800-X7")
    pon = PonPort.parse(olt["pons"][0]["port"])
    lines = [step.line for step in session.driver.optical_ports([pon])]
    events: list[tuple[str, object]] = []

    def on_answer(index: int, line: str, output: str) -> None:
        raise ValueError(f"cannot use answer {index}")

    try:
        _recording(session, events)
        with pytest.raises(ValueError, match="cannot use answer 0"):
            session.read(lines, on_answer=on_answer)
        assert events == [("sent", lines[0]), ("sent", lines[1])]
        # Where the failed read left it (config mode), the PON's summary reads as it should.
        summary = lines[1]
        [(line, output)] = session.read([summary])
    finally:
        plugin.close()
    records = session.driver.parse(line, output)
    assert {r["port"] for r in records} == {str(pon)}
    assert len(records) == ONUS


def test_a_lost_session_is_read_again_and_its_answers_handed_again_from_the_first(
    big_lab: RunningLab,
) -> None:
    olt = big_lab.olt_of_model("MA5800-X7")
    driver = driver_class(olt["vendor"])(model=olt["model"])
    plugins: list[OltCli] = []

    def login() -> object:
        plugin = OltCli()
        plugin.open("127.0.0.1", "lab", big_lab.password(), olt["port"], olt["platform"])
        plugins.append(plugin)
        return plugin.connection

    def reopen() -> object:
        big_lab.cli("lab", "fault", "--clear")  # the OLT answers again after the cut
        return login()

    pon = PonPort.parse(olt["pons"][0]["port"])
    lines = [step.line for step in driver.optical_ports([pon])]
    board = next(i for i, line in enumerate(lines) if line.startswith("interface gpon"))
    handed: list[int] = []
    last: dict[int, tuple[str, str]] = {}

    def on_answer(index: int, line: str, output: str) -> None:
        handed.append(index)
        last[index] = (line, output)

    session = CliSession(login(), driver, read_timeout=10, reopen=reopen)
    try:
        fault = big_lab.cli("lab", "fault", olt["name"], "--drop-on", "interface gpon")
        assert fault.returncode == 0, fault.stderr
        answers = session.read(lines, on_answer=on_answer)
    finally:
        big_lab.cli("lab", "fault", "--clear")
        for plugin in plugins:
            plugin.close()
    assert len(plugins) == 2
    # Before the cut, each answer read was handed as the next line went out (the cut one
    # too); after it, every answer of the new session, from the first.
    assert handed == [*range(board), *range(len(lines))]
    assert [last[i] for i in range(len(lines))] == answers
