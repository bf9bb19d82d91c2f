"""Command templates on disk rendered into CLI lines, with every value guarded."""

from __future__ import annotations

import textwrap
import threading
from pathlib import Path

import pytest

from ispflow.core.command_render import CommandRenderer, CommandRenderError, TemplateNotFound
from ispflow.core.guard import UnsafeValueError

AUTHORIZE = """\
{# Huawei SmartAX: authorize one ONU and give it a service port #}
{% macro quoted_desc(text) %}desc "{{ text }}"{% endmacro %}
interface gpon {{ frame }}/{{ slot }}
  ont add {{ port }} sn-auth {{ serial }} omci ont-lineprofile-id {{ line_profile }} ont-srvprofile-id {{ srv_profile }} {{ quoted_desc(desc) }}
quit
{% for vlan in vlans %}
service-port vlan {{ vlan }} gpon {{ frame }}/{{ slot }}/{{ port }} ont {{ onu_id }} gemport 1 multi-service user-vlan {{ vlan }}
{% endfor %}
"""

CONTEXT = {
    "frame": 0,
    "slot": 1,
    "port": 3,
    "serial": "HWTC1A2B3C4D",
    "line_profile": 10,
    "srv_profile": 10,
    "desc": "Joao da Silva",
    "vlans": [100, 200],
    "onu_id": 5,
}


@pytest.fixture
def templates(tmp_path: Path) -> Path:
    root = tmp_path / "templates"
    (root / "olt" / "huawei").mkdir(parents=True)
    (root / "olt" / "zte").mkdir(parents=True)
    (root / "olt" / "huawei" / "onu_authorize.j2").write_text(AUTHORIZE)
    (root / "olt" / "huawei" / "computed.j2").write_text(
        'interface gpon 0/1\n ont modify 3 5 desc "{{ first ~ last }}"\n'
    )
    (root / "olt" / "huawei" / "typo.j2").write_text(
        "interface gpon 0/1\n\n ont delete {{ port }} {{ onu_idd }}\n"
    )
    (root / "olt" / "huawei" / "broken.j2").write_text("ok\n{% for x in y %}\nno end\n")
    (root / "olt" / "huawei" / "uses_missing.j2").write_text(
        "a\n{% include 'olt/huawei/nope.j2' %}\n"
    )
    (root / "olt" / "zte" / "onu_add.j2").write_text(
        "interface gpon-olt_{{ pon }}\n  onu {{ onu_id }} type {{ onu_type }} sn {{ serial }}\n{% include 'olt/zte/footer.j2' %}\n"
    )
    (root / "olt" / "zte" / "footer.j2").write_text("exit\n")
    return root


def test_renders_lines_from_a_file(templates: Path) -> None:
    renderer = CommandRenderer([templates])
    lines = renderer.render("olt/huawei/onu_authorize.j2", CONTEXT)
    assert lines == [
        "interface gpon 0/1",
        '  ont add 3 sn-auth HWTC1A2B3C4D omci ont-lineprofile-id 10 ont-srvprofile-id 10 desc "Joao da Silva"',
        "quit",
        "service-port vlan 100 gpon 0/1/3 ont 5 gemport 1 multi-service user-vlan 100",
        "service-port vlan 200 gpon 0/1/3 ont 5 gemport 1 multi-service user-vlan 200",
    ]


def test_includes_and_a_single_search_path(templates: Path) -> None:
    renderer = CommandRenderer(str(templates))
    lines = renderer.render(
        "olt/zte/onu_add.j2",
        {"pon": "1/1/1", "onu_id": 5, "onu_type": "ZTE-F601", "serial": "ZTEGC0FFEE01"},
    )
    assert lines == ["interface gpon-olt_1/1/1", "  onu 5 type ZTE-F601 sn ZTEGC0FFEE01", "exit"]


def test_search_paths_are_tried_in_order(tmp_path: Path, templates: Path) -> None:
    override = tmp_path / "site"
    (override / "olt" / "zte").mkdir(parents=True)
    (override / "olt" / "zte" / "footer.j2").write_text("end\n")
    renderer = CommandRenderer([override, templates])
    lines = renderer.render(
        "olt/zte/onu_add.j2", {"pon": "1/1/1", "onu_id": 1, "onu_type": "T", "serial": "S"}
    )
    assert lines[-1] == "end"


@pytest.mark.parametrize(
    ("name", "value", "reason"),
    [
        ("desc", "joao\nundo ont 0", "newline"),
        ("desc", 'x" ont delete 3 all "', "'\"'"),
        ("serial", "HWTC1A2B3C4D?", "'?'"),
        ("vlans", [100, "200;/system reboot"], "';'"),
    ],
)
def test_unsafe_values_are_refused_by_name_before_rendering(
    templates: Path, name: str, value: object, reason: str
) -> None:
    renderer = CommandRenderer([templates])
    with pytest.raises(UnsafeValueError) as caught:
        renderer.render("olt/huawei/onu_authorize.j2", {**CONTEXT, name: value})
    assert caught.value.name.split("[")[0] == name
    assert reason in caught.value.reason


def test_values_the_template_does_not_use_are_checked_too(templates: Path) -> None:
    renderer = CommandRenderer([templates])
    with pytest.raises(UnsafeValueError) as caught:
        renderer.render("olt/huawei/onu_authorize.j2", {**CONTEXT, "notes": "a\nb"})
    assert caught.value.name == "notes"


def test_a_computed_value_is_guarded_with_its_location(templates: Path) -> None:
    renderer = CommandRenderer([templates])
    assert renderer.render("olt/huawei/computed.j2", {"first": "Ana", "last": " Maria"}) == [
        "interface gpon 0/1",
        ' ont modify 3 5 desc "Ana Maria"',
    ]
    with pytest.raises(UnsafeValueError) as caught:
        renderer.render("olt/huawei/computed.j2", {"first": "Ana", "last": "Maria?"})
    assert caught.value.name == "last"  # the context check comes first and names the var
    # Each part is within the limit; what the template builds from them is not.
    with pytest.raises(UnsafeValueError) as caught:
        renderer.render("olt/huawei/computed.j2", {"first": "x" * 200, "last": "y" * 100})
    assert caught.value.name == "<expression>"
    assert caught.value.where == "olt/huawei/computed.j2:2"
    assert "at most 255" in caught.value.reason


def test_a_computed_value_names_expression_and_line(templates: Path) -> None:
    renderer = CommandRenderer([templates])
    with pytest.raises(UnsafeValueError) as caught:
        renderer.render_string("line one\nx {{ a ~ ';' ~ b }}", {"a": "ok", "b": 5})
    assert caught.value.name == "<expression>"
    assert caught.value.where == "<string>:2"
    assert str(caught.value).startswith(
        "unsafe value for '<expression>' at <string>:2: contains ';'"
    )
    with pytest.raises(UnsafeValueError, match="newline"):
        renderer.render_string("{{ lines | join('\\n') }}", {"lines": ["a", "b"]})


def test_template_text_from_macros_and_set_blocks_is_not_a_value(templates: Path) -> None:
    renderer = CommandRenderer([templates])
    source = textwrap.dedent(
        """\
        {% macro desc(text) %}desc "{{ text }}"{% endmacro %}
        {% set suffix %}; comment="{{ who }}"{% endset %}
        /ppp secret set [find name="{{ login }}"] profile=blocked{{ suffix }}
        ont modify 3 5 {{ desc(who) }}
        """
    )
    assert renderer.render_string(source, {"login": "maria.silva", "who": "Maria"}) == [
        '/ppp secret set [find name="maria.silva"] profile=blocked; comment="Maria"',
        'ont modify 3 5 desc "Maria"',
    ]
    with pytest.raises(UnsafeValueError) as caught:
        renderer.render_string(source, {"login": "maria.silva", "who": 'Maria" x'})
    assert caught.value.name == "who"


def test_missing_template_names_it_and_the_search_paths(templates: Path, tmp_path: Path) -> None:
    renderer = CommandRenderer([templates, tmp_path / "other"])
    with pytest.raises(TemplateNotFound) as caught:
        renderer.render("olt/fiberhome/onu_add.j2", {})
    message = str(caught.value)
    assert "'olt/fiberhome/onu_add.j2'" in message
    assert str(templates) in message and str(tmp_path / "other") in message
    assert isinstance(caught.value, CommandRenderError) and isinstance(caught.value, LookupError)


def test_missing_template_without_search_paths() -> None:
    with pytest.raises(TemplateNotFound, match="no template search path"):
        CommandRenderer([]).render("x.j2", {})


def test_missing_include_names_where_it_was_included(templates: Path) -> None:
    with pytest.raises(TemplateNotFound) as caught:
        CommandRenderer([templates]).render("olt/huawei/uses_missing.j2", {})
    assert "'olt/huawei/nope.j2'" in str(caught.value)
    assert "olt/huawei/uses_missing.j2:2" in str(caught.value)


def test_paths_outside_the_search_path_are_not_templates(templates: Path) -> None:
    with pytest.raises(TemplateNotFound):
        CommandRenderer([templates / "olt"]).render("../olt/huawei/onu_authorize.j2", CONTEXT)


def test_undefined_variable_names_it_with_file_and_line(templates: Path) -> None:
    with pytest.raises(CommandRenderError) as caught:
        CommandRenderer([templates]).render("olt/huawei/typo.j2", {"port": 3, "onu_id": 5})
    message = str(caught.value)
    assert "'onu_idd' is undefined" in message
    assert "olt/huawei/typo.j2:3" in message
    assert "(the context has 'onu_id')" in message
    assert caught.value.template == "olt/huawei/typo.j2" and caught.value.lineno == 3


def test_undefined_attribute_in_inline_text() -> None:
    with pytest.raises(CommandRenderError, match=r"has no attribute 'vlna'.*<string>:1"):
        CommandRenderer([]).render_string("vlan {{ onu.vlna }}", {"onu": {"vlan": 1}})


def test_syntax_error_names_file_and_line(templates: Path) -> None:
    with pytest.raises(CommandRenderError) as caught:
        CommandRenderer([templates]).render("olt/huawei/broken.j2", {"y": []})
    assert str(caught.value).startswith("olt/huawei/broken.j2:")
    assert "endfor" in str(caught.value)
    with pytest.raises(CommandRenderError, match="<string>:1"):
        CommandRenderer([]).render_string("{{ x ", {})


def test_sandbox_applies_to_command_templates() -> None:
    renderer = CommandRenderer([])
    with pytest.raises(CommandRenderError, match="not allowed.*__class__"):
        renderer.render_string("{{ x.__class__.__mro__ }}", {"x": 1})
    with pytest.raises(CommandRenderError, match="too big"):
        renderer.render_string("{% for i in range(10**9) %}{{ i }}{% endfor %}", {})


def test_nul_in_template_text_is_refused(tmp_path: Path) -> None:
    (tmp_path / "nul.j2").write_text("ont add 1\x00 sn-auth X\n")
    with pytest.raises(CommandRenderError, match="carriage return or NUL"):
        CommandRenderer([tmp_path]).render("nul.j2", {})


def test_crlf_template_files_render_clean_lines(tmp_path: Path) -> None:
    (tmp_path / "crlf.j2").write_bytes(
        b"interface gpon 0/1\r\n ont add {{ port }}  \r\n\r\nquit\r\n"
    )
    assert CommandRenderer([tmp_path]).render("crlf.j2", {"port": 3}) == [
        "interface gpon 0/1",
        " ont add 3",
        "quit",
    ]


def test_blank_and_comment_only_lines_are_dropped() -> None:
    lines = CommandRenderer([]).render_string(
        "{# header #}\n\n   \na   \n{% if x %}\nb\n{% endif %}\n", {"x": True}
    )
    assert lines == ["a", "b"]


def test_templates_are_compiled_once(tmp_path: Path) -> None:
    (tmp_path / "t.j2").write_text("first {{ x }}\n")
    renderer = CommandRenderer([tmp_path])
    assert renderer.render("t.j2", {"x": 1}) == ["first 1"]
    (tmp_path / "t.j2").write_text("second {{ x }}\n")
    assert renderer.render("t.j2", {"x": 2}) == ["first 2"]
    assert CommandRenderer([tmp_path]).render("t.j2", {"x": 3}) == ["second 3"]


def test_value_length_limit_is_configurable() -> None:
    renderer = CommandRenderer([], max_value_length=8)
    assert renderer.render_string("desc {{ d }}", {"d": "12345678"}) == ["desc 12345678"]
    with pytest.raises(UnsafeValueError, match="at most 8"):
        renderer.render_string("desc {{ d }}", {"d": "123456789"})


def test_rendering_from_many_threads(templates: Path) -> None:
    renderer = CommandRenderer([templates])
    errors: list[str] = []

    def work(i: int) -> None:
        for _ in range(50):
            lines = renderer.render(
                "olt/huawei/onu_authorize.j2", {**CONTEXT, "onu_id": i, "desc": f"cliente {i}"}
            )
            if f'desc "cliente {i}"' not in lines[1] or f"ont {i} gemport" not in lines[3]:
                errors.append(str(lines))

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
