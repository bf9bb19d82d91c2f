"""Root cause by PON and CTO, degradation and flapping, on hand-made readings."""

from __future__ import annotations

from typing import Any

from ispflow.engine.signal_analysis import AuditSettings, analyze, position_key


def reading(
    onu: int, signal: str, *, rx: float | None = -20.0, cto: str | None = None,
    port: str = "0/1/0", olt: str = "olt-a",
) -> dict[str, Any]:  # fmt: skip
    return {
        "olt": olt,
        "port": port,
        "onu_id": onu,
        "serial": f"HWTC{olt[-1].upper()}{port[-1]}{onu:06X}",
        "rx_dbm": None if signal == "offline" else rx,
        "signal": signal,
        "contract": f"C-{port[-1]}{onu:03d}",
        "cto": cto,
    }


def kinds(findings: list[dict[str, Any]]) -> list[tuple[str, str]]:
    return sorted((f["kind"], f["key"]) for f in findings)


def test_a_cut_fibre_behind_one_cto_is_one_finding_with_its_customers() -> None:
    behind = [reading(i, "offline", cto="CTO-7") for i in range(1, 5)]
    healthy_cto = [reading(i, "good", cto="CTO-8") for i in range(5, 9)]
    lone = [reading(9, "critical", rx=-29.0, cto="CTO-9"), reading(10, "good", cto="CTO-9")]
    findings = analyze(behind + healthy_cto + lone, {})
    assert kinds(findings) == [
        ("cto_fault", "signal:cto:CTO-7"),
        ("onu_down", f"signal:onu:{lone[0]['serial']}"),
    ]
    [cto] = [f for f in findings if f["kind"] == "cto_fault"]
    assert cto["contracts"] == [r["contract"] for r in behind]
    assert (cto["down"], cto["onus"]) == (4, 4)


def test_a_failing_olt_port_hides_the_ctos_under_it() -> None:
    pon = [reading(i, "offline", cto=f"CTO-{i % 2}", port="0/1/3") for i in range(1, 9)]
    other = [reading(i, "good", cto="CTO-X") for i in range(1, 5)]
    findings = analyze(pon + other, {})
    assert kinds(findings) == [("pon_fault", "signal:pon:olt-a:0/1/3")]
    assert len(findings[0]["contracts"]) == 8


def test_two_customers_down_are_not_yet_a_cut() -> None:
    few = [reading(1, "offline", cto="CTO-1"), reading(2, "offline", cto="CTO-1")]
    findings = analyze(few + [reading(i, "good", cto="CTO-2") for i in range(3, 9)], {})
    assert [f["kind"] for f in findings] == ["onu_down", "onu_down"]
    assert analyze(few, {}, AuditSettings(group_min=2))[0]["kind"] == "pon_fault"


def test_slow_degradation_against_the_previous_audit_and_the_baseline() -> None:
    now = reading(1, "good", rx=-23.5)
    history = {position_key(now): [{"rx_dbm": -22.0, "signal": "good"}] + [
        {"rx_dbm": -19.9, "signal": "good"}] * 5}  # fmt: skip
    [found] = analyze([now], history)
    assert found["kind"] == "onu_degraded" and found["drop_db"] == 3.6
    assert found["previous_dbm"] == -22.0 and found["baseline_dbm"] == -19.9
    steady = {position_key(now): [{"rx_dbm": -23.0, "signal": "good"}] * 4}
    assert analyze([now], steady) == []


def test_flapping_counts_online_offline_changes() -> None:
    now = reading(1, "good")
    history = {
        position_key(now): [
            {"rx_dbm": None, "signal": "offline"},
            {"rx_dbm": -20.0, "signal": "good"},
            {"rx_dbm": None, "signal": "offline"},
            {"rx_dbm": -20.0, "signal": "good"},
        ]
    }
    [found] = analyze([now], history)
    assert found["kind"] == "onu_flapping" and found["changes"] == 4
    assert found["key"] == f"signal:flapping:{now['serial']}"


def test_keys_stay_the_same_across_audits() -> None:
    healthy = [reading(i, "good", cto="CTO-8") for i in range(5, 9)]
    first = analyze([reading(i, "offline", cto="CTO-7") for i in range(1, 5)] + healthy, {})
    second = analyze(
        [reading(i, "critical", rx=-30, cto="CTO-7") for i in range(1, 5)] + healthy, {}
    )
    assert [f["key"] for f in first] == [f["key"] for f in second] == ["signal:cto:CTO-7"]
