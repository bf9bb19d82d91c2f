"""Compliance rules files: what loads, and the errors a bad file gets (with file:line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ispflow.engine.errors import RunbookError
from ispflow.tasks.compliance_rules import CHECKS, DEFAULT_RULES, load_rules, remediation_for


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_rules_cover_every_check() -> None:
    rules = load_rules()
    assert rules.source == str(DEFAULT_RULES)
    assert {r.check for r in rules.rules} == set(CHECKS)
    assert {r.device for r in rules.rules} == {"olt", "concentrator", "any"}
    usage = rules.wants("pool_usage")[0]
    assert usage.params == {"full_at": 0.9}
    assert usage.severity == "major"


def test_params_default_and_remediation_templates(tmp_path: Path) -> None:
    rules = load_rules(
        write(
            tmp_path,
            "rules:\n"
            "  - id: desc\n"
            "    check: onu_description\n"
            "    severity: minor\n"
            "    remediation:\n"
            "      runbook: onu-describe\n"
            "      vars: {olt: '{{ olt }}', onu_id: '{{ onu_id }}'}\n"
            "      limit: '{{ olt }}'\n"
            "  - id: off\n"
            "    check: pool_overlap\n"
            "    severity: info\n"
            "    enabled: false\n",
        )
    )
    [rule] = rules.rules  # the disabled one is left out
    assert rule.params["expect"] == "{{ recorded or standard }}"
    assert rule.title == CHECKS["onu_description"].title
    fix = remediation_for(rule, {"olt": "olt-1", "onu_id": 7})
    assert fix == {
        "runbook": "onu-describe",
        "vars": {"olt": "olt-1", "onu_id": "7"},
        "limit": "olt-1",
    }
    broken = remediation_for(rule, {"olt": "olt-1"})
    assert broken is not None and "onu_id" in broken["error"]


def test_every_problem_is_reported_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rules:\n"
        "  - id: a\n"
        "    check: pool_usag\n"  # line 3
        "    severity: major\n"
        "  - id: b\n"
        "    check: pool_usage\n"
        "    severity: urgent\n"  # line 7
        "    params: {full_at: 2, size: 3}\n"  # line 8
        "  - id: c\n"
        "    check: onu_moved\n"
        "    severity: info\n"
        "    remediaton: {}\n"  # line 12
        "  - id: c\n"  # line 13
        "    check: onu_moved\n"
        "    severity: info\n"
        "    remediation: {runbook: no-such-book}\n",  # line 16
    )
    with pytest.raises(RunbookError) as caught:
        load_rules(path)
    text = str(caught.value)
    name = str(path)
    assert f"{name}:3:" in text and "unknown check 'pool_usag' (did you mean 'pool_usage'?)" in text
    assert f"{name}:7:" in text and "severity must be one of" in text
    assert f"{name}:8:" in text and "'full_at' must be between" in text
    assert "has no parameter 'size'" in text
    assert f"{name}:12:" in text and "did you mean 'remediation'" in text
    assert f"{name}:16:" in text and "no runbook named 'no-such-book'" in text
    assert len(caught.value.problems) == 6


def test_duplicate_ids_and_yaml_errors(tmp_path: Path) -> None:
    dup = write(
        tmp_path,
        "rules:\n  - {id: x, check: onu_moved, severity: info}\n"
        "  - {id: x, check: pool_overlap, severity: info}\n",
    )
    with pytest.raises(RunbookError, match=r"rules.yaml:3:.*'x' is used twice"):
        load_rules(dup)
    bad = tmp_path / "bad.yaml"
    bad.write_text("rules:\n  - id: [unclosed\n", encoding="utf-8")
    with pytest.raises(RunbookError, match=r"bad.yaml:\d+:\d+: YAML syntax error"):
        load_rules(bad)
    empty = tmp_path / "empty.yaml"
    empty.write_text("rule: []\n", encoding="utf-8")
    with pytest.raises(RunbookError, match="expected `rules:` list"):
        load_rules(empty)


def test_a_bad_template_is_an_error_at_load(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rules:\n  - id: d\n    check: onu_description\n    severity: minor\n"
        "    params: {expect: '{{ contract '}\n",
    )
    with pytest.raises(RunbookError, match=r"rules.yaml:5:.*'expect' is not a valid template"):
        load_rules(path)


def test_a_regex_param_must_compile_and_an_int_param_be_in_range(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "rules:\n"
        "  - id: users\n"
        "    check: user_not_allowed\n"
        "    severity: major\n"
        "    params: {allowed: 'admin|(noc'}\n"  # line 5
        "  - id: drift\n"
        "    check: config_drift\n"
        "    severity: minor\n"
        "    params: {key_words: 0}\n",  # line 9
    )
    with pytest.raises(RunbookError) as caught:
        load_rules(path)
    text = str(caught.value)
    assert f"{path}:5:" in text and "'allowed' is not a regular expression" in text
    assert f"{path}:9:" in text and "'key_words' must be between 1 and 10" in text


def test_drift_rules_apply_to_every_device_and_keep_their_folder(tmp_path: Path) -> None:
    rules = load_rules(
        write(tmp_path, "rules:\n  - {id: drift, check: config_drift, severity: minor}\n")
    )
    assert [r.id for r in rules.for_device("olt")] == ["drift"]
    assert [r.id for r in rules.for_device("concentrator")] == ["drift"]
    assert rules.folder == tmp_path
    assert rules.rules[0].params == {"template": "intended/{{ vendor }}.j2", "key_words": 2}
