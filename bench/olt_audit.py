"""A fleet signal audit on the lab: ispflow against a naive Nornir script and the latency floor.

    python bench/olt_audit.py [--olts 50] [--pons 16] [--onus 64] [--latency-ms 20]
                              [--login-ms 200] [--workers 20] [--sample-onus 16] [--reps 3]

It starts a lab (`ispflow lab up`) in a temporary folder with those knobs, then measures, in
the same run and against the same simulated OLTs:

* ispflow - `ispflow run onu-signal` over the whole fleet (every PON of every OLT), as a user
            runs it: a new process, readings stored in SQLite. Two times: the whole command
            (start to exit: interpreter, imports, inventory, store) and the run itself (from
            its journal: the run recorded to its last result written; the first logins
            start a quarter second or so before the run is recorded, as a run logs in while
            it records itself, so this part is a little short of the devices' time). A
            warm-up run on one OLT goes first, untimed, so Python's bytecode cache is filled
            as on any machine after the first run; then --reps runs, of which the fastest is
            reported (other processes on the machine only ever add time).
* naive   - the script people write first: nornir-netmiko with netmiko's defaults (device
            types `huawei_olt` / `zte_zxros`), one `display ont optical-info P ONT` (Huawei)
            or `show pon power attenuation gpon-onu_…:N` (ZTE) per ONU. Reading 51,200 ONUs
            that way takes hours, so it runs on a sample (one OLT of each vendor, the first
            --sample-onus ONUs of one PON) and is extrapolated: per-OLT time = measured
            connect + ONUs per OLT x measured time per ONU, scheduled on the same workers.
            The output says which numbers are extrapolated.
* floor   - what the lab's latencies allow at best with the same workers: each OLT costs one
            login plus one latency per command ispflow cannot do without (session set-up and
            mode changes, and one bulk read per PON); OLTs are scheduled on the workers as the
            runner does, and the floor is the time the last worker finishes.

It prints the times and the ratios naive / ispflow (target >= 20) and ispflow / floor
(target <= 1.5). The lab and the client share this machine's cores: the lab's CPU time per
command is on top of its configured latency, so the floor is out of reach by that much. It
also prints the CPU time ispflow's process and the lab's used during the best run: when
their sum nears the wall time times the cores, the run is bound by this machine's CPU,
not by the devices.
"""

from __future__ import annotations

import argparse
import heapq
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nornir.core import Nornir  # noqa: E402
from nornir.core.inventory import (  # noqa: E402
    ConnectionOptions,
    Defaults,
    Groups,
    Host,
    Hosts,
    Inventory,
)
from nornir.core.plugins.connections import ConnectionPluginRegister  # noqa: E402
from nornir.core.task import Result, Task  # noqa: E402
from nornir.plugins.runners import ThreadedRunner  # noqa: E402
from nornir_netmiko.tasks import netmiko_send_command  # noqa: E402
from ruamel.yaml import YAML  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from ispflow.plugins.olt.driver import PonPort  # noqa: E402
from ispflow.plugins.olt.drivers import driver_class  # noqa: E402

# Commands the olt_cli connection sends after login, before the task's own (see olt_cli.py).
SESSION_SETUP = {"huawei": 4, "zte": 1}
NAIVE_PLATFORM = {"huawei": "huawei_olt", "zte": "zte_zxros"}
# The lab's vendors here: the naive baseline drives netmiko's own classes, which only these
# vendors have.
NAIVE_VENDORS = ",".join(NAIVE_PLATFORM)


def free_base_port(count: int) -> int:
    for _ in range(100):
        base = random.randint(20000, 50000)
        try:
            for port in range(base, base + count):
                with socket.socket() as sock:
                    sock.bind(("127.0.0.1", port))
        except OSError:
            continue
        return base
    raise RuntimeError("no free port range for the lab")


def ispflow(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("ISPFLOW_INVENTORY", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as on a user's machine: compiled once
    return subprocess.run(
        [sys.executable, "-m", "ispflow", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def must(done: subprocess.CompletedProcess[str], what: str) -> None:
    if done.returncode != 0:
        raise SystemExit(f"{what} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")


def schedule(costs: list[float], workers: int) -> float:
    """When the last of `workers` finishes, taking jobs in order as each frees up."""
    finish = [0.0] * min(workers, len(costs))
    heapq.heapify(finish)
    for cost in costs:
        heapq.heappush(finish, heapq.heappop(finish) + cost)
    return max(finish) if finish else 0.0


def floor_costs(fleet: dict[str, Any], login: float, latency: float) -> list[float]:
    """Per OLT: login + one latency per unavoidable command (set-up, mode changes, bulk reads)."""
    costs = []
    for olt in fleet["olts"]:
        driver = driver_class(olt["vendor"])(model=olt["model"])
        pons = [PonPort.parse(pon["port"]) for pon in olt["pons"]]
        commands = SESSION_SETUP[olt["vendor"]] + len(driver.optical_ports(pons))
        costs.append(login + commands * latency)
    return costs


def naive_read(task: Task, commands: list[str], enter: list[str]) -> Result:
    """What a first script does: netmiko's defaults, one command per ONU."""
    connection = task.host.get_connection("netmiko", task.nornir.config)
    if enter:
        connection.enable()  # netmiko leaves SmartAX in user mode, where `config` is refused
        connection.send_config_set(enter, exit_config_mode=False)
    task.host["reading_from"] = time.perf_counter()
    outputs = []
    for command in commands:
        outputs.append(task.run(task=netmiko_send_command, command_string=command).result)
    task.host.close_connections()
    return Result(host=task.host, result=outputs)


def naive_sample(
    root: Path, fleet: dict[str, Any], sample_onus: int
) -> dict[str, dict[str, float]]:
    """Time connect and per-ONU reads on one OLT of each vendor (in parallel, like Nornir does)."""
    ConnectionPluginRegister.auto_register()
    password = YAML(typ="safe").load((root / ".ispflow-lab" / "secrets.yaml").read_text())[
        "defaults"
    ]["password"]
    defaults = Defaults(username="lab", password=password)
    hosts = Hosts()
    plans: dict[str, tuple[list[str], list[str]]] = {}
    for vendor in ("huawei", "zte"):
        olt = next(o for o in fleet["olts"] if o["vendor"] == vendor)
        pon = olt["pons"][0]
        ids = sorted(
            onu["onu_id"]
            for onu in fleet["onus"]
            if onu["olt"] == olt["name"] and onu["port"] == pon["port"] and not onu["autofind"]
        )[:sample_onus]
        frame, slot, number = pon["port"].split("/")
        if vendor == "huawei":
            enter = [f"interface gpon {frame}/{slot}"]
            commands = [f"display ont optical-info {number} {i}" for i in ids]
        else:
            onu_if = pon["interface"].replace("olt", "onu")
            enter = []
            commands = [f"show pon power attenuation {onu_if}:{i}" for i in ids]
        plans[olt["name"]] = (commands, enter)
        hosts[olt["name"]] = Host(
            name=olt["name"],
            hostname=olt["host"],
            port=olt["port"],
            platform=NAIVE_PLATFORM[vendor],
            data={"vendor": vendor},
            defaults=defaults,
            connection_options={"netmiko": ConnectionOptions(extras={})},
        )
    nornir = Nornir(
        inventory=Inventory(hosts=hosts, groups=Groups(), defaults=defaults),
        runner=ThreadedRunner(num_workers=len(hosts)),
    )
    timings: dict[str, dict[str, float]] = {}

    def timed(task: Task) -> Result:
        commands, enter = plans[task.host.name]
        started = time.perf_counter()
        result = task.run(task=naive_read, commands=commands, enter=enter)
        done = time.perf_counter()
        connected = task.host["reading_from"]  # login, set-up and entering the board
        timings[task.host["vendor"]] = {
            "connect": connected - started,
            "per_onu": (done - connected) / len(commands),
            "onus": len(commands),
        }
        return Result(host=task.host, result=len(result.result))

    outcome = nornir.run(task=timed)
    if outcome.failed:
        for name, multi in outcome.items():
            if multi.failed:
                raise SystemExit(f"naive script failed on {name}: {multi[0].exception}")
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--olts", type=int, default=50)
    parser.add_argument("--pons", type=int, default=16)
    parser.add_argument("--onus", type=int, default=64)
    parser.add_argument("--latency-ms", type=float, default=20.0)
    parser.add_argument("--login-ms", type=float, default=200.0)
    parser.add_argument("--workers", type=int, default=20)
    parser.add_argument("--sample-onus", type=int, default=16)
    parser.add_argument("--reps", type=int, default=3, help="ispflow runs; the best counts")
    args = parser.parse_args()
    latency, login = args.latency_ms / 1000, args.login_ms / 1000

    with tempfile.TemporaryDirectory(prefix="ispflow-bench-") as folder:
        root = Path(folder)
        # The lab records its SSH host keys here, not in the user's known_hosts.
        os.environ["ISPFLOW_KNOWN_HOSTS"] = str(root / "known_hosts")
        db = f"sqlite:///{root / 'bench.db'}"
        print(
            f"lab: {args.olts} OLTs x {args.pons} PONs x {args.onus} ONUs, "
            f"{args.latency_ms:g} ms per command, {args.login_ms:g} ms per login; "
            f"{args.workers} workers",
            flush=True,
        )
        started = time.perf_counter()
        must(
            ispflow(
                "lab", "up", "--olts", str(args.olts), "--pons", str(args.pons),
                "--vendors", NAIVE_VENDORS,
                "--onus", str(args.onus), "--autofind", "0", "--concentrators", "0",
                "--latency-ms", str(args.latency_ms), "--login-ms", str(args.login_ms),
                "--port", str(free_base_port(args.olts)), "--db", db,
                cwd=root,
            ),
            "ispflow lab up",
        )  # fmt: skip
        print(f"lab up in {time.perf_counter() - started:.1f} s", flush=True)
        try:
            fleet = json.loads((root / ".ispflow-lab" / "lab.json").read_text())
            run_bench(root, db, fleet, args, latency, login)
        finally:
            ispflow("lab", "down", cwd=root)


def run_bench(
    root: Path, db: str, fleet: dict[str, Any], args: argparse.Namespace, latency: float,
    login: float,
) -> None:  # fmt: skip
    onus_per_olt = {
        olt["name"]: sum(1 for o in fleet["onus"] if o["olt"] == olt["name"] and not o["autofind"])
        for olt in fleet["olts"]
    }
    total_onus = sum(onus_per_olt.values())

    first = fleet["olts"][0]["name"]
    must(ispflow("run", "onu-signal", "-q", "-e", f"olt={first}", "--db", db, cwd=root), "warm-up")
    lab_pid = int(json.loads((root / ".ispflow-lab" / "server.json").read_text())["pid"])
    best: tuple[float, float, int, float, float] | None = None
    for _ in range(args.reps):
        lab_cpu = cpu_seconds(lab_pid)
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = ispflow(
            "run", "onu-signal", "-q", "-w", str(args.workers),
            "--max-connecting", str(args.workers), "--db", db,
            cwd=root,
        )  # fmt: skip
        whole = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        client_cpu = (after.ru_utime + after.ru_stime) - (children.ru_utime + children.ru_stime)
        must(done, "ispflow run onu-signal")
        measured = (whole, *last_run(db), client_cpu, cpu_seconds(lab_pid) - lab_cpu)
        best = measured if best is None or measured[0] < best[0] else best
    assert best is not None
    ispflow_s, run_s, stored, client_cpu_s, lab_cpu_s = best
    if stored != total_onus:
        raise SystemExit(f"ispflow stored {stored} readings, the lab has {total_onus} ONUs")

    timings = naive_sample(root, fleet, args.sample_onus)
    naive_costs = [
        timings[olt["vendor"]]["connect"]
        + onus_per_olt[olt["name"]] * timings[olt["vendor"]]["per_onu"]
        for olt in fleet["olts"]
    ]
    naive_s = schedule(naive_costs, args.workers)
    floor_s = schedule(floor_costs(fleet, login, latency), args.workers)

    print(f"ONUs read: {total_onus} on {len(fleet['olts'])} OLTs ({stored} readings stored)")
    for vendor, timing in sorted(timings.items()):
        print(
            f"  naive sample, {vendor}: connect {timing['connect'] * 1000:.0f} ms, "
            f"{timing['per_onu'] * 1000:.0f} ms per ONU over {timing['onus']:.0f} ONUs "
            f"(lab latency {latency * 1000:g} ms)"
        )
    print(
        f"{'ispflow':8} {ispflow_s:10.2f} s   (measured: the whole command, a new process; "
        f"best of {args.reps})"
    )
    print(f"{'  run':8} {run_s:10.2f} s   (measured: the run itself, from its journal)")
    print(f"{'naive':8} {naive_s:10.1f} s   (extrapolated from the sample above)")
    print(f"{'floor':8} {floor_s:10.2f} s   (computed from the lab's latencies, same workers)")
    print(
        f"cpu      ispflow {client_cpu_s:.2f} s, lab {lab_cpu_s:.2f} s on {os.cpu_count()} cores "
        "(measured in the same run: the lab's share is the OLTs' own time on a real network)"
    )
    verdict = {True: "ok", False: "MISSED"}
    speedup = naive_s / ispflow_s
    print(f"naive / ispflow     = {speedup:6.1f}x (target >= 20): {verdict[speedup >= 20]}")
    for label, measured in (("ispflow", ispflow_s), ("run", run_s)):
        ratio = measured / floor_s
        print(f"{label + ' / floor':19} = {ratio:6.2f}x (target <= 1.5): {verdict[ratio <= 1.5]}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def last_run(db: str) -> tuple[float, int]:
    """The newest run's duration from its journal, and the readings it stored."""
    engine = create_engine(db)
    try:
        with engine.connect() as connection:
            run = connection.execute(
                text("SELECT id, started_at, finished_at FROM runs ORDER BY started_at DESC")
            ).first()
            stored = connection.execute(
                text("SELECT count(*) FROM optical_readings WHERE run_id = :run"),
                {"run": run.id},
            ).scalar_one()
    finally:
        engine.dispose()
    started, finished = (datetime.fromisoformat(str(t)) for t in (run.started_at, run.finished_at))
    return (finished - started).total_seconds(), stored


if __name__ == "__main__":
    main()
