"""Contract secrets: made once, kept encrypted, the same on every later read, refused with
another key; one value when two installs make it at once."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from ispflow.core.errors import UsageError
from ispflow.lab.seed_store import LabOnu, seed_lab
from ispflow.store.contract_secrets import contract_secret
from ispflow.store.db import Database
from ispflow.store.errors import StoreError
from ispflow.store.schema import contract_secrets, contracts


@pytest.fixture
def contract(db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("ISPFLOW_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    monkeypatch.delenv("ISPFLOW_SECRET_KEY", raising=False)
    monkeypatch.chdir(tmp_path)  # no ispflow.yaml here
    olts = [{"name": "olt-poa-01", "vendor": "huawei", "site": "poa", "pons": ["0/1/0"]}]
    seed_lab(db, olts, [LabOnu("olt-poa-01", "huawei", "0/1/0", "HWTC00000001", 1)], seed=3)
    return "C-1001"


def test_made_once_encrypted_and_read_back(db: Database, contract: str, tmp_path: Path) -> None:
    key = contract_secret(db, contract, "wifi_key", 12)
    assert len(key) == 12 and key.isalnum()
    assert contract_secret(db, contract, "wifi_key", 20) == key  # the same, whatever length
    other = contract_secret(db, contract, "admin_password", 16)
    assert other != key and len(other) == 16
    with db.engine.connect() as conn:
        stored = [r.ciphertext for r in conn.execute(select(contract_secrets))]
    assert len(stored) == 2 and all(key not in c and other not in c for c in stored)
    assert (tmp_path / "secret.key").stat().st_mode & 0o777 == 0o600


def test_another_key_cannot_read_it(
    db: Database, contract: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    contract_secret(db, contract, "wifi_key", 12)
    monkeypatch.setenv("ISPFLOW_SECRET_KEY", Fernet.generate_key().decode())
    with pytest.raises(StoreError, match="encrypted with another key"):
        contract_secret(db, contract, "wifi_key", 12)


def test_unknown_contract(db: Database, contract: str) -> None:
    with pytest.raises(StoreError, match="'C-404' is not in the store"):
        contract_secret(db, "C-404", "wifi_key", 12)


def test_two_installs_at_once_get_one_value(db: Database, contract: str) -> None:
    got: list[str] = []
    threads = [
        threading.Thread(target=lambda: got.append(contract_secret(db, contract, "wifi_key", 12)))
        for _ in range(6)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(got)) == 1 and len(got) == 6


def test_a_key_file_others_can_read_is_not_used(
    db: Database, contract: str, tmp_path: Path
) -> None:
    contract_secret(db, contract, "wifi_key", 12)
    key_file = tmp_path / "secret.key"
    key_file.chmod(0o644)
    with pytest.raises(UsageError, match=r"can be read or written by others \(mode 0644\)"):
        contract_secret(db, contract, "wifi_key", 12)


def test_a_secret_copied_onto_another_contract_is_refused(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISPFLOW_SECRET_KEY_FILE", str(tmp_path / "secret.key"))
    monkeypatch.delenv("ISPFLOW_SECRET_KEY", raising=False)
    monkeypatch.chdir(tmp_path)
    olts = [{"name": "olt-poa-01", "vendor": "huawei", "site": "poa", "pons": ["0/1/0"]}]
    onus = [LabOnu("olt-poa-01", "huawei", "0/1/0", f"HWTC0000000{i}", i) for i in (1, 2)]
    seed_lab(db, olts, onus, seed=3)
    with db.engine.connect() as conn:
        codes = sorted(r.code for r in conn.execute(select(contracts.c.code)))
    victim, attacker = codes[0], codes[1]
    contract_secret(db, victim, "wifi_key", 12)
    contract_secret(db, attacker, "wifi_key", 12)
    with db.writing() as conn:
        ids = {r.code: r.id for r in conn.execute(select(contracts.c.code, contracts.c.id))}
        stolen = conn.execute(
            select(contract_secrets.c.ciphertext).where(
                contract_secrets.c.contract_id == ids[victim]
            )
        ).scalar_one()
        conn.execute(
            contract_secrets.update()
            .where(contract_secrets.c.contract_id == ids[attacker])
            .values(ciphertext=stolen)
        )
    with pytest.raises(StoreError, match=f"sealed for contract '{victim}'"):
        contract_secret(db, attacker, "wifi_key", 12)
