"""The whole signal audit on the lab: where its time goes, against the devices' own floor.

    python bench/signal_audit.py [--olts 4] [--pons 4] [--onus 16] [--autofind 2]
                                 [--latency-ms 20] [--login-ms 200] [--workers 20] [--reps 3]
                                 [--history 0] [--sample-onus 16] [--no-naive]

It starts a lab (`ispflow lab up`; the sizes default to the lab's own: 4 OLTs, 4 PONs each,
16 ONUs + 2 in autofind per PON, 2 concentrators) in a temporary folder, with the latency
knobs of bench/olt_audit.py, and then measures in this one process, against the same
simulated OLTs:

* audit   - the signal audit as a user gets it: `ispflow run signal-audit` (step `onu.optical`
            on every OLT, one bulk read per PON, readings stored; step `signal.analyze` on the
            host `local`: findings, one service order per fault) and then the HTML page of the
            run as `ispflow report RUN_ID --html FILE` makes it. Every run starts from a fresh
            copy of the store the lab filled (SQLite, in the temporary folder); with --history
            K, K audits run on that copy first, untimed, so the timed one has earlier readings
            and open orders to compare with. One untimed warm-up audit goes first (imports,
            templates), then --reps timed ones; the fastest is reported (other processes on
            the machine only ever add time).
            The split comes from timing wrappers put around the project's functions for the
            duration of the bench: the login and every command of the OLT session (the wire),
            the vendor parsers, the readings and journal writers, the history reads,
            `signal_analysis.analyze`, `sync_tickets`, and the report's store reads, sums and
            rendering. Time is counted once, for the innermost wrapped function a thread is in.
            Work done by several threads at once is given twice: summed over the threads, and
            as wall clock (the time at least one thread was doing it), whose shares overlap.
* floor   - measured right after each audit: per OLT, the project's own session class
            (`olt_cli` connection + CliSession) logs in and sends the same lines the audit
            sends (session set-up, mode changes, one bulk read per PON) without parsing
            anything, no engine, no store; OLTs on the same number of workers. Shown beside
            the floor bench/olt_audit.py computes from the lab's latencies alone.
* naive   - the reads done one ONU at a time with nornir-netmiko's defaults, sampled on one
            OLT of each vendor and extrapolated to the fleet exactly as bench/olt_audit.py
            does (its helpers); the output says it is extrapolated. --no-naive skips it.

It prints the whole audit and its split, the floor and the ratio audit / floor.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ruamel.yaml import YAML  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

import ispflow.engine.executor as executor_module  # noqa: E402
import ispflow.engine.reports.audit as audit_report  # noqa: E402
import ispflow.plugins.inventory.files as inventory_files  # noqa: E402
import ispflow.store.readings as readings_store  # noqa: E402
import ispflow.tasks.signal_audit as signal_task  # noqa: E402
from bench.olt_audit import (  # noqa: E402
    floor_costs,
    free_base_port,
    ispflow,
    must,
    naive_sample,
    schedule,
)
from ispflow import run_runbook  # noqa: E402
from ispflow.engine.executor import DEFAULT_WORKERS, Executor  # noqa: E402
from ispflow.engine.model import RunOptions  # noqa: E402
from ispflow.plugins.connections.olt_cli import (  # noqa: E402
    BlockingReads,
    OltCli,
    session_class,
    session_platforms,
)
from ispflow.plugins.olt.driver import PonPort  # noqa: E402
from ispflow.plugins.olt.drivers import driver_class  # noqa: E402
from ispflow.plugins.olt.parsing import VendorParsers  # noqa: E402
from ispflow.plugins.olt.session import CliSession  # noqa: E402
from ispflow.store.db import open_database  # noqa: E402
from ispflow.store.journal import Journal  # noqa: E402

LAB_CONCENTRATORS = 2  # what `ispflow lab up` starts beside the OLTs; the audit does not use them
TREND_RUNS = 10  # `ispflow report`'s default --trend
# Settings that would point the in-process runs elsewhere than the lab and its store.
FOREIGN_ENV = ("ISPFLOW_INVENTORY", "ISPFLOW_INVENTORY_SOURCE", "ISPFLOW_CONFIG", "ISPFLOW_TICKETS")

# Kinds of work, in the order they are printed: (key, label, group in the summary).
KINDS = (
    ("login", "devices: login (TCP, SSH, auth, session set-up)", "devices"),
    ("wire", "devices: commands (send, wait for the answer)", "devices"),
    ("cleanup", "session: answer clean-up (netmiko)", "session"),
    ("parse", "parsing: vendor parsers", "parsing"),
    ("engine", "engine + task code (rest of each host's step)", "engine"),
    ("readings", "store: readings written (writer thread)", "store"),
    ("journal", "store: journal written", "store"),
    ("run_read", "store: the run's readings read (signal.analyze)", "store"),
    ("history", "store: earlier audits' readings read (history)", "store"),
    ("waits", "waits for the store's writer threads", "waits"),
    ("analysis", "analysis: signal_analysis.analyze", "analysis"),
    ("tickets", "tickets: sync_tickets (service orders)", "tickets"),
    ("report_read", "report: store reads (run, readings, trend)", "report"),
    ("report_sum", "report: aggregates", "report"),
    ("report_render", "report: HTML rendering", "report"),
)
GROUPS = (
    ("devices", "time on the wire"),
    ("parsing", "text into records"),
    ("store", "readings, journal, history"),
    ("analysis", "findings, without tickets"),
    ("tickets", "service orders"),
    ("report", "build + render the HTML"),
)


# -- timing wrappers ---------------------------------------------------------------------
Spans = dict[str, list[tuple[float, float, int]]]  # kind -> (start, end, thread) per span


class Clock:
    """Time spent in wrapped functions, per kind of work, across threads.

    Each thread keeps a stack of the wrapped calls it is in; time goes to the innermost one
    (a parent is paused while a wrapped callee runs), except under an `absorb` kind, which
    keeps everything below it (a login's own commands are part of the login). Main-thread
    phases (steps, the report) are kept apart, inclusive.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._local = threading.local()
        self._patched: list[tuple[Any, str, Any, bool]] = []
        self.inventories: list[Any] = []
        self.reset()

    def reset(self) -> None:
        self.spans: Spans = defaultdict(list)
        self.calls: Counter[str] = Counter()
        self.phases: dict[str, float] = defaultdict(float)

    # patching
    def _patch(self, owner: Any, name: str, make: Callable[[Any], Any]) -> None:
        own = name in vars(owner)
        original = getattr(owner, name)
        self._patched.append((owner, name, vars(owner).get(name), own))
        setattr(owner, name, functools.wraps(original)(make(original)))

    def wrap(
        self, owner: Any, name: str, kind: str, *, absorb: bool = False, count: bool = True
    ) -> None:
        def make(original: Any) -> Any:
            def timed(*args: Any, **kwargs: Any) -> Any:
                return self._call(kind, absorb, count, original, args, kwargs)

            return timed

        self._patch(owner, name, make)

    def phase(self, owner: Any, name: str, label: Callable[..., str]) -> None:
        def make(original: Any) -> Any:
            def timed(*args: Any, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    self.phases[label(*args, **kwargs)] += time.perf_counter() - started

            return timed

        self._patch(owner, name, make)

    def keep(self, owner: Any, name: str) -> None:
        """Keep what `owner.name` returns (the runs' Nornir objects) in `inventories`."""

        def make(original: Any) -> Any:
            def kept(*args: Any, **kwargs: Any) -> Any:
                made = original(*args, **kwargs)
                self.inventories.append(made)
                return made

            return kept

        self._patch(owner, name, make)

    def restore(self) -> None:
        while self._patched:
            owner, name, original, own = self._patched.pop()
            if own:
                setattr(owner, name, original)
            else:
                delattr(owner, name)

    # counting
    def _call(self, kind: str, absorb: bool, count: bool, call: Any, args: Any, kwargs: Any) -> Any:
        stack = getattr(self._local, "stack", None)
        if stack is None:
            stack = self._local.stack = []
        if stack and stack[-1][2]:
            return call(*args, **kwargs)
        now = time.perf_counter()
        if stack:
            self._span(stack[-1][0], stack[-1][1], now)
        stack.append([kind, now, absorb])
        if count:
            with self._lock:
                self.calls[kind] += 1
        try:
            return call(*args, **kwargs)
        finally:
            end = time.perf_counter()
            frame = stack.pop()
            self._span(frame[0], frame[1], end)
            if stack:
                stack[-1][1] = end

    def _span(self, kind: str, start: float, end: float) -> None:
        with self._lock:
            self.spans[kind].append((start, end, threading.get_ident()))


def summed(spans: Spans, kinds: Iterable[str]) -> float:
    """Time in `kinds`, added up over the threads."""
    return sum(end - start for k in kinds for start, end, _ in spans.get(k, ()))


def wall(spans: Spans, kinds: Iterable[str]) -> float:
    """How long at least one thread was in one of `kinds`."""
    ordered = sorted((s, e) for k in kinds for s, e, _ in spans.get(k, ()))
    total, reach = 0.0, float("-inf")
    for start, end in ordered:
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def threads(spans: Spans, kinds: Iterable[str]) -> int:
    return len({t for k in kinds for _, _, t in spans.get(k, ())})


def instrument(clock: Clock) -> None:
    """Wrap the functions the audit and its report spend their time in."""
    clock.wrap(OltCli, "open", "login", absorb=True)
    clock.wrap(BlockingReads, "read_to", "wire")
    for fast in {session_class(platform) for platform in session_platforms()}:
        clock.wrap(fast, "write_channel", "wire", count=False)  # a command is one read_to
    clock.wrap(CliSession, "_send", "cleanup")  # what is left of a command besides the wire
    clock.wrap(VendorParsers, "parse", "parse")
    clock.wrap(executor_module, "run_step", "engine")  # the name the executor calls
    clock.wrap(readings_store.ReadingsWriter, "_write", "readings")
    clock.wrap(readings_store.ReadingsWriter, "wait", "waits")
    clock.wrap(readings_store.ReadingsWriter, "close", "waits")
    for name in ("start_run", "plan_step", "finish_run", "_write_results"):
        clock.wrap(Journal, name, "journal")
    for name in ("flush", "wait_durable", "close"):
        clock.wrap(Journal, name, "waits")
    clock.wrap(signal_task, "run_readings", "run_read")
    clock.wrap(signal_task, "earlier_readings", "history")
    clock.wrap(signal_task, "analyze", "analysis")
    clock.wrap(signal_task, "sync_tickets", "tickets")
    clock.wrap(Journal, "load_run", "report_read")
    clock.wrap(audit_report, "load_readings", "report_read")
    clock.wrap(audit_report, "load_trend", "report_read")
    clock.wrap(audit_report, "aggregate", "report_sum")
    clock.wrap(audit_report, "render_audit_html", "report_render")
    clock.keep(inventory_files, "open_nornir")
    clock.phase(Executor, "run", lambda *a, **k: "executor")
    clock.phase(Executor, "_run_step", lambda self, step, *a, **k: f"step:{step.name}")
    clock.phase(Executor, "_settle_deferred", lambda self, step, *a, **k: f"settle:{step.name}")


# -- one audit ---------------------------------------------------------------------------
@dataclass
class Audit:
    total: float
    phases: dict[str, float]
    spans: Spans
    calls: Counter[str]
    run_id: str
    steps: list[str]
    readings: int
    findings: int
    tickets: dict[str, int]
    html_bytes: int


def run_audit(root: Path, db: str, args: argparse.Namespace, clock: Clock, label: str) -> Audit:
    """`ispflow run signal-audit` then `ispflow report RUN_ID --html`, in this process."""
    options = RunOptions(workers=args.workers, max_connecting=args.workers)
    inventory = root / ".ispflow-lab" / "inventory"
    html = root / f"audit-{label}.html"
    clock.reset()
    started = time.perf_counter()
    outcome = run_runbook("signal-audit", {}, options, inventory=inventory, db=db)
    reported = time.perf_counter()
    database = open_database(db)
    try:
        audit = audit_report.build_audit(database, outcome.run_id, trend_runs=TREND_RUNS)
    finally:
        database.close()
    built = time.perf_counter()
    page = audit_report.render_audit_html(audit)
    html.write_text(page, encoding="utf-8")
    done = time.perf_counter()
    if outcome.status != "ok":
        failed = [f"{o.host}: {o.error}" for o in outcome.outcomes if o.status == "failed"]
        raise SystemExit(f"signal-audit {outcome.status}: {outcome.message}\n" + "\n".join(failed))
    phases = dict(clock.phases)
    phases |= {"run": reported - started, "build": built - reported, "render": done - built}
    local = next(o.result for o in outcome.outcomes if o.host == "local")
    return Audit(
        total=done - started,
        phases=phases,
        spans={kind: list(spans) for kind, spans in clock.spans.items()},
        calls=Counter(clock.calls),
        run_id=outcome.run_id,
        steps=list(outcome.steps),
        readings=stored_readings(db, outcome.run_id),
        findings=len(local["findings"]),
        tickets={k: len(v) for k, v in local.get("tickets", {}).items()},
        html_bytes=len(page.encode()),
    )


def stored_readings(db: str, run_id: str) -> int:
    engine = create_engine(db)
    try:
        with engine.connect() as connection:
            return connection.execute(
                text("SELECT count(*) FROM optical_readings WHERE run_id = :run"), {"run": run_id}
            ).scalar_one()
    finally:
        engine.dispose()


def close_sessions(clock: Clock) -> None:
    """A run leaves its OLT sessions open (the CLI's process ends there); closed here, untimed."""
    while clock.inventories:
        clock.inventories.pop().close_connections(on_good=True, on_failed=True)


def fresh_store(template: Path, root: Path, label: str) -> str:
    copy = root / f"store-{label}.db"
    shutil.copyfile(template, copy)
    return f"sqlite:///{copy}"


# -- the floor ---------------------------------------------------------------------------
def device_floor(
    fleet: dict[str, Any], username: str, password: str, workers: int
) -> tuple[float, int]:
    """Login + the audit's own lines per OLT, nothing else; OLTs on `workers` threads.
    Returns the time the last OLT answered its last line, and the lines sent."""

    def one(olt: dict[str, Any]) -> tuple[float, int]:
        driver = driver_class(olt["vendor"])(model=olt["model"])
        lines = [
            s.line for s in driver.optical_ports([PonPort.parse(p["port"]) for p in olt["pons"]])
        ]
        plugin = OltCli()
        plugin.open(olt["host"], username, password, olt["port"], olt["platform"], {}, None)
        try:
            CliSession(plugin.connection, driver).run(lines)
            return time.perf_counter(), len(lines)
        finally:
            plugin.close()

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=min(workers, len(fleet["olts"]))) as pool:
        done = list(pool.map(one, fleet["olts"]))
    return max(at for at, _ in done) - started, sum(n for _, n in done)


# -- main --------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Latencies default to bench/olt_audit.py's (a network); the bare lab is "
        "--latency-ms 0 --login-ms 0.",
    )
    parser.add_argument("--olts", type=int, default=4, help="OLTs (the lab's default: 4)")
    parser.add_argument("--pons", type=int, default=4, help="PONs per OLT (4)")
    parser.add_argument("--onus", type=int, default=16, help="authorized ONUs per PON (16)")
    parser.add_argument("--autofind", type=int, default=2, help="ONUs in autofind per PON (2)")
    parser.add_argument(
        "--latency-ms", type=float, default=20.0, help="lab delay per command (`lab up` alone: 0)"
    )
    parser.add_argument(
        "--login-ms", type=float, default=200.0, help="lab delay per login (`lab up` alone: 0)"
    )
    parser.add_argument(
        "--workers", type=int, default=DEFAULT_WORKERS, help="as `ispflow run -w` (20)"
    )
    parser.add_argument("--reps", type=int, default=3, help="timed audits; the best counts")
    parser.add_argument(
        "--history", type=int, default=0, help="untimed audits on each fresh store first"
    )
    parser.add_argument(
        "--sample-onus", type=int, default=16, help="ONUs read one by one in the naive sample"
    )
    parser.add_argument("--no-naive", action="store_true", help="skip the naive sample")
    args = parser.parse_args()
    if args.reps < 1 or args.workers < 1 or args.history < 0:
        parser.error("--reps and --workers must be at least 1, --history at least 0")
    for name in FOREIGN_ENV:
        os.environ.pop(name, None)

    with tempfile.TemporaryDirectory(prefix="ispflow-bench-") as folder:
        root = Path(folder)
        # The lab records its SSH host keys here, not in the user's known_hosts.
        os.environ["ISPFLOW_KNOWN_HOSTS"] = str(root / "known_hosts")
        template = root / "lab.db"
        print(
            f"lab: {args.olts} OLTs x {args.pons} PONs x {args.onus} ONUs "
            f"(+{args.autofind} in autofind per PON), {args.latency_ms:g} ms per command, "
            f"{args.login_ms:g} ms per login; {args.workers} workers",
            flush=True,
        )
        started = time.perf_counter()
        here = Path.cwd()
        try:
            must(
                ispflow(
                    "lab", "up", "--olts", str(args.olts), "--pons", str(args.pons),
                    "--onus", str(args.onus), "--autofind", str(args.autofind),
                    "--concentrators", str(LAB_CONCENTRATORS),
                    "--latency-ms", str(args.latency_ms), "--login-ms", str(args.login_ms),
                    "--port", str(free_base_port(args.olts + LAB_CONCENTRATORS)),
                    "--db", f"sqlite:///{template}",
                    cwd=root,
                ),
                "ispflow lab up",
            )  # fmt: skip
            print(f"lab up in {time.perf_counter() - started:.1f} s", flush=True)
            os.chdir(root)  # as a user runs it: the lab's secrets are found from its folder
            run_bench(root, template, args)
        finally:
            os.chdir(here)
            ispflow("lab", "down", cwd=root)


def run_bench(root: Path, template: Path, args: argparse.Namespace) -> None:
    fleet = json.loads((root / ".ispflow-lab" / "lab.json").read_text())
    secrets = YAML(typ="safe").load((root / ".ispflow-lab" / "secrets.yaml").read_text())
    username, password = fleet["username"], secrets["defaults"]["password"]
    onus_per_olt = {
        olt["name"]: sum(1 for o in fleet["onus"] if o["olt"] == olt["name"] and not o["autofind"])
        for olt in fleet["olts"]
    }
    total_onus = sum(onus_per_olt.values())
    busy = min(args.workers, len(fleet["olts"]))

    clock = Clock()
    instrument(clock)
    audits: list[Audit] = []
    floors: list[tuple[float, int]] = []
    try:
        for rep in range(args.reps + 1):
            label = "warm-up" if rep == 0 else str(rep)
            db = fresh_store(template, root, label)
            for earlier in range(args.history):
                run_audit(root, db, args, clock, f"{label}-history-{earlier}")
                close_sessions(clock)
            audit = run_audit(root, db, args, clock, label)
            close_sessions(clock)
            floor = device_floor(fleet, username, password, args.workers)
            if rep == 0:
                print(f"warm-up audit {audit.total:.2f} s (untimed)", flush=True)
                continue
            audits.append(audit)
            floors.append(floor)
            print(
                f"audit {rep}/{args.reps}: {audit.total:6.2f} s   floor {floor[0]:6.2f} s",
                flush=True,
            )
    finally:
        clock.restore()

    best = min(audits, key=lambda a: a.total)
    floor_s, floor_lines = min(floors)
    computed = schedule(
        floor_costs(fleet, args.login_ms / 1000, args.latency_ms / 1000), args.workers
    )
    if best.readings != total_onus:
        raise SystemExit(
            f"the audit stored {best.readings} readings, the lab has {total_onus} ONUs"
        )
    report(best, args, fleet, total_onus, busy, floor_s, floor_lines, computed)
    if not args.no_naive:
        naive(root, fleet, args, onus_per_olt, best)


def report(
    best: Audit, args: argparse.Namespace, fleet: dict[str, Any], total_onus: int, busy: int,
    floor_s: float, floor_lines: int, computed: float,
) -> None:  # fmt: skip
    spans = best.spans
    total = best.total
    read_step, find_step = best.steps

    def pct(seconds: float) -> str:
        return f"{seconds / total * 100:4.0f}%"

    tickets = ", ".join(f"{n} {what}" for what, n in best.tickets.items()) or "none"
    print()
    print(
        f"ONUs read: {total_onus} on {len(fleet['olts'])} OLTs ({best.readings} readings stored); "
        f"{best.calls['login']} logins, {best.calls['cleanup']} commands "
        f"(floor: {floor_lines}); {best.findings} findings; service orders: {tickets}; "
        f"HTML report {best.html_bytes / 1024:.0f} kB"
    )
    history = f", after {args.history} untimed audits on it" if args.history else ""
    print(
        f"whole audit {total:8.2f} s   (measured in this process: run signal-audit + report "
        f"--html, fresh store{history}; best of {args.reps})"
    )

    print("\nwall clock, in order (adds up to the whole audit):")
    executor = best.phases["executor"]
    steps = best.phases[f"step:{read_step}"] + best.phases[f"step:{find_step}"]
    rows = [
        ("run set-up: store, runbook, inventory", best.phases["run"] - executor),
        ("run bookkeeping: run record, journal, writers closed", executor - steps),
        (f"step '{read_step}' ({busy} OLTs in parallel)", best.phases[f"step:{read_step}"]),
        (
            "  of which waiting for its readings' commit",
            best.phases.get(f"settle:{read_step}", 0.0),
        ),
        (f"step '{find_step}' (host local)", best.phases[f"step:{find_step}"]),
        ("report: store opened, audit built", best.phases["build"]),
        ("report: HTML rendered and written", best.phases["render"]),
    ]
    for name, seconds in rows:
        print(f"  {name:52} {seconds:7.3f} s {pct(seconds)}")

    print(
        "\nby kind of work (innermost wrapped function; 'summed' adds up the threads doing it, "
        "'wall' is the time at least one of them was):"
    )
    print(f"  {'':52} {'calls':>6} {'threads':>7} {'summed':>9} {'wall':>9} {'of audit':>8}")
    for key, label, _ in KINDS:
        if not best.calls[key]:
            continue
        seen = wall(spans, [key])
        print(
            f"  {label:52} {best.calls[key]:6} {threads(spans, [key]):7} "
            f"{summed(spans, [key]):8.3f}s {seen:8.3f}s {pct(seen):>8}"
        )
    measured = [key for key, _, _ in KINDS]
    rest = total - wall(spans, measured)
    print(f"  {'none of the above (threads, hand-offs, Python)':52} {'':>6} {'':>7} {'':>9} {rest:8.3f}s {pct(rest):>8}")  # fmt: skip

    print("\nsplit of the whole audit:")
    for group, what in GROUPS:
        kinds = [key for key, _, g in KINDS if g == group]
        added, seen, count = summed(spans, kinds), wall(spans, kinds), threads(spans, kinds)
        where = f"summed over {count} threads" if count > 1 else "one thread"
        if group in ("devices", "parsing"):
            where = f"summed over {count} worker threads"
        print(
            f"  {group:9} {added:7.3f} s  ({what}; {where}); wall {seen:6.3f} s = {pct(seen)} "
            "of the audit"
        )
    print(
        "  (wall shares overlap where threads work at once; a thread's time includes waiting "
        "for the interpreter lock while others run Python)"
    )

    print()
    print(f"{'audit':8} {total:9.2f} s   (measured, best of {args.reps})")
    print(
        f"{'floor':8} {floor_s:9.2f} s   (measured: each OLT's login + its lines of the audit, "
        f"{floor_lines} in all, with the project's session class, {busy} OLTs in parallel; "
        "no parsing, engine or store)"
    )
    print(
        f"{'':8} {computed:9.2f} s   (computed from the lab's latencies alone, as bench/olt_audit.py)"
    )
    print(f"audit / floor = {total / floor_s:5.2f}x   (read step alone / floor = "
          f"{best.phases[f'step:{read_step}'] / floor_s:5.2f}x)")  # fmt: skip


def naive(
    root: Path, fleet: dict[str, Any], args: argparse.Namespace, onus_per_olt: dict[str, int],
    best: Audit,
) -> None:  # fmt: skip
    timings = naive_sample(root, fleet, args.sample_onus)
    costs = [
        timings[olt["vendor"]]["connect"]
        + onus_per_olt[olt["name"]] * timings[olt["vendor"]]["per_onu"]
        for olt in fleet["olts"]
    ]
    reads = schedule(costs, args.workers)
    read_step = best.steps[0]
    rest = best.total - best.phases[f"step:{read_step}"]
    print()
    for vendor, timing in sorted(timings.items()):
        print(
            f"  naive sample, {vendor}: connect {timing['connect'] * 1000:.0f} ms, "
            f"{timing['per_onu'] * 1000:.0f} ms per ONU over {timing['onus']:.0f} ONUs"
        )
    print(f"{'naive':8} {reads:9.1f} s   (EXTRAPOLATED: one ONU per command, netmiko defaults)")
    print(
        f"{'':8} {reads + rest:9.1f} s   (EXTRAPOLATED naive reads + this audit's measured "
        f"analysis, store and report)"
    )
    print(f"naive / audit = {(reads + rest) / best.total:5.1f}x (extrapolated)")


if __name__ == "__main__":
    main()
