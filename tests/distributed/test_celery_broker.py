"""`--runner celery` when the broker fails it: a Redis restarted mid-run (without persistence,
so its queued messages are gone), a message purged from its queue, a broker that is not there
at all. The shards whose messages were lost are sent again and every host/step still runs
exactly once; a shard lost every time, or a broker that cannot be reached, is reported for
what it is. Each test that touches the broker runs a private redis-server of its own."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Cli, _drop
from tests.distributed.test_celery_runner import (
    CeleryLab,
    _running_shards,
    open_celery_lab,
    ran_counts,
)
from tests.lab.conftest import free_base_port

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.celery,
    pytest.mark.skipif(shutil.which("redis-server") is None, reason="needs redis-server"),
]

POLL_S = 0.05
# Loop limits, not clocks: each bounds a wait the test's timeout also bounds.
POLLS = 1200


class PrivateRedis:
    """A redis-server only this test uses, as the shared one runs: no persistence at all, so
    a restart empties it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_base_port(1)
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self) -> Any:
        import redis

        return redis.Redis.from_url(self.url(0))

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--daemonize", "no",
             "--dir", str(self.folder)],
            stdout=open(self.folder / f"redis-{self.starts}.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.starts += 1
        for _ in range(POLLS):
            try:
                if self.client().ping():
                    return
            except Exception:  # noqa: BLE001 - not listening yet
                time.sleep(POLL_S)
        raise AssertionError(f"redis-server on port {self.port} did not start")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()  # as a crash: nothing written, nothing handed over
            self.proc.wait(10)

    def restart(self) -> None:
        self.stop()
        self.start()


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(tmp_path / "redis")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def redis_lab(
    tmp_path: Path, pg_server_url: str, private_redis: PrivateRedis
) -> Iterator[CeleryLab]:
    with open_celery_lab(
        tmp_path, pg_server_url, private_redis.url(0), private_redis.url(1)
    ) as lab:
        yield lab


def two_reads(folder: Path) -> Path:
    book = folder / "two-reads.yaml"
    book.write_text(
        "name: two-reads\ntargets: role=olt\nsteps:\n"
        "  - {name: first read, task: onu.optical}\n"
        "  - {name: second read, task: onu.optical}\n",
        encoding="utf-8",
    )
    return book


def queued_messages(redis: PrivateRedis, *queues: str) -> int:
    client = redis.client()
    return sum(int(client.llen(q)) for q in queues)


def resent_notices(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "sent again to queue" in line]


def finish(run: subprocess.Popen[str]) -> tuple[dict[str, Any], str]:
    out, err = run.communicate(timeout=240)
    assert out.strip(), err[-3000:]
    return json.loads(out), err


@pytest.mark.timeout(400)
def test_a_broker_restart_mid_run_loses_no_shard(
    redis_lab: CeleryLab, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    queues = ("site-poa", "site-cwb")
    for _ in range(2):
        redis_lab.worker("--queues", ",".join(queues), "--concurrency", "1")
    run = redis_lab.cli.popen(
        "run", str(two_reads(tmp_path)), "--runner", "celery", "--shard-by", "host", "-o", "json"
    )
    # Two shards of the first step running (one per worker), the other two waiting in Redis.
    queued_at_restart: list[dict[str, Any]] = []
    for _ in range(POLLS):
        rows = [r for r in _running_shards(redis_lab) if r["step_index"] == 0]
        running = [r for r in rows if r["status"] == "running"]
        waiting = [r for r in rows if r["status"] == "queued"]
        if len(running) == 2 and waiting and queued_messages(private_redis, *queues) >= 1:
            queued_at_restart = waiting
            private_redis.restart()
            break
        assert run.poll() is None, run.communicate()
        time.sleep(POLL_S)
    assert queued_at_restart, "never saw shards queued while others ran"

    report, err = finish(run)
    assert run.returncode == 0, err[-3000:]
    assert report["status"] == "ok"
    hosts = sorted({r["host"] for r in report["results"]})
    assert len(hosts) == 4 and len(report["results"]) == 2 * len(hosts)
    shards = redis_lab.shards(report["run_id"])
    assert ran_counts(shards) == {(step, host): 1 for step in (0, 1) for host in hosts}
    assert {s["status"] for s in shards} == {"done"}
    # The shards queued when Redis went down were lost with it and sent again.
    notices = resent_notices(err)
    lost = {r["shard"] for r in queued_at_restart}
    assert lost <= {n.split("'")[1] for n in notices}, err[-3000:]
    assert all("the broker restarted at" in n for n in notices), notices
    assert private_redis.starts == 2


@pytest.mark.timeout(300)
def test_a_purged_message_is_sent_again_and_run_once(
    redis_lab: CeleryLab, private_redis: PrivateRedis
) -> None:
    redis_lab.worker("--queues", "site-poa", "--concurrency", "1")
    run = redis_lab.cli.popen("run", "onu-signal", "--runner", "celery", "-o", "json")
    # No worker takes site-cwb yet: its message waits in Redis, where the test drops it.
    for _ in range(POLLS):
        if queued_messages(private_redis, "site-cwb"):
            break
        assert run.poll() is None, run.communicate()
        time.sleep(POLL_S)
    assert private_redis.client().delete("site-cwb") == 1
    [purged] = [r for r in _running_shards(redis_lab) if r["shard"] == "site-cwb"]
    assert purged["status"] == "queued"
    redis_lab.worker("--queues", "site-cwb", "--concurrency", "1")

    report, err = finish(run)
    assert run.returncode == 0, err[-3000:]
    assert report["status"] == "ok"
    notices = resent_notices(err)
    assert len(notices) == 1 and "shard 'site-cwb'" in notices[0], err[-3000:]
    assert "(send 2 of 3)" in notices[0]
    [cwb] = [s for s in redis_lab.shards(report["run_id"]) if s["id"] == purged["id"]]
    assert cwb["status"] == "done" and cwb["attempts"] == 1
    assert ran_counts([cwb]) == {(cwb["step_index"], host): 1 for host in cwb["hosts"]}


@pytest.mark.timeout(300)
def test_a_message_lost_every_time_is_reported_as_lost(
    redis_lab: CeleryLab, private_redis: PrivateRedis
) -> None:
    redis_lab.worker("--queues", "site-poa", "--concurrency", "1")
    run = redis_lab.cli.popen("run", "onu-signal", "--runner", "celery", "-o", "json")
    purged = 0
    for _ in range(POLLS * 2):
        if run.poll() is not None:
            break
        purged += int(private_redis.client().delete("site-cwb"))
        time.sleep(POLL_S)
    report, err = finish(run)
    assert run.returncode == 3, err[-3000:]
    assert purged == 3
    assert len(resent_notices(err)) == 2
    message = report["message"]
    assert "shard 'site-cwb' of step" in message and "was sent 3 times" in message, message
    assert "never claimed" in message
    # Nobody ever took site-cwb: the message says so, not that a worker was there.
    assert "no worker listens on queue 'site-cwb'" in message, message
    assert "ispflow worker --queues site-cwb" in message
    assert f"ispflow run --resume {report['run_id']}" in message
    poa = [r for r in report["results"] if r["status"] == "ok"]
    assert poa


@pytest.mark.timeout(300)
def test_a_broker_gone_for_good_aborts_the_run_naming_it(
    redis_lab: CeleryLab, private_redis: PrivateRedis, tmp_path: Path
) -> None:
    queues = ("site-poa", "site-cwb")
    worker = redis_lab.worker("--queues", ",".join(queues), "--concurrency", "1")
    run = redis_lab.cli.popen(
        "run", str(two_reads(tmp_path)), "--runner", "celery", "--shard-by", "host", "-o", "json"
    )
    for _ in range(POLLS):
        rows = [r for r in _running_shards(redis_lab) if r["step_index"] == 0]
        if any(r["status"] == "running" for r in rows) and queued_messages(private_redis, *queues):
            private_redis.stop()
            break
        assert run.poll() is None, run.communicate()
        time.sleep(POLL_S)
    assert private_redis.proc is not None and private_redis.proc.poll() is not None

    report, err = finish(run)
    assert run.returncode == 3, err[-3000:]
    assert report["status"] == "aborted"
    message = report["message"]
    assert "no worker took shard" in message, message
    assert f"the broker {private_redis.url(0)} does not answer now (Connection refused)" in message
    assert f"ispflow-{worker.pid}@" in message  # it was there: the broker is what failed
    assert "Traceback" not in err
    # The shard that was running when Redis went away finished in the store all the same.
    done = [s for s in redis_lab.shards(report["run_id"]) if s["status"] == "done"]
    assert done and all(n == 1 for n in ran_counts(done).values())


@pytest.fixture
def empty_store(pg_server_url: str) -> Iterator[str]:
    import psycopg

    name = f"ispflow_b_{uuid.uuid4().hex[:12]}"
    admin = pg_server_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield pg_server_url.rsplit("/", 1)[0] + f"/{name}"
    finally:
        _drop(admin, name)


@pytest.mark.parametrize(
    "command",
    [("run", "inventory-check", "--runner", "celery"), ("worker", "--queues", "site-poa")],
    ids=["run", "worker"],
)
def test_an_unreachable_broker_is_one_line_and_nothing_runs(
    command: tuple[str, ...], tmp_path: Path, inventory: Path, empty_store: str
) -> None:
    port = free_base_port(1)  # nothing listens there
    cli = Cli(tmp_path, empty_store, inventory)
    env = cli.env() | {"ISPFLOW_BROKER_URL": f"redis://:hunter2@127.0.0.1:{port}/11"}
    proc = subprocess.run(
        [os.sys.executable, "-m", "ispflow", *command],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr[-3000:]
    assert proc.stderr.strip().splitlines() == [
        f"error: the Celery broker redis://:***@127.0.0.1:{port}/11 is not reachable "
        "(Connection refused); start Redis or set ISPFLOW_BROKER_URL"
    ]
    assert "hunter2" not in proc.stdout + proc.stderr
    if command[0] == "run":
        assert _runs(empty_store) == 0


def _runs(db_url: str) -> int:
    from sqlalchemy import create_engine, inspect, text

    engine = create_engine(db_url)
    try:
        if not inspect(engine).has_table("runs"):
            return 0
        with engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM runs")).scalar_one())
    finally:
        engine.dispose()
