"""Configuration backup of the lab's mixed fleet (Huawei and ZTE OLTs over SSH, MikroTik
concentrators through NAPALM): one version per change, the right diff, secrets masked."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from typing import Any

from tests.lab.conftest import RunningLab


def backup(lab: RunningLab, *extra: str) -> dict[str, dict[str, Any]]:
    report = lab.run_json("config-backup", *extra)
    assert report["status"] == "ok", report
    return {r["host"]: r["result"] for r in report["results"]}


def stored(lab: RunningLab) -> list[dict[str, Any]]:
    return lab.query(
        "SELECT v.host, v.number, v.sha256, b.content FROM config_versions v "
        "JOIN config_blobs b ON b.sha256 = v.sha256 ORDER BY v.host, v.number"
    )


def authorized_onu(lab: RunningLab, vendor: str) -> dict[str, Any]:
    return next(
        o for o in lab.onus(vendor=vendor, state="authorized") if o["condition"] != "offline"
    )


def test_a_change_on_one_device_is_exactly_one_new_version_with_its_diff(
    lab: RunningLab,
) -> None:
    fleet = lab.fleet()
    devices = {o["name"] for o in fleet["olts"]} | {c["name"] for c in fleet["concentrators"]}
    first = backup(lab)
    assert set(first) == devices
    assert {r["config"] for r in first.values()} == {"first version"}
    versions = stored(lab)
    assert {v["host"] for v in versions} == devices and len(versions) == len(devices)
    by_host = {v["host"]: v["content"] for v in versions}
    # Every authorized ONU of an OLT is in its configuration: the paged read came whole.
    for onu in lab.onus(state="authorized"):
        # Huawei keeps the serial in its all-hex form (sn-auth "48575443...").
        serial = onu["serial_hex"] if onu["vendor"] == "huawei" else onu["serial"]
        assert serial in by_host[onu["olt"]], (onu["olt"], serial)
    for concentrator in fleet["concentrators"]:
        text = by_host[concentrator["name"]]
        assert all(f"name={login}" in text for login in concentrator["secrets"])

    # Nothing changed: no new version anywhere, only "last seen" moves.
    again = backup(lab)
    assert {r["config"] for r in again.values()} == {"unchanged"}
    assert len(stored(lab)) == len(devices)

    # One ONU gets a new description on its OLT: exactly one new version, on that OLT.
    onu = authorized_onu(lab, "zte")
    before = time.time()
    described = lab.run_json(
        "onu-describe",
        "-e", f"olt={onu['olt']}", "-e", f"port={onu['port']}",
        "-e", f"onu_id={onu['onu_id']}", "-e", "description=C-9999_Novo_Nome",
    )  # fmt: skip
    assert described["status"] == "ok"
    third = backup(lab)
    changed = {host for host, r in third.items() if r["config"] != "unchanged"}
    assert changed == {onu["olt"]}
    assert third[onu["olt"]]["version"] == 2 and third[onu["olt"]]["previous"] == 1
    assert (third[onu["olt"]]["added"], third[onu["olt"]]["removed"]) == (1, 1)
    assert len(stored(lab)) == len(devices) + 1

    diff = lab.cli("config", "diff", onu["olt"], "-U", "0")
    assert diff.returncode == 1, diff.stderr
    changes = [
        line
        for line in diff.stdout.splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert len(changes) == 2, diff.stdout
    assert changes[0].startswith("-") and onu["description"] in changes[0]
    assert changes[1].startswith("+") and "C-9999_Novo_Nome" in changes[1]
    assert f"{onu['olt']} v1" in diff.stdout and f"{onu['olt']} v2" in diff.stdout

    # The configuration as it was before the change, by time and by number.
    # To the microsecond: the first backup may be from the same second.
    moment = datetime.fromtimestamp(before, UTC).isoformat()
    old = lab.cli("config", "show", onu["olt"], "--at", moment)
    assert old.returncode == 0, old.stderr
    assert old.stdout == by_host[onu["olt"]]
    assert lab.cli("config", "show", onu["olt"], "--version", "1").stdout == old.stdout
    latest = lab.cli("config", "show", onu["olt"])
    assert "C-9999_Novo_Nome" in latest.stdout
    same = lab.cli("config", "diff", onu["olt"], "--from", "1", "--to", "v1")
    assert same.returncode == 0 and "same configuration" in same.stderr

    listed = json.loads(lab.cli("config", "list", onu["olt"], "-o", "json").stdout)
    assert [v["number"] for v in listed] == [1, 2]


# Lines of the lab's OLT configurations that carry a secret, and look-alikes that do not.
SECRET_LINE = re.compile(
    r"cipher|password|secret|community|shared-key|-mode (?:md5|sha)|"
    r"snmp-server (?:user|host)|tacacs-server"
)
NOT_SECRET = re.compile(r"complexity-check")


def test_secrets_are_masked_unless_kept(lab: RunningLab) -> None:
    password = lab.password()
    backup(lab)
    masked = {v["host"]: v["content"] for v in stored(lab)}
    olts = [o["name"] for o in lab.fleet()["olts"]]
    for host, content in masked.items():
        assert password not in content, host
        secret_line = SECRET_LINE if host in olts else re.compile("password|community")
        for line in content.splitlines():
            if secret_line.search(line) and not NOT_SECRET.search(line):
                assert "***" in line, (host, line)

    kept = backup(lab, "-e", "keep_secrets=true")
    for olt in olts:
        assert kept[olt]["masked"] is False and kept[olt]["config"] == "new version", olt
        shown = lab.cli("config", "show", olt)
        assert shown.returncode == 0 and "secrets kept" in shown.stderr, shown.stderr
        # Word for word, the kept text is the masked one with the secrets in place of ***;
        # none of those secrets is anywhere in the masked text, nor in the store in clear.
        secrets = set()
        for hidden, clear in zip(masked[olt].splitlines(), shown.stdout.splitlines(), strict=True):
            words = list(zip(hidden.split(" "), clear.split(" "), strict=True))
            assert all(h == c for h, c in words if h != "***"), (hidden, clear)
            secrets |= {c for h, c in words if h == "***" and c != "***"}
        # Short ones (the lab's `username zte password zte`) are words found anywhere.
        secrets = {secret for secret in secrets if len(secret) >= 8}
        assert len(secrets) >= 4, (olt, secrets)
        sealed = lab.query(
            "SELECT content, masked FROM config_blobs WHERE sha256 = :s", s=_full_sha(lab, olt)
        )[0]
        assert sealed["masked"] in (False, 0)
        for secret in secrets:
            assert secret not in masked[olt], (olt, secret)
            assert secret not in sealed["content"], (olt, secret)


def _full_sha(lab: RunningLab, host: str) -> str:
    return lab.query(
        "SELECT sha256 FROM config_versions WHERE host = :h ORDER BY number DESC", h=host
    )[0]["sha256"]


def test_a_device_that_cannot_be_read_fails_alone(lab: RunningLab) -> None:
    olts = lab.fleet()["olts"]
    refused, others = olts[0]["name"], [o["name"] for o in olts[1:]]
    assert lab.cli("lab", "fault", refused, "--refuse-logins").returncode == 0
    report = lab.run_json("config-backup", expect=1)
    rows = {r["host"]: r for r in report["results"]}
    assert rows[refused]["status"] == "failed"
    assert "authentication" in rows[refused]["error"].lower()
    assert lab.password() not in str(report)
    assert all(rows[name]["result"]["config"] == "first version" for name in others)
    assert not lab.query("SELECT id FROM config_versions WHERE host = :h", h=refused)


def test_config_cli_errors_say_what_is_wrong(lab: RunningLab) -> None:
    missing = lab.cli("config", "show", "olt-nowhere")
    assert missing.returncode == 2 and "no configuration of olt-nowhere" in missing.stderr
    backup(lab)
    olt = lab.fleet()["olts"][0]["name"]
    assert "has one version only" in lab.cli("config", "diff", olt).stderr
    bad = lab.cli("config", "show", olt, "--version", "7")
    assert bad.returncode == 2 and "has no version 7 (versions 1 to 1)" in bad.stderr
    when = lab.cli("config", "show", olt, "--at", "yesterday")
    assert when.returncode == 2 and "is not a time" in when.stderr
    early = lab.cli("config", "show", olt, "--at", "2020-01-01")
    assert early.returncode == 2 and "had no stored configuration at" in early.stderr
