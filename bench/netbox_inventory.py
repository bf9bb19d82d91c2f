"""Loading a 5,000-device inventory from NetBox: ispflow against a plain pynetbox loop and the floor.

    python bench/netbox_inventory.py [--devices 5000] [--reps 3] [--page-size N] [--workers N]
                                     [--url URL --token TOKEN] [--repopulate]

Without --url it starts the local NetBox (lab/services/netbox.sh up; the first start on a new
machine takes 6 to 12 minutes) and fills it with --devices devices: OLTs and concentrators over
24 sites, each with a management interface and a primary IPv4 (tests/support/netbox_data.py).
Populating 5,000 devices takes several minutes, so the filled database is kept as the
script's snapshot `bench_<devices>` and later runs restore it in seconds (--repopulate builds
it again). With --url, the devices are added to that NetBox where missing.

Then it measures, in the same run and against the same NetBox, the inventory of active OLTs and
concentrators:

* ispflow - plugins/inventory/netbox.py's NetBoxInventory.load() with its cache off: the
            devices from NetBox and the Nornir hosts built from them.
* naive   - the loop people write first: pynetbox with its default settings (pages fetched
            one after the other, every field of every device), the same filters, and the same
            host fields built from each device record.
* floor   - what NetBox itself allows: the fastest single GET of one page of devices with
            ispflow's filters, fields and page size, times the pages ispflow needs, divided by
            the requests it has in flight (its workers, at most the machine's cores, which
            NetBox's workers share).

Both loads run once untimed first (NetBox's workers set themselves up on their first
requests), then --reps times each, alternating; the fastest of each is reported. Both must
build the same hosts (name, address, port, platform, site, vendor, model), else the run
fails. It prints the times, naive / ispflow, ispflow / floor, and whether the target is met:
ispflow within 15 s and faster than the naive loop. NetBox and this client share the cores.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pynetbox  # noqa: E402
import requests  # noqa: E402

from ispflow.plugins.inventory.netbox import NetBoxInventory  # noqa: E402
from ispflow.plugins.inventory.netbox_client import FIELDS, device_query  # noqa: E402
from ispflow.plugins.inventory.netbox_settings import NetBoxSettings, netbox_settings  # noqa: E402
from tests.support.netbox_data import connect, populate, synthetic_fleet  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "lab" / "services" / "netbox.sh"
STATE = Path(os.environ.get("ISPFLOW_NETBOX_STATE", "/tmp/ispflow-netbox"))
TARGET_S = 15.0
NO_SNAPSHOT = 3  # netbox.sh restore's exit status when it has none

HostKey = tuple[Any, ...]


def service(script: str) -> None:
    started = time.perf_counter()
    proc = subprocess.run(["bash", str(SCRIPT), *script.split()], stdin=subprocess.DEVNULL)
    if proc.returncode != 0:
        raise SystemExit(f"netbox.sh {script} failed (exit {proc.returncode})")
    print(f"  netbox.sh {script}: {time.perf_counter() - started:.1f} s")


def local_netbox() -> dict[str, str]:
    service("up")
    env = dict(
        line.split("=", 1)
        for line in (STATE / "netbox.env").read_text().splitlines()
        if "=" in line
    )
    return {"url": env["NETBOX_URL"], "token": env["NETBOX_TOKEN"]}


def fill(nb: pynetbox.api, devices: int, *, local: bool, repopulate: bool) -> None:
    """The fleet in NetBox: restored from the snapshot, else populated (and saved)."""
    snapshot = f"bench_{devices}"
    if local and not repopulate:
        proc = subprocess.run(["bash", str(SCRIPT), "restore", snapshot], stdin=subprocess.DEVNULL)
        if proc.returncode == 0:
            return
        if proc.returncode != NO_SNAPSHOT:
            raise SystemExit(f"netbox.sh restore {snapshot} failed (exit {proc.returncode})")
    if local:
        service("reset")
    fleet = synthetic_fleet(devices)
    started = time.perf_counter()
    last = [0.0]

    def progress(done: int, total: int) -> None:
        if time.perf_counter() - last[0] > 15 or done == total:
            last[0] = time.perf_counter()
            rate = done / max(time.perf_counter() - started, 1e-9)
            print(f"  populated {done}/{total} devices ({rate:.0f}/s)", flush=True)

    created = populate(nb, fleet, progress=progress)
    took = time.perf_counter() - started
    print(
        f"  populate: {created['devices']} devices created in {took:.0f} s "
        f"({created['devices'] / max(took, 1e-9):.1f}/s)"
    )
    if local:
        service(f"save {snapshot}")


def ispflow_load(settings: NetBoxSettings) -> dict[str, HostKey]:
    inventory = NetBoxInventory(settings=settings, refresh=True).load()
    return {
        name: (
            host.hostname,
            host.port,
            host.platform,
            host.data.get("site"),
            host.data.get("vendor"),
            host.data.get("model"),
            host.data.get("role"),
        )
        for name, host in inventory.hosts.items()
    }


def naive_load(url: str, token: str, settings: NetBoxSettings) -> dict[str, HostKey]:
    """A plain pynetbox loop: default client, one page after the other, full records."""
    nb = pynetbox.api(url, token=token)
    hosts: dict[str, HostKey] = {}
    for device in nb.dcim.devices.filter(**settings.query()):
        platform_slug = device.platform.slug if device.platform else None
        mapping = settings.platforms[platform_slug]
        address = device.primary_ip4 or device.primary_ip
        port = device.custom_fields.get("mgmt_port")
        hosts[device.name] = (
            str(address.address).split("/", 1)[0] if address else None,
            int(port) if port is not None else None,
            mapping.platform,
            device.site.slug,
            mapping.vendor,
            device.device_type.model,
            settings.role_of(device.role.slug),
        )
    nb.http_session.close()
    return hosts


def page_time(settings: NetBoxSettings, tries: int) -> float:
    """The fastest GET of one full page of devices as ispflow asks for it."""
    query = {**device_query(settings), "limit": settings.page_size, "offset": 0}
    headers = {"Authorization": f"Bearer {settings.token}", "Accept": "application/json"}
    best = math.inf
    with requests.Session() as session:
        for _ in range(tries):
            started = time.perf_counter()
            response = session.get(
                f"{settings.url}/api/dcim/devices/", params=query, headers=headers, timeout=60
            )
            response.raise_for_status()
            response.json()
            best = min(best, time.perf_counter() - started)
    return best


def timed(function: Any, *args: Any) -> tuple[float, dict[str, HostKey]]:
    started = time.perf_counter()
    result = function(*args)
    return time.perf_counter() - started, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--devices", type=int, default=5000)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--page-size", type=int, default=None, help="ispflow's (default: its own)")
    parser.add_argument("--workers", type=int, default=None, help="ispflow's (default: its own)")
    parser.add_argument("--url", default=None, help="another NetBox (default: the local one)")
    parser.add_argument("--token", default=os.environ.get("NETBOX_TOKEN"))
    parser.add_argument("--repopulate", action="store_true", help="ignore the saved snapshot")
    args = parser.parse_args()

    print("NetBox:")
    if args.url:
        if not args.token:
            raise SystemExit("--url needs --token (or NETBOX_TOKEN)")
        netbox = {"url": args.url.rstrip("/"), "token": args.token}
    else:
        netbox = local_netbox()
    nb = connect(netbox)
    fill(nb, args.devices, local=not args.url, repopulate=args.repopulate)
    version = nb.status().get("netbox-version")

    with tempfile.TemporaryDirectory(prefix="ispflow-bench-") as folder:
        # An empty configuration: the plugin's defaults, whatever ./ispflow.yaml says.
        config = Path(folder) / "ispflow.yaml"
        config.write_text("{}\n")
        settings = netbox_settings(config, url=netbox["url"], token=netbox["token"])
        changes: dict[str, Any] = {"cache_ttl": 0.0, "cache_dir": Path(folder) / "cache"}
        if args.page_size:
            changes["page_size"] = args.page_size
        if args.workers:
            changes["workers"] = args.workers
        settings = dataclasses.replace(settings, **changes)

        ispflow_hosts = ispflow_load(settings)  # warm-up, untimed
        naive_hosts = naive_load(netbox["url"], netbox["token"], settings)
        if ispflow_hosts != naive_hosts:
            differ = list(set(ispflow_hosts.items()) ^ set(naive_hosts.items()))[:5]
            raise SystemExit(f"ispflow and the naive loop built different hosts: {differ}")
        ispflow_s = naive_s = math.inf
        for _ in range(args.reps):
            took, hosts = timed(ispflow_load, settings)
            assert hosts == naive_hosts
            ispflow_s = min(ispflow_s, took)
            took, hosts = timed(naive_load, netbox["url"], netbox["token"], settings)
            assert hosts == naive_hosts
            naive_s = min(naive_s, took)
        one_page = page_time(settings, max(3, args.reps))

    pages = math.ceil(len(ispflow_hosts) / settings.page_size)
    in_flight = max(1, min(settings.workers, os.cpu_count() or 1, pages))
    floor_s = one_page * pages / in_flight
    print(
        f"hosts: {len(ispflow_hosts)} (active OLTs and concentrators of {args.devices} devices, "
        f"NetBox {version} at {netbox['url']})"
    )
    print(
        f"ispflow page size {settings.page_size}, {settings.workers} workers, fields: "
        f"{','.join(FIELDS)}"
    )
    print(
        f"{'ispflow':8} {ispflow_s:9.2f} s   (measured: NetBoxInventory.load, cache off; best of {args.reps})"
    )
    print(
        f"{'naive':8} {naive_s:9.2f} s   (measured: pynetbox defaults, page after page; best of {args.reps})"
    )
    print(
        f"{'floor':8} {floor_s:9.2f} s   (one page of {settings.page_size} in {one_page:.2f} s "
        f"x {pages} pages / {in_flight} in flight)"
    )
    verdict = {True: "ok", False: "MISSED"}
    ratio = naive_s / ispflow_s
    print(f"naive / ispflow   = {ratio:6.2f}x (target > 1): {verdict[ratio > 1]}")
    print(f"ispflow / floor   = {ispflow_s / floor_s:6.2f}x")
    met = ispflow_s <= TARGET_S and ispflow_s < naive_s
    print(
        f"target: ispflow <= {TARGET_S:g} s and faster than the naive loop: {verdict[met]} "
        f"({ispflow_s:.2f} s)"
    )


if __name__ == "__main__":
    main()
