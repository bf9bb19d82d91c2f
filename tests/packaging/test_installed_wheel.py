"""ispflow as a user installs it: the wheel, in a new venv, run from an empty folder.

The rest of the suite runs from the checkout, where every shipped file is beside the code;
only an installed wheel shows what the package really carries."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHIPPED_RUNBOOKS = sorted(path.stem for path in (ROOT / "runbooks").glob("*.yaml"))
NOT_SHIPPED = {".git", "tests", "bench", "build", "dist", ".ispflow-lab", "__pycache__", "docs"}

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]


def _run(command: list[str], cwd: Path, env: dict[str, str], timeout: float = 600) -> str:
    done = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"{' '.join(command)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Build the wheel from a copy of the sources (the build leaves files where it runs) and
    install it with the lab into a new venv."""
    base = tmp_path_factory.mktemp("wheel")
    source = base / "source"
    shutil.copytree(
        ROOT,
        source,
        ignore=lambda folder, names: {
            n for n in names if n in NOT_SHIPPED or n.endswith((".egg-info", ".db", ".pyc"))
        },
    )
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ISPFLOW_DB")}
    _run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(base / "dist"), str(source)],
        base,
        env,
    )
    (wheel,) = (base / "dist").glob("ispflow-*.whl")
    venv = base / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], base, env)
    _run(
        [
            str(venv / "bin" / "python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            f"{wheel}[lab]",
        ],
        base,
        env,
        timeout=900,
    )
    user = base / "somewhere-else"
    user.mkdir()
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    (site,) = (venv / "lib").glob("python3*/site-packages")
    return {"wheel": wheel, "venv": venv, "site": site, "user": user, "env": env}  # type: ignore[dict-item]


def ispflow(installed: dict, *args: str, timeout: float = 300) -> str:
    return _run(["ispflow", *args], installed["user"], installed["env"], timeout)


def test_the_wheel_installs_one_package(installed: dict) -> None:
    names = zipfile.ZipFile(installed["wheel"]).namelist()
    assert {name.split("/")[0] for name in names} == {"ispflow", "ispflow-0.1.0.dist-info"}
    for generic in ("engine", "store", "tasks", "plugins", "lab", "cli", "core", "ispflow.py"):
        assert not (installed["site"] / generic).exists(), generic
    shipped = {
        "ispflow/runbooks/onu-signal.yaml",
        "ispflow/runbooks/compliance/rules.yaml",
        "ispflow/templates/olt/huawei/provisioning.yaml",
        "ispflow/templates/olt/fiberhome/provisioning.yaml",
        "ispflow/inventory/hosts.yaml",
        "ispflow/templates/olt/huawei/authorize.j2",
        "ispflow/templates/mikrotik/set_profile.j2",
        "ispflow/store/migrations/env.py",
        "ispflow/__main__.py",
    }
    assert shipped <= set(names)


def test_version_and_every_shipped_runbook(installed: dict) -> None:
    assert ispflow(installed, "--version").strip() == "ispflow 0.1.0"
    listed = ispflow(installed, "runbooks")
    assert [name for name in SHIPPED_RUNBOOKS if name not in listed] == []
    checked = ispflow(installed, "validate", *SHIPPED_RUNBOOKS)
    assert checked.count("ok ") == len(SHIPPED_RUNBOOKS)
    python = str(installed["venv"] / "bin" / "python")
    assert _run([python, "-m", "ispflow", "--version"], installed["user"], installed["env"])


def test_a_users_own_tasks_package_does_not_shadow_ispflow(installed: dict) -> None:
    user = installed["user"]
    for name in ("tasks", "engine", "plugins"):
        (user / name).mkdir(exist_ok=True)
        (user / name / "__init__.py").write_text("raise ImportError('the user’s own package')\n")
    try:
        probe = "from ispflow import load_runbook; print(len(load_runbook('onu-signal').steps))"
        python = str(installed["venv"] / "bin" / "python")
        assert _run([python, "-c", probe], user, installed["env"]).strip() == "3"
    finally:
        for name in ("tasks", "engine", "plugins"):
            shutil.rmtree(user / name)


def test_the_readme_main_job(installed: dict) -> None:
    up = subprocess.run(
        ["ispflow", "lab", "up", "--olts", "2", "--pons", "2", "--onus", "4"],
        cwd=installed["user"],
        env=installed["env"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert up.returncode == 0, up.stderr
    assert "Warning" not in up.stderr  # no third-party deprecation noise on lab commands
    try:
        report = json.loads(ispflow(installed, "run", "onu-signal", "-q", "-o", "json"))
    finally:
        ispflow(installed, "lab", "down")
    assert report["status"] == "ok"
    read = [
        reading
        for outcome in report["results"]
        if outcome["step"] == "read signal"
        for reading in outcome["result"]
    ]
    assert sorted(
        outcome["host"] for outcome in report["results"] if outcome["step"] == "read signal"
    ) == sorted(report["hosts"])
    assert len(report["hosts"]) == 2
    assert len(read) == 2 * 2 * 4
    assert all(reading["serial"] for reading in read)
    assert (installed["user"] / "ispflow.db").is_file()
