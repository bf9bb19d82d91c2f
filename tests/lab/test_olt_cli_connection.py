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
