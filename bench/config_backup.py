"""Configuration backup of the lab's fleet: ispflow against a naive script and the floor.

    python bench/config_backup.py [--olts 8] [--pons 4] [--onus 16] [--concentrators 2]
                                  [--latency-ms 20] [--login-ms 200] [--reps 3]

It starts a lab (`ispflow lab up`) in a temporary folder with a delay before every command's
answer and every login (a pager stop is answered like any command, so a long configuration
costs one delay per page), and measures in the same run:

* ispflow - `config-backup` through `run_runbook` in this process (every device at once: the
            vendor's read, parsing, masking, hashing, the store), best of --reps; the first
            run stores a first version of every device, the timed ones find them unchanged
            (a nightly backup). The whole `ispflow run config-backup` command (interpreter,
            imports, inventory, store) is timed once too.
* floor   - the same reads with nothing else: per device, in parallel, the project's session
            class logs in and reads the configuration (OLTs: the running-config command,
            pages and all; concentrators: NAPALM get_config), no parsing, masking or store.
* naive   - what a first cron script does: one device after another, netmiko's
            `send_command` with its defaults for an OLT, NAPALM get_config for a
            concentrator, each written to a file.

It prints the three times and the ratios ispflow / floor and naive / ispflow.
"""

from __future__ import annotations

import argparse
import functools
import os
import ssl
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from netmiko import ConnectHandler  # noqa: E402
from nornir.core.task import Task  # noqa: E402
from ruamel.yaml import YAML  # noqa: E402

from bench.olt_audit import NAIVE_PLATFORM, NAIVE_VENDORS, free_base_port, ispflow, must  # noqa: E402


def lab_facts(root: Path) -> tuple[dict[str, Any], str]:
    state = root / ".ispflow-lab"
    yaml = YAML(typ="safe")
    fleet = yaml.load((state / "lab.json").read_text())
    password = yaml.load((state / "secrets.yaml").read_text())["defaults"]["password"]
    return fleet, password


def timed_backup(root: Path, db: str, reps: int) -> tuple[float, float]:
    """The first backup (every device new), then the best of `reps` unchanged ones."""
    import os

    from ispflow import run_runbook
    from ispflow.engine.model import RunOptions

    os.chdir(root)
    inventory = root / ".ispflow-lab" / "inventory"
    options = RunOptions(workers=64)
    started = time.perf_counter()
    first = run_runbook("config-backup", {}, options, inventory=inventory, db=db)
    first_time = time.perf_counter() - started
    if first.status != "ok":
        raise SystemExit(f"config-backup failed: {first.status}")
    best = float("inf")
    for _ in range(reps):
        started = time.perf_counter()
        outcome = run_runbook("config-backup", {}, options, inventory=inventory, db=db)
        best = min(best, time.perf_counter() - started)
        changed = [o for o in outcome.outcomes if (o.result or {}).get("config") != "unchanged"]
        if outcome.status != "ok" or changed:
            raise SystemExit(f"an unchanged backup found changes on {len(changed)} devices")
    return first_time, best


def floor(root: Path) -> float:
    """Every device's configuration read at once, raw: login and the read, nothing else."""
    from ispflow.plugins.concentrator.mikrotik.napalm_device import napalm_session
    from ispflow.plugins.inventory.files import open_nornir
    from ispflow.tasks.onu import olt_session

    nornir = open_nornir(root / ".ispflow-lab" / "inventory", "files")
    nornir.config.runner.options["num_workers"] = 64

    def raw(task: Task) -> int:
        if task.host.get("role") == "concentrator":
            with napalm_session(task) as device:
                return len(device.get_config(retrieve="running")["running"])
        from ispflow.plugins.olt.drivers import driver_for

        driver = driver_for(task.host)
        answers = olt_session(task, driver).read(driver.running_config_command())
        task.host.close_connections()
        return len(answers[-1][1])

    started = time.perf_counter()
    result = nornir.run(task=raw)
    elapsed = time.perf_counter() - started
    if result.failed:
        raise SystemExit(f"floor read failed: {[h for h in result.failed_hosts]}")
    return elapsed


def naive(root: Path, fleet: dict[str, Any], password: str) -> float:
    """One device after another, as a loop over netmiko and NAPALM would."""
    import napalm

    out = root / "naive"
    out.mkdir(exist_ok=True)
    commands = {"huawei": "display current-configuration", "zte": "show running-config"}
    started = time.perf_counter()
    for olt in fleet["olts"]:
        with ConnectHandler(
            device_type=NAIVE_PLATFORM[olt["vendor"]],
            host=olt["host"],
            port=olt["port"],
            username=fleet.get("username", "lab"),
            password=password,
        ) as connection:
            if olt["vendor"] == "huawei":
                connection.enable()
            text = connection.send_command(commands[olt["vendor"]], read_timeout=300)
        (out / f"{olt['name']}.cfg").write_text(text)
    # The lab's API is TLS (api-ssl), trusted by its own certificate, as ispflow reaches it.
    context = ssl.create_default_context(cafile=root / ".ispflow-lab" / "api-cert.pem")
    for router in fleet["concentrators"]:
        driver = napalm.get_network_driver("ros")
        wrapper = functools.partial(context.wrap_socket, server_hostname=router["host"])
        device = driver(router["host"], fleet.get("username", "lab"), password,
                        optional_args={"port": router["port"], "ssl_wrapper": wrapper})  # fmt: skip
        device.open()
        try:
            text = device.get_config(retrieve="running")["running"]
        finally:
            device.close()
        (out / f"{router['name']}.rsc").write_text(text)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--olts", type=int, default=8)
    parser.add_argument("--pons", type=int, default=4)
    parser.add_argument("--onus", type=int, default=16)
    parser.add_argument("--concentrators", type=int, default=2)
    parser.add_argument("--latency-ms", type=float, default=20)
    parser.add_argument("--login-ms", type=float, default=200)
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ispflow-bench-") as folder:
        root = Path(folder)
        # The lab records its SSH host keys here, not in the user's known_hosts.
        os.environ["ISPFLOW_KNOWN_HOSTS"] = str(root / "known_hosts")
        db = f"sqlite:///{root / 'bench.db'}"
        must(
            ispflow(
                "lab", "up", "--olts", str(args.olts), "--pons", str(args.pons),
                "--vendors", NAIVE_VENDORS,
                "--onus", str(args.onus), "--concentrators", str(args.concentrators),
                "--latency-ms", str(args.latency_ms), "--login-ms", str(args.login_ms),
                "--port", str(free_base_port(args.olts + args.concentrators)), "--db", db,
                cwd=root,
            ),
            "ispflow lab up",
        )  # fmt: skip
        try:
            run(root, db, args)
        finally:
            ispflow("lab", "down", cwd=root)


def run(root: Path, db: str, args: argparse.Namespace) -> None:
    fleet, password = lab_facts(root)
    devices = len(fleet["olts"]) + len(fleet["concentrators"])
    first, unchanged = timed_backup(root, db, args.reps)
    floors = [floor(root) for _ in range(args.reps)]
    best_floor = min(floors)
    with ThreadPoolExecutor(1) as pool:  # the naive loop, off this process's warm sessions
        naive_time = pool.submit(naive, root, fleet, password).result()
    started = time.perf_counter()
    must(ispflow("run", "config-backup", "-q", "--db", db, cwd=root), "ispflow run config-backup")
    command = time.perf_counter() - started

    print(
        f"fleet: {len(fleet['olts'])} OLTs x {args.pons} PONs x {args.onus} ONUs, "
        f"{len(fleet['concentrators'])} concentrators; {args.latency_ms:g} ms per command, "
        f"{args.login_ms:g} ms per login"
    )
    print(f"ispflow first backup   {first:7.2f} s  ({devices} first versions stored)")
    print(f"ispflow backup         {unchanged:7.2f} s  (best of {args.reps}, all unchanged)")
    print(f"ispflow whole command  {command:7.2f} s  (interpreter, imports, inventory, store)")
    print(f"floor                  {best_floor:7.2f} s  (raw parallel reads, measured)")
    print(f"naive                  {naive_time:7.2f} s  (one device after another)")
    print(f"ispflow / floor = {unchanged / best_floor:5.2f}x")
    print(f"naive / ispflow = {naive_time / unchanged:5.1f}x faster")


if __name__ == "__main__":
    main()
