"""Blocking and unblocking PPPoE customers on the lab's concentrators, over the RouterOS API."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import librouteros
import pytest
from librouteros.exceptions import TrapError
from librouteros.query import Key

from tests.lab.conftest import RunningLab, start_lab, step_results


def results(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per contract, what the hosts that handled it reported."""
    found = {}
    for host in report["results"]:
        for row in host["result"] or []:
            if isinstance(row, dict) and "contract" in row:
                found[row["contract"]] = {**row, "host": host["host"]}
    return found


def free_contracts(lab: RunningLab, count: int = 1) -> list[dict[str, Any]]:
    """Installed, unblocked contracts whose customer is online (its ONU answers)."""
    offline = {o["serial"] for o in lab.onus(condition="offline")}
    rows = lab.query(
        "SELECT c.code, c.pppoe_login, c.concentrator, o.serial FROM contracts c "
        "JOIN onus o ON o.id = c.onu_id WHERE c.concentrator IS NOT NULL AND NOT c.blocked "
        "ORDER BY c.code"
    )
    chosen = [r for r in rows if r["serial"] not in offline][:count]
    assert len(chosen) == count, "the lab seed has too few online, unblocked contracts"
    return chosen


def api(lab: RunningLab, name: str, user: str = "lab") -> librouteros.api.Api:
    return lab.api(name, user)


def secret_and_session(lab: RunningLab, contract: dict[str, Any]) -> tuple[dict, dict | None]:
    router = api(lab, contract["concentrator"])
    try:
        login = contract["pppoe_login"]
        [secret] = router.path("ppp", "secret").select(Key("profile")).where(Key("name") == login)
        sessions = list(
            router.path("ppp", "active")
            .select(Key(".id"), Key("address"))
            .where(Key("name") == login)
        )
    finally:
        router.close()
    return secret, sessions[0] if sessions else None


def test_block_then_unblock_with_checks_before_and_after(lab: RunningLab) -> None:
    [contract] = free_contracts(lab)
    code = contract["code"]
    before = results(lab.run_json("ppp-lookup", "-e", f"contract={code}"))[code]
    assert before["online"] and not before["address_in_block_pool"] and not before["on_block_list"]
    plan = before["profile"]

    block_report = lab.run_json(
        "ppp-block", "-e", f"contract={code}", "-e", "reason=fatura 10/2026"
    )
    assert lab.password() not in json.dumps(block_report)
    blocked = results(block_report)[code]
    assert blocked["status"] == "blocked", blocked
    assert blocked["address_before"] == before["address"]
    assert blocked["address_after"].startswith("100.96.") or blocked["address_after"].startswith(
        "100.97."
    )
    after = results(lab.run_json("ppp-lookup", "-e", f"contract={code}"))[code]
    assert after["profile"] == "bloqueio" and after["address_in_block_pool"]
    assert after["on_block_list"] and after["blocked_in_store"]
    [row] = lab.query(
        "SELECT blocked, block_reason, unblock_profile, ip_address FROM contracts WHERE code=:c",
        c=code,
    )
    assert (row["blocked"], row["block_reason"], row["unblock_profile"]) == (
        1,
        "fatura 10/2026",
        plan,
    )
    assert row["ip_address"] == blocked["address_after"]

    freed = results(lab.run_json("ppp-unblock", "-e", f"contract={code}"))[code]
    assert freed["status"] == "unblocked", freed
    again = results(lab.run_json("ppp-lookup", "-e", f"contract={code}"))[code]
    assert again["profile"] == plan and again["online"]
    assert not again["address_in_block_pool"] and not again["on_block_list"]
    [row] = lab.query("SELECT blocked, unblock_profile FROM contracts WHERE code=:c", c=code)
    assert (row["blocked"], row["unblock_profile"]) == (0, None)


def test_blocking_a_blocked_contract_changes_nothing(lab: RunningLab) -> None:
    [contract] = free_contracts(lab)
    code = contract["code"]
    lab.run_json("ppp-block", "-e", f"contract={code}")
    _, session = secret_and_session(lab, contract)
    report = lab.run_json("ppp-block", "-e", f"contract={code}")
    assert results(report)[code]["status"] == "unchanged"
    assert not any(r["changed"] for r in report["results"])
    _, same = secret_and_session(lab, contract)
    assert same == session  # not dropped again: same session id, same address


def test_a_dry_run_shows_the_api_sentences_and_sends_nothing(lab: RunningLab) -> None:
    [contract] = free_contracts(lab)
    report = lab.run_json("ppp-block", "-e", f"contract={contract['code']}", "--dry-run")
    [result] = [r for r in step_results(report, "block") if r["host"] == contract["concentrator"]]
    commands = result["result"]["commands"]
    assert f"/ppp/secret/set =numbers={contract['pppoe_login']} =profile=bloqueio" in commands
    secret, _ = secret_and_session(lab, contract)
    assert secret["profile"] != "bloqueio"


def test_bad_contracts_fail_alone_and_nothing_is_half_applied(lab: RunningLab) -> None:
    good, gone, risky = free_contracts(lab, 3)
    router = api(lab, gone["concentrator"])
    try:
        secrets = router.path("ppp", "secret")
        [row] = secrets.select(Key(".id")).where(Key("name") == gone["pppoe_login"])
        secrets.remove(row[".id"])
    finally:
        router.close()
    csv = lab.root / "block.csv"
    csv.write_text(f"contract\n{good['code']}\nC-99999\n{gone['code']}\n")
    report = lab.run_json("ppp-block", "-e", f"items={csv}", expect=1)
    found = results(report)
    assert found[good["code"]]["status"] == "blocked"
    assert found["C-99999"]["error"] == "no such contract in the store"
    assert "is not on this concentrator" in found[gone["code"]]["error"]
    # A reason that would be read as a RouterOS script ($...) never reaches the list.
    bad = lab.run_json(
        "ppp-block", "-e", f"contract={risky['code']}", "-e", "method=address-list",
        "-e", "reason=$(rm)", expect=1,
    )  # fmt: skip
    assert "$" in results(bad)[risky["code"]]["error"]
    secret, _ = secret_and_session(lab, risky)
    router = api(lab, risky["concentrator"])
    try:
        listed = list(router.path("ip", "firewall", "address-list").select(Key("comment")))
    finally:
        router.close()
    assert secret["profile"] != "bloqueio"
    assert not any(risky["code"] in str(e.get("comment")) for e in listed)
    [row] = lab.query("SELECT blocked FROM contracts WHERE code=:c", c=risky["code"])
    assert row["blocked"] == 0


def test_a_read_only_api_user_may_not_change_anything(lab: RunningLab) -> None:
    [contract] = free_contracts(lab)
    router = api(lab, contract["concentrator"], user="lab-ro")
    try:
        assert list(router.path("ppp", "secret"))  # reading is allowed
        with pytest.raises(TrapError, match="not enough permissions"):
            router.path("ppp", "secret").update(
                **{"numbers": contract["pppoe_login"], "profile": "bloqueio"}
            )
    finally:
        router.close()


@pytest.fixture
def big_lab(tmp_path: Path) -> Iterator[RunningLab]:
    """About two thousand contracts over three concentrators."""
    yield from start_lab(tmp_path, "--pons", "8", "--onus", "64", "--autofind", "0",
                         "--concentrators", "3")  # fmt: skip


def test_bulk_block_of_thousands_then_resume_after_a_cut_connection(big_lab: RunningLab) -> None:
    rows = big_lab.query(
        "SELECT code, concentrator, unblock_profile FROM contracts "
        "WHERE concentrator IS NOT NULL AND NOT blocked ORDER BY code"
    )
    assert len(rows) > 1500 and len({r["concentrator"] for r in rows}) == 3
    csv = big_lab.root / "overdue.csv"
    csv.write_text("contract\n" + "\n".join(r["code"] for r in rows) + "\n")
    # bras-02 cuts every API session after 300 sentences, in the middle of its changes: the
    # task's one retry on a new session is cut too, and the host fails with what is done.
    cut = big_lab.cli("lab", "fault", "bras-02", "--drop-after", "300")
    assert cut.returncode == 0, cut.stderr
    first = big_lab.run_json("ppp-block", "-e", f"items={csv}", "-e", "settle=5", expect=1)
    by_host = {r["host"]: r for r in first["results"]}
    assert by_host["bras-02"]["status"] == "failed"
    assert by_host["bras-01"]["status"] == "changed" and by_host["bras-03"]["status"] == "changed"
    big_lab.cli("lab", "fault", "--clear")

    assert "lost" in by_host["bras-02"]["error"]
    resumed = big_lab.run_json("--rerun-failed", first["run_id"])
    assert resumed["status"] == "ok"
    again = {c: r for c, r in results(resumed).items() if r["status"] != "skipped"}
    assert {row["host"] for row in again.values()} == {"bras-02"}  # only the failed host
    twice = [c for c in again if results(first).get(c, {}).get("status") == "blocked"]
    assert twice == []  # nothing blocked in the first run is blocked again
    assert any(row["status"] == "blocked" for row in again.values())
    assert any("found so on the concentrator" in row["status"] for row in again.values())
    [counts] = big_lab.query(
        "SELECT count(*) AS n, sum(blocked) AS blocked, count(unblock_profile) AS known, "
        "sum(unblock_profile = 'bloqueio') AS wrong FROM contracts WHERE code IN ("
        + ",".join(f"'{r['code']}'" for r in rows)
        + ")"
    )
    assert counts["blocked"] == counts["n"] == len(rows)
    assert counts["known"] == counts["n"] and not counts["wrong"]
    router = api(big_lab, "bras-02")
    try:
        profiles = {s["profile"] for s in router.path("ppp", "secret").select(Key("profile"))}
    finally:
        router.close()
    assert profiles == {"bloqueio"}


def test_block_overdue_blocks_only_overdue_unblocked_contracts_naming_the_bill(
    lab: RunningLab,
) -> None:
    overdue = lab.query(
        "SELECT code, overdue_since FROM contracts "
        "WHERE overdue_since IS NOT NULL AND NOT blocked AND status = 'active'"
    )
    assert overdue, "the lab seed has no overdue, unblocked contract"
    untouched = lab.query("SELECT code FROM contracts WHERE overdue_since IS NULL AND NOT blocked")
    report = lab.run_json("ppp-block-overdue", "-e", "days=0", "-e", "settle=5")
    done = results(report)
    assert {c for c, r in done.items() if r["status"].startswith("blocked")} == {
        r["code"] for r in overdue
    }
    for row in overdue:
        [stored] = lab.query(
            "SELECT blocked, block_reason FROM contracts WHERE code=:c", c=row["code"]
        )
        day, month, year = str(row["overdue_since"]).split("-")[::-1]
        assert stored["blocked"] == 1
        assert stored["block_reason"] == f"inadimplência; fatura vencida desde {day}/{month}/{year}"
    [still] = lab.query(
        "SELECT count(*) AS n FROM contracts WHERE blocked AND code IN ("
        + ",".join(f"'{r['code']}'" for r in untouched)
        + ")"
    )
    assert still["n"] == 0


def test_the_api_over_tls_is_used_and_verified(lab: RunningLab) -> None:
    """The lab serves TLS by default, as the inventory's hosts expect."""
    [contract] = free_contracts(lab)
    found = results(lab.run_json("ppp-lookup", "-e", f"contract={contract['code']}"))
    assert found[contract["code"]]["online"]
    router = lab.concentrator("bras-01")
    with pytest.raises((librouteros.exceptions.ConnectionClosed, OSError)):
        librouteros.connect(  # the TLS port does not speak plain API
            "127.0.0.1", "lab", lab.password(), port=router["port"], timeout=3
        )
    # Without the lab's certificate as trust anchor the handshake is refused.
    hosts = lab.state / "inventory" / "hosts.yaml"
    hosts.write_text(hosts.read_text().replace(str(lab.state / "api-cert.pem"), "/nonexistent"))
    report = lab.run_json("ppp-lookup", "-e", f"contract={contract['code']}", expect=1)
    failed = [r for r in report["results"] if r["status"] == "failed"]
    assert failed and all("ca_file /nonexistent: No such file" in r["error"] for r in failed)


def test_a_block_that_does_not_take_is_put_back(lab: RunningLab) -> None:
    """The blocking profile lost its address list: the post-check catches it."""
    [contract] = free_contracts(lab)
    secret_before, _ = secret_and_session(lab, contract)
    router = api(lab, contract["concentrator"])
    try:
        profiles = router.path("ppp", "profile")
        [row] = profiles.select(Key(".id")).where(Key("name") == "bloqueio")
        profiles.update(**{".id": row[".id"], "address-list": ""})
    finally:
        router.close()
    report = lab.run_json("ppp-block", "-e", f"contract={contract['code']}", expect=1)
    found = results(report)[contract["code"]]
    assert found["status"] == "failed" and "not on the block list" in found["error"]
    assert "put back" in found["error"]
    secret_after, _ = secret_and_session(lab, contract)
    assert secret_after["profile"] == secret_before["profile"]
    after = results(lab.run_json("ppp-lookup", "-e", f"contract={contract['code']}"))
    assert not after[contract["code"]]["address_in_block_pool"]  # dialled again, freed
    [row] = lab.query("SELECT blocked FROM contracts WHERE code=:c", c=contract["code"])
    assert row["blocked"] == 0
