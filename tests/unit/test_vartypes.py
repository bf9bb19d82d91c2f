"""Typed runbook vars: coercion of YAML and command-line values, bounds, specs, resolution."""

from __future__ import annotations

import pickle

import pytest

from ispflow.engine.vartypes import (
    MASK,
    MISSING,
    VAR_TYPES,
    VarError,
    VarErrors,
    VarSpec,
    coerce,
    mask_secrets,
    resolve_vars,
    spec_from_mapping,
)


def spec(kind: str = "str", **options: object) -> VarSpec:
    return VarSpec(name="v", type=kind, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "raw", "expected"),
    [
        ("str", "Joao da Silva", "Joao da Silva"),
        ("str", 12345, "12345"),
        ("str", "", ""),
        ("int", 42, 42),
        ("int", "42", 42),
        ("int", " -7 ", -7),
        ("int", "+3", 3),
        ("int", 100.0, 100),
        ("float", "-27.5", -27.5),
        ("float", -25, -25.0),
        ("float", "1e3", 1000.0),
        ("bool", True, True),
        ("bool", "yes", True),
        ("bool", "No", False),
        ("bool", "ON", True),
        ("bool", "off", False),
        ("bool", "TRUE", True),
        ("bool", "false", False),
        ("bool", "1", True),
        ("bool", "0", False),
        ("bool", 1, True),
        ("bool", 0, False),
        ("list", ["a", "b"], ["a", "b"]),
        ("list", ("a",), ["a"]),
        ("list", "a,b,c", ["a", "b", "c"]),
        ("list", " a , b ", ["a", "b"]),
        ("list", "", []),
        ("list", "[olt-02]", ["olt-02"]),
        ("list", '["a", "b,c"]', ["a", "b,c"]),
        ("list", "[]", []),
        ("dict", "{vlan: 100, desc: x}", {"vlan": 100, "desc": "x"}),
        ("dict", {"a": 1}, {"a": 1}),
        ("dict", '{"vlan": 100}', {"vlan": 100}),
        ("ip", "10.0.0.1", "10.0.0.1"),
        ("ip", " 192.168.1.254 ", "192.168.1.254"),
        ("ip", "2001:DB8:0:0::1", "2001:db8::1"),
        ("cidr", "100.64.0.0/22", "100.64.0.0/22"),
        ("cidr", "100.64.1.7/22", "100.64.0.0/22"),
        ("cidr", "10.0.0.1", "10.0.0.1/32"),
        ("cidr", "2001:db8::1/48", "2001:db8::/48"),
        ("mac", "aa:bb:cc:dd:ee:ff", "aa:bb:cc:dd:ee:ff"),
        ("mac", "AA-BB-CC-DD-EE-FF", "aa:bb:cc:dd:ee:ff"),
        ("mac", "aabb.ccdd.eeff", "aa:bb:cc:dd:ee:ff"),
        ("mac", "AABB-CCDD-EEFF", "aa:bb:cc:dd:ee:ff"),
        ("mac", "aabbccddeeff", "aa:bb:cc:dd:ee:ff"),
        ("mac", " 00:1A:2b:3C:4d:5E ", "00:1a:2b:3c:4d:5e"),
        ("serial", "HWTC1A2B3C4D", "HWTC1A2B3C4D"),
        ("serial", "hwtc1a2b3c4d", "HWTC1A2B3C4D"),
        ("serial", "ZTEGc0ffee01", "ZTEGC0FFEE01"),
        ("serial", "485754431a2b3c4d", "485754431A2B3C4D"),
        ("serial", " ALCLB2C3D4E5 ", "ALCLB2C3D4E5"),
    ],
)
def test_coerce_each_type(kind: str, raw: object, expected: object) -> None:
    value = coerce(spec(kind), raw)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("kind", "raw", "message"),
    [
        ("str", True, "expected text, got the boolean true"),
        ("str", ["a"], "expected text, got a list"),
        ("int", "4x", "expected a whole number, got '4x'"),
        ("int", "4.5", "expected a whole number"),
        ("int", 4.5, "expected a whole number, got the number 4.5"),
        ("int", True, "expected a whole number, got the boolean true"),
        ("float", "abc", "expected a number, got 'abc'"),
        ("float", "nan", "expected a number"),
        ("float", "inf", "expected a number"),
        ("bool", "maybe", "expected true/false (also yes/no, on/off, 1/0), got 'maybe'"),
        ("bool", 2, "expected true/false"),
        ("list", 5, "expected a list (or a,b,c), got the number 5"),
        ("list", {"a": 1}, "expected a list"),
        ("dict", "a=1", "expected a mapping (like {vlan: 100} or a JSON object)"),
        ("dict", "{a: [}", "expected a mapping"),
        ("list", "[a, {]", "expected a list like [a, b]"),
        ("dict", "[1, 2]", "expected a mapping"),
        (
            "ip",
            "300.1.1.1",
            "expected an IP address (IPv4 like 10.0.0.1 or IPv6 like 2001:db8::1), got '300.1.1.1'",
        ),
        ("ip", "10.0.0.0/24", "expected an IP address"),
        ("ip", 10, "expected an IP address"),
        ("cidr", "10.0.0.0/33", "expected a network"),
        ("cidr", "banana", "expected a network"),
        (
            "mac",
            "aa:bb:cc:dd:ee",
            "expected a MAC address (aa:bb:cc:dd:ee:ff, aa-bb-cc-dd-ee-ff, aabb.ccdd.eeff",
        ),
        ("mac", "gg:bb:cc:dd:ee:ff", "expected a MAC address"),
        ("mac", "aa:bb-cc:dd:ee:ff:00", "expected a MAC address"),
        (
            "serial",
            "HWTC1A2B3C4",
            "4-letter vendor id + 8 hex digits (HWTC1A2B3C4D) or 16 hex digits",
        ),
        ("serial", "HWTC1A2B3C4G", "expected a GPON ONU serial"),
        ("serial", "HW1C1A2B3C4D", "expected a GPON ONU serial"),
        ("serial", "485754431A2B3C4", "expected a GPON ONU serial"),
        ("serial", "aa:bb:cc:dd:ee:ff", "got 'aa:bb:cc:dd:ee:ff'"),
        ("serial", 12345678, "got the number 12345678"),
    ],
)
def test_wrong_values_say_what_was_expected_and_given(kind: str, raw: object, message: str) -> None:
    with pytest.raises(VarError) as caught:
        coerce(spec(kind), raw)
    assert message in caught.value.message
    assert caught.value.name == "v"
    assert str(caught.value).startswith("var 'v': ")


def test_none_is_no_value() -> None:
    assert coerce(spec("int"), None) is None
    with pytest.raises(VarError, match="is required but was given no value"):
        coerce(spec("int", required=True), None)


# -- bounds, pattern, choices --------------------------------------------------------------------
def test_numeric_bounds() -> None:
    vlan = VarSpec(name="vlan", type="int", min=1, max=4094)
    assert coerce(vlan, "1") == 1 and coerce(vlan, 4094) == 4094
    with pytest.raises(VarError) as caught:
        coerce(vlan, 5000)
    assert str(caught.value) == "var 'vlan': 5000 is above the maximum 4094"
    with pytest.raises(VarError) as caught:
        coerce(vlan, "0")
    assert str(caught.value) == "var 'vlan': 0 is below the minimum 1"
    rx = VarSpec(name="rx", type="float", min=-40.0, max=-8)
    assert coerce(rx, "-27.5") == -27.5
    with pytest.raises(VarError, match="-7.5 is above the maximum -8"):
        coerce(rx, -7.5)


def test_length_bounds_for_text_and_lists() -> None:
    desc = VarSpec(name="desc", type="str", min=3, max=8)
    assert coerce(desc, "abc") == "abc"
    with pytest.raises(VarError, match="has 2 characters; the minimum is 3"):
        coerce(desc, "ab")
    with pytest.raises(VarError, match="has 9 characters; the maximum is 8"):
        coerce(desc, "abcdefghi")
    sites = VarSpec(name="sites", type="list", min=1, max=2)
    with pytest.raises(VarError, match="has 0 items; the minimum is 1"):
        coerce(sites, "")
    with pytest.raises(VarError, match="has 3 items; the maximum is 2"):
        coerce(sites, "a,b,c")


def test_pattern_is_a_full_match_on_the_text() -> None:
    login = VarSpec(name="login", type="str", pattern=r"[a-z0-9.]+")
    assert coerce(login, "maria.silva") == "maria.silva"
    with pytest.raises(VarError) as caught:
        coerce(login, "maria silva")
    assert str(caught.value) == "var 'login': 'maria silva' does not match the pattern '[a-z0-9.]+'"
    with pytest.raises(VarError):
        coerce(login, "maria.silva!")  # fullmatch, not search
    vlan = VarSpec(name="vlan", type="int", pattern=r"1\d\d")
    assert coerce(vlan, "150") == 150
    with pytest.raises(VarError, match="'250' does not match"):
        coerce(vlan, 250)


def test_choices_after_coercion() -> None:
    profile = VarSpec(name="profile", type="int", choices=(10, 20))
    assert coerce(profile, "20") == 20
    with pytest.raises(VarError, match="30 is not one of 10, 20"):
        coerce(profile, "30")
    vendor = VarSpec(name="vendor", type="str", choices=("huawei", "zte"))
    with pytest.raises(
        VarError, match="'hauwei' is not one of 'huawei', 'zte' \\(did you mean 'huawei'\\?\\)"
    ):
        coerce(vendor, "hauwei")


def test_lists_of_typed_items() -> None:
    vlans = VarSpec(name="vlans", type="list", items="int", min=1, max=3, choices=(100, 200, 300))
    assert coerce(vlans, "100, 200") == [100, 200]
    assert coerce(vlans, [300]) == [300]
    assert coerce(vlans, "[100, 300]") == [100, 300]
    with pytest.raises(VarError) as caught:
        coerce(vlans, "100,abc")
    assert (
        caught.value.name == "vlans[1]"
        and "expected a whole number, got 'abc'" in caught.value.message
    )
    with pytest.raises(VarError, match=r"var 'vlans\[0\]': 400 is not one of"):
        coerce(vlans, [400])
    macs = VarSpec(name="macs", type="list", items="mac")
    assert coerce(macs, "AABB.CCDD.EEFF,00-11-22-33-44-55") == [
        "aa:bb:cc:dd:ee:ff",
        "00:11:22:33:44:55",
    ]
    serials = VarSpec(name="serials", type="list", items="serial", pattern="HWTC.*")
    assert coerce(serials, ["hwtc00000001"]) == ["HWTC00000001"]
    with pytest.raises(VarError, match=r"serials\[0\]': 'ZTEG00000001' does not match"):
        coerce(serials, ["zteg00000001"])


# -- specs ---------------------------------------------------------------------------------------
def test_spec_from_mapping_builds_a_full_spec() -> None:
    built = spec_from_mapping(
        "vlan",
        {
            "type": "int",
            "min": 1,
            "max": 4094,
            "default": "100",
            "description": "customer VLAN",
            "choices": ["100", 200, 4094],
        },
    )
    assert built == VarSpec(
        name="vlan",
        type="int",
        default=100,
        min=1,
        max=4094,
        description="customer VLAN",
        choices=(100, 200, 4094),
    )
    assert built.has_default
    assert spec_from_mapping("x", {}) == VarSpec(name="x")
    assert (
        spec_from_mapping("x", {}).default is MISSING and not spec_from_mapping("x", {}).has_default
    )
    assert spec_from_mapping("pw", {"secret": True, "required": True}).secret


def test_list_type_shorthand() -> None:
    assert spec_from_mapping("v", {"type": "list[int]"}) == VarSpec(
        name="v", type="list", items="int"
    )
    assert spec_from_mapping(
        "v", {"type": "list", "items": "ip", "default": ["10.0.0.1"]}
    ).default == ["10.0.0.1"]
    assert spec_from_mapping("v", {"type": "list", "default": "a,b"}).default == ["a", "b"]


def test_none_default_means_optional_without_value() -> None:
    built = spec_from_mapping("desc", {"type": "str", "default": None, "min": 3})
    assert built.default is None and built.has_default


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"type": "integer"}, "'type' 'integer' is not a type (did you mean 'int'?)"),
        ({"type": "strr"}, "did you mean 'str'"),
        ({"type": "string"}, "did you mean 'str'"),
        ({"type": "boolean"}, "did you mean 'bool'"),
        ({"type": "network"}, "did you mean 'cidr'"),
        ({"type": "list", "items": "string"}, "did you mean 'str'"),
        ({"type": 5}, "'type' must be a type name"),
        ({"type": "list[integer]"}, "did you mean 'int'"),
        ({"type": "list[int]", "items": "int"}, "not both"),
        ({"type": "str", "items": "int"}, "'items' only applies to type list"),
        ({"type": "list", "items": "list"}, "'items' 'list' is not an element type"),
        ({"tpye": "int"}, "unknown key 'tpye' (did you mean 'type'?)"),
        ({"maximum": 3}, "did you mean 'max'"),
        ({"type": "int", "min": 10, "max": 5}, "'min' (10) is greater than 'max' (5)"),
        ({"type": "int", "min": "1"}, "'min' must be a number"),
        ({"type": "int", "max": True}, "'max' must be a number"),
        ({"type": "ip", "min": 1}, "'min' applies to int, float, text and list vars, not ip"),
        ({"pattern": "[a-z"}, "'pattern' is not a valid regular expression"),
        ({"pattern": 5}, "'pattern' must be a regular expression"),
        (
            {"type": "int", "max": 4094, "default": 5000},
            "'default' 5000 fails its own checks: 5000 is above the maximum 4094",
        ),
        (
            {"type": "serial", "default": "HWTC123"},
            "'default' 'HWTC123' fails its own checks: expected a GPON ONU serial",
        ),
        (
            {"type": "str", "pattern": "[a-z]+", "default": "ABC"},
            "'default' 'ABC' fails its own checks",
        ),
        (
            {"type": "str", "choices": ["a", "b"], "default": "c"},
            "fails its own checks: 'c' is not one of",
        ),
        ({"required": True, "default": 1}, "'required' and 'default' contradict"),
        ({"required": "yes"}, "'required' must be true or false"),
        ({"secret": 1}, "'secret' must be true or false"),
        ({"choices": []}, "'choices' must be a non-empty list"),
        ({"choices": "a,b"}, "'choices' must be a non-empty list"),
        ({"type": "int", "choices": ["x"]}, "'choices': 'x' is not a valid int"),
        ({"description": 5}, "'description' must be text"),
    ],
)
def test_bad_specs_are_refused(data: dict[str, object], message: str) -> None:
    with pytest.raises(VarError) as caught:
        spec_from_mapping("v", data)
    assert message in str(caught.value)
    assert caught.value.name == "v"


def test_every_declared_type_has_a_converter() -> None:
    for kind in VAR_TYPES:
        spec_from_mapping("v", {"type": kind})


# -- resolving -------------------------------------------------------------------------------------
SPECS = {
    "serial": VarSpec(name="serial", type="serial", required=True),
    "vlan": VarSpec(name="vlan", type="int", min=1, max=4094, default=100),
    "desc": VarSpec(name="desc", type="str"),
    "sites": VarSpec(name="sites", type="list", default=["poa"]),
    "password": VarSpec(name="password", type="str", secret=True),
}


def test_resolve_applies_defaults_and_coerces() -> None:
    values = resolve_vars(SPECS, {"serial": "hwtc1a2b3c4d", "vlan": "200"})
    assert values == {
        "serial": "HWTC1A2B3C4D",
        "vlan": 200,
        "desc": None,
        "sites": ["poa"],
        "password": None,
    }
    assert list(values) == list(SPECS)


def test_resolve_gives_each_run_its_own_copy_of_mutable_defaults() -> None:
    first = resolve_vars(SPECS, {"serial": "HWTC1A2B3C4D"})
    first["sites"].append("cwb")
    assert resolve_vars(SPECS, {"serial": "HWTC1A2B3C4D"})["sites"] == ["poa"]
    assert SPECS["sites"].default == ["poa"]


def test_resolve_collects_every_problem() -> None:
    with pytest.raises(VarErrors) as caught:
        resolve_vars(SPECS, {"vlan": "5000", "seral": "x", "desc": ["not", "text"]})
    errors = caught.value.errors
    messages = [str(e) for e in errors]
    assert len(errors) == 4, messages
    assert "var 'seral': this runbook has no such var (did you mean 'serial'?)" in messages
    assert "var 'serial': is required but was not given" in messages
    assert "var 'vlan': 5000 is above the maximum 4094" in messages
    assert any(m.startswith("var 'desc': expected text") for m in messages)
    assert all(m in str(caught.value) for m in messages)
    assert isinstance(caught.value, ValueError)


def test_resolve_with_nothing_declared() -> None:
    assert resolve_vars({}, {}) == {}
    with pytest.raises(VarErrors, match="no such var"):
        resolve_vars({}, {"x": 1})


def test_mask_secrets() -> None:
    values = resolve_vars(SPECS, {"serial": "HWTC1A2B3C4D", "password": "s3cr3t"})
    masked = mask_secrets(SPECS, values)
    assert masked["password"] == MASK == "********"
    assert masked["serial"] == "HWTC1A2B3C4D"
    assert values["password"] == "s3cr3t"  # the original is untouched
    assert mask_secrets(SPECS, {"password": None, "extra": 1}) == {"password": None, "extra": 1}


def test_errors_pickle() -> None:
    errors = pickle.loads(pickle.dumps(VarErrors([VarError("a", "bad"), VarError("b", "worse")])))
    assert [str(e) for e in errors.errors] == ["var 'a': bad", "var 'b': worse"]
    assert pickle.loads(pickle.dumps(MISSING)) is MISSING
