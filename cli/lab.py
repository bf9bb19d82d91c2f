"""`ispflow lab up | status | down`: a fleet of simulated OLTs on this machine.

ispflow lab up --olts 4 --vendors huawei,zte --pons 4 --onus 16 --autofind 2
ispflow lab up --firmware C320=v1,MA5800-X7=r018   # which software generation each model runs
ispflow run onu-signal          # from the same folder: the lab's inventory is the default
ispflow lab down
"""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from ispflow.cli.common import err, make_console
from ispflow.cli.options import CONTEXT_SETTINGS, DbOption, OutputOption

# The lab's modules (asyncssh, the fleet model) load inside the commands: every `ispflow`
# command builds this sub-app, and `ispflow run` should not pay for a simulator it never uses.
if TYPE_CHECKING:
    from ispflow.lab.statefiles import StatePaths

DEFAULT_STATE_DIR = Path(".ispflow-lab")

EXIT_USAGE = 2

lab_app = typer.Typer(
    help=(
        "Simulated OLTs (any mix of the supported vendors) and concentrators on 127.0.0.1, one "
        "port each, with ONUs, splitters, bad signal and ONUs waiting in autofind: try runbooks "
        "without a network."
    ),
    no_args_is_help=True,
    add_completion=False,
    context_settings=CONTEXT_SETTINGS,
)
out = make_console()

StateDir = Annotated[
    Path, typer.Option("--state-dir", help="Where the lab keeps its inventory, secrets and pid.")
]


def _fail(message: str) -> typer.Exit:
    err.print(f"[bold red]error:[/] {message}", soft_wrap=True)
    return typer.Exit(EXIT_USAGE)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


@lab_app.command("up")
def up_command(
    olts: Annotated[int, typer.Option("--olts", min=1, help="How many OLTs.")] = 4,
    vendors: Annotated[
        str | None,
        typer.Option(
            "--vendors",
            help=(
                "OLT vendors in turn, comma-separated (default: the vendors of the default "
                "fleet; the lab simulates more, named here)."
            ),
            show_default=False,
        ),
    ] = None,
    pons: Annotated[int, typer.Option("--pons", min=1, help="PON ports with ONUs per OLT.")] = 4,
    onus: Annotated[int, typer.Option("--onus", min=0, help="Authorized ONUs per PON.")] = 16,
    autofind: Annotated[
        int, typer.Option("--autofind", min=0, help="ONUs per PON waiting to be authorized.")
    ] = 2,
    api_tls: Annotated[
        bool,
        typer.Option(
            "--api-tls/--no-api-tls",
            help="The concentrators' API over TLS only (RouterOS api-ssl), the inventory "
            "trusting the lab's self-signed certificate; --no-api-tls: the plain API, and the "
            "inventory says `tls: false` (runs warn that the password goes in clear text).",
        ),
    ] = True,
    latency_ms: Annotated[
        float,
        typer.Option(
            "--latency-ms",
            min=0,
            help="Time from every command line to its answer (the OLT acts on the line at once).",
        ),
    ] = 0.0,
    login_ms: Annotated[
        float, typer.Option("--login-ms", min=0, help="Delay of every login.")
    ] = 0.0,
    seed: Annotated[int, typer.Option("--seed", help="Same seed, same plant and ONUs.")] = 7,
    port: Annotated[
        int, typer.Option("--port", help="First OLT's port; the others follow.")
    ] = 10201,
    alarms: Annotated[
        bool,
        typer.Option("--alarms/--no-alarms", help="Alarm lines in the middle of some outputs."),
    ] = False,
    concentrators: Annotated[
        int,
        typer.Option(
            "--concentrators",
            min=0,
            help="MikroTik PPPoE concentrators (RouterOS API); each OLT's customers dial into "
            "one of them.",
        ),
    ] = 2,
    firmware: Annotated[
        str,
        typer.Option(
            "--firmware",
            help="Software generation of the OLTs, which decides their output layouts: mixed "
            "(each model's generations in turn), newest, oldest, one generation (r019, r018, "
            "v2, v1, titan) for every model that has it, or MODEL=GEN pairs such as "
            "C320=v1,MA5800-X7=r018.",
        ),
    ] = "mixed",
    username: Annotated[str, typer.Option("--username", help="Login of every lab OLT.")] = "lab",
    password: Annotated[
        str | None, typer.Option("--password", help="Password (default: a new random one).")
    ] = None,
    db: DbOption = None,
    seed_store: Annotated[
        bool,
        typer.Option(
            "--seed-store/--no-seed-store",
            help="Replace the store's OLTs, customers, contracts and ONUs with the lab's.",
        ),
    ] = True,
    state_dir: StateDir = DEFAULT_STATE_DIR,
) -> None:
    """Start the lab in the background, write its inventory and secrets, fill the store
    (`--db`) with the lab's customers, contracts and ONUs.

    Runbooks pick the running lab up from ./.ispflow-lab (no ISPFLOW_INVENTORY needed) as long
    as you run them from the folder where you started it.
    """
    from ispflow.lab.control import LabAlreadyRunning, LabControlError, down, up
    from ispflow.lab.fleet import FleetError, FleetSpec
    from ispflow.lab.profiles import default_lab_olt_vendors
    from ispflow.lab.statefiles import StatePaths
    from ispflow.store.db import database_url

    chosen = (
        default_lab_olt_vendors()
        if vendors is None
        else tuple(v.strip().lower() for v in vendors.split(",") if v.strip())
    )
    spec = FleetSpec(
        olts=olts,
        vendors=chosen,
        pons=pons,
        onus=onus,
        autofind=autofind,
        latency_ms=latency_ms,
        login_ms=login_ms,
        seed=seed,
        base_port=port,
        username=username,
        password=password or secrets.token_urlsafe(12),
        alarms=alarms,
        concentrators=concentrators,
        api_tls=api_tls,
        firmware=firmware.strip(),
    )
    paths = StatePaths(state_dir.resolve())
    try:
        running = up(spec, paths)
    except LabAlreadyRunning as exc:
        if not exc.same or password is not None:
            raise _fail(str(exc)) from None
        # Running `lab up` twice with the same knobs is a no-op, so scripts can simply call it;
        # its host key is recorded again, in case this shell's runs check another file.
        from ispflow.core.errors import UsageError
        from ispflow.lab.host_keys import enrol

        try:
            enrol(paths)
        except UsageError as error:
            raise _fail(f"the lab's SSH host key was not recorded: {error}") from None
        out.print(
            f"lab already running with these settings (pid {exc.running.pid}); left as it "
            "is, store untouched. `ispflow lab down` first for a fresh one."
        )
        return
    except (FleetError, LabControlError) as exc:
        raise _fail(str(exc)) from None
    ports = sorted(running.ports.values())
    seeded = None
    if seed_store:
        try:
            seeded = _seed(paths, db)
        except Exception as exc:  # the lab runs; say what went wrong with the store
            down(paths)
            raise _fail(f"could not fill the store ({database_url(db)}): {exc}") from None
    devices = f"{olts} OLTs" + (f" and {concentrators} concentrators" if concentrators else "")
    out.print(
        f"lab up: {devices} on {running.host} ports {ports[0]}-{ports[-1]} (pid {running.pid})"
    )
    out.print(f"  inventory  {paths.inventory}")
    out.print(f"  secrets    {paths.secrets}")
    out.print(f"  fleet      {paths.lab_json}")
    if running.known_hosts is not None:
        out.print(f"  host keys  {running.known_hosts} (the OLTs' SSH host key, recorded)")
    if seeded is not None:
        url, counts = seeded
        out.print(
            f"  store      {url}: {counts['customers']} customers, {counts['contracts']} "
            f"contracts ({counts['pending_onus']} waiting for their ONU), {counts['onus']} ONUs, "
            f"{counts['service_orders']} service orders"
        )
    here, elsewhere = _store_words(db)
    out.print(
        f"  use it:    ispflow run onu-signal{here}   (from this folder; elsewhere set "
        f"ISPFLOW_INVENTORY={paths.inventory} ISPFLOW_SECRETS={paths.secrets}{elsewhere})",
        soft_wrap=True,
    )


def _store_words(db: str | None) -> tuple[str, str]:
    """How later commands name the store `lab up` filled: ` --db URL` when it was not the
    default (a `--db`, or an ISPFLOW_DB this shell may not keep), and ` ISPFLOW_DB=URL` for
    another folder, where ./ispflow.db is another file. The password stays ***."""
    from urllib.parse import unquote

    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    from ispflow.store.db import DEFAULT_URL, ENV_VAR

    given = db or os.environ.get(ENV_VAR)
    try:
        url = make_url(given or DEFAULT_URL)
    except ArgumentError:  # not a URL (with --no-seed-store nothing opened it): no hint
        return "", ""
    if url.drivername.startswith("sqlite") and url.database not in (None, "", ":memory:"):
        url = url.set(database=str(Path(str(url.database)).resolve()))
    shown = unquote(url.render_as_string(hide_password=True))
    return (f" --db {shown}" if given else ""), f" {ENV_VAR}={shown}"


def _seed(paths: StatePaths, db: str | None) -> tuple[str, dict[str, int]]:
    from ispflow.lab.seed_store import seed_from_fleet
    from ispflow.lab.seed_tickets import seed_service_orders
    from ispflow.store.db import open_database

    fleet = json.loads(paths.lab_json.read_text(encoding="utf-8"))
    with open_database(db) as database:
        counts = seed_from_fleet(database, fleet)
        counts |= seed_service_orders(database, seed=int(fleet.get("seed", 7)))
        return str(database), counts


@lab_app.command("status")
def status_command(state_dir: StateDir = DEFAULT_STATE_DIR) -> None:
    """Is the lab running? Its pid, ports and uptime."""
    from ispflow.lab.control import status
    from ispflow.lab.statefiles import StatePaths, read_server_info

    paths = StatePaths(state_dir.resolve())
    running = status(paths)
    if running is None:
        stale = " (a stale pid file was left behind)" if read_server_info(paths) else ""
        out.print(f"lab: not running from {paths.root}{stale}")
        raise typer.Exit(1)
    olts = _fleet_olts(paths)
    table = Table(title=f"lab running, pid {running.pid}, up {_duration(running.uptime)}")
    table.add_column("OLT")
    table.add_column("address")
    table.add_column("model")
    table.add_column("firmware")
    for name, number in sorted(running.ports.items(), key=lambda item: item[1]):
        olt = olts.get(name, {})
        table.add_row(
            name, f"{running.host}:{number}", olt.get("model", ""), olt.get("firmware", "")
        )
    out.print(table)


def _fleet_olts(paths: StatePaths) -> dict[str, dict[str, Any]]:
    """The OLTs lab.json describes, by name (empty if it cannot be read)."""
    try:
        fleet = json.loads(paths.lab_json.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(olt.get("name")): olt for olt in fleet.get("olts", []) if isinstance(olt, dict)}


@lab_app.command("fault")
def fault_command(
    olt: Annotated[
        str | None, typer.Argument(help="OLT name (see `ispflow lab status`); omit with --clear.")
    ] = None,
    drop_on: Annotated[
        str | None,
        typer.Option(
            "--drop-on",
            metavar="TEXT",
            help="Cut the SSH session when a command containing this text arrives.",
        ),
    ] = None,
    drop_after: Annotated[
        int | None,
        typer.Option(
            "--drop-after", metavar="N", min=0, help="Cut every session after this many commands."
        ),
    ] = None,
    hang_on: Annotated[
        str | None,
        typer.Option(
            "--hang-on",
            metavar="TEXT",
            help="Stop answering when a command containing this text arrives (it is not run) "
            "until --clear; the state folder then holds hung-OLT. For crash tests: kill the "
            "client there, clear, resume.",
        ),
    ] = None,
    refuse_logins: Annotated[
        bool, typer.Option("--refuse-logins", help="Every login fails (AAA down).")
    ] = False,
    unknown_row_on: Annotated[
        str | None,
        typer.Option(
            "--unknown-row-on",
            metavar="TEXT",
            help="Answer a command containing this text with one row in a layout no parser "
            "knows in the middle of its table, as a firmware not seen yet might.",
        ),
    ] = None,
    slow_ms: Annotated[
        float, typer.Option("--slow-ms", metavar="MS", min=0, help="Extra delay on every command.")
    ] = 0.0,
    cut_cto: Annotated[
        list[str] | None,
        typer.Option(
            "--cut-cto", metavar="CTO", help="The fibre to this CTO is cut: its ONUs go offline."
        ),
    ] = None,
    down_pon: Annotated[
        list[str] | None,
        typer.Option(
            "--down-pon", metavar="PORT", help="This OLT port stops lighting its PON (e.g. 0/1/3)."
        ),
    ] = None,
    attenuate: Annotated[
        list[str] | None,
        typer.Option(
            "--attenuate",
            metavar="SERIAL=DB",
            help="Extra loss in dB on one drop (dirt, a bend).",
        ),
    ] = None,
    flap: Annotated[
        list[str] | None,
        typer.Option(
            "--flap",
            metavar="SERIAL",
            help="This ONU (serial) goes offline and online on every optical read of its PON.",
        ),
    ] = None,
    unplug: Annotated[
        list[str] | None,
        typer.Option(
            "--unplug",
            metavar="SERIAL",
            help="This ONU (serial) is not plugged in: not in autofind, offline if authorized.",
        ),
    ] = None,
    cut_feeder: Annotated[
        list[str] | None,
        typer.Option(
            "--cut-feeder",
            metavar="PORT",
            help="The feeder (or primary splitter) of this PON is cut: every ONU behind its "
            "CTOs loses light (LOS); the OLT port itself is fine.",
        ),
    ] = None,
    board_down: Annotated[
        list[int] | None,
        typer.Option(
            "--board-down",
            metavar="SLOT",
            help="This board (slot) goes down: every PON on it is dark.",
        ),
    ] = None,
    dirty_cto: Annotated[
        list[str] | None,
        typer.Option(
            "--dirty-cto",
            metavar="CTO=DB",
            help="Extra loss in dB on every ONU behind this CTO (a dirty or bent connector "
            "in the box).",
        ),
    ] = None,
    power_off_cto: Annotated[
        list[str] | None,
        typer.Option(
            "--power-off-cto",
            metavar="CTO",
            help="A power outage over this CTO's area: its ONUs send a dying gasp and go dark "
            "(repeat for a neighbourhood).",
        ),
    ] = None,
    power_off: Annotated[
        list[str] | None,
        typer.Option(
            "--power-off",
            metavar="SERIAL",
            help="This customer's power is off (serial): dying gasp.",
        ),
    ] = None,
    cut_drop: Annotated[
        list[str] | None,
        typer.Option(
            "--cut-drop", metavar="SERIAL", help="This customer's drop fibre is cut (serial): LOS."
        ),
    ] = None,
    list_faults: Annotated[
        bool,
        typer.Option(
            "--list",
            help="List the active plant faults (of OLT, or all) with the ONUs each one hits: "
            "the lab's ground truth.",
        ),
    ] = False,
    output: OutputOption = "text",
    clear: Annotated[
        bool, typer.Option("--clear", help="Clear the faults (of OLT, or all).")
    ] = False,
    state_dir: StateDir = DEFAULT_STATE_DIR,
) -> None:
    """Break a lab OLT or its outside plant on purpose, while it runs: drop sessions, refuse
    logins, go slow; cut a CTO's fibre, a PON's feeder or a customer's drop, kill a PON or a
    board, dirty a CTO, attenuate a drop, make an ONU flap, keep an ONU unplugged (it
    appears once the fault is cleared), cut the power of an area or of one customer. The
    faults given replace the OLT's earlier ones.

    ispflow lab fault olt-poa-01 --drop-on service-port   (cut mid-authorize)

    ispflow lab fault olt-poa-02 --refuse-logins

    ispflow lab fault olt-poa-01 --cut-cto CTO-POA01-0101 --attenuate HWTC12345678=4

    ispflow lab fault olt-poa-01 --power-off-cto CTO-POA01-0101 --power-off-cto CTO-POA01-0102

    ispflow lab fault --list -o json

    ispflow lab fault --clear
    """
    from ispflow.lab.control import status
    from ispflow.lab.faults import read_faults, write_faults
    from ispflow.lab.statefiles import StatePaths

    paths = StatePaths(state_dir.resolve())
    running = status(paths)
    if running is None:
        raise _fail(f"no lab running from {paths.root}; start one with `ispflow lab up`")
    faults = read_faults(paths.root)
    if list_faults:
        _list_faults(paths, {k: v for k, v in faults.items() if olt in (None, k)}, output)
        return
    if clear:
        if olt:
            faults.pop(olt, None)
        else:
            faults = {}
        write_faults(paths.root, faults)
        _wait_applied(paths.root)
        out.print(f"lab: faults cleared{' on ' + olt if olt else ''}")
        return
    if not olt:
        raise _fail("name the OLT to break (or use --clear)")
    if olt not in running.ports:
        raise _fail(f"no OLT {olt!r} in the lab (OLTs: {', '.join(sorted(running.ports))})")
    fault = {
        "drop_on": drop_on,
        "drop_after": drop_after,
        "hang_on": hang_on,
        "refuse_logins": refuse_logins,
        "slow_ms": slow_ms,
        "unknown_row_on": unknown_row_on,
        "cut_ctos": cut_cto,
        "down_pons": down_pon,
        "attenuate": _attenuations(attenuate or []),
        "flapping": flap,
        "unplugged": [serial.strip().upper() for serial in unplug or []],
        "cut_feeders": cut_feeder,
        "down_boards": board_down,
        "dirty_ctos": _attenuations(dirty_cto or [], "--dirty-cto", "CTO", "CTO-POA01-0101=3"),
        "power_off_ctos": power_off_cto,
        "power_off": [serial.strip().upper() for serial in power_off or []],
        "cut_drops": [serial.strip().upper() for serial in cut_drop or []],
    }
    fault = {key: value for key, value in fault.items() if value not in (None, False, 0.0, [], {})}
    fault["flapping"] = [serial.strip().upper() for serial in fault.get("flapping", [])]
    if not fault["flapping"]:
        del fault["flapping"]
    problem = _unknown_names(paths.root / "lab.json", olt, fault)
    if problem:
        raise _fail(problem)
    if not fault:
        raise _fail(
            "say which fault: --drop-on, --drop-after, --hang-on, --refuse-logins, --slow-ms, --cut-cto, "
            "--cut-feeder, --down-pon, --board-down, --dirty-cto, --attenuate, --flap, --unplug, "
            "--power-off-cto, --power-off or --cut-drop"
        )
    faults[olt] = fault
    write_faults(paths.root, faults)
    # The server polls the file: the fault holds when this returns.
    _wait_applied(paths.root)
    out.print(f"lab: {olt} now has {', '.join(f'{k}={v}' for k, v in fault.items())}")


def _list_faults(paths: StatePaths, faults: dict[str, dict[str, Any]], output: str) -> None:
    """The active plant faults and the ONUs behind each: what a NOC should conclude."""
    from ispflow.lab.faults import ground_truth

    fleet = json.loads(paths.lab_json.read_text(encoding="utf-8"))
    truth = ground_truth(fleet, faults)
    if output == "json":
        print(json.dumps(truth, indent=1))
        return
    if not truth:
        out.print("lab: no plant fault")
        return
    table = Table(title="plant faults")
    for column in ("OLT", "kind", "node", "ONUs", "down class"):
        table.add_column(column)
    for entry in truth:
        table.add_row(
            entry["olt"],
            entry["kind"],
            str(entry["node"]),
            str(len(entry["serials"])),
            entry["down_class"] or "-",
        )
    out.print(table)


def _wait_applied(root: Path) -> None:
    from ispflow.lab.faults import wait_applied

    if not wait_applied(root):
        out.print("lab: the lab server has not taken the change yet (a busy machine?)")


def _unknown_names(fleet_file: Path, olt: str, fault: dict[str, Any]) -> str | None:
    """What a fault names that is not on that OLT (a CTO, a PON, an ONU serial), with the
    nearest real names: a typo must not leave the lab unbroken while saying it broke it."""
    import difflib

    fleet = json.loads(fleet_file.read_text())
    entries = [o for o in fleet["olts"] if o["name"] == olt]
    from ispflow.lab.faults import PLANT_KEYS as plant

    if not entries:  # a concentrator: it has sessions to break, no outside plant
        named = [key for key in plant if fault.get(key)]
        return f"{olt} is a concentrator: it has no fibre plant to break" if named else None
    [entry] = entries
    known = {
        "cto": ("CTO", {c["code"] for p in entry["pons"] for c in p["ctos"]}),
        "pon": ("PON", {p["port"] for p in entry["pons"]}),
        "slot": ("board in slot", {p["port"].split("/")[1] for p in entry["pons"]}),
        "serial": ("ONU", {o["serial"] for o in fleet["onus"] if o["olt"] == olt and o["serial"]}),
    }
    asked = {
        "cto": [
            *fault.get("cut_ctos", []),
            *fault.get("dirty_ctos", {}),
            *fault.get("power_off_ctos", []),
        ],
        "pon": [*fault.get("down_pons", []), *fault.get("cut_feeders", [])],
        "slot": [str(slot) for slot in fault.get("down_boards", [])],
        "serial": [
            *fault.get("attenuate", {}),
            *fault.get("flapping", []),
            *fault.get("unplugged", []),
            *fault.get("power_off", []),
            *fault.get("cut_drops", []),
        ],
    }
    for key, names in asked.items():
        what, there = known[key]
        for name in names:
            if name in there:
                continue
            near = difflib.get_close_matches(name, sorted(there), n=3)
            hint = f"; did you mean {', '.join(near)}?" if near else ""
            return f"no {what} {name!r} on {olt}{hint}"
    return None


def _attenuations(
    items: list[str],
    option: str = "--attenuate",
    what: str = "SERIAL",
    example: str = "HWTC12345678=4.5",
) -> dict[str, float]:
    """NAME=DB pairs; serials are written upper-case, CTO codes as given."""
    found = {}
    for item in items:
        name, sep, db = item.partition("=")
        name = name.strip().upper() if what == "SERIAL" else name.strip()
        try:
            found[name] = float(db)
        except ValueError:
            raise _fail(f"{option} {item!r}: give {what}=DB, e.g. {example}") from None
        if not sep or not name:
            raise _fail(f"{option} {item!r}: give {what}=DB, e.g. {example}")
    return found


@lab_app.command("down")
def down_command(state_dir: StateDir = DEFAULT_STATE_DIR) -> None:
    """Stop the lab (its sessions are closed; the state folder stays)."""
    from ispflow.lab.control import down
    from ispflow.lab.statefiles import StatePaths

    paths = StatePaths(state_dir.resolve())
    try:
        stopped = down(paths)
    except OSError as exc:
        raise _fail(f"could not stop the lab: {exc}") from None
    if stopped is None:
        out.print(f"lab: nothing running from {paths.root}")
        return
    out.print(f"lab down: pid {stopped.pid} stopped after {_duration(stopped.uptime)}")
