"""The audit report of a real signal run, opened in a headless Chromium: it draws and its script runs."""

from __future__ import annotations

import json
import os
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest

from tests.lab.conftest import RunningLab

APT_LOCK = "/tmp/ispflow-apt.lock"


def _find_chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def chromium() -> str:
    """Debian's Chromium, installed on first use; the lock keeps parallel sessions off apt."""
    found = _find_chromium()
    if found:
        return found
    if shutil.which("apt-get") is None or shutil.which("flock") is None:
        pytest.skip("chromium is not installed and apt-get (with flock) is not available")
    if os.geteuid() != 0:
        pytest.skip("chromium is not installed and installing it with apt-get needs root")
    install = subprocess.run(
        [
            "flock", APT_LOCK, "sh", "-c",
            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium",
        ],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )  # fmt: skip
    found = _find_chromium()
    if install.returncode != 0 or not found:
        pytest.skip(f"apt-get could not install chromium: {install.stderr[-800:]}")
    return found


def _browser(chromium: str, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # Root in a container has no user namespace for the sandbox; a profile per call keeps
    # concurrent test sessions from fighting over the default one.
    return subprocess.run(
        [
            chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--no-first-run", f"--user-data-dir={profile}", *args,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )  # fmt: skip


def png_colours(data: bytes, limit: int = 64) -> int:
    """How many distinct colours an 8-bit RGB/RGBA PNG has (counting stops at `limit`)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind = data[pos + 4 : pos + 8]
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = body
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", header[:10])
    assert depth == 8 and colour_type in (2, 6), f"unexpected PNG format {depth}/{colour_type}"
    size = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * size
    previous = bytearray(stride)
    colours: set[bytes] = set()
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - size] if i >= size else 0
            up = previous[i]
            corner = previous[i - size] if i >= size else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                guess = left + up - corner
                a, b, c = abs(guess - left), abs(guess - up), abs(guess - corner)
                best = left if a <= b and a <= c else up if b <= c else corner
                line[i] = (line[i] + best) & 0xFF
        previous = line
        # Every pixel of every row would be slow in pure Python; a stride of rows is plenty.
        if y % 7 == 0:
            for x in range(0, stride, size * 3):
                colours.add(bytes(line[x : x + 3]))
            if len(colours) >= limit:
                return len(colours)
    return len(colours)


def test_audit_report_in_a_browser(lab: RunningLab, chromium: str, tmp_path: Path) -> None:
    run_id = lab.run_json("onu-signal")["run_id"]
    page = tmp_path / "report" / "audit.html"
    proc = lab.cli("report", run_id[:17], "--html", str(page), "-o", "json")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    audit = json.loads(proc.stdout)
    [[stored]] = [
        list(r.values())
        for r in lab.query("SELECT count(*) AS n FROM optical_readings WHERE run_id = :r", r=run_id)
    ]
    assert audit["onus_read"] == stored > 0
    assert sum(audit["classes"].values()) == stored
    assert audit["olts_read"] == 4
    html = page.read_text(encoding="utf-8")
    assert html.count("<svg ") >= 5

    shot = tmp_path / "audit.png"
    taken = _browser(
        chromium, tmp_path / "profile-shot", f"--screenshot={shot}", "--window-size=1400,2000",
        page.as_uri(),
    )  # fmt: skip
    assert shot.exists(), taken.stderr[-2000:]
    assert shot.stat().st_size > 10_000
    assert png_colours(shot.read_bytes()) > 8, "the screenshot is (nearly) blank"

    dom = _browser(chromium, tmp_path / "profile-dom", "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'id="readings-table" class="sortable" data-sortable-ready="true"' in dom.stdout
    assert 'data-filter-ready="true"' in dom.stdout
    # The script made the headers keyboard-reachable, which only it does.
    assert 'tabindex="0"' in dom.stdout
