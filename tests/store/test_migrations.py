"""Migrations: they build exactly `store.schema`, run once, and are safe to race."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import event, inspect, text

from ispflow.store import migrate
from ispflow.store.db import Database, StoreError, open_database
from ispflow.store.reading_partitions import is_partition, schema_object_included
from ispflow.store.schema import included_on, metadata
from tests.support.readings import add_run


def differences(database: Database) -> list:
    with database.engine.connect() as conn:
        context = MigrationContext.configure(
            conn,
            opts={
                "compare_type": True,
                "compare_server_default": True,
                "include_name": schema_object_included,
                "include_object": included_on(database.dialect_name),
            },
        )
        return compare_metadata(context, metadata)


def upgrade_to(database: Database, revision: str) -> None:
    """A store not migrated yet, brought to `revision` (to fill it as that version did)."""
    with database.engine.connect() as conn:
        command.upgrade(migrate.alembic_config(conn), revision)
        conn.commit()


def test_upgrade_builds_exactly_the_schema(db: Database) -> None:
    assert differences(db) == []
    tables = {t for t in inspect(db.engine).get_table_names() if not is_partition(t)}
    assert tables == set(metadata.tables) | {"alembic_version"}
    with db.engine.connect() as conn:
        assert migrate.current_revision(conn) == migrate.head_revision()


def test_downgrade_and_upgrade_again(db: Database) -> None:
    with db.engine.connect() as conn:
        command.downgrade(migrate.alembic_config(conn), "base")
        conn.commit()
    assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
    db.close()
    again = open_database(db.engine.url.render_as_string(hide_password=False))
    try:
        assert differences(again) == []
    finally:
        again.close()


def test_opening_a_current_store_again_is_cheap(
    store_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    open_database(store_url).close()

    def no_upgrade(*args: object, **kwargs: object) -> None:
        raise AssertionError("upgrade ran on a store already at head")

    monkeypatch.setattr(command, "upgrade", no_upgrade)
    statements: list[str] = []
    database = open_database(store_url, migrate=False)
    event.listen(database.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    try:
        assert migrate.upgrade(database.engine) is False
    finally:
        database.close()
    # Finding alembic_version and reading it is all it takes.
    assert len(statements) <= 2, statements
    assert " ".join(statements[-1].split()).endswith("FROM alembic_version")


def test_two_processes_migrating_a_new_store_at_once_both_succeed(store_url: str) -> None:
    child = textwrap.dedent(
        """
        import sys
        import ispflow.store.migrate  # imported before the start signal: the race is in open_database
        from ispflow.store.db import open_database

        print("ready", flush=True)
        sys.stdin.readline()
        database = open_database(sys.argv[1])
        print("opened", flush=True)
        database.close()
        """
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", child, store_url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for proc in procs:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert out.strip() == "opened"
    database = open_database(store_url, migrate=False)
    try:
        assert differences(database) == []
    finally:
        database.close()


def test_a_store_from_a_newer_ispflow_is_refused(db: Database) -> None:
    with db.engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = 'ffff_from_the_future'"))
    db.close()
    with pytest.raises(StoreError, match="ffff_from_the_future.*upgrade ispflow"):
        open_database(db.engine.url.render_as_string(hide_password=False))


def test_the_head_read_from_the_files_is_alembics() -> None:
    from ispflow.store.schema_head import newest_revision

    assert newest_revision() == migrate.head_revision()


def test_the_head_read_from_the_files_leaves_branches_to_alembic(tmp_path: Path) -> None:
    from ispflow.store.schema_head import head_in

    def script(name: str, revision: str, down: str) -> None:
        (tmp_path / f"{name}.py").write_text(
            f'revision: str = "{revision}"\ndown_revision: str | None = {down}\n'
        )

    script("a", "0001", "None")
    script("b", "0002", '"0001"')
    assert head_in(tmp_path) == "0002"
    script("c", "0003", '"0001"')  # two heads: Alembic says what to do
    assert head_in(tmp_path) is None
    script("d", "0004", '("0002", "0003")')  # merged
    assert head_in(tmp_path) == "0004"


def test_opening_a_current_store_does_not_load_alembic(store_url: str) -> None:
    open_database(store_url).close()
    probe = textwrap.dedent(
        f"""
        import sys
        from ispflow.store.db import open_database
        open_database({store_url!r}).close()
        print("alembic" in sys.modules)
        """
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False", done.stderr


def test_0014_moves_the_readings_and_keeps_their_ids(store_url: str) -> None:
    database = open_database(store_url, migrate=False)
    try:
        upgrade_to(database, "0013")
        days = [datetime(2026, 3, d, 10, tzinfo=UTC) for d in (1, 2, 4)]
        with database.engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO runs (id, runbook, vars, status, options, hosts, steps, "
                    "started_at) VALUES ('r1', 'signal-audit', '{}', 'ok', '{}', '[]', '[]', :at)"
                ),
                {"at": days[0]},
            )
            for n, at in enumerate(days * 2):
                conn.execute(
                    text(
                        "INSERT INTO optical_readings (run_id, olt, frame, slot, port, "
                        "onu_index, rx_dbm, state, signal_class, read_at, contract) VALUES "
                        "('r1', 'olt-a', 0, 1, 3, :onu, -20.5, 'online', 'good', :at, :contract)"
                    ),
                    {"onu": n, "at": at, "contract": "Associação São João"},
                )
            before = conn.execute(
                text("SELECT id, onu_index, read_at, contract FROM optical_readings ORDER BY id")
            ).all()
        assert migrate.upgrade(database.engine) is True
        assert differences(database) == []
        with database.engine.begin() as conn:
            after = conn.execute(
                text("SELECT id, onu_index, read_at, contract FROM optical_readings ORDER BY id")
            ).all()
            assert [tuple(row) for row in after] == [tuple(row) for row in before]
            # Ids go on from where they were; a deleted run leaves its readings and their
            # run id (the readings no longer hold a foreign key to the runs).
            conn.execute(
                text(
                    "INSERT INTO optical_readings (olt, frame, slot, port, onu_index, state, "
                    "signal_class, read_at) VALUES ('olt-a', 0, 1, 3, 99, 'offline', "
                    "'offline', :at)"
                ),
                {"at": days[0]},
            )
            newest = conn.execute(text("SELECT max(id) FROM optical_readings")).scalar()
            assert newest > before[-1].id
            conn.execute(text("DELETE FROM runs"))
            assert (
                conn.execute(
                    text("SELECT count(*) FROM optical_readings WHERE run_id IS NULL")
                ).scalar()
                == 1
            )
            if database.dialect_name == "postgresql":
                homes = (
                    conn.execute(
                        text(
                            "SELECT DISTINCT tableoid::regclass::text FROM optical_readings "
                            "ORDER BY 1"
                        )
                    )
                    .scalars()
                    .all()
                )
                assert homes == [
                    "optical_readings_p20260301",
                    "optical_readings_p20260302",
                    "optical_readings_p20260304",
                ]
                kind = conn.execute(
                    text("SELECT relkind FROM pg_class WHERE oid = 'optical_readings'::regclass")
                ).scalar()
                assert kind == "p"
    finally:
        database.close()


def test_0016_records_the_batches_of_stored_runs(store_url: str) -> None:
    from ispflow.store.signal_history import earlier_readings, run_readings

    database = open_database(store_url, migrate=False)
    try:
        upgrade_to(database, "0015")
        first, second = (
            datetime(2026, 3, 1, 10, tzinfo=UTC),
            datetime(2026, 3, 1, 10, 15, tzinfo=UTC),
        )
        with database.engine.begin() as conn:
            for run, at in (("r1", first), ("r2", second)):
                add_run(conn, run, at)
            rows = [
                ("r1", "olt-a", 1, -20.0, first),
                ("r1", "olt-a", 2, -21.0, first),
                ("r1", "olt-b", 1, -22.0, first + timedelta(seconds=40)),
                ("r2", "olt-a", 1, -23.0, second),
                (None, "olt-a", 1, -24.0, second),
            ]
            for run, olt, onu, rx, at in rows:
                conn.execute(
                    text(
                        "INSERT INTO optical_readings (run_id, olt, frame, slot, port, "
                        "onu_index, rx_dbm, state, signal_class, read_at) VALUES "
                        "(:run, :olt, 0, 1, 3, :onu, :rx, 'online', 'good', :at)"
                    ),
                    {"run": run, "olt": olt, "onu": onu, "rx": rx, "at": at},
                )
        assert migrate.upgrade(database.engine) is True
        assert differences(database) == []
        with database.engine.connect() as conn:
            batches = conn.execute(
                text("SELECT run_id, olt, readings FROM reading_batches ORDER BY id")
            ).all()
        assert [tuple(row) for row in batches] == [
            ("r1", "olt-a", 2),
            ("r1", "olt-b", 1),
            ("r2", "olt-a", 1),
        ]
        # The runs find the readings they stored before the upgrade.
        assert sorted((r["olt"], r["onu_id"]) for r in run_readings(database, "r1")) == [
            ("olt-a", 1),
            ("olt-a", 2),
            ("olt-b", 1),
        ]
        assert earlier_readings(database, "r2", runs=1)["olt-a:0/1/3:1"][0]["rx_dbm"] == -20.0
        if database.dialect_name == "postgresql":
            with database.engine.connect() as conn:
                indexes = set(
                    conn.execute(
                        text(
                            "SELECT indexname FROM pg_indexes WHERE tablename = 'optical_readings'"
                        )
                    ).scalars()
                )
                cache = conn.execute(
                    text(
                        "SELECT seqcache FROM pg_sequence WHERE seqrelid = 'optical_readings_id_seq'::regclass"
                    )
                ).scalar()
            assert "ix_optical_readings_run_id" not in indexes
            assert {"ix_optical_readings_place", "ix_optical_readings_read_at_run_id"} <= indexes
            assert cache == 1000
    finally:
        database.close()


def test_0017_names_the_step_that_read_each_stored_batch(store_url: str) -> None:
    from ispflow.store.schema import reading_batches, runs, step_results

    database = open_database(store_url, migrate=False)
    try:
        upgrade_to(database, "0016")
        at = datetime(2026, 3, 1, 10, tzinfo=UTC)
        optical, analyze = {"task": "onu.optical"}, {"task": "signal.analyze"}
        views = {
            # onu-signal: three reading steps, of which one runs on each OLT.
            "fleet": {"0": optical, "1": optical, "2": optical},
            "audit": {"0": optical, "1": analyze},
            # Two reading steps ran on olt-a: which batch is whose is not known.
            "twice": {"0": optical, "1": optical},
            "older": {},
        }
        ran = {
            "fleet": [("olt-a", 0, "ok"), ("olt-a", 1, "skipped"), ("olt-a", 2, "skipped"),
                      ("olt-b", 0, "skipped"), ("olt-b", 1, "ok"), ("olt-b", 2, "skipped")],
            "audit": [("olt-a", 0, "failed"), ("olt-a", 1, "ok")],
            "twice": [("olt-a", 0, "ok"), ("olt-a", 1, "ok")],
            "older": [("olt-a", 0, "ok")],
        }  # fmt: skip
        with database.engine.begin() as conn:
            for run_id, recorded in views.items():
                add_run(conn, run_id, at)
                conn.execute(
                    runs.update().where(runs.c.id == run_id).values(options={"views": recorded})
                )
                for host, step, status in ran[run_id]:
                    conn.execute(
                        step_results.insert().values(
                            run_id=run_id, host=host, step_index=step, step_name=f"s{step}",
                            status=status,
                        )
                    )  # fmt: skip
            batches = [("fleet", "olt-a"), ("fleet", "olt-b"), ("audit", "olt-a"),
                       ("twice", "olt-a"), ("older", "olt-a")]  # fmt: skip
            for run_id, olt in batches:
                conn.execute(
                    text(
                        "INSERT INTO reading_batches (run_id, olt, read_at, readings) "
                        "VALUES (:run, :olt, :at, 3)"
                    ),
                    {"run": run_id, "olt": olt, "at": at},
                )
        assert migrate.upgrade(database.engine) is True
        assert differences(database) == []
        with database.engine.connect() as conn:
            named = conn.execute(
                reading_batches.select().with_only_columns(
                    reading_batches.c.run_id, reading_batches.c.olt, reading_batches.c.step_index
                )
            ).all()
        assert sorted(tuple(row) for row in named) == [
            ("audit", "olt-a", 0),
            ("fleet", "olt-a", 0),
            ("fleet", "olt-b", 1),
            ("older", "olt-a", None),
            ("twice", "olt-a", None),
        ]
        with database.engine.connect() as conn:
            command.downgrade(migrate.alembic_config(conn), "0016")
            conn.commit()
            assert "step_index" not in {
                c["name"] for c in inspect(conn).get_columns("reading_batches")
            }
    finally:
        database.close()
