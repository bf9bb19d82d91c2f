"""How long `ispflow` takes to start: common commands, and a run up to its first device.

    python bench/cli_start.py [--reps 15] [--no-run]

Every number is the median of --reps runs, each a new process started as a user starts it
(`python -m ispflow …`, bytecode cache filled by an untimed warm-up), measured in the same
run and taken in turns so that other load on the machine falls on all of them alike:

* floor     - `python -c pass`: the interpreter alone; and `python -c "import typer"`, the
              command-line library every command needs.
* commands  - `ispflow --help`, `ispflow runbooks`, `ispflow validate FILE` (a shipped
              runbook), start to exit (target <= 0.3 s each).
* run       - `ispflow run onu-signal` (an OLT, SSH) and `ispflow run ppp-lookup` (a
              concentrator, RouterOS API) against a small lab started here on free ports:
              from just before the process is started to the moment it first calls
              connect() towards a lab device (target <= 0.35 s). The moment is taken inside
              the process by a Python audit hook on `socket.connect` (installed before
              ispflow is imported; it costs the process a few milliseconds at most), on the
              same clock as the start; the run then finishes as usual.

It prints each median wall time, its ratio to `python -c pass` and its margin over it, the
median CPU time the process used (user + system; up to the connect for a run: what other
load on a shared machine changes least), and whether the wall time meets the target.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.olt_audit import free_base_port, ispflow, must  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
VALIDATED = ROOT / "runbooks" / "signal-audit.yaml"

# Runs `python -m ispflow ARGS` with an audit hook that writes, once, the wall-clock time of
# the first connect() to one of the ports in BENCH_PORTS.
FIRST_CONNECT = """
import os, runpy, sys, time
ports = {int(p) for p in os.environ["BENCH_PORTS"].split(",")}
seen = []
def hook(event, args):
    if event == "socket.connect" and not seen:
        address = args[1]
        if isinstance(address, tuple) and len(address) >= 2 and address[1] in ports:
            seen.append(time.time())
            os.write(2, f"BENCH_FIRST_CONNECT {seen[0]!r} {time.process_time()!r}\\n".encode())
sys.addaudithook(hook)
sys.argv = ["ispflow", *sys.argv[1:]]
runpy.run_module("ispflow", run_name="__main__", alter_sys=True)
"""


def environment() -> dict[str, str]:
    env = {**os.environ, "NO_COLOR": "1"}
    env.pop("ISPFLOW_INVENTORY", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # as on a user's machine: compiled once
    return env


Measure = Callable[[], tuple[float, float]]


def whole(argv: list[str], cwd: Path) -> Measure:
    """A measurement: the process's wall time and CPU time, start to exit (it must succeed)."""

    def measure() -> tuple[float, float]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=cwd, env=environment(), capture_output=True, check=False)
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"{argv} failed ({done.returncode}):\n{done.stderr.decode()}")
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        return elapsed, cpu

    return measure


def to_first_connect(args: list[str], cwd: Path, ports: list[int]) -> Measure:
    """A measurement: from just before the process starts to its first connect to a device
    (wall time; and the process's CPU time up to then)."""

    def measure() -> tuple[float, float]:
        env = {**environment(), "BENCH_PORTS": ",".join(map(str, ports))}
        started = time.time()
        done = subprocess.run(
            [sys.executable, "-c", FIRST_CONNECT, *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"ispflow {args} failed ({done.returncode}):\n{done.stderr}")
        for line in done.stderr.splitlines():
            if line.startswith("BENCH_FIRST_CONNECT "):
                _, connected, cpu = line.split()
                return float(connected) - started, float(cpu)
        raise SystemExit(f"ispflow {args} connected to no lab device:\n{done.stderr}")

    return measure


def medians(cases: dict[str, Measure], reps: int) -> dict[str, tuple[float, float]]:
    for measure in cases.values():
        measure()  # warm-up: bytecode cache, the OS's file cache
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in cases}
    for _ in range(reps):
        for name, measure in cases.items():
            samples[name].append(measure())
    return {
        name: (
            statistics.median(wall for wall, _ in values),
            statistics.median(cpu for _, cpu in values),
        )
        for name, values in samples.items()
    }


def report(results: dict[str, tuple[float, float]], targets: dict[str, float]) -> None:
    floor, floor_cpu = results["python -c pass"]
    verdict = {True: "ok", False: "MISSED"}
    print(f"{'':34} {'wall':>7}     {'/floor':>6} {'(+ms)':>7}  {'cpu':>7}")
    for name, (seconds, cpu) in results.items():
        line = f"{name:34} {seconds * 1000:7.0f} ms  {seconds / floor:5.1f}x"
        line += f" (+{(seconds - floor) * 1000:4.0f})  {cpu * 1000:7.0f} ms"
        if name in targets:
            line += f"  target <= {targets[name]:.2f} s: {verdict[seconds <= targets[name]]}"
        print(line)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reps", type=int, default=15, help="runs per command; the median")
    parser.add_argument("--no-run", action="store_true", help="skip the lab and `ispflow run`")
    args = parser.parse_args()

    python = sys.executable
    module = [python, "-m", "ispflow"]
    with tempfile.TemporaryDirectory(prefix="ispflow-bench-") as folder:
        root = Path(folder)
        # The lab records its SSH host keys here, not in the user's known_hosts.
        os.environ["ISPFLOW_KNOWN_HOSTS"] = str(root / "known_hosts")
        cases: dict[str, Measure] = {
            "python -c pass": whole([python, "-c", "pass"], root),
            'python -c "import typer"': whole([python, "-c", "import typer"], root),
            "ispflow --help": whole([*module, "--help"], root),
            "ispflow runbooks": whole([*module, "runbooks"], root),
            f"ispflow validate {VALIDATED.name}": whole(
                [*module, "validate", str(VALIDATED)], root
            ),
        }
        targets = {name: 0.3 for name in cases if name.startswith("ispflow")}
        if args.no_run:
            print(f"median of {args.reps} runs each, new processes, taken in turns")
            report(medians(cases, args.reps), targets)
            return
        db = f"sqlite:///{root / 'bench.db'}"
        must(
            ispflow(
                "lab", "up", "--olts", "1", "--pons", "1", "--onus", "8", "--autofind", "0",
                "--concentrators", "1", "--port", str(free_base_port(2)), "--db", db,
                cwd=root,
            ),
            "ispflow lab up",
        )  # fmt: skip
        try:
            fleet = json.loads((root / ".ispflow-lab" / "lab.json").read_text())
            ports = [d["port"] for d in [*fleet["olts"], *fleet["concentrators"]]]
            olt = fleet["olts"][0]["name"]
            login = fleet["concentrators"][0]["secrets"][0]
            contract = "C-" + login.removeprefix("cliente")
            olt_run = ["run", "onu-signal", "-e", f"olt={olt}", "-q", "--db", db]
            ppp_run = ["run", "ppp-lookup", "-e", f"contract={contract}", "-q", "--db", db]
            cases["ispflow run onu-signal, to connect"] = to_first_connect(olt_run, root, ports)
            cases["ispflow run ppp-lookup, to connect"] = to_first_connect(ppp_run, root, ports)
            targets.update({name: 0.35 for name in cases if name.endswith("to connect")})
            cases["ispflow run onu-signal, whole"] = whole([*module, *olt_run], root)
            print(
                f"median of {args.reps} runs each, new processes, taken in turns; "
                f"lab: 1 OLT ({fleet['olts'][0]['vendor']}, 1 PON x 8 ONUs), 1 concentrator"
            )
            report(medians(cases, args.reps), targets)
        finally:
            ispflow("lab", "down", cwd=root)


if __name__ == "__main__":
    main()
