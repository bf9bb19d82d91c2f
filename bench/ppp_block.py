"""Blocking overdue customers in bulk on the lab's concentrators: ispflow against a naive script.

    python bench/ppp_block.py [--concentrators 10] [--contracts 10000] [--sample 200] [--reps 3]

It starts a lab (`ispflow lab up`, no command latency) whose customers dial into
--concentrators MikroTik concentrators, then measures in the same run:

* ispflow - `ispflow run ppp-block -e items=FILE` for every installed contract: one API
            session per concentrator, reads in one batch, changes pipelined, one wait for
            the re-dialled sessions, post-checks, the store updated. Wall time of the whole
            command, the best of --reps blocks (each but the last undone by an untimed
            `ppp-unblock`; other processes on the machine only ever add time); rate =
            contracts / time.
* naive   - what a first script does per contract: a new API connection (librouteros),
            look the secret and the session up, set the blocking profile, drop the session,
            wait for it to come back and check its address; on --sample contracts of one
            concentrator, one after another, then the rate extrapolated to the same
            parallelism (one worker per concentrator). The output says it is a sample.

It prints both rates and the ratio (targets: >= 20x the naive rate, >= 2,000 contracts/s).
The lab's concentrators answer at once and re-dial a dropped session after 50 ms.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import librouteros  # noqa: E402
from librouteros.query import Key  # noqa: E402
from ruamel.yaml import YAML  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from bench.olt_audit import free_base_port, ispflow, must  # noqa: E402


def contracts_by_concentrator(db: str) -> dict[str, list[tuple[str, str]]]:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text(
                    "SELECT code, pppoe_login, concentrator FROM contracts "
                    "WHERE concentrator IS NOT NULL AND NOT blocked ORDER BY code"
                )
            ).all()
    finally:
        engine.dispose()
    grouped: dict[str, list[tuple[str, str]]] = {}
    for code, login, concentrator in rows:
        grouped.setdefault(concentrator, []).append((code, login))
    return grouped


def naive_block(port: int, password: str, login: str, timeout: float = 5.0) -> None:
    """One contract the way a first script does it: its own connection for everything."""
    api = librouteros.connect("127.0.0.1", "lab", password, port=port)
    try:
        secrets = api.path("ppp", "secret")
        [secret] = secrets.select(Key(".id"), Key("profile")).where(Key("name") == login)
        active = api.path("ppp", "active")
        sessions = list(active.select(Key(".id")).where(Key("name") == login))
        secrets.update(**{".id": secret[".id"], "profile": "bloqueio"})
        if sessions:
            active.remove(sessions[0][".id"])
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                again = list(active.select(Key(".id"), Key("address")).where(Key("name") == login))
                if again and again[0][".id"] != sessions[0][".id"]:
                    break
                time.sleep(0.05)
    finally:
        api.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--concentrators", type=int, default=10)
    parser.add_argument("--contracts", type=int, default=10000, help="about this many")
    parser.add_argument("--sample", type=int, default=200)
    parser.add_argument("--reps", type=int, default=3, help="ispflow blocks timed; the best counts")
    args = parser.parse_args()
    olts = args.concentrators
    onus = max(1, -(-args.contracts // (olts * 16)))
    with tempfile.TemporaryDirectory(prefix="ispflow-bench-") as folder:
        root = Path(folder)
        # The lab records its SSH host keys here, not in the user's known_hosts.
        os.environ["ISPFLOW_KNOWN_HOSTS"] = str(root / "known_hosts")
        db = f"sqlite:///{root / 'bench.db'}"
        must(
            ispflow(
                "lab", "up", "--olts", str(olts), "--pons", "16", "--onus", str(onus),
                "--autofind", "0", "--concentrators", str(args.concentrators),
                "--port", str(free_base_port(olts + args.concentrators)), "--db", db,
                # The plain API, as the numbers in docs/ppp.md were measured: over TLS the
                # naive script would also pay a handshake per contract.
                "--no-api-tls",
                cwd=root,
            ),
            "ispflow lab up",
        )  # fmt: skip
        try:
            run(root, db, args)
        finally:
            ispflow("lab", "down", cwd=root)


def count_blocked(db: str) -> int:
    engine = create_engine(db)
    try:
        with engine.connect() as conn:
            return conn.execute(
                text("SELECT count(*) FROM contracts WHERE blocked AND block_reason LIKE 'bench%'")
            ).scalar_one()
    finally:
        engine.dispose()


def run(root: Path, db: str, args: argparse.Namespace) -> None:
    grouped = contracts_by_concentrator(db)
    password = YAML(typ="safe").load((root / ".ispflow-lab" / "secrets.yaml").read_text())[
        "defaults"
    ]["password"]
    fleet_ports = {
        name: port
        for name, port in YAML(typ="safe")
        .load((root / ".ispflow-lab" / "server.json").read_text())["ports"]
        .items()
    }
    # The naive sample blocks its own contracts, which are left out of ispflow's file.
    first = sorted(grouped)[0]
    sample = grouped[first][: args.sample]
    started = time.perf_counter()
    for _, login in sample:
        naive_block(fleet_ports[first], password, login)
    naive_per_contract = (time.perf_counter() - started) / len(sample)
    taken = {code for code, _ in sample}
    codes = [code for rows in grouped.values() for code, _ in rows if code not in taken]
    csv = root / "overdue.csv"
    csv.write_text("contract\n" + "\n".join(codes) + "\n")

    must(ispflow("run", "ppp-lookup", "-e", f"contract={codes[0]}", "-q", "--db", db, cwd=root),
         "warm-up")  # fmt: skip
    times = []
    for rep in range(args.reps):
        started = time.perf_counter()
        done = ispflow(
            "run", "ppp-block", "-e", f"items={csv}", "-e", "reason=bench", "-q",
            "-w", str(len(grouped)), "--db", db,
            cwd=root,
        )  # fmt: skip
        times.append(time.perf_counter() - started)
        must(done, "ispflow run ppp-block")
        blocked = count_blocked(db)
        if blocked != len(codes):
            raise SystemExit(f"ispflow blocked {blocked} of {len(codes)} contracts")
        if rep + 1 < args.reps:  # back as it was, untimed, for the next block
            must(
                ispflow("run", "ppp-unblock", "-e", f"items={csv}", "-q",
                        "-w", str(len(grouped)), "--db", db, cwd=root),
                "ispflow run ppp-unblock",
            )  # fmt: skip
            if count_blocked(db):
                raise SystemExit("ispflow ppp-unblock left contracts blocked")
    elapsed = min(times)

    ispflow_rate = len(codes) / elapsed
    naive_rate = len(grouped) / naive_per_contract  # one naive worker per concentrator
    print(f"contracts: {len(codes)} over {len(grouped)} concentrators (lab, no added latency)")
    print(
        f"ispflow  {elapsed:8.2f} s  {ispflow_rate:10.0f} contracts/s  (measured, whole command; "
        f"best of {len(times)}: {', '.join(f'{t:.2f}' for t in times)} s)"
    )
    print(
        f"naive    {naive_per_contract * 1000:8.1f} ms per contract, {naive_rate:10.0f} "
        f"contracts/s with {len(grouped)} in parallel (sampled on {len(sample)} contracts, "
        "extrapolated)"
    )
    ratio = ispflow_rate / naive_rate
    verdict = {True: "ok", False: "MISSED"}
    print(f"ispflow / naive = {ratio:6.1f}x (target >= 20): {verdict[ratio >= 20]}")
    print(
        f"ispflow rate    = {ispflow_rate:6.0f}/s (target >= 2000): {verdict[ispflow_rate >= 2000]}"
    )


if __name__ == "__main__":
    main()
