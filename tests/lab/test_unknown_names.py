"""Names that name nothing are errors before anything runs: an OLT not in the inventory, a
contract not in the store, a description that would end the device command."""

from __future__ import annotations

from tests.lab.conftest import RunningLab, waiting_serials


def test_an_unknown_olt_or_contract_is_a_usage_error_with_the_nearest_name(
    lab: RunningLab,
) -> None:
    olt = lab.olt_of_model("C320")["name"]
    typo = olt[:-2] + olt[-1]  # olt-poa-02 -> olt-poa-2
    proc = lab.cli("run", "onu-signal", "-e", f"olt={typo}")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    said = " ".join((proc.stdout + proc.stderr).split())
    assert f"var 'olt': no host '{typo}' in the inventory (did you mean '{olt}'?)" in said
    [row] = lab.query("SELECT code FROM contracts ORDER BY code LIMIT 1")
    typo = row["code"] + "9"
    proc = lab.cli("run", "onu-authorize", "-e", f"contract={typo}")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    said = " ".join((proc.stdout + proc.stderr).split())
    assert f"var 'contract': no contract '{typo}' in the store" in said
    assert lab.query("SELECT COUNT(*) AS n FROM runs")[0]["n"] == 0  # nothing was run
    # A value pasted whole from a file is quoted cut short, saying how long it was.
    pasted = row["code"] * 2000
    proc = lab.cli("run", "onu-signal", "-e", f"contract={pasted}")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    said = " ".join((proc.stdout + proc.stderr).split())
    assert "characters) in the store" in said and f"({len(pasted):,} characters)" in said
    assert len(proc.stdout + proc.stderr) < 1000


def test_an_unsafe_description_is_refused_naming_the_var_the_user_gave(lab: RunningLab) -> None:
    olt = lab.olt_of_model("MA5608T")
    onu = lab.onus(olt=olt["name"], autofind=True)[0]
    proc = lab.cli(
        "run", "onu-authorize", "-e", f"olt={olt['name']}", "-e", f"port={onu['port']}",
        "-e", f"serial={onu['serial']}", "-e", 'description=ok"\nundo ont 0',
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    said = " ".join((proc.stdout + proc.stderr).split())
    assert "var 'description':" in said and "device command" in said
    assert onu["serial"] in waiting_serials(lab, olt["name"])
