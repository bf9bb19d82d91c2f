"""Root causes: the signal audit's diagnosis against the faults the lab really has.

    python bench/root_cause.py [--scenarios 300] [--seed 1] [--quick] [--fleets 3]

It starts a few labs of random sizes (`ispflow lab up` in temporary folders, on free ports;
OLTs, PONs per OLT and ONUs per PON drawn from --seed), runs two fault-free audits on each
(the history degradation needs; their findings are the fleet's background) and keeps that
store. Then, per scenario, on one of the fleets:

1. a copy of the fleet's baseline store (so each scenario's orders are its own);
2. faults set through the CLI's own command, run in this process (`ispflow lab fault OLT
   --cut-cto ...`, `--clear` for OLTs no longer broken): one or two simultaneous faults of
   random kinds on different PONs (cto_cut, feeder_cut, pon_down, board_down, cto_dirty,
   power_outage over one or several CTOs of a PON, customer_power_off, drop_cut), with
   background noise: 1-3 flapping ONUs (`--flap`) and 1-3 ONUs 1-2 dB weaker
   (`--attenuate`);
3. the real audit: `run_runbook("signal-audit", {"tickets": True})` on the lab's inventory
   and the scenario's store, the function `ispflow run signal-audit -e tickets=true` calls
   (in this process, so 300 audits do not pay 300 interpreter starts);
4. the truth from `ispflow lab fault --list -o json` (same CLI command, in this process),
   compared with the run's findings and the service orders it opened.

Scoring (one fault = one entry of the truth; a power outage over several CTOs is one entry
per CTO, each expected to be its own finding: the CTOs drawn never span their PON):

  injected             expected finding (kind at node)
  cto_cut              cto_cut at the CTO
  feeder_cut           pon_fault at the PON; cto_cut at its CTO if the PON has one CTO
                       (the readings cannot tell a feeder from a lone box: docs/audits.md)
  pon_down             pon_fault at the PON; cto_cut at its CTO if the PON has one CTO and
                       no ONU without a CTO
  board_down           board_fault at the board; as pon_down if the board has one PON
  cto_dirty            cto_degraded at the CTO
  power_outage         power_outage at the CTO
  customer_power_off   nothing (no finding names the ONU, no order)
  drop_cut             onu_down at the ONU

A finding is *correct* when its kind and node are expected by an injected fault;
*background* when it is a per-ONU finding (onu_down, onu_flapping, onu_degraded,
onu_overload) of a noise ONU or of an ONU the lab seeded offline, flapping or critical, or
when the fleet's fault-free audits had the same key; otherwise *spurious* (split into those
on a fault's ONUs, i.e. a wrong node or kind, and those on no fault's ONUs). Orders per fault
are the orders the audit opened for the correct and spurious findings on the fault's ONUs.

The naive rule (a PON is at fault when >= 60% of its ONUs are down, else each CTO at >= 60%,
else each ONU; down = critical or offline, whatever the cause) is computed from the same
readings of the same run and scored the same way.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shlex
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from typer.testing import CliRunner  # noqa: E402

import ispflow.plugins.inventory.files as inventory_files  # noqa: E402
from bench.olt_audit import free_base_port, ispflow, must  # noqa: E402
from ispflow import run_runbook  # noqa: E402
from ispflow.cli.app import app  # noqa: E402
from ispflow.engine.model import RunOptions  # noqa: E402
from ispflow.store.db import open_database  # noqa: E402
from ispflow.store.signal_history import run_readings  # noqa: E402

FOREIGN_ENV = ("ISPFLOW_INVENTORY", "ISPFLOW_INVENTORY_SOURCE", "ISPFLOW_CONFIG", "ISPFLOW_TICKETS")
FAULT_KINDS = (
    "cto_cut", "feeder_cut", "pon_down", "board_down", "cto_dirty", "power_outage",
    "customer_power_off", "drop_cut",
)  # fmt: skip
NOISE_KINDS = ("onu_flapping", "onu_attenuated")
ONU_KINDS = ("onu_down", "onu_flapping", "onu_degraded", "onu_overload")
NOTHING = "(nothing)"
BASELINE_AUDITS = 2  # the previous audit and a median to compare with: cto_dirty needs them
DOWN = ("critical", "offline")
NAIVE_SHARE = 0.6
TARGET_FOUND, TARGET_SPURIOUS = 0.98, 0.01
LEVEL_RANK = {"olt": 0, "board": 1, "pon": 2, "cto": 3, "onu": 4}

Node = tuple[str, str]  # (finding kind, node id: "cto:CODE", "pon:OLT:F/S/P", "onu:SERIAL"...)


# -- the plant, from lab.json ------------------------------------------------------------
@dataclass
class Pon:
    olt: str
    port: str
    ctos: dict[str, list[str]]  # code -> serials
    loose: list[str]  # ONUs without a CTO

    @property
    def ident(self) -> str:
        return f"pon:{self.olt}:{self.port}"

    @property
    def board(self) -> str:
        return f"board:{self.olt}:{self.port.rsplit('/', 1)[0]}"

    @property
    def slot(self) -> int:
        return int(self.port.split("/")[1])

    @property
    def serials(self) -> list[str]:
        return [s for members in self.ctos.values() for s in members] + self.loose


@dataclass
class Plant:
    onus: dict[str, dict[str, Any]]  # serial -> lab.json entry
    pons: list[Pon]
    members: dict[str, set[str]]  # node id -> serials under it
    position: dict[tuple[str, str, int], str]  # (olt, port, onu id) -> serial
    seeded: set[str]  # ONUs the lab itself keeps offline, flapping or critical

    @classmethod
    def load(cls, fleet: Mapping[str, Any]) -> Plant:
        onus = {o["serial"]: o for o in fleet["onus"] if not o["autofind"] and o["serial"]}
        pons: list[Pon] = []
        members: dict[str, set[str]] = defaultdict(set)
        for olt in fleet["olts"]:
            for entry in olt["pons"]:
                pon = Pon(olt["name"], entry["port"], {c["code"]: [] for c in entry["ctos"]}, [])
                for serial, onu in onus.items():
                    if onu["olt"] == pon.olt and onu["port"] == pon.port:
                        (pon.ctos[onu["cto"]] if onu.get("cto") else pon.loose).append(serial)
                pon.ctos = {code: serials for code, serials in pon.ctos.items() if serials}
                pons.append(pon)
                for serial in pon.serials:
                    members[f"olt:{pon.olt}"].add(serial)
                    members[pon.board].add(serial)
                    members[pon.ident].add(serial)
                for code, serials in pon.ctos.items():
                    members[f"cto:{code}"].update(serials)
        for serial in onus:
            members[f"onu:{serial}"].add(serial)
        position = {(o["olt"], o["port"], int(o["onu_id"])): s for s, o in onus.items()}
        seeded = {
            s for s, o in onus.items() if o["condition"] in ("offline", "flapping", "critical")
        }
        return cls(onus, pons, dict(members), position, seeded)

    def pon(self, olt: str, port: str) -> Pon:
        return next(p for p in self.pons if p.olt == olt and p.port == port)

    def board_pons(self, olt: str, slot: int) -> list[Pon]:
        return [p for p in self.pons if p.olt == olt and p.slot == slot and p.serials]


def finding_node(finding: Mapping[str, Any], plant: Plant) -> str:
    """The node a finding names, in the form of `Plant.members`."""
    level = finding.get("level")
    if finding["kind"] == "cto_degraded" or level == "cto":
        return f"cto:{finding['cto']}"
    if level == "pon":
        return f"pon:{finding['olt']}:{finding['port']}"
    if level == "board":
        return f"board:{finding['olt']}:{finding['board']}"
    if level == "olt":
        return f"olt:{finding['olt']}"
    serial = finding.get("serial") or plant.position.get(
        (str(finding["olt"]), str(finding["port"]), int(finding.get("onu_id") or -1))
    )
    return f"onu:{serial}"


# -- what each fault should be called -----------------------------------------------------
def expected(entry: Mapping[str, Any], plant: Plant) -> set[Node]:
    kind, olt, node = entry["kind"], entry["olt"], entry["node"]
    if kind == "cto_cut":
        return {("cto_cut", f"cto:{node}")}
    if kind in ("feeder_cut", "pon_down"):
        return _pon_expected(plant.pon(olt, node), lone_box_ok=kind == "feeder_cut")
    if kind == "board_down":
        pons = plant.board_pons(olt, int(node))
        found = {("board_fault", pons[0].board)}
        if len(pons) == 1:
            found |= _pon_expected(pons[0], lone_box_ok=False)
        return found
    if kind == "cto_dirty":
        return {("cto_degraded", f"cto:{node}")}
    if kind == "power_outage":
        return {("power_outage", f"cto:{node}")}
    if kind == "drop_cut":
        return {("onu_down", f"onu:{node}")}
    return set()  # customer_power_off: nothing to find


def _pon_expected(pon: Pon, lone_box_ok: bool) -> set[Node]:
    found = {("pon_fault", pon.ident)}
    if len(pon.ctos) == 1 and (lone_box_ok or not pon.loose):
        found.add(("cto_cut", f"cto:{next(iter(pon.ctos))}"))
    return found


# -- scenarios ------------------------------------------------------------------------------
@dataclass
class Scenario:
    faults: list[tuple[str, str, Any]]  # (kind, olt, node or list of CTOs)
    flapping: list[str]
    attenuated: dict[str, float]
    dirty_db: dict[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        faults = "; ".join(f"{k} {o} {n}" for k, o, n in self.faults)
        return f"{faults} | noise: flap {len(self.flapping)}, attenuate {len(self.attenuated)}"


def draw_scenario(rng: random.Random, plant: Plant) -> Scenario:
    taken_pons: set[tuple[str, str]] = set()
    taken_boards: set[tuple[str, int]] = set()
    hit: set[str] = set()  # ONUs a fault darkens or weakens
    scenario = Scenario([], [], {})
    for _ in range(rng.choice((1, 1, 2))):
        for _attempt in range(50):
            kind = rng.choice(FAULT_KINDS)
            placed = _place(rng, kind, plant, taken_pons, taken_boards, hit, scenario)
            if placed:
                break
    down = plant.seeded | hit
    for _ in range(rng.randint(1, 3)):
        serial = _quiet_onu(rng, plant, down, taken_pons, weak_ok=True)
        if serial:
            scenario.flapping.append(serial)
            down.add(serial)
    for _ in range(rng.randint(1, 3)):
        serial = _quiet_onu(rng, plant, down, taken_pons, weak_ok=False)
        if serial:
            scenario.attenuated[serial] = round(rng.uniform(1.0, 2.0), 1)
            down.add(serial)
    return scenario


def _place(
    rng: random.Random, kind: str, plant: Plant, taken_pons: set[tuple[str, str]],
    taken_boards: set[tuple[str, int]], hit: set[str], scenario: Scenario,
) -> bool:  # fmt: skip
    free = [
        p for p in plant.pons
        if p.serials and (p.olt, p.port) not in taken_pons and (p.olt, p.slot) not in taken_boards
    ]  # fmt: skip
    if not free:
        return False
    pon = rng.choice(free)
    if kind == "board_down":
        busy = {(olt, plant.pon(olt, port).slot) for olt, port in taken_pons}
        if any(olt == pon.olt for olt, _ in taken_boards) or (pon.olt, pon.slot) in busy:
            return False
        pons = plant.board_pons(pon.olt, pon.slot)
        taken_boards.add((pon.olt, pon.slot))
        taken_pons.update((p.olt, p.port) for p in pons)
        hit.update(s for p in pons for s in p.serials)
        scenario.faults.append((kind, pon.olt, pon.slot))
        return True
    boxes = [c for c, serials in pon.ctos.items() if len(serials) >= 2]
    if kind == "cto_cut" and boxes:
        code = rng.choice(boxes)
        scenario.faults.append((kind, pon.olt, code))
        hit.update(pon.ctos[code])
    elif kind in ("feeder_cut", "pon_down") and len(pon.serials) >= 3 and pon.ctos:
        scenario.faults.append((kind, pon.olt, pon.port))
        hit.update(pon.serials)
    elif kind == "cto_dirty":
        lit = [c for c, s in pon.ctos.items() if sum(x not in plant.seeded for x in s) >= 3]
        if not lit:
            return False
        code = rng.choice(lit)
        db = round(rng.uniform(3.5, 5.0), 1)
        scenario.faults.append((kind, pon.olt, code))
        scenario.dirty_db[code] = db
        hit.update(pon.ctos[code])
    elif kind == "power_outage" and boxes:
        most = max(k for k in range(1, len(pon.ctos) + 1) if k == 1 or k / len(pon.ctos) < 0.8)
        codes = rng.sample(boxes, rng.randint(1, min(most, len(boxes), 3)))
        scenario.faults.append((kind, pon.olt, sorted(codes)))
        hit.update(s for c in codes for s in pon.ctos[c])
    elif kind in ("customer_power_off", "drop_cut"):
        serial = _quiet_onu(rng, plant, plant.seeded | hit, taken_pons, weak_ok=True, pon=pon)
        if not serial:
            return False
        scenario.faults.append((kind, pon.olt, serial))
        hit.add(serial)
    else:
        return False
    taken_pons.add((pon.olt, pon.port))
    return True


def _quiet_onu(
    rng: random.Random, plant: Plant, down: set[str], taken_pons: set[tuple[str, str]],
    weak_ok: bool, pon: Pon | None = None,
) -> str | None:  # fmt: skip
    """A good ONU whose darkening alone stays one customer's: its CTO stays lit."""
    candidates = []
    for p in [pon] if pon else [p for p in plant.pons if (p.olt, p.port) not in taken_pons]:
        for members in [*p.ctos.values(), p.loose]:
            for serial in members:
                onu = plant.onus[serial]
                if serial in down or onu["condition"] != "good":
                    continue
                if not weak_ok and onu["expected_rx_dbm"] < -24:
                    continue
                dark = sum(s in down for s in members) + 1
                if dark < 2 or dark / len(members) < NAIVE_SHARE:
                    candidates.append(serial)
    return rng.choice(candidates) if candidates else None


def fault_commands(scenario: Scenario) -> dict[str, list[str]]:
    """Per OLT, the options of its `ispflow lab fault` command."""
    options: dict[str, list[str]] = defaultdict(list)
    for kind, olt, node in scenario.faults:
        if kind == "cto_cut":
            options[olt] += ["--cut-cto", node]
        elif kind == "feeder_cut":
            options[olt] += ["--cut-feeder", node]
        elif kind == "pon_down":
            options[olt] += ["--down-pon", node]
        elif kind == "board_down":
            options[olt] += ["--board-down", str(node)]
        elif kind == "cto_dirty":
            options[olt] += ["--dirty-cto", f"{node}={scenario.dirty_db[node]}"]
        elif kind == "power_outage":
            for code in node:
                options[olt] += ["--power-off-cto", code]
        elif kind == "customer_power_off":
            options[olt] += ["--power-off", node]
        elif kind == "drop_cut":
            options[olt] += ["--cut-drop", node]
    return options


# -- one lab fleet -------------------------------------------------------------------------
@dataclass
class Fleet:
    root: Path
    size: str
    onus: int
    plant: Plant
    baseline: Path  # the store after the fault-free audits
    background: set[str]  # finding keys of the fault-free audits
    broken: set[str] = field(default_factory=set)  # OLTs with faults set

    @property
    def state(self) -> Path:
        return self.root / ".ispflow-lab"


class Lab:
    """The CLI, run in this process (Typer's runner), from a fleet's folder."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def cli(self, fleet: Fleet, *args: str) -> str:
        done = self.runner.invoke(app, [*args], catch_exceptions=False)
        if done.exit_code != 0:
            raise SystemExit(f"ispflow {shlex.join(args)} failed: {done.output}")
        return done.output

    def set_faults(self, fleet: Fleet, scenario: Scenario) -> None:
        options = fault_commands(scenario)
        flaps: dict[str, list[str]] = defaultdict(list)
        for serial in scenario.flapping:
            flaps[fleet.plant.onus[serial]["olt"]] += ["--flap", serial]
        for serial, db in scenario.attenuated.items():
            flaps[fleet.plant.onus[serial]["olt"]] += ["--attenuate", f"{serial}={db}"]
        now = set(options) | set(flaps)
        for olt in sorted(fleet.broken - now):
            self.cli(fleet, "lab", "fault", olt, "--clear")
        for olt in sorted(now):
            self.cli(fleet, "lab", "fault", olt, *options.get(olt, []), *flaps.get(olt, []))
        fleet.broken = now

    def truth(self, fleet: Fleet) -> list[dict[str, Any]]:
        text = self.cli(fleet, "lab", "fault", "--list", "-o", "json")
        return json.loads(text[text.index("[") :])


def start_fleet(
    root: Path, olts: int, pons: int, onus: int, seed: int, port: int | None = None
) -> Fleet:
    db = root / "lab.db"
    must(
        ispflow(
            "lab", "up", "--olts", str(olts), "--pons", str(pons), "--onus", str(onus),
            "--autofind", "0", "--concentrators", "0", "--seed", str(seed),
            "--port", str(port or free_base_port(olts)), "--db", f"sqlite:///{db}",
            cwd=root,
        ),
        "ispflow lab up",
    )  # fmt: skip
    fleet_json = json.loads((root / ".ispflow-lab" / "lab.json").read_text())
    plant = Plant.load(fleet_json)
    fleet = Fleet(
        root, f"{olts} OLTs x {pons} PONs x {onus} ONUs", len(plant.onus), plant,
        root / "baseline.db", set(),
    )  # fmt: skip
    return fleet


def baseline(fleet: Fleet, sessions: Sessions) -> None:
    """Fault-free audits on the lab's store: the history, and the findings it always has."""
    os.chdir(fleet.root)
    db = f"sqlite:///{fleet.root / 'lab.db'}"
    for _ in range(BASELINE_AUDITS):
        outcome, _, _ = audit(fleet, db, sessions)
        fleet.background |= {f["key"] for f in local_result(outcome)["findings"]}
    backup(fleet.root / "lab.db", fleet.baseline)


def backup(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite store (its write-ahead log included)."""
    target.unlink(missing_ok=True)
    src, dst = sqlite3.connect(source), sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


class Sessions:
    """A run leaves its OLT sessions open (the CLI's process ends there); closed here."""

    def __init__(self) -> None:
        self.kept: list[Any] = []
        self.original = inventory_files.open_nornir

        def kept(*args: Any, **kwargs: Any) -> Any:
            made = self.original(*args, **kwargs)
            self.kept.append(made)
            return made

        inventory_files.open_nornir = kept

    def close(self) -> None:
        while self.kept:
            self.kept.pop().close_connections(on_good=True, on_failed=True)

    def restore(self) -> None:
        self.close()
        inventory_files.open_nornir = self.original


def audit(fleet: Fleet, db: str, sessions: Sessions) -> tuple[Any, float, list[dict[str, Any]]]:
    started = time.perf_counter()
    outcome = run_runbook(
        "signal-audit", {"tickets": True}, RunOptions(), inventory=fleet.state / "inventory", db=db
    )
    took = time.perf_counter() - started
    sessions.close()
    if outcome.status != "ok":
        failed = [f"{o.host}: {o.error}" for o in outcome.outcomes if o.status == "failed"]
        raise SystemExit(f"signal-audit {outcome.status}: {outcome.message}\n" + "\n".join(failed))
    database = open_database(db)
    try:
        readings = run_readings(database, outcome.run_id)
    finally:
        database.close()
    return outcome, took, readings


def local_result(outcome: Any) -> dict[str, Any]:
    return next(o.result for o in outcome.outcomes if o.host == "local")


# -- scoring ---------------------------------------------------------------------------------
@dataclass
class Judged:
    kind: str  # the finding's kind
    node: str
    key: str
    verdict: str  # correct, background, wrong (on a fault's ONUs), unrelated
    faults: list[int]  # indexes of the faults it is on (correct: the one it names)
    opened: bool = False


@dataclass
class Score:
    """Everything counted over the scenarios, for the audit or for the naive rule."""

    injected: Counter[str] = field(default_factory=Counter)
    found: Counter[str] = field(default_factory=Counter)
    confusion: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    findings: Counter[str] = field(default_factory=Counter)  # kind -> non-background findings
    correct: Counter[str] = field(default_factory=Counter)
    verdicts: Counter[str] = field(default_factory=Counter)
    orders: Counter[int] = field(default_factory=Counter)  # orders per real fault -> faults
    power_off_orders: int = 0
    power_offs: int = 0
    failures: list[str] = field(default_factory=list)


def judge(
    findings: list[dict[str, Any]], truth: list[dict[str, Any]], fleet: Fleet,
    noise: set[str], opened: set[str],
) -> tuple[list[Judged], list[set[Node]]]:  # fmt: skip
    plant = fleet.plant
    wanted = [expected(entry, plant) for entry in truth]
    judged = []
    for finding in findings:
        node = finding_node(finding, plant)
        under = plant.members.get(node, set())
        on = [i for i, entry in enumerate(truth) if under & set(entry["serials"])]
        names = [i for i, want in enumerate(wanted) if (finding["kind"], node) in want]
        serial = node.removeprefix("onu:")
        if names:
            verdict, on = "correct", names
        elif finding["key"] in fleet.background or (
            finding["kind"] in ONU_KINDS and (serial in noise or serial in plant.seeded)
        ):
            verdict, on = "background", []
        else:
            verdict = "wrong" if on else "unrelated"
        judged.append(
            Judged(finding["kind"], node, finding["key"], verdict, on, finding["key"] in opened)
        )
    return judged, wanted


def score(
    score: Score, judged: list[Judged], wanted: list[set[Node]], truth: list[dict[str, Any]],
    label: str, orders: bool,
) -> None:  # fmt: skip
    for item in judged:
        if item.verdict != "background":
            score.findings[item.kind] += 1
            score.verdicts[item.verdict] += 1
        if item.verdict == "correct":
            score.correct[item.kind] += 1
    for i, entry in enumerate(truth):
        kind = entry["kind"]
        score.injected[kind] += 1
        on = [j for j in judged if i in j.faults]
        right = [j for j in on if j.verdict == "correct"]
        if kind == "customer_power_off":
            ok = not on
            diagnosis = NOTHING if ok else _primary(on) + " (wrong)"
        else:
            ok = bool(right)
            diagnosis = right[0].kind if ok else (_primary(on) + " (wrong node)" if on else NOTHING)
        score.found[kind] += ok
        score.confusion[kind][diagnosis] += 1
        opened = sum(j.opened for j in on)
        if kind == "customer_power_off":
            score.power_offs += 1
            score.power_off_orders += opened
        elif orders:
            score.orders[opened] += 1
        if not ok or (orders and kind != "customer_power_off" and opened != 1):
            said = ", ".join(f"{j.kind} {j.node}" for j in on) or "nothing"
            score.failures.append(
                f"{label}: {kind} {entry['olt']} {entry['node']} (expected "
                f"{', '.join(f'{k} {n}' for k, n in sorted(wanted[i])) or 'nothing'}); "
                f"found: {said}; orders opened: {opened if orders else '-'}"
            )
    for item in judged:
        if item.verdict == "unrelated":
            score.failures.append(f"{label}: unrelated {item.kind} {item.node}")


def _primary(on: list[Judged]) -> str:
    return min(on, key=lambda j: LEVEL_RANK[j.node.split(":")[0]]).kind


def naive(readings: list[dict[str, Any]], plant: Plant) -> list[dict[str, Any]]:
    """The old rule: a PON when >= 60% of its ONUs are down, else each CTO at >= 60%, else
    each ONU down. No cause, no history: every finding is a cut."""
    found = []
    pons: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for reading in readings:
        pons[(reading["olt"], reading["port"])].append(reading)
    for (olt, port), group in sorted(pons.items()):
        down = [r for r in group if r["signal"] in DOWN]
        if down and len(down) / len(group) >= NAIVE_SHARE:
            found.append({"key": f"naive:pon:{olt}:{port}", "kind": "pon_fault", "level": "pon",
                          "olt": olt, "port": port})  # fmt: skip
            continue
        ctos: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for reading in group:
            if reading.get("cto"):
                ctos[reading["cto"]].append(reading)
        explained = set()
        for code, members in sorted(ctos.items()):
            dark = [r for r in members if r["signal"] in DOWN]
            if dark and len(dark) / len(members) >= NAIVE_SHARE:
                found.append({"key": f"naive:cto:{code}", "kind": "cto_cut", "level": "cto",
                              "cto": code, "olt": olt, "port": port})  # fmt: skip
                explained.update(id(r) for r in dark)
        for reading in down:
            if id(reading) not in explained:
                serial = reading["serial"] or plant.position.get((olt, port, reading["onu_id"]))
                found.append({"key": f"signal:onu:{serial}", "kind": "onu_down", "olt": olt,
                              "port": port, "onu_id": reading["onu_id"], "serial": serial})  # fmt: skip
    return found


# -- main --------------------------------------------------------------------------------------
def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenarios", type=int, default=300, help="scenarios (300)")
    parser.add_argument("--seed", type=int, default=1, help="fleet sizes, faults, noise (1)")
    parser.add_argument("--fleets", type=int, default=3, help="lab fleets of random sizes (3)")
    parser.add_argument("--quick", action="store_true", help="20 scenarios on 2 small fleets")
    parser.add_argument("--show", type=int, default=20, help="failed diagnoses listed (20)")
    args = parser.parse_args()
    if args.quick:
        args.scenarios, args.fleets = 20, 2
    for name in FOREIGN_ENV:
        os.environ.pop(name, None)
    rng = random.Random(args.seed)
    sizes = []
    for i in range(args.fleets):
        if args.quick:
            sizes.append((rng.randint(2, 3), rng.choice((2, 4)), rng.choice((16, 24, 32))))
        else:
            big = i == 0  # one fleet with two boards on most OLTs
            sizes.append(
                (rng.randint(2, 4), rng.choice((18, 20)) if big else rng.choice((2, 4, 8)),
                 rng.choice((16, 24)) if big else rng.choice((16, 24, 32, 48)))
            )  # fmt: skip
    here = Path.cwd()
    folders = [tempfile.TemporaryDirectory(prefix="ispflow-bench-rc-") for _ in sizes]
    # The labs record their SSH host keys here, not in the user's known_hosts.
    os.environ["ISPFLOW_KNOWN_HOSTS"] = str(Path(folders[0].name) / "known_hosts")
    fleets: list[Fleet] = []
    sessions = Sessions()
    try:
        for folder, (olts, pons, onus) in zip(folders, sizes, strict=True):
            started = time.perf_counter()
            fleet = start_fleet(Path(folder.name), olts, pons, onus, rng.randint(1, 10_000))
            fleets.append(fleet)
            baseline(fleet, sessions)
            print(
                f"fleet {len(fleets)}: {fleet.size} = {fleet.onus} ONUs, up and "
                f"{BASELINE_AUDITS} fault-free audits in {time.perf_counter() - started:.1f} s; "
                f"{len(fleet.background)} background findings",
                flush=True,
            )
        run(fleets, rng, args, sessions)
    finally:
        sessions.restore()
        os.chdir(here)
        for fleet in fleets:
            ispflow("lab", "down", cwd=fleet.root)
        for folder in folders:
            folder.cleanup()


def run(
    fleets: list[Fleet], rng: random.Random, args: argparse.Namespace, sessions: Sessions
) -> None:
    lab = Lab()
    audit_score, naive_score = Score(), Score()
    times: dict[str, list[float]] = defaultdict(list)
    started = time.perf_counter()
    for n in range(args.scenarios):
        fleet = fleets[n % len(fleets)]
        os.chdir(fleet.root)
        scenario = draw_scenario(rng, fleet.plant)
        label = f"#{n + 1} [{fleet.size}] {scenario.describe()}"
        took = play(lab, fleet, scenario, sessions, audit_score, naive_score, label)
        times[fleet.size].append(took)
        if (n + 1) % 25 == 0:
            print(f"  {n + 1}/{args.scenarios} scenarios, {time.perf_counter() - started:.0f} s",
                  flush=True)  # fmt: skip
    for fleet in fleets:
        os.chdir(fleet.root)
        if fleet.broken:
            lab.cli(fleet, "lab", "fault", "--clear")
    report(audit_score, naive_score, times, args, time.perf_counter() - started)


def play(
    lab: Lab, fleet: Fleet, scenario: Scenario, sessions: Sessions, audit_score: Score,
    naive_score: Score, label: str,
) -> float:  # fmt: skip
    """One scenario, from the fleet's folder: faults set, the audit run on a copy of the
    baseline store, both diagnoses scored against the truth. Returns the audit's time."""
    store = fleet.root / "scenario.db"
    backup(fleet.baseline, store)
    lab.set_faults(fleet, scenario)
    truth = lab.truth(fleet)
    faults = [t for t in truth if t["kind"] not in NOISE_KINDS]
    noise = {s for t in truth if t["kind"] in NOISE_KINDS for s in t["serials"]}
    outcome, took, readings = audit(fleet, f"sqlite:///{store}", sessions)
    result = local_result(outcome)
    orders = result.get("tickets", {}).get("orders", {})
    opened = {key for key, what in orders.items() if what.startswith("opened")}
    judged, wanted = judge(result["findings"], faults, fleet, noise, opened)
    score(audit_score, judged, wanted, faults, label, orders=True)
    judged, wanted = judge(naive(readings, fleet.plant), faults, fleet, noise, set())
    score(naive_score, judged, wanted, faults, label, orders=False)
    return took


def pct(part: float, whole: float) -> str:
    return f"{part / whole * 100:6.1f}%" if whole else "     -"


def report(
    new: Score, old: Score, times: dict[str, list[float]], args: argparse.Namespace,
    elapsed: float,
) -> None:  # fmt: skip
    total = sum(new.injected.values())
    print(f"\n{args.scenarios} scenarios, {total} injected faults, seed {args.seed}, "
          f"{elapsed:.0f} s\n")  # fmt: skip
    print("recall by injected kind (found at the right node with the right kind):")
    print(f"  {'injected':20} {'faults':>6} {'audit':>16} {'naive rule':>16}")
    for kind in FAULT_KINDS:
        n = new.injected[kind]
        if n:
            print(f"  {kind:20} {n:6} {new.found[kind]:6} {pct(new.found[kind], n)}"
                  f" {old.found[kind]:6} {pct(old.found[kind], n)}")  # fmt: skip
    print("\nprecision by finding kind (correct / findings of that kind, background excluded):")
    for name, s in (("audit", new), ("naive rule", old)):
        parts = [f"{k} {s.correct[k]}/{n} {pct(s.correct[k], n).strip()}"
                 for k, n in sorted(s.findings.items())]  # fmt: skip
        print(f"  {name:11} " + "; ".join(parts))

    print("\nconfusion (rows: injected; columns: what the audit said on the fault's ONUs):")
    columns = sorted({c for row in new.confusion.values() for c in row})
    for kind in FAULT_KINDS:
        row = new.confusion.get(kind)
        if row:
            cells = ", ".join(f"{c} {row[c]}" for c in columns if row[c])
            print(f"  {kind:20} {cells}")

    found, spurious = sum(new.found.values()), new.verdicts["wrong"] + new.verdicts["unrelated"]
    judged = sum(new.verdicts.values())
    real = sum(new.orders.values())
    one = new.orders[1]
    naive_found = sum(old.found.values())
    naive_spurious = old.verdicts["wrong"] + old.verdicts["unrelated"]
    print("\norders opened per real fault (customer power-offs apart): " + ", ".join(
        f"{k}: {v}" for k, v in sorted(new.orders.items())))  # fmt: skip

    def verdict(ok: bool) -> str:
        return "MET" if ok else "MISSED"

    print("\n                                   measured        target      ")
    print(f"  faults found (node + kind)      {pct(found, total)} ({found}/{total})"
          f"   >= {TARGET_FOUND * 100:.0f}%   {verdict(found >= TARGET_FOUND * total)}")  # fmt: skip
    print(f"  spurious findings               {pct(spurious, judged)} ({spurious}/{judged}; "
          f"{new.verdicts['wrong']} on a fault's ONUs, {new.verdicts['unrelated']} elsewhere)"
          f"   <= {TARGET_SPURIOUS * 100:.0f}%   {verdict(spurious <= TARGET_SPURIOUS * judged)}")  # fmt: skip
    print(f"  exactly one order per fault     {pct(one, real)} ({one}/{real})"
          f"   100%   {verdict(one == real)}")  # fmt: skip
    print(f"  orders for customer power-offs  {new.power_off_orders} (over {new.power_offs})"
          f"   0   {verdict(new.power_off_orders == 0)}")  # fmt: skip
    print(f"\nnaive rule: {pct(naive_found, total)} found ({naive_found}/{total}), "
          f"{pct(naive_spurious, sum(old.verdicts.values()))} spurious "
          f"({naive_spurious}/{sum(old.verdicts.values())})")  # fmt: skip
    ratio = f"{found / naive_found:.2f}x" if naive_found else "inf"
    print(f"correct diagnoses audit / naive = {found}/{naive_found} = {ratio}")
    every = [t for ts in times.values() for t in ts]
    print(f"\ntime per audit (run signal-audit with tickets, in this process): median "
          f"{statistics.median(every):.2f} s, max {max(every):.2f} s")  # fmt: skip
    for size, ts in times.items():
        print(f"  {size}: median {statistics.median(ts):.2f} s over {len(ts)} audits")
    failures = new.failures
    if failures:
        print(f"\naudit misses ({len(failures)}; first {min(args.show, len(failures))}):")
        for line in failures[: args.show]:
            print("  " + line)


if __name__ == "__main__":
    main()
