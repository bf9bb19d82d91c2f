"""What workers of a distributed run take from the store: the runbook and its SHA-256, the
vars with the secret ones sealed (not in the row in plaintext, bound to their run, opened
only with the same key), the options; and the migration that adds the columns keeps every
run with its results."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from cryptography.fernet import Fernet
from sqlalchemy import create_engine, inspect, select, text, update

from ispflow.store import migrate, worker_runs
from ispflow.store.db import Database, open_database
from ispflow.store.errors import StoreError
from ispflow.store.journal import Journal
from ispflow.store.schema import runs

SECRET = "p4ss-w0rd-7731"
SHA = "ab" * 32


@pytest.fixture(autouse=True)
def key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("ISPFLOW_SECRET_KEY", Fernet.generate_key().decode())
    monkeypatch.chdir(tmp_path)  # no ispflow.yaml here


def _start(journal: Journal) -> str:
    return journal.start_run(
        runbook="ppp-block", runbook_path="/srv/books/ppp-block.yaml",
        vars={"contract": "C-1", "password": "********"}, hosts=["a"], steps=["one"],
        options={"dry_run": False, "workers": 4, "limit": None}, dry_run=False,
    )  # fmt: skip


def _record(db: Database, run_id: str, **changes: object) -> None:
    values = {
        "runbook": "/srv/books/ppp-block.yaml",
        "runbook_sha256": SHA,
        "vars": {"contract": "C-1", "password": "********"},
        "secrets": {"password": SECRET},
        "options": {"dry_run": False, "workers": 4, "max_connecting": 10, "connect_rate": None},
    }
    worker_runs.record(db, run_id, **(values | changes))  # type: ignore[arg-type]


def test_recorded_and_read_back_with_the_secret_sealed(db: Database, journal: Journal) -> None:
    run_id = _start(journal)
    _record(db, run_id)
    run = worker_runs.load(db, run_id)
    assert run.runbook == "/srv/books/ppp-block.yaml" and run.runbook_sha256 == SHA
    assert run.vars == {"contract": "C-1", "password": SECRET}
    assert run.secret_names == {"password"} and run.status == "running"
    assert run.options == {
        "dry_run": False,
        "workers": 4,
        "max_connecting": 10,
        "connect_rate": None,
    }
    with db.engine.connect() as conn:
        row = conn.execute(select(runs).where(runs.c.id == run_id)).mappings().one()
    assert all(SECRET not in str(value) for value in row.values())
    # The run's own options are kept beside what the shards take.
    assert row["options"]["limit"] is None and row["options"]["runbook_ref"] == run.runbook


def test_a_run_without_secrets_seals_nothing(db: Database, journal: Journal) -> None:
    run_id = _start(journal)
    _record(db, run_id, secrets={}, vars={"contract": "C-1", "password": None})
    with db.engine.connect() as conn:
        assert conn.execute(select(runs.c.sealed_vars)).scalar_one() is None
    assert worker_runs.load(db, run_id).vars == {"contract": "C-1", "password": None}


def test_sealed_vars_copied_to_another_run_do_not_open(db: Database, journal: Journal) -> None:
    first, second = _start(journal), _start(journal)
    _record(db, first)
    _record(db, second, secrets={"password": "another"})
    with db.engine.begin() as conn:
        sealed = conn.execute(select(runs.c.sealed_vars).where(runs.c.id == first)).scalar_one()
        conn.execute(update(runs).where(runs.c.id == second).values(sealed_vars=sealed))
    with pytest.raises(StoreError, match=f"run {second} were sealed for another run"):
        worker_runs.load(db, second)


def test_another_key_does_not_open_them(
    db: Database, journal: Journal, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_id = _start(journal)
    _record(db, run_id)
    monkeypatch.setenv("ISPFLOW_SECRET_KEY", Fernet.generate_key().decode())
    with pytest.raises(StoreError, match=f"run {run_id} were sealed with another key"):
        worker_runs.load(db, run_id)


def test_a_run_not_recorded_for_workers_is_refused(db: Database, journal: Journal) -> None:
    run_id = _start(journal)
    with pytest.raises(StoreError, match=f"run {run_id} has no runbook recorded for workers"):
        worker_runs.load(db, run_id)
    with pytest.raises(StoreError, match="no run with id 'nope'"):
        worker_runs.load(db, "nope")


def test_only_the_options_a_shard_takes(db: Database, journal: Journal) -> None:
    with pytest.raises(ValueError, match="not an option a shard runs with: limit"):
        _record(db, _start(journal), options={"limit": "site=poa"})


def test_the_migration_adds_the_columns_and_keeps_every_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    open_database(url).close()
    engine = create_engine(url)
    with engine.connect() as conn:
        command.downgrade(migrate.alembic_config(conn), "0012")
        conn.commit()
    with engine.begin() as conn:
        assert "sealed_vars" not in {c["name"] for c in inspect(conn).get_columns("runs")}
        conn.exec_driver_sql("PRAGMA foreign_keys = ON")
        conn.execute(
            text(
                "INSERT INTO runs (id, runbook, vars, status, dry_run, options, hosts, steps, "
                "started_at) VALUES ('r1', 'onu-signal', '{}', 'ok', 0, '{}', '[]', '[]', "
                "'2027-01-01 00:00:00')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO step_results (run_id, host, step_index, rollback, step_name, "
                "status) VALUES ('r1', 'olt-1', 0, 0, 'read', 'ok')"
            )
        )
    engine.dispose()

    db = open_database(url)  # migrates to the newest schema
    try:
        with db.engine.connect() as conn:
            assert migrate.current_revision(conn) == migrate.head_revision()
            columns = {c["name"]: c for c in inspect(conn).get_columns("runs")}
            assert columns["runbook_sha256"]["nullable"] and columns["sealed_vars"]["nullable"]
            assert conn.execute(text("SELECT id, sealed_vars FROM runs")).all() == [("r1", None)]
            # A batch copy of `runs` would have cascaded to its results.
            assert conn.execute(text("SELECT host FROM step_results")).scalars().all() == ["olt-1"]
    finally:
        db.close()
