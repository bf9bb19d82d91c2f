"""The engine's own cost per host per step, against plain Nornir, measured in the same run.

    python bench/engine.py [--hosts 1000,10000] [--steps 3] [--reps 3] [--workers 20] [--db URL]

For each inventory size it times, with the same no-op task and the same in-memory inventory:

* floor   - a plain Python loop calling the task function once per host (no threads at all);
* nornir  - ``nr.run(task=noop)`` with Nornir's ThreadedRunner, once per step;
* ispflow - a runbook of ``core.noop`` steps through the executor: expressions, per-host
            state, progress hooks off, and the journal (pending rows per step, then every
            host/step result made durable by group commit) in a SQLite file (or --db).

and prints microseconds per host per step and the ratio ispflow / nornir (target: <= 2).
A second ispflow row runs a no-op that declares it changes devices: each host then waits
until its result is committed (group commit) before moving on, which is what makes
``--resume`` exact for changes; it is shown for information, against the same Nornir time.
The best of --reps repetitions is reported for each, to keep noise from other processes out.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nornir.core import Nornir  # noqa: E402
from nornir.core.inventory import Defaults, Groups, Host, Hosts, Inventory  # noqa: E402
from nornir.core.task import Result, Task  # noqa: E402
from nornir.plugins.runners import ThreadedRunner  # noqa: E402

from ispflow.engine.executor import Executor  # noqa: E402
from ispflow.engine.loader import load_runbook  # noqa: E402
from ispflow.engine.model import RunOptions  # noqa: E402
from ispflow.store.db import open_database  # noqa: E402
from ispflow.store.journal import Journal  # noqa: E402
from ispflow.tasks.registry import registry, task  # noqa: E402


def make_nornir(count: int, workers: int) -> Nornir:
    defaults = Defaults()
    hosts = Hosts()
    for i in range(count):
        name = f"olt-{i:05d}"
        hosts[name] = Host(
            name=name,
            hostname="127.0.0.1",
            platform="huawei_smartax",
            data={"site": "poa" if i % 2 else "cwb", "role": "olt", "vendor": "huawei"},
            defaults=defaults,
        )
    inventory = Inventory(hosts=hosts, groups=Groups(), defaults=defaults)
    return Nornir(inventory=inventory, runner=ThreadedRunner(num_workers=workers))


def noop(task: Task) -> Result:
    return Result(host=task.host)


@task("bench.noop_change", changes_device=True)
def noop_change(task: Task) -> Result:
    """A no-op that declares it changes the device, so its results are journaled durably."""
    return Result(host=task.host)


registry.register(noop_change)


def time_floor(nr: Nornir, steps: int) -> float:
    hosts = list(nr.inventory.hosts.values())

    class _T:
        host: Host

    fake = _T()
    start = time.perf_counter()
    for _ in range(steps):
        for host in hosts:
            fake.host = host
            noop(fake)  # type: ignore[arg-type]
    return time.perf_counter() - start


def time_nornir(nr: Nornir, steps: int) -> float:
    start = time.perf_counter()
    for _ in range(steps):
        nr.run(task=noop)
    return time.perf_counter() - start


def time_engine(nr: Nornir, steps: int, workers: int, db_url: str, book: Path) -> float:
    runbook = load_runbook(book)
    database = open_database(db_url)
    journal = Journal(database)
    try:
        executor = Executor(nr, journal)
        start = time.perf_counter()
        outcome = executor.run(runbook, {}, RunOptions(workers=workers))
        elapsed = time.perf_counter() - start
    finally:
        journal.close()
        database.close()
    assert outcome.status == "ok", outcome.message
    assert len(outcome.outcomes) == steps * len(nr.inventory.hosts)
    return elapsed


def write_book(folder: Path, steps: int, task_name: str = "core.noop") -> Path:
    lines = ["name: bench-noop", "steps:"]
    lines += [f"  - {{name: step-{i}, task: {task_name}}}" for i in range(steps)]
    path = folder / f"bench-{task_name}.yaml"
    path.write_text("\n".join(lines) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--hosts", default="1000,10000")
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--db", default=None, help="store URL (default: a fresh SQLite file)")
    args = parser.parse_args()

    print(f"no-op task, {args.steps} steps, {args.workers} workers, best of {args.reps}")
    print("read = core.noop (results journaled in batches); durable = a no-op that declares")
    print("it changes devices (each host waits for its result's commit before moving on)")
    print(
        f"{'hosts':>7} {'floor µs':>9} {'nornir µs':>10} {'read µs':>9} {'read/nornir':>12}"
        f" {'durable µs':>11} {'durable/nornir':>15}"
    )
    worst = 0.0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        books = {"read": write_book(folder, args.steps)}
        books["durable"] = write_book(folder, args.steps, "bench.noop_change")
        for count in (int(n) for n in args.hosts.split(",")):
            nr = make_nornir(count, args.workers)
            per = args.steps * count
            floor = min(time_floor(nr, args.steps) for _ in range(args.reps)) / per * 1e6
            plain = min(time_nornir(nr, args.steps) for _ in range(args.reps)) / per * 1e6
            best = {}
            for label, book in books.items():
                runs = []
                for rep in range(args.reps):
                    url = args.db or f"sqlite:///{folder / f'{label}-{count}-{rep}.db'}"
                    runs.append(time_engine(nr, args.steps, args.workers, url, book))
                best[label] = min(runs) / per * 1e6
            worst = max(worst, best["read"] / plain)
            print(
                f"{count:>7} {floor:>9.2f} {plain:>10.2f} {best['read']:>9.2f}"
                f" {best['read'] / plain:>11.2f}x {best['durable']:>11.2f}"
                f" {best['durable'] / plain:>14.2f}x"
            )
    verdict = "within" if worst <= 2.0 else "ABOVE"
    print(f"worst read/nornir ratio {worst:.2f}x: {verdict} the 2x target")


if __name__ == "__main__":
    main()
