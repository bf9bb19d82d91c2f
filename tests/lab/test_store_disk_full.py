"""A SQLite store whose disk fills in the middle of a read: the host is not `ok` with its
readings lost, the run does not exit 0, and `--resume` once there is room stores every
reading exactly once.

The store sits on a small tmpfs the test mounts (root only; CI runs as root), and the disk is
filled while the OLT holds the optical read (`lab fault --hang-on`), so the journal already
knows the run when the readings' write meets a full disk.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.lab.conftest import LabCli, RunningLab, start_lab

HANG_WAIT_S = 120


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "small"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def lab_on_small_disk(tmp_path: Path, small_disk: Path) -> Iterator[tuple[RunningLab, LabCli]]:
    root = tmp_path / "lab"
    root.mkdir()
    for lab in start_lab(root, "--concentrators", "0"):
        source = Path(lab.db_url.removeprefix("sqlite:///"))
        target = small_disk / "ispflow.db"
        shutil.copy(source, target)
        url = f"sqlite:///{target}"
        yield lab, LabCli(lab.root, url, None)


def readings(url: str, run_id: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(
                conn.execute(
                    text("SELECT COUNT(*) FROM optical_readings WHERE run_id = :r"), {"r": run_id}
                ).scalar()
            )
    finally:
        engine.dispose()


def fill(disk: Path) -> Path:
    """Fill the disk to the last byte; the file that does it."""
    filler = disk / "filler"
    with filler.open("wb") as out:
        chunk = b"\0" * (1 << 16)
        try:
            while True:
                out.write(chunk)
                out.flush()
        except OSError:
            pass
    return filler


# Where the disk fills: before the first PON is read, between a PON's ONU list and its
# optical table, after every read (before the readings' write).
FILL_AT = ["display ont info", "display ont optical-info", "return"]


@pytest.mark.parametrize("fill_at", FILL_AT)
def test_a_full_disk_mid_read_fails_the_host_and_resume_stores_each_reading_once(
    lab_on_small_disk: tuple[RunningLab, LabCli], small_disk: Path, fill_at: str
) -> None:
    lab, cli = lab_on_small_disk
    olt = lab.olt_of_model("MA5800-X7")["name"]
    onus = [o for o in lab.onus(olt=olt, state="authorized") if o["onu_id"] is not None]
    assert cli("lab", "fault", olt, "--hang-on", fill_at).returncode == 0
    marker = lab.state / f"hung-{olt}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ispflow", "run", "onu-signal", "-e", f"olt={olt}", "-o", "json", "-q"],
        cwd=lab.root, env=cli.env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    deadline = time.monotonic() + HANG_WAIT_S
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the OLT never got the optical read"
        time.sleep(0.05)
    filler = fill(small_disk)
    assert cli("lab", "fault", "--clear").returncode == 0
    out, err = proc.communicate(timeout=HANG_WAIT_S)
    # 1 (the host failed) or 4 (the journal could not record it either): never 0 or 2.
    assert proc.returncode in (1, 4), (proc.returncode, out[-2000:], err[-2000:])
    said = out + err
    assert "full" in said.lower() or "disk" in said.lower(), said[-2000:]
    filler.unlink()
    engine = create_engine(cli.db)
    try:
        with engine.connect() as conn:
            run_id = conn.execute(
                text("SELECT id FROM runs ORDER BY started_at DESC LIMIT 1")
            ).scalar()
            step = (
                conn.execute(
                    text("SELECT status FROM step_results WHERE run_id = :r AND host = :h"),
                    {"r": run_id, "h": olt},
                )
                .scalars()
                .all()
            )
    finally:
        engine.dispose()
    assert "ok" not in step and "changed" not in step, step  # never ok without its readings
    done = cli("run", "--resume", str(run_id), "-o", "json", "-q")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert json.loads(done.stdout)["status"] == "ok"
    assert readings(cli.db, str(run_id)) == len(onus)
    again = cli("run", "--resume", str(run_id), "-o", "json", "-q")
    assert again.returncode == 0
    assert readings(cli.db, str(run_id)) == len(onus)
