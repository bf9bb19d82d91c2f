"""Portuguese text to RouterOS: a reason such as `inadimplência` reaches the concentrator in
the encoding RouterOS keeps (Windows-1252 by default, one byte a letter), and a character that
encoding cannot carry is refused before the store or the concentrator hears of it."""

from __future__ import annotations

from librouteros.query import Key

from tests.lab.conftest import RunningLab
from tests.lab.test_ppp import free_contracts, results


def list_comments(lab: RunningLab, concentrator: str, encoding: str) -> list[str]:
    api = lab.api(concentrator, encoding=encoding)
    try:
        rows = api.path("ip", "firewall", "address-list").select(Key("comment"))
        return [str(row.get("comment", "")) for row in rows]
    finally:
        api.close()


def test_the_default_reason_with_accents_blocks_and_travels_as_one_byte_a_letter(
    lab: RunningLab,
) -> None:
    [contract] = free_contracts(lab)
    code = contract["code"]
    report = lab.run_json("ppp-block", "-e", f"contract={code}", "-e", "method=both")
    assert results(report)[code]["status"] == "blocked", report
    # Read back as Latin-1, byte for byte: UTF-8 would show `Ãª` for `ê`.
    comments = list_comments(lab, contract["concentrator"], "latin-1")
    assert f"{code} inadimplência" in comments
    [row] = lab.query("SELECT blocked, block_reason FROM contracts WHERE code = :c", c=code)
    assert (row["blocked"], row["block_reason"]) == (1, "inadimplência")


def test_text_the_encoding_cannot_carry_is_refused_and_nothing_is_written(
    lab: RunningLab,
) -> None:
    [contract] = free_contracts(lab)
    code = contract["code"]
    report = lab.run_json(
        "ppp-block", "-e", f"contract={code}", "-e", "method=both", "-e", "reason=sem sinal 📵",
        expect=1,
    )  # fmt: skip
    outcome = results(report)[code]
    assert outcome["status"] == "failed"
    assert "cp1252" in outcome["error"] and "📵" in outcome["error"]
    [row] = lab.query(
        "SELECT blocked, block_reason, unblock_profile FROM contracts WHERE code = :c", c=code
    )
    assert (row["blocked"], row["block_reason"], row["unblock_profile"]) == (0, None, None)
    assert not any(
        c.startswith(code) for c in list_comments(lab, contract["concentrator"], "latin-1")
    )
    lookup = results(lab.run_json("ppp-lookup", "-e", f"contract={code}"))[code]
    assert lookup["profile"] != "bloqueio" and not lookup["on_block_list"]
