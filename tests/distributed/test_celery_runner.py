"""`--runner celery` on the lab: real Celery workers (subprocesses) on the real Redis broker,
the store on the real PostgreSQL. A run through the workers gives what a local run gives; a
worker killed mid-shard has its shard sent again to another, and every host/step is run to
its end exactly once; a run with no worker for a queue says so instead of hanging."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, _drop, write_inventory
from tests.lab.conftest import LabCli, free_base_port

pytestmark = [pytest.mark.postgres, pytest.mark.celery]

BROKER = "redis://127.0.0.1:6379/11"
BACKEND = "redis://127.0.0.1:6379/12"


class CeleryLab:
    def __init__(self, root: Path, cli: LabCli, db_url: str) -> None:
        self.root, self.cli, self.db_url = root, cli, db_url
        self.workers: list[subprocess.Popen[str]] = []

    def worker(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [os.sys.executable, "-m", "ispflow", "worker", "--loglevel", "info", *args],
            cwd=self.root,
            env=self.cli.env() | (env or {}),
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / f"worker-{len(self.workers)}.log", "w"),  # noqa: SIM115
            text=True,
            start_new_session=True,  # its own process group: killed with its children
        )
        self.workers.append(proc)
        return proc

    def shards(self, run_id: str) -> list[dict[str, Any]]:
        from sqlalchemy import create_engine, text

        engine = create_engine(self.db_url)
        try:
            with engine.connect() as conn:
                rows = conn.execute(
                    text("SELECT * FROM run_shards WHERE run_id = :r ORDER BY step_index, id"),
                    {"r": run_id},
                )
                return [dict(r) for r in rows.mappings()]
        finally:
            engine.dispose()

    def stop(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def kill(proc: subprocess.Popen[str]) -> None:
    """As a machine dies: the worker and its pool processes at once, no goodbye."""
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


def flush_redis() -> None:
    import redis

    for url in (BROKER, BACKEND):
        redis.Redis.from_url(url).flushdb()


@contextlib.contextmanager
def open_celery_lab(
    tmp_path: Path, pg_server_url: str, broker: str = BROKER, backend: str = BACKEND
) -> Iterator[CeleryLab]:
    """A lab of 4 OLTs in 2 sites, a database of its own, and the CLI pointed at `broker`."""
    import psycopg

    name = f"ispflow_c_{uuid.uuid4().hex[:12]}"
    admin = pg_server_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    db_url = pg_server_url.rsplit("/", 1)[0] + f"/{name}"
    (tmp_path / "ispflow.yaml").write_text(
        "celery:\n  lease: 3\n  wait_for_workers: 15\n", encoding="utf-8"
    )
    os.environ["ISPFLOW_BROKER_URL"], os.environ["ISPFLOW_RESULT_BACKEND"] = broker, backend
    cli = LabCli(tmp_path, db_url, None)
    base = free_base_port(12)
    proc = cli(
        "lab", "up", "--olts", "4", "--pons", "2", "--onus", "4", "--autofind", "0",
        "--port", str(base), "--latency-ms", "150", "--seed", "5",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lab = CeleryLab(tmp_path, cli, db_url)
    try:
        yield lab
    finally:
        lab.stop()
        cli("lab", "down")
        os.environ.pop("ISPFLOW_BROKER_URL", None)
        os.environ.pop("ISPFLOW_RESULT_BACKEND", None)
        _drop(admin, name)


@pytest.fixture
def celery_lab(tmp_path: Path, pg_server_url: str) -> Iterator[CeleryLab]:
    flush_redis()
    with open_celery_lab(tmp_path, pg_server_url) as lab:
        yield lab


def run_json(lab: CeleryLab, *args: str, expect: int = 0, timeout: float = 180) -> dict[str, Any]:
    proc = lab.cli("run", *args, "-o", "json", timeout=timeout)
    assert proc.returncode == expect, proc.stdout[-3000:] + proc.stderr[-3000:]
    return json.loads(proc.stdout)


def outcome_key(report: dict[str, Any]) -> list[tuple[str, str, str, Any]]:
    return sorted(
        (r["host"], r["step"], r["status"], json.dumps(r["result"], sort_keys=True))
        for r in report["results"]
    )


def test_a_run_through_two_workers_is_the_local_run(celery_lab: CeleryLab) -> None:
    a = celery_lab.worker("--queues", "site-poa,site-cwb,ispflow", "--concurrency", "1")
    b = celery_lab.worker("--queues", "site-poa,site-cwb,ispflow", "--concurrency", "1")
    remote = run_json(celery_lab, "onu-signal", "--runner", "celery")
    local = run_json(celery_lab, "onu-signal")
    assert remote["status"] == "ok"
    assert len(remote["results"]) == len(local["results"]) > 0

    def comparable(report: dict[str, Any]) -> list[tuple[str, str, str]]:
        return sorted((r["host"], r["step"], r["status"]) for r in report["results"])

    assert comparable(remote) == comparable(local)
    shards = celery_lab.shards(remote["run_id"])
    assert {s["shard"] for s in shards} == {"site-poa", "site-cwb"}
    assert {s["status"] for s in shards} == {"done"}
    assert a.poll() is None and b.poll() is None


def test_a_worker_killed_mid_shard_is_replaced_and_each_step_runs_once(
    celery_lab: CeleryLab, tmp_path: Path
) -> None:
    book = tmp_path / "two-reads.yaml"
    book.write_text(
        "name: two-reads\ntargets: role=olt\nsteps:\n"
        "  - {name: first read, task: onu.optical}\n"
        "  - {name: second read, task: onu.optical}\n",
        encoding="utf-8",
    )
    victim = celery_lab.worker("--queues", "site-poa,site-cwb", "--concurrency", "1")
    time.sleep(3)  # the victim is up first and takes the first shard
    celery_lab.worker("--queues", "site-poa,site-cwb", "--concurrency", "1")
    run = celery_lab.cli.popen(
        "run", str(book), "--runner", "celery", "--shard-by", "host", "-o", "json"
    )
    run_id = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        rows = _running_shards(celery_lab)
        victim_rows = [
            r
            for r in rows
            if r["step_index"] == 1
            and r["status"] == "running"
            and r["worker"]
            and f"ispflow-{victim.pid}@" in r["worker"]
        ]
        if victim_rows:
            run_id = victim_rows[0]["run_id"]
            break
        time.sleep(0.05)
    assert run_id is not None, "the victim never ran a shard of the second step"
    kill(victim)
    out, err = run.communicate(timeout=180)
    assert run.returncode == 0, out[-3000:] + err[-3000:]
    report = json.loads(out)
    assert report["status"] == "ok"
    hosts = sorted({r["host"] for r in report["results"]})
    assert len(report["results"]) == 2 * len(hosts)

    shards = celery_lab.shards(run_id)
    # Every host/step ran to its end exactly once: the first step's done hosts were not run
    # again, the killed shard's host was finished by the other worker.
    assert ran_counts(shards) == {(step, host): 1 for step in (0, 1) for host in hosts}
    lost = [s for s in shards if s["attempts"] > 1]
    assert lost and all(f"ispflow-{victim.pid}@" not in s["worker"] for s in lost)


def ran_counts(shards: list[dict[str, Any]]) -> dict[tuple[int, str], int]:
    """How many times each (step, host) was run to its end, from the shards' attempts."""
    ran: dict[tuple[int, str], int] = {}
    for shard in shards:
        for attempt in shard["history"]:
            for host in attempt.get("ran", ()):  # a lapsed attempt ran nothing to its end
                ran[(shard["step_index"], host)] = ran.get((shard["step_index"], host), 0) + 1
    return ran


def _running_shards(lab: CeleryLab) -> list[dict[str, Any]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(lab.db_url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(text("SELECT * FROM run_shards")).mappings()]
    except Exception:  # noqa: BLE001 - the table may not exist before the first run
        return []
    finally:
        engine.dispose()


def test_no_worker_for_a_queue_is_reported_not_waited_for(celery_lab: CeleryLab) -> None:
    celery_lab.worker("--queues", "site-poa", "--concurrency", "1")
    proc = celery_lab.cli("run", "onu-signal", "--runner", "celery", "-o", "json", timeout=120)
    assert proc.returncode == 3, proc.stdout[-2000:] + proc.stderr[-2000:]
    report = json.loads(proc.stdout)
    cwb = [r for r in report["results"] if r["status"] != "ok"]
    assert cwb and all("no worker took shard 'site-cwb'" in (r["error"] or "") for r in cwb)
    assert "ispflow worker --queues site-cwb" in report["message"]
    # Told apart from workers that were there: none ever took site-cwb.
    assert "no worker listens on queue 'site-cwb'" in report["message"]
    poa = [r for r in report["results"] if r["status"] == "ok"]
    assert poa  # the site with a worker was read


def test_sqlite_store_is_refused(tmp_path: Path) -> None:
    cli = Cli(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", write_inventory(tmp_path / "inv", 2))
    proc = cli("run", "onu-signal", "--runner", "celery")
    assert proc.returncode == 2
    assert "needs a store every worker reaches" in proc.stderr


def test_schedules_run_through_beat_never_two_at_once(celery_lab: CeleryLab) -> None:
    added = celery_lab.cli("schedule", "add", "onu-signal", "--every", "2s", "--name", "sig")
    assert added.returncode == 0, added.stderr
    celery_lab.worker("--beat", "--concurrency", "2")
    celery_lab.worker("--concurrency", "2")
    deadline = time.monotonic() + 90
    runs: list[dict[str, Any]] = []
    while time.monotonic() < deadline and len(runs) < 3:
        runs = _runs_of(celery_lab, "onu-signal")
        time.sleep(0.5)
    assert len(runs) >= 3, runs
    finished = [r for r in runs if r["finished_at"] is not None]
    for earlier, later in zip(finished, finished[1:], strict=False):
        assert later["started_at"] >= earlier["finished_at"], (earlier, later)
    listed = json.loads(celery_lab.cli("schedule", "list", "-o", "json").stdout)
    [sig] = [s for s in listed if s["name"] == "sig"]
    assert sig["last_status"] == "ok" and sig["last_run_id"]


def _runs_of(lab: CeleryLab, runbook: str) -> list[dict[str, Any]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(lab.db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT id, started_at, finished_at FROM runs WHERE runbook = :r "
                    "ORDER BY started_at"
                ),
                {"r": runbook},
            )
            return [dict(r) for r in rows.mappings()]
    finally:
        engine.dispose()


def test_a_run_whose_workers_are_all_gone_says_so(celery_lab: CeleryLab) -> None:
    only = celery_lab.worker("--queues", "site-poa,site-cwb", "--concurrency", "1")
    run = celery_lab.cli.popen("run", "onu-signal", "--runner", "celery", "-o", "json")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if any(r["status"] == "running" for r in _running_shards(celery_lab)):
            break
        time.sleep(0.05)
    kill(only)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 3, out[-2000:] + err[-2000:]
    report = json.loads(out)
    assert report["status"] == "aborted"
    assert "no worker took shard" in report["message"]
    assert "ispflow run --resume" in report["message"]
    # The worker that was there is named, though it no longer answers.
    assert f"ispflow-{only.pid}@" in report["message"], report["message"]


def test_the_workers_store_readings_and_the_coordinator_prunes_once(
    celery_lab: CeleryLab,
) -> None:
    """Each shard pruning at its end would prune once per shard, one after the other: the
    workers only write, and the run prunes once when it ends. (The workers' history settings
    are invalid here, so a prune of theirs would fail and say so in their log.)"""
    from datetime import UTC, datetime, timedelta

    from ispflow.store.db import open_database
    from ispflow.store.readings import save_readings
    from ispflow.store.schema import optical_hourly

    hour = (datetime.now(UTC) - timedelta(hours=3)).replace(minute=0, second=0, microsecond=0)
    db = open_database(celery_lab.db_url)
    try:
        save_readings(db, "olt-old", [{"port": "0/1/0", "onu_id": 1, "rx_dbm": -20.0}],
                      read_at=hour + timedelta(minutes=5))  # fmt: skip
    finally:
        db.close()
    broken = {"ISPFLOW_HISTORY_RAW_DAYS": "0"}
    celery_lab.worker("--queues", "site-poa,site-cwb,ispflow", "--concurrency", "1", env=broken)
    celery_lab.worker("--queues", "site-poa,site-cwb,ispflow", "--concurrency", "1", env=broken)
    report = run_json(celery_lab, "onu-signal", "--runner", "celery")
    assert report["status"] == "ok"
    shards = celery_lab.shards(report["run_id"])
    assert {s["shard"] for s in shards} == {"site-poa", "site-cwb"}
    assert {s["status"] for s in shards} == {"done"}
    db = open_database(celery_lab.db_url)
    try:
        with db.engine.connect() as conn:
            rolled = conn.execute(
                optical_hourly.select().where(optical_hourly.c.olt == "olt-old")
            ).all()
    finally:
        db.close()
    assert [(row.bucket, row.samples) for row in rolled] == [(hour, 1)]
    logs = "".join(p.read_text() for p in celery_lab.root.glob("worker-*.log"))
    assert "onu-signal" in logs or "shard" in logs  # the workers did log their work
    assert "pruning the signal history failed" not in logs
