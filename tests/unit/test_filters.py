"""Host filters over a real Nornir inventory: keys, globs, negation, union/intersection, errors."""

from __future__ import annotations

import pickle

import pytest
from nornir.core.inventory import Defaults, Group, Groups, Host, Hosts, Inventory, ParentGroups

from ispflow.engine.filters import FilterError, HostFilter, parse_filter


def build_inventory() -> Inventory:
    defaults = Defaults(data={"role": "olt", "tier": "access"})
    groups = Groups()

    def group(
        name: str, parents: tuple[str, ...] = (), platform: str | None = None, **data: object
    ) -> None:
        groups[name] = Group(
            name,
            platform=platform,
            data=dict(data),
            groups=ParentGroups([groups[p] for p in parents]),
            defaults=defaults,
        )

    group("region-south", region="south")
    group("region-southeast", region="southeast")
    group("huawei", platform="huawei_olt", vendor="huawei")
    group("zte", platform="zte_zxros", vendor="zte")
    group("mikrotik", platform="mikrotik_routeros", vendor="mikrotik", role="concentrator")
    group("site-poa", ("region-south",), site="poa")
    group("site-cwb", ("region-south",), site="cwb")
    group("site-sp", ("region-southeast",), site="sp")
    group("lab")

    hosts = Hosts()

    def host(
        name: str, member_of: tuple[str, ...], hostname: str | None = None, **data: object
    ) -> None:
        hosts[name] = Host(
            name,
            hostname=hostname or f"10.0.{len(hosts)}.1",
            groups=ParentGroups([groups[g] for g in member_of]),
            data=dict(data),
            defaults=defaults,
        )

    host("olt-poa-01", ("huawei", "site-poa"), model="MA5800-X7", tags=["ftth", "core"])
    host("olt-poa-02", ("zte", "site-poa"), model="C320")
    host("olt-cwb-01", ("huawei", "site-cwb"), model="MA5608T", rack={"row": "B", "unit": 12})
    host("olt-sp-01", ("zte", "site-sp"), model="C600", enabled=False)
    host("bras-poa-01", ("mikrotik", "site-poa"), model="CCR2216")
    host(
        "bras-sp-01",
        ("mikrotik", "site-sp"),
        hostname="bras-sp.isp.example",
        model="CCR1036",
        site="sp-centro",
    )
    host("olt-lab-01", ("huawei", "lab"), model="MA5800-X2", role="lab-olt", pon_ports=16)
    return Inventory(hosts=hosts, groups=groups, defaults=defaults)


INVENTORY = build_inventory()
ALL = list(INVENTORY.hosts)


def select(spec: object) -> list[str]:
    return parse_filter(spec).select(INVENTORY.hosts)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        # every key
        ("name=olt-poa-01", ["olt-poa-01"]),
        ("hostname=10.0.2.1", ["olt-cwb-01"]),
        ("hostname=*.isp.example", ["bras-sp-01"]),
        ("platform=zte_zxros", ["olt-poa-02", "olt-sp-01"]),
        ("platform=huawei_olt", ["olt-poa-01", "olt-cwb-01", "olt-lab-01"]),
        ("group=zte", ["olt-poa-02", "olt-sp-01"]),
        ("group=region-south", ["olt-poa-01", "olt-poa-02", "olt-cwb-01", "bras-poa-01"]),
        (
            "group=region-*",
            ["olt-poa-01", "olt-poa-02", "olt-cwb-01", "olt-sp-01", "bras-poa-01", "bras-sp-01"],
        ),
        ("site=poa", ["olt-poa-01", "olt-poa-02", "bras-poa-01"]),
        ("site=sp*", ["olt-sp-01", "bras-sp-01"]),  # host data overrides group data
        ("site=sp", ["olt-sp-01"]),
        ("role=olt", ["olt-poa-01", "olt-poa-02", "olt-cwb-01", "olt-sp-01"]),  # from defaults
        ("role=concentrator", ["bras-poa-01", "bras-sp-01"]),  # from group data
        ("role=lab-olt", ["olt-lab-01"]),  # from host data
        ("vendor=mikrotik", ["bras-poa-01", "bras-sp-01"]),
        ("data.model=MA5*", ["olt-poa-01", "olt-cwb-01", "olt-lab-01"]),
        ("data.region=south", ["olt-poa-01", "olt-poa-02", "olt-cwb-01", "bras-poa-01"]),
        ("data.tier=access", ALL),
        ("data.rack.row=B", ["olt-cwb-01"]),
        ("data.rack.unit=12", ["olt-cwb-01"]),
        ("data.tags=ftth", ["olt-poa-01"]),
        ("data.enabled=false", ["olt-sp-01"]),
        ("data.pon_ports=16", ["olt-lab-01"]),
        ("data.nothing=*", []),
        # bare words: host name or any group, parents included
        ("olt-poa-*", ["olt-poa-01", "olt-poa-02"]),
        ("bras-sp-01", ["bras-sp-01"]),
        ("site-poa", ["olt-poa-01", "olt-poa-02", "bras-poa-01"]),
        ("region-southeast", ["olt-sp-01", "bras-sp-01"]),
        (
            "*-01",
            ["olt-poa-01", "olt-cwb-01", "olt-sp-01", "bras-poa-01", "bras-sp-01", "olt-lab-01"],
        ),
        ("olt-?o?-0[12]", ["olt-poa-01", "olt-poa-02"]),
        ("OLT-POA-01", []),  # case-sensitive
        ("nothing-matches", []),
        # regex
        ("name~^olt-(poa|cwb)", ["olt-poa-01", "olt-poa-02", "olt-cwb-01"]),
        ("data.model~^C[36]", ["olt-poa-02", "olt-sp-01"]),
        ("hostname~isp", ["bras-sp-01"]),
        ("group~^site-(sp|cwb)$", ["olt-cwb-01", "olt-sp-01", "bras-sp-01"]),
        # negation
        ("!role=olt", ["bras-poa-01", "bras-sp-01", "olt-lab-01"]),
        (
            "site!=poa",
            ["olt-cwb-01", "olt-sp-01", "bras-sp-01", "olt-lab-01"],
        ),  # no site counts as "not poa"
        ("!group=lab", [h for h in ALL if h != "olt-lab-01"]),
        ("!olt-*", ["bras-poa-01", "bras-sp-01"]),
        ("! name~poa", ["olt-cwb-01", "olt-sp-01", "bras-sp-01", "olt-lab-01"]),
        # intersection and union
        ("vendor=huawei & site=poa", ["olt-poa-01"]),
        ("role=olt&region-south&!vendor=zte", ["olt-poa-01", "olt-cwb-01"]),
        ("olt-sp-01, bras-*", ["olt-sp-01", "bras-poa-01", "bras-sp-01"]),
        ("bras-*, olt-sp-01", ["olt-sp-01", "bras-poa-01", "bras-sp-01"]),  # inventory order
        ("site=poa & role=olt , site=sp & role=concentrator", ["olt-poa-01", "olt-poa-02"]),
        ("site=cwb, site=poa&vendor=zte, lab", ["olt-poa-02", "olt-cwb-01", "olt-lab-01"]),
        ("  role = olt  &  site = cwb  ", ["olt-cwb-01"]),
        # everything
        ("all", ALL),
        ("*", ALL),
        ("  all ", ALL),
        ("all & vendor=zte", ["olt-poa-02", "olt-sp-01"]),
        ("!all", []),
        (None, ALL),
    ],
)
def test_text_filters(spec: str | None, expected: list[str]) -> None:
    assert select(spec) == expected


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({"role": "olt"}, ["olt-poa-01", "olt-poa-02", "olt-cwb-01", "olt-sp-01"]),
        ({"role": "olt", "site": ["poa", "cwb"]}, ["olt-poa-01", "olt-poa-02", "olt-cwb-01"]),
        ({"vendor": ["zte", "mikrotik"], "site": "sp*"}, ["olt-sp-01", "bras-sp-01"]),
        ({"name": "~^bras"}, ["bras-poa-01", "bras-sp-01"]),
        ({"site": "!poa", "role": "olt"}, ["olt-cwb-01", "olt-sp-01"]),
        ({"group": "region-south", "platform": "huawei_olt"}, ["olt-poa-01", "olt-cwb-01"]),
        ({"data.pon_ports": 16}, ["olt-lab-01"]),
        ({"data.enabled": False}, ["olt-sp-01"]),
        ({"data.rack.unit": [11, 12]}, ["olt-cwb-01"]),
        (["olt-sp-01", {"vendor": "mikrotik"}], ["olt-sp-01", "bras-poa-01", "bras-sp-01"]),
        (["site=cwb", "lab"], ["olt-cwb-01", "olt-lab-01"]),
        (["site=cwb", "all"], ALL),
        (
            [{"site": "poa", "vendor": "zte"}, {"site": "sp", "role": "olt"}],
            ["olt-poa-02", "olt-sp-01"],
        ),
    ],
)
def test_yaml_forms(spec: object, expected: list[str]) -> None:
    assert select(spec) == expected


def test_filter_is_called_with_a_host() -> None:
    olts = parse_filter("role=olt")
    hosts = INVENTORY.hosts
    assert olts(hosts["olt-poa-01"]) is True
    assert olts(hosts["bras-poa-01"]) is False
    assert parse_filter("olt-*")(hosts["olt-sp-01"]) is True
    assert parse_filter("name~poa")(hosts["olt-poa-01"]) is True
    assert parse_filter({"site": ["poa"]})(hosts["olt-sp-01"]) is False


def test_group_membership_follows_changes_to_the_inventory() -> None:
    inventory = build_inventory()
    lab = parse_filter("group=lab")
    assert lab.select(inventory.hosts) == ["olt-lab-01"]
    inventory.hosts["olt-sp-01"].groups.add(inventory.groups["lab"])
    assert lab.select(inventory.hosts) == ["olt-sp-01", "olt-lab-01"]


@pytest.mark.parametrize(
    ("spec", "text"),
    [
        ("  role=olt & site=poa , lab ", "role=olt & site=poa , lab"),
        (None, "all"),
        ("*", "*"),
        ({"role": "olt", "site": ["poa", "cwb"]}, "{role: olt, site: [poa, cwb]}"),
        (["lab", {"vendor": "zte"}], "lab, {vendor: zte}"),
    ],
)
def test_str_shows_the_filter(spec: object, text: str) -> None:
    parsed = parse_filter(spec)  # type: ignore[arg-type]
    assert isinstance(parsed, HostFilter)
    assert str(parsed) == text


def test_matches_all_is_known() -> None:
    assert parse_filter(None).matches_all and parse_filter("all").matches_all
    assert not parse_filter("role=olt").matches_all


@pytest.mark.parametrize(
    ("spec", "message", "position"),
    [
        ("role=", "expected a value after '='", 5),
        ("role= ", "expected a value after '='", 5),
        ("&", "expected a condition before '&'", 0),
        ("role=olt &", "expected a condition after '&'", 10),
        ("role=olt,", "expected a condition after ','", 9),
        ("role=olt,,lab", "expected a condition after ','", 9),
        (",lab", "expected a condition before ','", 0),
        ("role==olt", "'==' is not an operator", 5),
        ("role=~olt", "'=~' is not an operator; write key~regex", 5),
        ("role=!olt", "to negate", 5),
        ("site=poa & rol=olt", "unknown key 'rol' (did you mean 'role'?)", 11),
        ("vendro=zte", "did you mean 'vendor'?", 0),
        ("groups=lab", "did you mean 'group'?", 0),
        ("data=x", "not a data path", 0),
        ("data.=x", "not a data path", 0),
        ("=olt", "expected a key before '='", 0),
        ("!", "expected a condition after '!'", 1),
        ("!!role=olt", "'!!' is not allowed", 1),
        ("", "empty", 0),
        ("   ", "empty", 0),
        ("olt poa", "has no spaces", 3),
        ("name~(olt", "bad regular expression", 5),
        ("name~olt[", "bad regular expression", 8),
    ],
)
def test_malformed_text_filters(spec: str, message: str, position: int) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter(spec)
    assert message in caught.value.message
    assert caught.value.position == position
    assert str(caught.value).endswith(f"(at character {position + 1})")


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"rol": "olt"}, "unknown key 'rol' (did you mean 'role'?)"),
        ({}, "empty mapping"),
        ({"role": []}, "empty list of values"),
        ({"role": {"a": 1}}, "not a mapping"),
        ({"role": None}, "not nothing"),
        ({"name": "~("}, "bad regular expression"),
        ([], "empty list"),
        ([1], "not a number (1)"),
        (5, "not a number (5)"),
        (True, "not a boolean"),
    ],
)
def test_malformed_yaml_filters(spec: object, message: str) -> None:
    with pytest.raises(FilterError) as caught:
        parse_filter(spec)  # type: ignore[arg-type]
    assert message in caught.value.message
    assert caught.value.position is None


def test_filter_error_is_a_value_error_and_pickles() -> None:
    error = pickle.loads(pickle.dumps(FilterError("bad", 3)))
    assert isinstance(error, ValueError)
    assert (error.message, error.position) == ("bad", 3)
