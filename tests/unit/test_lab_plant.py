"""The lab's concentrators follow the fleet: none asked, none built; customers spread by OLT."""

from __future__ import annotations

from ispflow.lab.routeros.plant import build_concentrators, subscriber

OLTS = [{"name": "olt-a", "site": "poa"}, {"name": "olt-b", "site": "cwb"}]
ONUS = [
    {"olt": "olt-a", "onu_id": 1, "condition": "good"},
    {"olt": "olt-b", "onu_id": 1, "condition": "offline"},
    {"olt": "olt-a", "onu_id": None},  # waiting in autofind: no secret yet
]


def test_no_concentrators_when_none_are_asked_for() -> None:
    assert build_concentrators(0, OLTS, ONUS, base_port=0, seed=7) == []


def test_each_olts_customers_dial_into_one_concentrator() -> None:
    first, second = build_concentrators(2, OLTS, ONUS, base_port=0, seed=7)
    secrets = {d.name: {s["name"] for s in d.concentrator.items["/ppp/secret"].values()}
               for d in (first, second)}  # fmt: skip
    assert secrets == {"bras-01": {subscriber(1).login}, "bras-02": {subscriber(2).login}}
    sessions = [len(d.concentrator.items["/ppp/active"]) for d in (first, second)]
    assert sessions == [1, 0]  # the second customer's ONU is offline
    assert (first.site, second.site) == ("poa", "cwb")
