"""Runbook expressions: native values, text templates, conditions, errors and the sandbox."""

from __future__ import annotations

import pickle
import threading

import pytest

from ispflow.core.expressions import ExpressionError, Expressions
from ispflow.core.suggest import closest, did_you_mean


@pytest.fixture(scope="module")
def ex() -> Expressions:
    return Expressions()


CTX = {
    "serial": "HWTC1A2B3C4D",
    "vlan": 100,
    "login": "12345",
    "vlans": [100, 200],
    "onu": {"id": 7, "port": "0/1/3", "rx": -21.5, "tags": ["ftth"]},
    "result": {"rx": -28.1, "status": "online"},
    "item": {"skip": False, "enabled": "no"},
    "host": {"name": "olt-poa-01", "site": "poa"},
    "nothing": None,
}


# -- constants -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "value",
    [
        1,
        2.5,
        True,
        None,
        "plain text",
        "braces { } alone",
        ["a", 1],
        {"a": {"b": [1, 2]}},
        ("x", 2),
        "",
    ],
)
def test_constants_are_returned_as_the_same_object(ex: Expressions, value: object) -> None:
    compiled = ex.compile_value(value)
    assert compiled.is_constant
    assert compiled.variables == frozenset()
    assert compiled.render(CTX) is value
    assert compiled.render({}) is value


def test_constant_expressions_are_folded(ex: Expressions) -> None:
    compiled = ex.compile_value("{{ 40 + 2 }}")
    assert compiled.is_constant and compiled.render({}) == 42
    assert ex.compile_value("{{ [1, 2] }}").render({}) == [1, 2]
    assert ex.compile_value({"a": "{{ 1 + 1 }}", "b": ["{{ 'x' ~ 'y' }}", 3]}).render({}) == {
        "a": 2,
        "b": ["xy", 3],
    }
    assert ex.compile_value(("{{ 3 }}",)).render({}) == (3,)


def test_a_context_name_like_the_internal_one_is_harmless(ex: Expressions) -> None:
    assert ex.compile_value("{{ result.rx }}").render({"result": {"rx": -20}}) == -20
    assert ex.compile_value("{{ _ispflow_value + 1 }}").render({"_ispflow_value": 1}) == 2


# -- native values ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ vlan }}", 100),
        ("{{ vlan + 1 }}", 101),
        ("{{ onu.rx }}", -21.5),
        ("{{ vlans }}", [100, 200]),
        ("{{ onu }}", CTX["onu"]),
        ("{{ onu.id > 5 }}", True),
        ("{{ nothing }}", None),
        ("{{ serial }}", "HWTC1A2B3C4D"),
        ("{{ login }}", "12345"),  # text that looks like a number stays text
        ("  {{ vlan }}  ", 100),
        ("{{ vlan }}\n", 100),
        ("{{ vlans | map('string') | list }}", ["100", "200"]),
        ("{{ {'a': vlan, 'b': [serial]} }}", {"a": 100, "b": ["HWTC1A2B3C4D"]}),
        ("{{ onu['port'] }}", "0/1/3"),
        ("{{ vlans | length }}", 2),
        ("{{ range(3) | list }}", [0, 1, 2]),
        ("{{ dict(a=vlan) }}", {"a": 100}),
    ],
)
def test_single_expression_keeps_its_python_type(
    ex: Expressions, source: str, expected: object
) -> None:
    compiled = ex.compile_value(source)
    assert not compiled.is_constant
    value = compiled.render(CTX)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("sn {{ serial }}", "sn HWTC1A2B3C4D"),
        ("{{ vlan }}{{ vlan }}", "100100"),
        ("{{ vlan }} ", 100),
        ("vlan-{{ vlan }}", "vlan-100"),
        ("{% if onu.rx < -27 %}bad{% else %}ok{% endif %}", "ok"),
        ("{% for v in vlans %}{{ v }},{% endfor %}", "100,200,"),
        ("line\n{{ vlan }}\n", "line\n100\n"),
    ],
)
def test_other_templates_render_to_text(ex: Expressions, source: str, expected: object) -> None:
    assert ex.compile_value(source).render(CTX) == expected


def test_nested_values_render_only_dynamic_parts(ex: Expressions) -> None:
    shared = [1, 2]
    compiled = ex.compile_value(
        {
            "serial": "{{ serial }}",
            "fixed": 1,
            "opts": shared,
            "desc": "onu {{ onu.id }}",
            "z": ["{{ vlan }}", "k"],
        }
    )
    assert not compiled.is_constant
    assert compiled.variables == frozenset({"serial", "onu", "vlan"})
    first = compiled.render(CTX)
    assert first == {
        "serial": "HWTC1A2B3C4D",
        "fixed": 1,
        "opts": [1, 2],
        "desc": "onu 7",
        "z": [100, "k"],
    }
    assert list(first) == ["serial", "fixed", "opts", "desc", "z"]  # the written order
    assert first["opts"] is shared  # constant parts are shared, not copied
    second = compiled.render({**CTX, "serial": "ZTEG00000001"})
    assert second["serial"] == "ZTEG00000001" and first["serial"] == "HWTC1A2B3C4D"
    assert second is not first


def test_tuples_stay_tuples(ex: Expressions) -> None:
    assert ex.compile_value(("{{ vlan }}", 1)).render(CTX) == (100, 1)


@pytest.mark.parametrize(
    ("source", "names"),
    [
        ("{{ result.rx }}", {"result"}),
        ("{{ a.b.c + d['e'] }}", {"a", "d"}),
        ("{% for i in items %}{{ i.x }}{% endfor %}", {"items"}),
        ("{{ range(n) | list }}", {"n"}),
        ("{% set x = 1 %}{{ x + y }}", {"y"}),
        ("{{ x | default('none') }}", {"x"}),
    ],
)
def test_variables_are_the_root_names(ex: Expressions, source: str, names: set[str]) -> None:
    assert ex.compile_value(source).variables == frozenset(names)


# -- conditions --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("expr", "expected"),
    [
        ("result.rx > -27 and not item.skip", False),
        ("result.rx < -27 and not item.skip", True),
        ("{{ result.rx < -27 }}", True),
        ("  {{ vlan == 100 }}  ", True),
        ("vlan in vlans", True),
        ("serial is match('HWTC')", True),
        ("serial is search('3C4D$')", True),
        ("undefined_thing is defined", False),
        ("undefined_thing is not defined", True),
        ("item.enabled | bool", False),
        ("result.status == 'online' or vlan > 5000", True),
        ("onu.tags", True),
        ("vlans | length == 3", False),
        ("'10.0.0.5' is ip_in('10.0.0.0/24')", True),
    ],
)
def test_conditions(ex: Expressions, expr: str, expected: bool) -> None:
    assert ex.compile_condition(expr).evaluate(CTX) is expected


@pytest.mark.parametrize(
    ("expr", "expected"), [(True, True), (False, False), ("true", True), ("1 == 2", False)]
)
def test_constant_conditions(ex: Expressions, expr: str | bool, expected: bool) -> None:
    compiled = ex.compile_condition(expr)
    assert compiled.variables == frozenset()
    assert compiled.evaluate({}) is expected


def test_condition_knows_its_variables_and_source(ex: Expressions) -> None:
    compiled = ex.compile_condition("result.rx > -27 and not item.skip")
    assert compiled.variables == frozenset({"result", "item"})
    assert compiled.source == "result.rx > -27 and not item.skip"


def test_condition_refuses_text_results(ex: Expressions) -> None:
    with pytest.raises(ExpressionError, match=r"gave the text 'no'.*\| bool"):
        ex.compile_condition("item.enabled").evaluate(CTX)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("a ==== b", "unexpected '=='"),
        ("result.x >", "unexpected 'end of template'"),
        ("", "empty"),
        ("   ", "empty"),
        ("{{ a }} and {{ b }}", "one expression"),
        ("a b", "unexpected 'b'"),
        ("'yes'", "is the text 'yes'"),
        ("x | bool_", "No filter named 'bool_' (did you mean 'bool'?)"),
    ],
)
def test_bad_conditions_fail_at_compile_time(ex: Expressions, expr: str, message: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        ex.compile_condition(expr)
    assert message in str(caught.value)


def test_condition_must_be_text_or_bool(ex: Expressions) -> None:
    with pytest.raises(ExpressionError, match="not int"):
        ex.compile_condition(3)  # type: ignore[arg-type]


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ foo }", "unexpected '}'"),
        ("{{ foo", "unexpected end of template"),
        ("{% if x %}y", "Unexpected end of template"),
        (
            "{{ x | regex_serach('a') }}",
            "No filter named 'regex_serach' (did you mean 'regex_search'?)",
        ),
        ("{{ 1 + }}", "unexpected 'end of print statement'"),
    ],
)
def test_syntax_errors_at_compile_time_carry_the_text(
    ex: Expressions, source: str, message: str
) -> None:
    with pytest.raises(ExpressionError) as caught:
        ex.compile_value({"args": [source]})
    assert message in caught.value.message
    assert caught.value.source == source
    assert repr(source) in str(caught.value)


def test_undefined_variable_names_it_and_suggests(ex: Expressions) -> None:
    compiled = ex.compile_value("{{ serail }}")
    assert compiled.variables == frozenset({"serail"})
    with pytest.raises(ExpressionError) as caught:
        compiled.render(CTX)
    assert caught.value.message == "'serail' is undefined (did you mean 'serial'?)"
    assert "{{ serail }}" in str(caught.value)


def test_undefined_in_text_template(ex: Expressions) -> None:
    with pytest.raises(ExpressionError, match="'vlna' is undefined"):
        ex.compile_value("vlan {{ vlna }}").render(CTX)


def test_missing_key_names_it_and_suggests(ex: Expressions) -> None:
    with pytest.raises(ExpressionError) as caught:
        ex.compile_condition("result.rxx > -27").evaluate(CTX)
    assert "has no attribute 'rxx' (did you mean 'rx'?)" in caught.value.message


def test_undefined_inside_a_literal_list_fails(ex: Expressions) -> None:
    with pytest.raises(ExpressionError, match="'nope' is undefined"):
        ex.compile_value("{{ [vlan, nope] }}").render(CTX)


def test_type_errors_are_expression_errors(ex: Expressions) -> None:
    with pytest.raises(ExpressionError, match="TypeError"):
        ex.compile_condition("serial > 3").evaluate(CTX)
    with pytest.raises(ExpressionError, match="ZeroDivisionError"):
        ex.compile_value("{{ vlan / 0 }}").render(CTX)


def test_expression_error_survives_pickling() -> None:
    error = pickle.loads(pickle.dumps(ExpressionError("'x' is undefined", "{{ x }}")))
    assert error.message == "'x' is undefined" and error.source == "{{ x }}"
    assert str(error) == "'x' is undefined (in '{{ x }}')"


# -- sandbox -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{{ ''.__class__.__mro__ }}", "'__class__'"),
        ("{{ ''.__class__ }}", "'__class__'"),
        ("{{ cycler.__init__.__globals__ }}", "'__init__'"),
        ("{{ joiner.__init__.__globals__['os'] }}", "'__init__'"),
        ("{{ namespace.__init__.__globals__ }}", "'__init__'"),
        ("{{ vlans.__class__.__base__.__subclasses__() }}", "'__class__'"),
        ("{{ onu.items.__self__ }}", "'__self__'"),
        ("{{ (onu|attr('__class__')) }}", "__class__"),
        ("{{ range(10**9) | list }}", "range(1000000000,) is too big (at most 100000 numbers)"),
        ("{{ range(10**30) | list }}", "too big"),
        ("{{ range(0, 10**12, 2) | length }}", "too big"),
        ("{{ 'x' * 10**9 }}", "too big"),
        ("{{ vlans * 10**8 }}", "too big"),
        ("{{ 2 ** 1000000 }}", "too big"),
        ("{{ 'a'.ljust(10**9) }}", "too big"),
        ("{{ 'x' | center(10**9) }}", "too big"),
        ("{{ '%999999999d' | format(1) }}", "field widths"),
        ("{{ '%999999999d' % 1 }}", "field widths"),
        ("{{ '%*d' % (10**9, 1) }}", "field widths"),
        ("{{ '{:>999999999}'.format(1) }}", "field widths"),
        ("{{ '{:{w}}'.format(1, w=10**9) }}", "field widths"),
        ("{{ '{0:>{1}}'.format(1, 10**9) }}", "field widths"),
        ("{{ vlans.append(1) }}", "not allowed"),
        ("{{ onu.update({'id': 1}) }}", "not allowed"),
        ("{{ onu.pop('id') }}", "not allowed"),
    ],
)
def test_sandbox_refuses_escapes_and_huge_values(
    ex: Expressions, source: str, message: str
) -> None:
    ctx = {**CTX, "vlans": [100, 200], "onu": dict(CTX["onu"])}  # type: ignore[arg-type]
    with pytest.raises(ExpressionError) as caught:
        ex.compile_value(source).render(ctx)
    assert message in caught.value.message
    assert ctx["vlans"] == [100, 200] and ctx["onu"] == CTX["onu"]


def test_sandbox_has_no_environment_or_file_access(ex: Expressions) -> None:
    for source in ("{{ lipsum() }}", "{{ os }}", "{{ environ }}", "{{ config }}", "{{ open }}"):
        with pytest.raises(ExpressionError, match="is undefined"):
            ex.compile_value(source).render({})
    with pytest.raises(ExpressionError, match="no loader"):
        ex.compile_value("{% include '/etc/passwd' %}").render({})


def test_small_ranges_and_repeats_still_work(ex: Expressions) -> None:
    assert ex.compile_value("{{ range(1, 129) | list | length }}").render({}) == 128
    assert ex.compile_value("{{ '-' * n }}").render({"n": 10}) == "-" * 10
    assert ex.compile_value("{{ 2 ** n }}").render({"n": 32}) == 2**32
    assert ex.compile_value("{{ '%5.1f dBm' % rx }}").render({"rx": -21.46}) == "-21.5 dBm"
    assert ex.compile_value("{{ '{:>4}|{}'.format(7, 'x') }}").render({}) == "   7|x"
    assert ex.compile_value("{{ n % 8 }}").render({"n": 20}) == 4


# -- network filters ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("{{ data | to_json }}", '{"a": [1, "ç"]}'),
        ("{{ data | to_json(sort_keys=true) }}", '{"a": [1, "ç"]}'),
        ("{{ '{\"x\": [1, 2]}' | from_json }}", {"x": [1, 2]}),
        ("{{ 'ONTID :12' | regex_search('ONTID *:([0-9]+)', '\\\\1') }}", ["12"]),
        (
            "{{ 'F/S/P 0/1/3' | regex_search('(?P<f>[0-9]+)/(?P<s>[0-9]+)/([0-9]+)', '\\\\g<s>', 3) }}",
            ["1", "3"],
        ),
        ("{{ 'ONTID :12' | regex_search('ONTID') }}", "ONTID"),
        ("{{ 'abc' | regex_search('z') }}", None),
        ("{{ 'gpon-onu_1/1/1:5' | regex_replace('^gpon-onu_', '') }}", "1/1/1:5"),
        ("{{ 'hwtc1A2B' | regex_replace('[a-f]', 'X', ignorecase=true) }}", "hwtX1X2X"),
        ("{{ '-16.6(dbm) -27.1(dbm)' | regex_findall('-?[0-9]+[.][0-9]+') }}", ["-16.6", "-27.1"]),
        ("{{ '100.64.1.9' | ip_in('100.64.0.0/22') }}", True),
        ("{{ '100.64.9.9' | ip_in('100.64.0.0/22') }}", False),
        ("{{ '100.64.9.9' | ip_in(['10.0.0.0/8', '100.64.0.0/10']) }}", True),
        ("{{ '2001:db8::5' | ip_in('2001:db8::/32') }}", True),
        ("{{ '2001:db8::5' | ip_in('10.0.0.0/8') }}", False),
        ("{{ '10.1.0.0/24' | ip_in('10.0.0.0/8') }}", True),
        ("{{ 'not-an-ip' | ip_in('10.0.0.0/8') }}", False),
        ("{{ '10.0.0.5' is ip }}", True),
        ("{{ '10.0.0.500' is ip }}", False),
        ("{{ '10.0.0.5/24' | ipaddr }}", "10.0.0.5/24"),
        ("{{ '10.0.0.5/24' | ipaddr('network') }}", "10.0.0.0"),
        ("{{ '10.0.0.5/24' | ipaddr('netmask') }}", "255.255.255.0"),
        ("{{ '10.0.0.5/24' | ipaddr('prefix') }}", 24),
        ("{{ '10.0.0.5/24' | ipaddr('cidr') }}", "10.0.0.0/24"),
        ("{{ '10.0.0.5/24' | ipaddr('address') }}", "10.0.0.5"),
        ("{{ '2001:DB8::1' | ipaddr }}", "2001:db8::1"),
        ("{{ 'x' | ipaddr }}", False),
        ("{{ 'Yes' | bool }}", True),
        ("{{ 'off' | bool }}", False),
    ],
)
def test_network_filters(ex: Expressions, source: str, expected: object) -> None:
    assert ex.compile_value(source).render({"data": {"a": [1, "ç"]}}) == expected


def test_bad_filter_arguments_are_clear(ex: Expressions) -> None:
    with pytest.raises(ExpressionError, match="not a boolean"):
        ex.compile_value("{{ 'maybe' | bool }}").render({})
    with pytest.raises(ExpressionError, match="unknown query"):
        ex.compile_value("{{ '10.0.0.1' | ipaddr('bogus') }}").render({})
    with pytest.raises(ExpressionError, match="JSONDecodeError"):
        ex.compile_value("{{ '{' | from_json }}").render({})


# -- concurrency ------------------------------------------------------------------------------------
def test_one_compiled_value_renders_in_many_threads(ex: Expressions) -> None:
    compiled = ex.compile_value({"sn": "{{ serial }}", "n": "{{ i * 2 }}", "t": "#{{ i }}"})
    condition = ex.compile_condition("i % 2 == 0")
    errors: list[str] = []

    def work(i: int) -> None:
        for _ in range(300):
            out = compiled.render({"serial": f"S{i}", "i": i})
            if out != {"sn": f"S{i}", "n": i * 2, "t": f"#{i}"} or condition.evaluate({"i": i}) != (
                i % 2 == 0
            ):
                errors.append(f"thread {i}: {out}")

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


# -- suggestions ---------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("word", "candidates", "expected"),
    [
        ("serail", ["serial", "vlan"], " (did you mean 'serial'?)"),
        ("Serial", ["serial"], " (did you mean 'serial'?)"),
        ("regster", ("register", "retries"), " (did you mean 'register'?)"),
        ("xyz", ["serial", "vlan"], ""),
        ("serial", ["serial"], ""),
        ("a", [], ""),
    ],
)
def test_did_you_mean(word: str, candidates: list[str], expected: str) -> None:
    assert did_you_mean(word, candidates) == expected


def test_closest_accepts_any_iterable() -> None:
    assert closest("vlna", {"vlan": 1, "onu": 2}) == "vlan"
    assert closest("zzz", iter(["vlan"])) is None
