"""Provisioning templates: loading, errors with their line, the plan-and-model choice, and
secrets that never show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ispflow.engine.errors import RunbookError
from ispflow.tasks.provisioning import ProvisioningError, fill, load_templates

CONTRACT = {"contract": "C-1001", "customer": "Ana Souza", "plan": "FIBRA 300M", "vlan": 101}


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "templates.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_templates_cover_the_lab_plans_and_native_models() -> None:
    templates = load_templates()
    for plan in ("FIBRA 300M", "FIBRA 500M", "FIBRA 1G"):
        for model in ("EG8145V5", "HG8245H", "EG8010Hv6", "F670L", "F660", "F601"):
            assert templates.template_for(plan, model).name
    # As the stock keeps models (upper-case), and as people type them.
    assert templates.template_for("FIBRA 1G", "EG8010HV6").name == "huawei-bridge"
    assert templates.template_for("FIBRA 1G", " f660 ").name == "zte-wifi-router"


def test_no_template_names_the_plan_and_the_model() -> None:
    templates = load_templates()
    with pytest.raises(ProvisioningError, match=r"plan 'FIBRA 300M' .* ONU model 'AN5506-01-A'"):
        templates.template_for("FIBRA 300M", "AN5506-01-A")
    with pytest.raises(ProvisioningError, match=r"plan 'OURO' has no provisioning template"):
        templates.template_for("OURO", "F660")


def test_fill_renders_settings_and_hides_secrets() -> None:
    made: list[tuple[str, int]] = []

    def secret_for(name: str, length: int) -> str:
        made.append((name, length))
        return "W" * length

    template = load_templates().template_for("FIBRA 300M", "F660")
    filled = fill(template, CONTRACT, secret_for)
    assert filled.vlan == 101 and filled.template == "zte-wifi-router"
    assert filled.settings["wifi_ssid"] == "Ana_C-1001"
    assert filled.settings["wifi_key"] == "W" * 12  # the device gets the real value
    shown = json.dumps(filled.shown())
    assert "WWWW" not in shown and "***" in shown
    assert "WWWW" not in repr(filled)
    assert made == [("wifi_key", 12), ("admin_password", 16)]


def test_env_and_file_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    secret_file = tmp_path / "voip.txt"
    secret_file.write_text("sip-pass\n")
    path = write(
        tmp_path,
        "templates:\n"
        "  - name: t\n"
        "    plans: [P]\n"
        "    models: [M]\n"
        "    line_profile: 1\n"
        "    service_profile: 1\n"
        "    vlan: 300\n"
        "    settings:\n"
        "      admin_password: {env: ONU_ADMIN}\n"
        f"      voip_password: {{file: {secret_file}}}\n",
    )
    template = load_templates(path).template_for("P", "M")
    monkeypatch.delenv("ONU_ADMIN", raising=False)
    with pytest.raises(ProvisioningError, match="variable ONU_ADMIN is not set"):
        fill(template, CONTRACT, None)
    monkeypatch.setenv("ONU_ADMIN", "adm")
    filled = fill(template, CONTRACT, None)
    assert filled.vlan == 300  # the template's own VLAN wins over the contract's
    assert filled.settings == {"admin_password": "adm", "voip_password": "sip-pass"}
    assert filled.shown()["settings"] == {"admin_password": "***", "voip_password": "***"}


def test_every_problem_with_its_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "templates:\n"
        "  - name: a\n"
        "    plans: [P]\n"
        "    models: [M]\n"
        "    line_profile: 70000\n"  # line 5
        "    service_profile: 1\n"
        "    vlan: 5000\n"  # line 7
        "    setings: {}\n"  # line 8
        "  - name: b\n"
        "    plans: [P]\n"
        "    models: [M]\n"  # overlaps a (reported at b)
        "    line_profile: 1\n"
        "    service_profile: 1\n"
        "    settings:\n"
        "      wifi_key: hunter2\n"  # line 15: a secret in clear
        "      wifi_sid: x\n"  # line 16
        "      admin_password: {generate: 4}\n",  # line 17
    )
    with pytest.raises(RunbookError) as caught:
        load_templates(path)
    text = str(caught.value)
    assert f"{path}:5:" in text and "`line_profile` must be a whole number 0-65535" in text
    assert f"{path}:7:" in text and "`vlan` must be a whole number 1-4094" in text
    assert f"{path}:8:" in text and "did you mean 'settings'" in text
    assert f"{path}:15:" in text and "'wifi_key' is a secret" in text
    assert f"{path}:16:" in text and "did you mean 'wifi_ssid'" in text
    assert f"{path}:17:" in text and "{generate: LENGTH}" in text


def test_overlapping_templates_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "templates:\n"
        "  - {name: a, plans: [P], models: [M, N], line_profile: 1, service_profile: 1}\n"
        "  - {name: b, plans: [P], models: [N], line_profile: 2, service_profile: 2}\n",
    )
    with pytest.raises(RunbookError, match=r"templates.yaml:3:.*model 'N' is in templates 'a'"):
        load_templates(path)


def test_a_contract_without_vlan_is_an_error() -> None:
    template = load_templates().template_for("FIBRA 1G", "F601")
    with pytest.raises(ProvisioningError, match="contract C-9 has none"):
        fill(template, {"contract": "C-9", "customer": "X"}, None)


def test_every_olt_vendor_ships_its_own_templates_read_together() -> None:
    from ispflow.plugins.vendors import olt_vendors
    from ispflow.tasks.provisioning import shipped_template_files

    assert {file.parent.name for file in shipped_template_files()} == set(olt_vendors())
    models = {m for t in load_templates().templates for m in t.models}
    assert {"EG8145V5", "F660", "DM986-204", "HG6145E"} <= models


def test_a_pair_in_two_vendors_files_is_an_error_naming_the_second_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for vendor, name in (("acme", "acme-router"), ("zeta", "zeta-router")):
        folder = tmp_path / "olt" / vendor
        folder.mkdir(parents=True)
        (folder / "provisioning.yaml").write_text(
            "templates:\n"
            f"  - name: {name}\n"
            "    plans: [FIBRA 300M]\n"
            "    models: [X1]\n"
            "    line_profile: 1\n"
            "    service_profile: 1\n"
            "    vlan: contract\n",
            encoding="utf-8",
        )
    monkeypatch.setattr("ispflow.tasks.provisioning.TEMPLATES_DIR", tmp_path)
    with pytest.raises(RunbookError) as caught:
        load_templates()
    assert "zeta/provisioning.yaml:2" in str(caught.value)
    assert "model 'X1' is in templates 'acme-router' and 'zeta-router'" in str(caught.value)
