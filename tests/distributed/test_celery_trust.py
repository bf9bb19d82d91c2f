"""The broker is not a control channel: a worker runs what the store says a run is (its
runbook, checked by SHA-256, its vars and options), and a message is only "shard N of run R
is ready". A forged message for a real pending shard, naming another runbook and other vars,
is refused without taking the shard; the genuine message still runs it. Real workers on the
real Redis, the store on the real PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ispflow.plugins.runners.shard_message import quoted
from tests.distributed.test_celery_runner import (
    BROKER,
    CeleryLab,
    _running_shards,
    flush_redis,
    open_celery_lab,
    run_json,
)
from tests.lab.conftest import free_base_port

pytestmark = [pytest.mark.postgres, pytest.mark.celery]

POLL_S = 0.05
# Loop limits, not clocks: each bounds a wait the test's timeout also bounds.
POLLS = 1200

GENUINE = """\
name: trust-check
targets: role=olt
vars:
  greeting: {type: str, default: hello}
steps:
  - name: genuine echo
    task: core.echo
    with: {said: "{{ greeting }}"}
"""
FORGED = GENUINE.replace("genuine echo", "forged echo")


@pytest.fixture
def celery_lab(tmp_path: Path, pg_server_url: str) -> Iterator[CeleryLab]:
    flush_redis()
    with open_celery_lab(tmp_path, pg_server_url) as lab:
        yield lab


def _redis() -> Any:
    import redis

    return redis.Redis.from_url(BROKER)


def _queued_shard(lab: CeleryLab, queue: str) -> dict[str, Any]:
    """The coordinator's shard for `queue`, once planned and its message is in the queue."""
    for _ in range(POLLS):
        rows = [r for r in _running_shards(lab) if r["queue"] == queue]
        if rows and _redis().llen(queue) >= 1:
            return rows[0]
        time.sleep(POLL_S)
    raise AssertionError(f"no shard for queue {queue} was sent")


def _forge(queue: str, **kwargs: Any) -> None:
    """What anyone who can write to Redis can do: a task message of their own, put where
    the next worker takes it first (kombu pushes on the left and pops on the right)."""
    from celery import Celery

    Celery("forger", broker=BROKER).send_task("ispflow.shard", kwargs=kwargs, queue=queue)
    client = _redis()
    client.rpush(queue, client.lpop(queue))


def _worker_log(lab: CeleryLab) -> str:
    return "".join(p.read_text() for p in sorted(lab.root.glob("worker-*.log")))


def test_forged_messages_for_a_pending_shard_run_nothing(
    celery_lab: CeleryLab, tmp_path: Path
) -> None:
    book, forged = tmp_path / "trust.yaml", tmp_path / "forged.yaml"
    book.write_text(GENUINE, encoding="utf-8")
    forged.write_text(FORGED, encoding="utf-8")
    run = celery_lab.cli.popen("run", str(book), "--runner", "celery", "-o", "json")
    shard = _queued_shard(celery_lab, "site-poa")
    shard_id, run_id = shard["id"], shard["run_id"]
    # Each is taken before the genuine message: another runbook, other vars, another run.
    _forge("site-poa", shard_id=shard_id, run_id=run_id, runbook=str(forged))
    _forge(
        "site-poa",
        shard_id=shard_id,
        run_id=run_id,
        runbook=str(book),
        given_vars={"greeting": "forged"},
        options={"dry_run": False},
    )
    _forge("site-poa", shard_id=shard_id, run_id="20200101T000000-0000", runbook=str(book))
    celery_lab.worker("--queues", "site-poa,site-cwb", "--concurrency", "1")
    out, err = run.communicate(timeout=180)
    assert run.returncode == 0, out[-3000:] + err[-3000:]
    report = json.loads(out)
    assert report["status"] == "ok"
    assert {r["step"] for r in report["results"]} == {"genuine echo"}
    assert {r["result"]["said"] for r in report["results"]} == {"hello"}
    [poa] = [s for s in celery_lab.shards(run_id) if s["id"] == shard_id]
    # The genuine message ran it, once; the forged ones never took it.
    assert poa["status"] == "done" and poa["attempts"] == 1
    log = _worker_log(celery_lab)
    refused = f"refused the message for shard {shard_id} of run"
    # The forged value is clipped in the log (a message may carry any length); the run's not.
    assert (
        f"{refused} {run_id}: it names runbook {quoted(str(forged))}; the run's is {book}" in log
    ), log
    assert f"{refused} {run_id}: its value of var greeting is not the run's" in log, log
    assert f"{refused} 20200101T000000-0000: it names run 20200101T000000-0000" in log, log


SECRET = "S3cret-t0ken-9f2c"
WITH_SECRET = """\
name: secret-check
targets: role=olt
vars:
  token: {type: str, secret: true}
steps:
  - name: use the token
    task: core.echo
    with:
      matches: "{{ token == 'SECRET' }}"
      length: "{{ token | length }}"
""".replace("SECRET", SECRET)


def _run_row(lab: CeleryLab, run_id: str) -> dict[str, Any]:
    from sqlalchemy import create_engine, text

    engine = create_engine(lab.db_url)
    try:
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT *, row_to_json(runs)::text AS whole FROM runs WHERE id = :r"),
                {"r": run_id},
            )
            return dict(row.mappings().one())
    finally:
        engine.dispose()


def _all_runs(lab: CeleryLab) -> list[dict[str, Any]]:
    from sqlalchemy import create_engine, text

    engine = create_engine(lab.db_url)
    try:
        with engine.connect() as conn:
            return [dict(r) for r in conn.execute(text("SELECT id FROM runs")).mappings()]
    finally:
        engine.dispose()


def test_secret_vars_reach_the_worker_sealed_and_never_travel_in_messages(
    celery_lab: CeleryLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.fernet import Fernet

    monkeypatch.setenv("ISPFLOW_SECRET_KEY", Fernet.generate_key().decode())
    book = tmp_path / "secret.yaml"
    book.write_text(WITH_SECRET, encoding="utf-8")
    run = celery_lab.cli.popen("run", str(book), "-e", f"token={SECRET}", "--runner", "celery")
    shard = _queued_shard(celery_lab, "site-poa")
    queued = b"".join(_redis().lrange("site-poa", 0, -1) + _redis().lrange("site-cwb", 0, -1))
    assert queued and SECRET.encode() not in queued
    row = _run_row(celery_lab, shard["run_id"])
    assert SECRET not in row["whole"]
    assert row["vars"]["token"] != SECRET and row["sealed_vars"]
    assert row["runbook_sha256"] == hashlib.sha256(book.read_bytes()).hexdigest()

    celery_lab.worker("--queues", "site-poa,site-cwb", "--concurrency", "1")
    out, err = run.communicate(timeout=180)
    assert run.returncode == 0, out[-3000:] + err[-3000:]
    shown = celery_lab.cli("runs", "show", shard["run_id"], "-o", "json")
    report = json.loads(shown.stdout)
    assert len(report["results"]) == 4
    # The worker had the token as given: the step compared it and counted its characters.
    assert {(r["result"]["matches"], r["result"]["length"]) for r in report["results"]} == {
        (True, len(SECRET))
    }
    assert SECRET not in out + err + shown.stdout + _worker_log(celery_lab)


def test_a_worker_with_another_secret_key_fails_the_shard_saying_so(
    celery_lab: CeleryLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.fernet import Fernet

    monkeypatch.setenv("ISPFLOW_SECRET_KEY", Fernet.generate_key().decode())
    book = tmp_path / "secret.yaml"
    book.write_text(WITH_SECRET, encoding="utf-8")
    celery_lab.worker(
        "--queues", "site-poa,site-cwb", "--concurrency", "1",
        env={"ISPFLOW_SECRET_KEY": Fernet.generate_key().decode()},
    )  # fmt: skip
    report = run_json(
        celery_lab, str(book), "-e", f"token={SECRET}", "--runner", "celery", expect=1
    )
    assert {r["status"] for r in report["results"]} == {"failed"}
    run_id = report["run_id"]
    assert {r["error"] for r in report["results"]} == {
        f"its shard failed: the secret vars of run {run_id} were sealed with another key "
        "than this machine's: give every machine of a distributed run the same key "
        "(provisioning.key_env / ISPFLOW_SECRET_KEY)"
    }


def test_a_worker_whose_runbook_differs_fails_the_shard_naming_both_hashes(
    celery_lab: CeleryLab, tmp_path: Path
) -> None:
    book = tmp_path / "trust.yaml"
    book.write_text(GENUINE, encoding="utf-8")
    started = hashlib.sha256(book.read_bytes()).hexdigest()
    run = celery_lab.cli.popen("run", str(book), "--runner", "celery", "-o", "json")
    shard = _queued_shard(celery_lab, "site-poa")
    # The run is recorded; the file the workers find is then another one.
    book.write_text(FORGED, encoding="utf-8")
    here = hashlib.sha256(book.read_bytes()).hexdigest()
    celery_lab.worker("--queues", "site-poa,site-cwb", "--concurrency", "1")
    out, err = run.communicate(timeout=180)
    assert run.returncode == 1, out[-3000:] + err[-3000:]
    report = json.loads(out)
    expected = (
        f"its shard failed: the runbook on this worker differs from the one run "
        f"{shard['run_id']} started with: {book} has SHA-256 {here} here, the run's has "
        f"{started}"
    )
    assert {(r["step"], r["status"], r["error"]) for r in report["results"]} == {
        ("genuine echo", "failed", expected)
    }
    assert {s["status"] for s in celery_lab.shards(shard["run_id"])} == {"failed"}


class TlsRedis:
    """A redis-server of this test's own as the docs advise one: TLS only, its `default`
    user off, one user for ispflow with a password and no dangerous commands but INFO (the
    coordinator reads the broker's uptime)."""

    def __init__(self, folder: Path) -> None:
        self.folder, self.port, self.password = folder, free_base_port(1), "br0ker-pw-5e1"
        folder.mkdir(parents=True, exist_ok=True)
        self.ca = self._certificates()
        config = folder / "redis.conf"
        config.write_text(
            f"port 0\ntls-port {self.port}\nbind 127.0.0.1\ndir {folder}\n"
            f"tls-cert-file {folder / 'server.pem'}\ntls-key-file {folder / 'server.key'}\n"
            f"tls-ca-cert-file {self.ca}\ntls-auth-clients no\n"
            'save ""\nappendonly no\nuser default off\n'
            f"user ispflow on >{self.password} ~* &* +@all -@dangerous +info\n",
            encoding="utf-8",
        )
        self.proc = subprocess.Popen(
            ["redis-server", str(config)],
            stdout=open(folder / "redis.log", "wb"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
        )

    def _certificates(self) -> Path:
        """A CA of its own and the server's certificate for 127.0.0.1, signed by it."""
        (self.folder / "san.cnf").write_text("subjectAltName=IP:127.0.0.1\n", encoding="utf-8")
        for command in (
            "req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 1 -subj /CN=ca",
            "req -newkey rsa:2048 -nodes -keyout server.key -out server.csr -subj /CN=127.0.0.1",
            "x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem "
            "-days 1 -extfile san.cnf",
        ):
            subprocess.run(
                ["openssl", *command.split()], cwd=self.folder, check=True, capture_output=True
            )
        return self.folder / "ca.pem"

    def url(self, db: int, password: str | None = None) -> str:
        secret = self.password if password is None else password
        return (
            f"rediss://ispflow:{secret}@127.0.0.1:{self.port}/{db}"
            f"?ssl_cert_reqs=required&ssl_ca_certs={self.ca}"
        )

    def wait_ready(self) -> None:
        import redis

        client = redis.Redis.from_url(self.url(0))
        for _ in range(POLLS):
            try:
                if client.ping():
                    return
            except redis.RedisError:
                time.sleep(POLL_S)
        raise AssertionError(f"redis-server with TLS on port {self.port} did not start")

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


@pytest.mark.skipif(
    shutil.which("redis-server") is None or shutil.which("openssl") is None,
    reason="needs redis-server and openssl",
)
def test_a_broker_behind_tls_and_a_password_as_the_docs_advise(
    tmp_path: Path, pg_server_url: str
) -> None:
    server = TlsRedis(tmp_path / "redis")
    try:
        server.wait_ready()
        with open_celery_lab(tmp_path, pg_server_url, server.url(0), server.url(1)) as lab:
            book = tmp_path / "trust.yaml"
            book.write_text(GENUINE, encoding="utf-8")
            wrong = lab.cli.env() | {"ISPFLOW_BROKER_URL": server.url(0, password="guess")}
            refused = subprocess.run(
                [sys.executable, "-m", "ispflow", "worker", "--queues", "site-poa"],
                cwd=tmp_path, env=wrong, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            assert refused.returncode == 2, refused.stderr
            assert "is not reachable (invalid username-password pair" in refused.stderr
            assert "guess" not in refused.stderr
            lab.worker("--queues", "site-poa,site-cwb", "--concurrency", "1")
            report = run_json(lab, str(book), "--runner", "celery")
            assert report["status"] == "ok" and len(report["results"]) == 4
    finally:
        server.stop()


def test_a_resumed_run_seals_the_secret_given_again_for_its_workers(
    celery_lab: CeleryLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cryptography.fernet import Fernet

    monkeypatch.setenv("ISPFLOW_SECRET_KEY", Fernet.generate_key().decode())
    book = tmp_path / "secret.yaml"
    book.write_text(WITH_SECRET, encoding="utf-8")
    celery_lab.worker("--queues", "site-poa", "--concurrency", "1")
    first = run_json(celery_lab, str(book), "-e", f"token={SECRET}", "--runner", "celery", expect=3)
    assert first["status"] == "aborted"  # no worker for site-cwb
    celery_lab.worker("--queues", "site-cwb", "--concurrency", "1")
    resumed = run_json(
        celery_lab, "--resume", first["run_id"], "-e", f"token={SECRET}", "--runner", "celery"
    )
    assert resumed["status"] == "ok" and len(resumed["results"]) == 4
    assert {(r["result"]["matches"], r["result"]["length"]) for r in resumed["results"]} == {
        (True, len(SECRET))
    }
    assert SECRET not in _run_row(celery_lab, first["run_id"])["whole"]


def test_a_run_that_cannot_seal_its_secrets_sends_no_shard(
    celery_lab: CeleryLab, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ISPFLOW_SECRET_KEY", "not-a-fernet-key")
    book = tmp_path / "secret.yaml"
    book.write_text(WITH_SECRET, encoding="utf-8")
    proc = celery_lab.cli("run", str(book), "-e", f"token={SECRET}", "--runner", "celery")
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "the secret key is not a Fernet key" in proc.stderr
    [run_id] = [r["id"] for r in _all_runs(celery_lab)]
    run = _run_row(celery_lab, run_id)
    assert run["status"] == "failed" and run["sealed_vars"] is None
    assert run["message"].startswith("not started on the workers: the secret key is not")
    assert SECRET not in run["whole"]
    assert _running_shards(celery_lab) == []
