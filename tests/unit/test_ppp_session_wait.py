"""Waiting for dropped PPPoE sessions to dial again: when the concentrator is asked.

A client redials seconds after its session is dropped, so asking at once is wasted and
asking every 0.1 s for the whole `settle` time loads a production concentrator with
thousand-name queries. The session and the clock are stood in for: the lab's concentrators
redial after a fixed 50 ms, which cannot show a client that takes seconds or never returns.
"""

from __future__ import annotations

from typing import Any

import pytest

from ispflow.plugins.concentrator.contract import ApiAnswer, ApiOp
from ispflow.plugins.concentrator.mikrotik.driver import MikrotikDriver
from ispflow.store.billing import PppContract
from ispflow.tasks import ppp


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.pauses: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.pauses.append(round(seconds, 3))
        self.now += seconds


class Router:
    """Answers the sessions query; each login is back from `back_at` seconds on."""

    def __init__(self, clock: Clock, back_at: dict[str, float]) -> None:
        self.clock = clock
        self.back_at = back_at
        self.asked_at: list[float] = []

    def run(self, ops: list[ApiOp]) -> list[ApiAnswer]:
        self.asked_at.append(round(self.clock.now, 3))
        rows = [
            {".id": f"*new-{login}", "name": login, "address": "100.96.0.7"}
            for login, at in self.back_at.items()
            if self.clock.now >= at
        ]
        return [ApiAnswer(rows=rows)]


def dropped(login: str) -> ppp.Subscriber:
    contract = PppContract(login.upper(), login, "bras-01", "active", False, None, None, None)
    return ppp.Subscriber(contract, session={".id": f"*old-{login}", "name": login})


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(ppp, "time", clock)
    return clock


def test_the_first_look_waits_and_the_pauses_grow(clock: Clock) -> None:
    router = Router(clock, {"ana": 0.05, "bia": 2.0})
    subs = [dropped("ana"), dropped("bia")]
    ppp._wait_for_sessions(router, MikrotikDriver(), subs, settle=15)  # type: ignore[arg-type]
    assert router.asked_at == [0.1, 0.3, 0.7, 1.5, 2.5]
    assert [s.address_after for s in subs] == ["100.96.0.7", "100.96.0.7"]


def test_a_session_that_never_returns_is_asked_for_until_settle_then_left(
    clock: Clock,
) -> None:
    router = Router(clock, {})
    [sub] = subs = [dropped("ana")]
    ppp._wait_for_sessions(router, MikrotikDriver(), subs, settle=5)  # type: ignore[arg-type]
    # 0.1, 0.2, 0.4, 0.8, then a second at most; the last look at the deadline itself.
    assert router.asked_at == [0.1, 0.3, 0.7, 1.5, 2.5, 3.5, 4.5, 5.0]
    assert sub.address_after is None


def test_with_no_time_to_settle_it_looks_once(clock: Clock) -> None:
    router = Router(clock, {"ana": 0.0})
    subs: list[Any] = [dropped("ana")]
    ppp._wait_for_sessions(router, MikrotikDriver(), subs, settle=0)  # type: ignore[arg-type]
    assert router.asked_at == [0.0]
    assert subs[0].address_after == "100.96.0.7"
