"""The signal audit run locally and through Celery workers, on one lab, against its floor.

    python bench/celery_scale.py [--olts 8] [--pons 4] [--onus 16] [--autofind 2]
                                 [--latency-ms 20] [--login-ms 200] [--concurrency 2]
                                 [--shard-by both] [--workers 20] [--reps 3]

It makes a throwaway PostgreSQL database (the store every worker shares), flushes the two
Redis databases the bench uses as broker and result backend, starts a lab (`ispflow lab up`,
its OLTs spread over sites two by two, the latency knobs of bench/olt_audit.py) in a
temporary folder and times, in that one run, `ispflow run signal-audit -e tickets=false` as
a user runs it (a new process; the wall time of the whole command):

* local     - `--runner local`: every OLT on this process's threads (no worker running);
* 1 worker  - `--runner celery` with one `ispflow worker --concurrency C`;
* 2 workers - the same with a second worker beside the first;

with the step's hosts sharded by site (one shard per site) and/or by host (one per OLT),
as --shard-by says (both: each worker count once per way of sharding). The workers are
started, answer a ping and sit idle before any timing. Each configuration gets an untimed
warm-up run first (and more, up to three, until every pool process of the workers has run
a shard: a pool process imports the engine on its first shard), then --reps timed runs, of
which the fastest counts (other processes on the machine only ever add time). Every run
must end `ok` and store one reading per ONU of the lab.

The device floor is measured as bench/signal_audit.py does (its `device_floor`: each OLT's
login and the audit's own lines through the project's session class, OLTs in parallel, no
parsing, engine or store), right after each timed run; the lowest counts. It prints, per
configuration, the best time, the run itself (from its journal), the speed-up against the
same sharding on 1 worker and against the local run, the ratio to the floor, and how busy
this machine's cores were during the best run.

Everything - the lab's simulated OLTs, PostgreSQL, Redis, the coordinator and all workers -
shares this one machine, so a second worker adds processes, not cores or network paths: the
numbers show the distributed runner's own cost on top of a local run, not what workers on
separate machines (each near its POP's devices) would gain.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ruamel.yaml import YAML  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bench.olt_audit import floor_costs, free_base_port, ispflow, must, schedule  # noqa: E402
from bench.signal_audit import FOREIGN_ENV, device_floor  # noqa: E402
from ispflow.engine.executor import DEFAULT_WORKERS  # noqa: E402

PG_SERVER = "postgresql://postgres@127.0.0.1:5432"
BROKER = "redis://127.0.0.1:6379/7"
BACKEND = "redis://127.0.0.1:6379/8"
RUN_TIMEOUT_S = 600.0  # a run the workers never finish fails the bench instead of hanging it
READY_TIMEOUT_S = 60.0
EXTRA_WARM_UPS = 3  # at most, until every pool process has run a shard


@dataclass
class Config:
    label: str
    workers: int  # Celery workers; 0: --runner local
    shard_by: str | None
    times: list[float] = field(default_factory=list)
    runs: list[float] = field(default_factory=list)  # the run itself, from the journal
    busy: list[float] = field(default_factory=list)  # share of the machine's cores in use
    warm_ups: int = 0
    shards: int = 0


# -- the store and the broker ------------------------------------------------------------
def create_database() -> tuple[str, str]:
    import psycopg

    name = f"ispflow_bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, f"{PG_SERVER}/{name}"


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def flush_redis() -> None:
    import redis

    for url in (BROKER, BACKEND):
        client = redis.Redis.from_url(url)
        try:
            client.flushdb()
        finally:
            client.close()


def query(db: str, sql: str, **params: Any) -> list[Any]:
    engine = create_engine(db)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(sql), params))
    finally:
        engine.dispose()


# -- workers -----------------------------------------------------------------------------
class Workers:
    """`ispflow worker` processes, each in its own process group (killed with its pool)."""

    def __init__(self, root: Path, queues: list[str], concurrency: int) -> None:
        self.root, self.queues, self.concurrency = root, queues, concurrency
        self.procs: list[subprocess.Popen[bytes]] = []
        self._app: Any = None

    def start(self) -> None:
        env = {**os.environ, "NO_COLOR": "1"}
        env.pop("ISPFLOW_INVENTORY", None)
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        log = self.root / f"worker-{len(self.procs)}.log"
        with open(log, "w") as stderr:
            proc = subprocess.Popen(
                [
                    sys.executable, "-m", "ispflow", "worker", "--queues", ",".join(self.queues),
                    "--concurrency", str(self.concurrency), "--loglevel", "info",
                ],
                cwd=self.root,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                start_new_session=True,
            )  # fmt: skip
        self.procs.append(proc)
        self._wait_ready(proc, log)

    def _wait_ready(self, proc: subprocess.Popen[bytes], log: Path) -> None:
        """Until the worker answers a ping over the broker (its pool is forked by then)."""
        if self._app is None:
            from ispflow.plugins.runners.celery_app import app

            self._app = app
        name = f"ispflow-{proc.pid}@"
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"worker exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
            answers = self._app.control.ping(timeout=0.5)
            if any(host.startswith(name) for answer in answers for host in answer):
                return
        raise SystemExit(f"worker {proc.pid} did not answer within {READY_TIMEOUT_S:g} s")

    def hostnames(self) -> list[str]:
        return [f"ispflow-{proc.pid}@" for proc in self.procs]

    @property
    def processes(self) -> int:
        return len(self.procs) * self.concurrency

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        self.procs.clear()


def pool_processes_seen(db: str, hostnames: list[str]) -> int:
    """How many of these workers' pool processes ran a shard so far (worker = host:pid)."""
    rows = query(db, "SELECT DISTINCT worker FROM run_shards WHERE worker IS NOT NULL")
    return sum(1 for (worker,) in rows if any(worker.startswith(h) for h in hostnames))


# -- one run -----------------------------------------------------------------------------
def cpu_ticks() -> tuple[int, int]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    try:
        fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0, 0
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    return sum(fields) - idle, sum(fields)


def timed_run(root: Path, db: str, config: Config, args: argparse.Namespace) -> tuple[float, float]:
    """`ispflow run signal-audit` as a user runs it: the whole command's wall time, and the
    share of the machine's cores that were busy meanwhile."""
    extra = [] if config.workers == 0 else ["--runner", "celery", "--shard-by", config.shard_by]
    busy0, total0 = cpu_ticks()
    started = time.perf_counter()
    done = ispflow(
        "run", "signal-audit", "-e", "tickets=false", "-q", "-w", str(args.workers),
        "--max-connecting", str(args.workers), "--db", db, *extra,
        cwd=root,
    )  # fmt: skip
    seconds = time.perf_counter() - started
    busy1, total1 = cpu_ticks()
    must(done, f"ispflow run signal-audit ({config.label})")
    return seconds, (busy1 - busy0) / max(total1 - total0, 1)


def last_run(db: str) -> tuple[str, str, float, int, int]:
    """The newest run: id, status, its duration from the journal, readings stored, shards."""
    [run] = query(
        db, "SELECT id, status, started_at, finished_at FROM runs ORDER BY started_at DESC LIMIT 1"
    )
    [(stored,)] = query(db, "SELECT count(*) FROM optical_readings WHERE run_id = :r", r=run.id)
    [(shards,)] = query(db, "SELECT count(*) FROM run_shards WHERE run_id = :r", r=run.id)
    return run.id, run.status, (run.finished_at - run.started_at).total_seconds(), stored, shards


# -- main --------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Latencies default to bench/olt_audit.py's (a network); the bare lab is "
        "--latency-ms 0 --login-ms 0. Needs PostgreSQL on 127.0.0.1:5432 (user postgres) "
        "and Redis on 127.0.0.1:6379 (databases 7 and 8 are flushed).",
    )
    parser.add_argument("--olts", type=int, default=8, help="OLTs, two per site (8: 4 sites)")
    parser.add_argument("--pons", type=int, default=4, help="PONs per OLT (4)")
    parser.add_argument("--onus", type=int, default=16, help="authorized ONUs per PON (16)")
    parser.add_argument("--autofind", type=int, default=2, help="ONUs in autofind per PON (2)")
    parser.add_argument("--latency-ms", type=float, default=20.0, help="lab delay per command")
    parser.add_argument("--login-ms", type=float, default=200.0, help="lab delay per login")
    parser.add_argument(
        "--concurrency", type=int, default=2, help="each worker's pool processes (2)"
    )
    parser.add_argument(
        "--shard-by",
        choices=("site", "host", "both"),
        default="both",
        help="shards of the celery runs: one per site, one per host, or each way (both)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=DEFAULT_WORKERS,
        help=f"threads per run or shard, as `ispflow run -w` ({DEFAULT_WORKERS})",
    )
    parser.add_argument("--reps", type=int, default=3, help="timed runs each; the best counts")
    args = parser.parse_args()
    if min(args.olts, args.reps, args.workers, args.concurrency) < 1:
        parser.error("--olts, --reps, --workers and --concurrency must be at least 1")
    for name in (*FOREIGN_ENV, "ISPFLOW_SECRETS"):
        os.environ.pop(name, None)
    os.environ["ISPFLOW_BROKER_URL"], os.environ["ISPFLOW_RESULT_BACKEND"] = BROKER, BACKEND
    signal.signal(signal.SIGTERM, interrupted)  # the same clean-up as Ctrl-C

    name, db = create_database()
    os.environ["ISPFLOW_DB"] = db  # every process: coordinator, workers, lab
    workers: Workers | None = None
    try:
        flush_redis()
        with tempfile.TemporaryDirectory(prefix="ispflow-bench-") as folder:
            root = Path(folder)
            # The lab records its SSH host keys here, not in the user's known_hosts.
            os.environ["ISPFLOW_KNOWN_HOSTS"] = str(root / "known_hosts")
            print(
                f"lab: {args.olts} OLTs x {args.pons} PONs x {args.onus} ONUs "
                f"(+{args.autofind} in autofind per PON), {args.latency_ms:g} ms per command, "
                f"{args.login_ms:g} ms per login; store: PostgreSQL {name}; broker {BROKER}",
                flush=True,
            )
            started = time.perf_counter()
            try:
                must(
                    ispflow(
                        "lab", "up", "--olts", str(args.olts), "--pons", str(args.pons),
                        "--onus", str(args.onus), "--autofind", str(args.autofind),
                        "--concentrators", "0",
                        "--latency-ms", str(args.latency_ms), "--login-ms", str(args.login_ms),
                        "--port", str(free_base_port(args.olts)), "--db", db,
                        cwd=root,
                    ),
                    "ispflow lab up",
                )  # fmt: skip
                print(f"lab up in {time.perf_counter() - started:.1f} s", flush=True)
                fleet = json.loads((root / ".ispflow-lab" / "lab.json").read_text())
                queues = sorted({f"site-{olt['site']}" for olt in fleet["olts"]} | {"ispflow"})
                workers = Workers(root, queues, args.concurrency)
                run_bench(root, db, fleet, workers, args)
            finally:
                if workers is not None:
                    workers.stop()
                ispflow("lab", "down", cwd=root)
    finally:
        try:
            flush_redis()
        finally:
            drop_database(name)


def run_bench(
    root: Path, db: str, fleet: dict[str, Any], workers: Workers, args: argparse.Namespace
) -> None:
    secrets = YAML(typ="safe").load((root / ".ispflow-lab" / "secrets.yaml").read_text())
    username, password = fleet["username"], secrets["defaults"]["password"]
    total_onus = sum(1 for onu in fleet["onus"] if not onu["autofind"])
    sites = len({olt["site"] for olt in fleet["olts"]})
    busy_threads = min(args.workers, len(fleet["olts"]))
    modes = ("site", "host") if args.shard_by == "both" else (args.shard_by,)

    configs = [Config("local", 0, None)]
    for count in (1, 2):
        for mode in modes:
            plural = "s" if count > 1 else ""
            configs.append(Config(f"{count} worker{plural}, by {mode}", count, mode))
    floors: list[tuple[float, int]] = []

    for config in configs:
        while len(workers.procs) < config.workers:
            begun = time.perf_counter()
            workers.start()
            print(
                f"worker {len(workers.procs)} up ({args.concurrency} pool processes) in "
                f"{time.perf_counter() - begun:.1f} s",
                flush=True,
            )
        warm_up(root, db, config, workers, args)
        for _ in range(args.reps):
            seconds, busy = timed_run(root, db, config, args)
            run_id, status, run_s, stored, shards = last_run(db)
            if status != "ok" or stored != total_onus:
                raise SystemExit(
                    f"run {run_id} ({config.label}): {status}, {stored} readings stored, the "
                    f"lab has {total_onus} ONUs"
                )
            config.times.append(seconds)
            config.runs.append(run_s)
            config.busy.append(busy)
            config.shards = shards
            floors.append(device_floor(fleet, username, password, args.workers))
        print(
            f"{config.label:22} " + "  ".join(f"{t:6.2f} s" for t in config.times),
            flush=True,
        )

    computed = schedule(
        floor_costs(fleet, args.login_ms / 1000, args.latency_ms / 1000), args.workers
    )
    report(configs, min(floors), computed, fleet, total_onus, sites, busy_threads, args)


def warm_up(
    root: Path, db: str, config: Config, workers: Workers, args: argparse.Namespace
) -> None:
    """One untimed run; with workers, more until each pool process has run a shard."""
    timed_run(root, db, config, args)
    config.warm_ups = 1
    if config.workers == 0:
        return
    while (
        pool_processes_seen(db, workers.hostnames()) < workers.processes
        and config.warm_ups <= EXTRA_WARM_UPS
    ):
        timed_run(root, db, config, args)
        config.warm_ups += 1


def report(
    configs: list[Config], floor: tuple[float, int], computed: float, fleet: dict[str, Any],
    total_onus: int, sites: int, busy_threads: int, args: argparse.Namespace,
) -> None:  # fmt: skip
    floor_s, floor_lines = floor
    best = {c.label: min(c.times) for c in configs}
    one_worker = {c.shard_by: best[c.label] for c in configs if c.workers == 1}
    cores = os.cpu_count() or 1

    print()
    print(
        f"signal audit (-e tickets=false) on {len(fleet['olts'])} OLTs in {sites} sites, "
        f"{total_onus} ONUs read per run; whole `ispflow run` command, best of {args.reps} "
        f"after warm-up; workers --concurrency {args.concurrency}, -w {args.workers}"
    )
    header = (
        f"  {'configuration':22} {'shards':>6} {'best':>8} {'run':>8} {'vs 1 worker':>11} "
        f"{'vs local':>8} {'/ floor':>8} {'cores busy':>10} {'warm-ups':>8}"
    )
    print(header)
    print("  " + "-" * (len(header) - 2))
    for config in configs:
        seconds = best[config.label]
        index = config.times.index(seconds)
        versus = one_worker.get(config.shard_by) if config.workers else None
        print(
            f"  {config.label:22} {config.shards if config.workers else '-':>6} "
            f"{seconds:7.2f}s {config.runs[index]:7.2f}s "
            f"{f'{versus / seconds:10.2f}x' if versus else '-':>11} "
            f"{local_ratio(best['local'], seconds):>8} {seconds / floor_s:7.2f}x "
            f"{config.busy[index] * cores:6.2f}/{cores:<3} {config.warm_ups:>8}"
        )
    print(
        f"  {'floor':22} {'':>6} {floor_s:7.2f}s {'':>8} {'':>11} {'':>8} {1:7.2f}x"
        f"   (measured: login + the audit's {floor_lines} lines, {busy_threads} OLTs at once)"
    )
    print(f"  {'':22} {'':>6} {computed:7.2f}s   (floor computed from the lab's latencies alone)")
    local = configs[0]
    local_run = local.runs[local.times.index(best["local"])]
    width = 100
    print(
        textwrap.fill(
            "best: the whole command (a new process: imports, inventory, store, the run, the "
            "summary); run: the same run's start to end, from its journal; vs 1 worker: the "
            "same sharding on one worker over this; vs local: the local command over this "
            "(above 1: faster than local); / floor: this over the device floor; cores busy: "
            "the machine's cores in use during that best run (every process: lab, store, "
            "broker, coordinator, workers).",
            width,
            initial_indent="  ",
            subsequent_indent="  ",
        )
    )
    print()
    print(
        textwrap.fill(
            f"What this shows, on one machine ({cores} cores): the lab's simulated OLTs, "
            "PostgreSQL, Redis, the coordinator and every worker run here, on the same cores. "
            "The OLTs' time is latency (waiting, not CPU), and the local run already waits on "
            f"all {busy_threads} OLTs at once: its run takes {local_run:.2f} s, "
            f"{local_run / floor_s:.2f}x the floor, and the other "
            f"{best['local'] - local_run:.2f} s of the command are the process's start-up and "
            "summary, paid once per command whatever the runner. A worker can only add to "
            "that here: the broker's round trips, each shard's claim and lease, the inventory, "
            "runbook and journal a worker opens per shard, the coordinator polling the shards, "
            "and more processes competing for the same cores. 1 worker against 2 workers shows "
            "how the shards spread over pool processes on this machine (a site shard runs its "
            "OLTs in parallel inside one process; host shards queue for the pool's processes), "
            "not what two machines would give: there, each worker sits near its POP's devices, "
            "brings its own cores and network path, and the coordinator's machine carries no "
            "device sessions. This bench cannot measure that; its 2 workers x "
            f"--concurrency {args.concurrency} are {2 * args.concurrency} pool processes "
            f"sharing {cores} cores with everything else.",
            width,
        )
    )


def local_ratio(local_s: float, seconds: float) -> str:
    return f"{local_s / seconds:7.2f}x"


def interrupted(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    main()
