"""What the lab's terminal hands its SSH channel, write by write: each write is a packet."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from ispflow.lab.behaviour import Behaviour
from ispflow.lab.fleet import FleetSpec, build_fleet
from ispflow.lab.model import LabOlt
from ispflow.lab.profiles import olt_profile
from ispflow.lab.terminal import Terminal


class _Typed:
    """A client that types the given lines, then hangs up."""

    def __init__(self, *lines: str) -> None:
        self._chunks = [line + "\r" for line in lines]

    async def read(self, n: int = -1) -> str:
        return self._chunks.pop(0) if self._chunks else ""


class _Writes:
    def __init__(self) -> None:
        self.writes: list[str] = []

    def write(self, data: str) -> None:
        self.writes.append(data)

    async def drain(self) -> None:
        pass


def test_gathered_output_goes_out_in_one_write_at_flush() -> None:
    channel = _Writes()
    term = Terminal(_Typed(), channel)
    term.gather()
    term.write("line 1\r\n")
    term.write("line 2\r\n")
    assert channel.writes == []
    asyncio.run(term.flush())
    term.write("after")  # written through again
    assert channel.writes == ["line 1\r\nline 2\r\n", "after"]


def test_a_question_reaches_the_client_before_the_answer_is_awaited() -> None:
    channel = _Writes()
    term = Terminal(_Typed("y"), channel, echo=False)
    term.gather()
    term.write("Are you sure? (y/n)[n]:")
    assert asyncio.run(term.read_line()) == "y"
    assert channel.writes == ["Are you sure? (y/n)[n]:"]


def test_a_session_sends_the_echo_at_once_and_each_answer_with_its_prompt() -> None:
    olt = _huawei_olt()
    channel = _Writes()
    typed = ("enable", "undo smart", "display ont info summary 0/1/0")
    term = Terminal(_Typed(*typed), channel)
    shell = olt_profile("huawei").shell(olt, Behaviour(), term)
    assert asyncio.run(shell.run()) == "eof"
    # After the greeting and the first prompt: per line typed, its echo, then one write of
    # its answer ending with the next prompt.
    after_login = channel.writes[channel.writes.index("enable\r\n") :]
    assert after_login[0::2] == [line + "\r\n" for line in typed]
    answers = after_login[1::2]
    assert len(answers) == len(typed)
    assert all(answer.endswith(("olt-poa-01#", "olt-poa-01(config)#")) for answer in answers)
    assert "In port 0/1/0" in answers[-1]


def test_a_logout_question_is_sent_before_its_answer_is_read() -> None:
    channel = _Writes()
    term = Terminal(_Typed("enable", "quit", "y"), channel)
    shell = olt_profile("huawei").shell(_huawei_olt(), Behaviour(), term)
    assert asyncio.run(shell.run()) == "logout"
    assert channel.writes[-3] == "quit\r\n"
    assert channel.writes[-2].endswith("Are you sure to log out? (y/n)[n]:")
    assert channel.writes[-1] == "y\r\n"  # the answer's echo came after the question


class _Events:
    """What a session did, in order: its writes, its waits and the commands it ran. Waits
    take no time (the latency is long, so a wait left out would show)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.log: list[tuple[str, Any]] = []
        real_sleep = asyncio.sleep

        async def sleep(seconds: float) -> None:
            self.log.append(("wait", seconds))
            await real_sleep(0)

        monkeypatch.setattr(asyncio, "sleep", sleep)

    def write(self, data: str) -> None:
        self.log.append(("write", data))

    async def drain(self) -> None:
        pass

    def watch(self, shell: Any) -> None:
        execute = shell.execute

        async def logged(line: str) -> None:
            self.log.append(("execute", line))
            await execute(line)

        shell.execute = logged

    def after(self, written: str) -> list[tuple[str, Any]]:
        return self.log[self.log.index(("write", written)) + 1 :]


LATENCY = 30.0


def test_an_answer_is_made_at_once_and_sent_when_the_latency_is_over(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events = _Events(monkeypatch)
    typed = ("enable", "undo smart", "display ont info summary 0/1/0", "quit", "y")
    term = Terminal(_Typed(*typed), events)
    shell = olt_profile("huawei").shell(_huawei_olt(), Behaviour(command_latency=LATENCY), term)
    events.watch(shell)
    assert asyncio.run(shell.run()) == "logout"
    for line in typed[:4]:
        # After its echo: the command runs, then the rest of the latency is waited out, then
        # its answer (here with the next prompt, or the logout question) goes out.
        (ran, what), (waited, seconds), (wrote, answer) = events.after(line + "\r\n")[:3]
        assert (ran, what, waited, wrote) == ("execute", line, "wait", "write")
        assert 0 < seconds <= LATENCY
        assert answer.endswith(("#", "(y/n)[n]:"))
    summary = events.after("display ont info summary 0/1/0\r\n")[2][1]
    assert "In port 0/1/0" in summary
    # The answer to the question is not a command: nothing more is waited for.
    assert [kind for kind, _ in events.after("y\r\n")] == []


def test_an_exec_request_waits_before_each_command_it_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    events = _Events(monkeypatch)
    term = Terminal(_Typed(), events, echo=False)
    shell = olt_profile("huawei").shell(
        _huawei_olt(), Behaviour(command_latency=LATENCY), term, batch=True
    )
    events.watch(shell)
    asyncio.run(shell.run_batch("display ont info summary 0/1/0\ndisplay version\n"))
    # Nothing is held back in an exec request: each command waits its latency, then runs,
    # and what it prints goes out as it is made.
    kinds = [(kind, what if kind != "write" else "") for kind, what in events.log]
    assert kinds == [
        ("wait", LATENCY),
        ("execute", "display ont info summary 0/1/0"),
        ("write", ""),
        ("wait", LATENCY),
        ("execute", "display version"),
        ("write", ""),
    ]


def _huawei_olt() -> LabOlt:
    spec = FleetSpec(
        olts=1, vendors=("huawei",), pons=1, onus=2, autofind=0, concentrators=0, base_port=0
    )
    return build_fleet(spec)[0].olt
