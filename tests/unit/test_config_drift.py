"""Drift between a running and an intended configuration, and the intended templates."""

from __future__ import annotations

from pathlib import Path

import pytest

from ispflow.plugins.olt.huawei.driver import HuaweiDriver
from ispflow.tasks.compliance_checks import account_checks, drift_findings
from ispflow.tasks.compliance_rules import load_rules
from ispflow.tasks.config_drift import IntendedMissing, compare, config_lines, render_intended

RUNNING = """\
[MA5800V100R019: 8106]
#
[global-config]
  <global-config>
 sysname olt-poa-01
 snmp-agent community read cipher ***
 snmp-agent community write cipher ***
 ntp-service unicast-server 10.0.0.1
#
[gpon]
 interface gpon 0/1
  ont add 0 1 sn-auth "4857544317AB7C0A" omci desc "C-1001"
return
"""

LAYOUT = HuaweiDriver.config_structure
HOST = {"name": "olt-poa-01", "vendor": "huawei", "site": "poa", "model": "MA5800-X7"}


def test_structure_lines_are_left_out_and_blanks_squeezed() -> None:
    lines = config_lines(RUNNING, LAYOUT)
    assert "sysname olt-poa-01" in lines and "#" not in lines
    assert "[gpon]" not in lines and "<global-config>" not in lines
    assert 'ont add 0 1 sn-auth "4857544317AB7C0A" omci desc "C-1001"' in lines


def test_missing_and_extra_lines_of_the_kinds_the_intended_config_names() -> None:
    intended = (
        "sysname olt-poa-01\n"
        "snmp-agent community read cipher ***\n"
        "ntp-service unicast-server 10.0.0.2\n"
        "undo telnet server enable\n"
    )
    drift = compare(RUNNING, intended, key_words=2, structure=LAYOUT)
    assert drift.missing == ["ntp-service unicast-server 10.0.0.2", "undo telnet server enable"]
    # Same first two words as intended lines, not listed: extra. The ONU lines are not of
    # a kind the intended configuration speaks of.
    assert drift.extra == [
        "snmp-agent community write cipher ***",
        "ntp-service unicast-server 10.0.0.1",
    ]
    # With three words a kind, the write community and the other NTP server are other kinds.
    assert compare(RUNNING, intended, key_words=3, structure=LAYOUT).extra == []
    assert not compare(RUNNING, "  sysname   olt-poa-01 \n", key_words=2, structure=LAYOUT)


def test_intended_template_path_key_words_and_errors(tmp_path: Path) -> None:
    folder = tmp_path / "intended"
    folder.mkdir()
    (folder / "huawei.j2").write_text(
        "{% set key_words = 3 %}\nsysname {{ name }}\nsnmp-agent sys-info location "
        '"{{ site | upper }}"\n',
        encoding="utf-8",
    )
    intended = render_intended("intended/{{ vendor }}.j2", tmp_path, HOST)
    assert intended.path == folder / "huawei.j2" and intended.key_words == 3
    assert intended.text.split() == ["sysname", "olt-poa-01", "snmp-agent", "sys-info",
                                     "location", '"POA"']  # fmt: skip
    with pytest.raises(IntendedMissing, match="no intended configuration at .*zte.j2"):
        render_intended("intended/{{ vendor }}.j2", tmp_path, {**HOST, "vendor": "zte"})
    (folder / "bad.j2").write_text("sysname\n{{ name }\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"bad.j2:2: "):
        render_intended("intended/bad.j2", tmp_path, HOST)
    (folder / "words.j2").write_text("{% set key_words = 'two' %}\n", encoding="utf-8")
    with pytest.raises(ValueError, match="key_words must be a whole number"):
        render_intended("intended/words.j2", tmp_path, HOST)


def test_shipped_intended_templates_render_for_each_lab_model() -> None:
    rules = load_rules()
    [rule] = rules.wants("config_drift")
    for vendor, model in (("huawei", "MA5608T"), ("zte", "C320"), ("zte", "C600"),
                          ("mikrotik", "CCR2004")):  # fmt: skip
        host = {**HOST, "vendor": vendor, "model": model}
        intended = render_intended(rule.params["template"], rules.folder, host)
        assert "olt-poa-01" in intended.text, vendor


def test_drift_and_account_findings() -> None:
    rules = load_rules()
    [drift_rule] = rules.wants("config_drift")
    drift = compare(RUNNING, "sysname olt-poa-01\nntp-service unicast-server 10.0.0.2\n", 2)
    [found] = drift_findings(drift_rule, "olt-poa-01", "/x/huawei.j2", drift)
    assert found["subject"] == (
        "olt-poa-01: configuration differs from huawei.j2: 1 line missing, 1 extra"
    )
    assert found["missing"] == ["ntp-service unicast-server 10.0.0.2"]
    assert drift_findings(drift_rule, "olt-poa-01", "/x/huawei.j2", compare(RUNNING, "", 2)) == []

    account_rules = rules.wants("user_not_allowed") + rules.wants("pppoe_interface_down")
    interfaces = {
        "vlan100-pppoe": {"is_up": False, "is_enabled": True},
        "vlan101-pppoe": {"is_up": False, "is_enabled": False},
        "vlan102-pppoe": None,
        "vlan103-pppoe": {"is_up": True, "is_enabled": True},
    }
    found = account_checks(account_rules, "bras-01", ["admin", "lab", "intern", "noc-ana"],
                           interfaces)  # fmt: skip
    subjects = [f["subject"] for f in found]
    assert subjects == [
        "bras-01: user account 'intern' is not an allowed one",
        "bras-01: PPPoE interface vlan100-pppoe is down: no customer can dial in on it",
        "bras-01: PPPoE interface vlan101-pppoe is disabled: no customer can dial in on it",
        "bras-01: PPPoE interface vlan102-pppoe does not exist",
    ]
    assert {f["severity"] for f in found[1:]} == {"critical"}
