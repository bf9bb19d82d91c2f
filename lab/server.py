"""The lab server process: `python -m lab.server --state-dir DIR [knobs]`.

Builds the fleet, listens on one port per OLT, writes the inventory, secrets and lab.json,
then server.json (the sign that it is ready), and serves until SIGTERM/SIGINT. The
credentials come from ISPFLOW_LAB_USERNAME / ISPFLOW_LAB_PASSWORD so they never show up in
a process list.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
import time
from pathlib import Path

from ispflow.lab.faults import watch_faults
from ispflow.lab.fleet import FleetError, FleetSpec, build_fleet, describe
from ispflow.lab.profiles import concentrator_profile, lab_concentrator_vendor
from ispflow.lab.sshd import LabServer, PortInUse
from ispflow.lab.statefiles import (
    StatePaths,
    load_host_key,
    write_inventory,
    write_lab_json,
    write_secrets,
    write_server_info,
)

EXIT_USAGE, EXIT_PORT = 2, 3


def parse_args(argv: list[str] | None = None) -> tuple[FleetSpec, StatePaths]:
    parser = argparse.ArgumentParser(prog="python -m lab.server", description=__doc__)
    parser.add_argument("--state-dir", type=Path, default=Path(".ispflow-lab"))
    parser.add_argument("--olts", type=int, default=FleetSpec.olts)
    parser.add_argument("--vendors", default=",".join(FleetSpec.vendors))
    parser.add_argument("--pons", type=int, default=FleetSpec.pons)
    parser.add_argument("--onus", type=int, default=FleetSpec.onus)
    parser.add_argument("--autofind", type=int, default=FleetSpec.autofind)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--login-ms", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=FleetSpec.seed)
    parser.add_argument("--port", type=int, default=FleetSpec.base_port)
    parser.add_argument("--alarms", action=argparse.BooleanOptionalAction, default=False)
    parser.add_argument("--concentrators", type=int, default=FleetSpec.concentrators)
    parser.add_argument(
        "--api-tls", action=argparse.BooleanOptionalAction, default=FleetSpec.api_tls
    )
    parser.add_argument("--firmware", default=FleetSpec.firmware)
    args = parser.parse_args(argv)
    spec = FleetSpec(
        olts=args.olts,
        vendors=tuple(v.strip().lower() for v in args.vendors.split(",") if v.strip()),
        pons=args.pons,
        onus=args.onus,
        autofind=args.autofind,
        latency_ms=args.latency_ms,
        login_ms=args.login_ms,
        seed=args.seed,
        base_port=args.port,
        username=os.environ.get("ISPFLOW_LAB_USERNAME", FleetSpec.username),
        password=os.environ.get("ISPFLOW_LAB_PASSWORD", FleetSpec.password),
        alarms=args.alarms,
        concentrators=args.concentrators,
        api_tls=args.api_tls,
        firmware=args.firmware,
    )
    return spec, StatePaths(args.state_dir.resolve())


async def serve(spec: FleetSpec, paths: StatePaths) -> None:
    devices = build_fleet(spec)
    server = LabServer(
        devices,
        username=spec.username,
        password=spec.password,
        host=spec.host,
        host_key=load_host_key(paths),
    )
    await server.start()
    fleet = describe(devices, spec)
    concentrators = concentrator_profile(lab_concentrator_vendor().name)
    routers = concentrators.build(
        spec.concentrators,
        fleet["olts"],
        fleet["onus"],
        base_port=spec.base_port + spec.olts if spec.base_port else 0,
        seed=spec.seed,
        latency_ms=spec.latency_ms,
        login_ms=spec.login_ms,
    )
    tls = None
    if spec.api_tls and routers:
        paths.root.mkdir(parents=True, exist_ok=True)
        tls = concentrators.tls_context(paths.root, spec.host)
        for router in routers:
            router.tls = True
    api = concentrators.server(
        routers, username=spec.username, password=spec.password, host=spec.host, tls_context=tls
    )
    try:
        await api.start()
    except OSError as exc:
        await server.stop()
        raise PortInUse(exc.errno, f"a concentrator's port is in use: {exc}") from exc
    try:
        fleet["concentrators"] = concentrators.describe(routers, spec.host)
        write_inventory(paths, devices, spec, routers)
        write_secrets(paths, spec)
        write_lab_json(paths, fleet)
        write_server_info(
            paths,
            {
                "pid": os.getpid(),
                "host": spec.host,
                "ports": server.ports | api.ports,
                "ssh_ports": server.ports,
                "started_at": time.time(),
                "olts": len(devices),
                "concentrators": len(routers),
            },
        )
        print(
            f"lab: {len(devices)} OLTs and {len(routers)} concentrators on {spec.host} ports "
            f"{sorted((server.ports | api.ports).values())}",
            flush=True,
        )
        watcher = asyncio.create_task(watch_faults(paths.root, [*devices, *routers]))
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()
        watcher.cancel()
    finally:
        await api.stop()
        await server.stop()
        with contextlib.suppress(FileNotFoundError):
            paths.server_json.unlink()
        print("lab: stopped", flush=True)


def main(argv: list[str] | None = None) -> int:
    logging.getLogger("asyncssh").setLevel(logging.WARNING)
    try:
        spec, paths = parse_args(argv)
        asyncio.run(serve(spec, paths))
    except FleetError as exc:
        print(f"lab: {exc}", file=sys.stderr, flush=True)
        return EXIT_USAGE
    except PortInUse as exc:
        print(f"lab: {exc.strerror}", file=sys.stderr, flush=True)
        return EXIT_PORT
    return 0


if __name__ == "__main__":
    sys.exit(main())
