"""The CLI value guard: what may be typed into an OLT or RouterOS session, and what may not."""

from __future__ import annotations

import ipaddress
import pickle
from decimal import Decimal

import pytest

from ispflow.core.guard import MAX_LENGTH, UnsafeValueError, check_cli_context, check_cli_value


@pytest.mark.parametrize(
    ("char", "reason"),
    [
        ("\n", "newline; it would start a second command"),
        ("\r", "carriage return; it would start a second command"),
        ("\0", "NUL"),
        ("\t", "tab; the device CLI would complete the word"),
        (";", "would start a second command"),
        ('"', "end a quoted argument early"),
        ("\\", "escapes the next character"),
        ("?", "show help"),
        ("|", "output filter"),
        ("$", "substitute a variable"),
        ("[", "run the text in brackets"),
        ("]", "run the text in brackets"),
        ("{", "command block"),
        ("}", "command block"),
        ("\x03", "control character U+0003"),  # Ctrl-C
        ("\x1a", "control character U+001A"),  # Ctrl-Z leaves config mode
        ("\x15", "control character U+0015"),  # Ctrl-U erases the line
        ("\x08", "control character U+0008"),
        ("\x1b", "control character U+001B"),
        ("\x0b", "control character U+000B"),
        ("\x0c", "control character U+000C"),
        ("\x7f", "control character U+007F"),
        ("\x85", "control character U+0085"),
        ("\u2028", "line separator (U+2028)"),
        ("\u2029", "line separator (U+2029)"),
        ("\u200b", "invisible ZERO WIDTH SPACE (U+200B)"),
        ("\u202e", "invisible RIGHT-TO-LEFT OVERRIDE"),
        ("\ufeff", "U+FEFF"),
    ],
)
@pytest.mark.parametrize("where", ["start", "middle", "end"])
def test_each_refused_character(char: str, reason: str, where: str) -> None:
    value = {"start": f"{char}joao", "middle": f"jo{char}ao", "end": f"joao{char}"}[where]
    with pytest.raises(UnsafeValueError) as caught:
        check_cli_value(value, "desc")
    assert reason in caught.value.reason
    assert caught.value.name == "desc"
    assert caught.value.value == value
    assert str(caught.value).startswith("unsafe value for 'desc': contains ")


def test_message_for_a_second_command() -> None:
    with pytest.raises(UnsafeValueError) as caught:
        check_cli_value("x\nundo ont 0", "desc")
    assert str(caught.value) == (
        "unsafe value for 'desc': contains a newline; it would start a second command on the device"
    )


@pytest.mark.parametrize(
    "value",
    [
        "joao; /system reset-configuration",
        "cliente\r\nundo service-port all",
        'x" ont delete 0 all "',
        "a\\",
        "login$(/system/reboot)",
        "[/system/reboot]",
        "100 | include ONT",
    ],
)
def test_injection_attempts_are_refused(value: str) -> None:
    with pytest.raises(UnsafeValueError):
        check_cli_value(value, "v")


@pytest.mark.parametrize(
    "value",
    [
        "Joao da Silva",
        "D'Ávila Conceição",
        "Rua 7 #120 - apto 3/B",
        "-leading-dash",
        "aa:bb:cc:dd:ee:ff",
        "HWTC1A2B3C4D",
        "100.64.0.1/22",
        "cliente@provedor.com.br",
        "50% off (promo)",
        "",
        "São Paulo 🚀",
        "x" * MAX_LENGTH,
        b"plain bytes",
        0,
        -27,
        4094,
        -21.5,
        float("nan"),
        True,
        False,
        None,
        ipaddress.ip_address("10.0.0.1"),
        Decimal("1.5"),
        ["a", 1, None, ("b", 2.0)],
        {"vlan": 100, "desc": "ok", "nested": {"x": [1, 2]}},
        {1, 2},
    ],
)
def test_safe_values_pass(value: object) -> None:
    check_cli_value(value, "v")


def test_length_limit_default_and_configurable() -> None:
    check_cli_value("x" * 255, "desc")
    with pytest.raises(UnsafeValueError) as caught:
        check_cli_value("x" * 256, "desc")
    assert caught.value.reason == "is 256 characters long; a single CLI value is at most 255"
    check_cli_value("x" * 64, "desc", max_length=64)
    with pytest.raises(UnsafeValueError, match="at most 64"):
        check_cli_value("x" * 65, "desc", max_length=64)


def test_bytes_are_checked_as_text() -> None:
    with pytest.raises(UnsafeValueError, match="newline"):
        check_cli_value(b"a\nb", "raw")
    with pytest.raises(UnsafeValueError, match="not UTF-8"):
        check_cli_value(b"\xff\xfe", "raw")
    with pytest.raises(UnsafeValueError, match="';'"):
        check_cli_value(bytearray(b"a;b"), "raw")


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (["ok", "bad\n"], "desc[1]"),
        (("ok", ("x", "y;")), "desc[1][1]"),
        ({"vlan": 100, "desc": "a\rb"}, "desc.desc"),
        ({"opts": {"vlan": "1?"}}, "desc.opts.vlan"),
        ({"bad key": "x|y"}, "desc['bad key']"),
        ({"k\n": "fine"}, "desc['k\\n']"),
        ({5: "x;"}, "desc[5]"),
        ([{"a": ["ok", "$x"]}], "desc[0].a[1]"),
    ],
)
def test_containers_name_the_bad_item(value: object, name: str) -> None:
    with pytest.raises(UnsafeValueError) as caught:
        check_cli_value(value, "desc")
    assert caught.value.name == name


def test_deep_nesting_is_refused() -> None:
    value: list[object] = ["x"]
    for _ in range(40):
        value = [value]
    with pytest.raises(UnsafeValueError, match="nested more than"):
        check_cli_value(value, "deep")


def test_other_objects_are_checked_by_their_text() -> None:
    class Sneaky:
        def __str__(self) -> str:
            return "ok\nreload"

    with pytest.raises(UnsafeValueError, match="newline"):
        check_cli_value(Sneaky(), "obj")


def test_context_checks_every_entry_by_name() -> None:
    check_cli_context({"port": 3, "serial": "HWTC1A2B3C4D", "vlans": [100, 200], "desc": "Maria"})
    with pytest.raises(UnsafeValueError) as caught:
        check_cli_context({"port": 3, "desc": "Maria", "onu": {"name": "x\ny"}})
    assert caught.value.name == "onu.name"
    with pytest.raises(UnsafeValueError, match="at most 10"):
        check_cli_context({"desc": "x" * 11}, max_length=10)


def test_error_is_a_value_error_and_pickles() -> None:
    error = UnsafeValueError("desc", "a\nb", "contains a newline", where="t.j2:3")
    assert isinstance(error, ValueError)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.name, copy.value, copy.reason, copy.where) == (
        "desc",
        "a\nb",
        "contains a newline",
        "t.j2:3",
    )
    assert str(copy) == "unsafe value for 'desc' at t.j2:3: contains a newline"
