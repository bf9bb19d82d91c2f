"""Fixtures shared by the engine tests: inventories, stores (SQLite and PostgreSQL), the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN_URL = os.environ.get("ISPFLOW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def write_inventory(folder: Path, count: int, *, prefix: str = "olt") -> Path:
    """An inventory of `count` hosts over two sites and two vendors (no device behind them)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "groups.yaml").write_text(
        "huawei:\n  platform: huawei_smartax\n  data: {vendor: huawei, role: olt}\n"
        "zte:\n  platform: zte_zxros\n  data: {vendor: zte, role: olt}\n"
        "site-poa:\n  data: {site: poa}\n"
        "site-cwb:\n  data: {site: cwb}\n"
    )
    (folder / "defaults.yaml").write_text("username: lab\npassword: s3cr3t-Pass\n")
    lines = []
    for i in range(1, count + 1):
        vendor = "huawei" if i % 2 else "zte"
        site = "site-poa" if i <= (count + 1) // 2 else "site-cwb"
        lines.append(
            f"{prefix}-{i:02d}:\n  hostname: 127.0.0.1\n  port: 1\n"
            f"  groups: [{vendor}, {site}]\n  data: {{model: m{i % 3}}}\n"
        )
    (folder / "hosts.yaml").write_text("".join(lines))
    return folder


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    return write_inventory(tmp_path / "inventory", 6)


@pytest.fixture(scope="session")
def pg_server_url() -> Iterator[str]:
    """A throwaway PostgreSQL database for this test session."""
    if os.environ.get("ISPFLOW_SKIP_POSTGRES") == "1":
        pytest.skip("ISPFLOW_SKIP_POSTGRES=1")
    import psycopg

    name = f"ispflow_e2e_{os.getpid()}"
    admin = PG_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(f"PostgreSQL is not reachable at {admin}: {exc}")
    yield admin.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each test using this runs twice: on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ispflow.db'}"
    base = request.getfixturevalue("pg_server_url")
    # One schema-isolated database per test would be slow to create; a fresh database per
    # test is affordable on PostgreSQL (template copy) and keeps tests independent.
    import psycopg

    name = f"ispflow_t_{uuid.uuid4().hex[:12]}"
    admin = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    request.addfinalizer(lambda: _drop(admin, name))
    return base.rsplit("/", 1)[0] + f"/{name}"


def _drop(admin: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class Cli:
    """Runs the real `ispflow` command in a subprocess, as a user or a CI job would."""

    def __init__(self, cwd: Path, db: str, inventory: Path | None) -> None:
        self.cwd = cwd
        self.db = db
        self.inventory = inventory

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        env["ISPFLOW_DB"] = self.db
        if self.inventory is not None:
            env["ISPFLOW_INVENTORY"] = str(self.inventory)
        env.pop("ISPFLOW_SECRETS", None)
        env["COLUMNS"] = "120"
        return env

    def __call__(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "ispflow", *args],
            cwd=self.cwd,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def popen(self, *args: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "ispflow", *args],
            cwd=self.cwd,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )


@pytest.fixture
def cli(tmp_path: Path, inventory: Path, db_url: str) -> Cli:
    return Cli(tmp_path, db_url, inventory)


@pytest.fixture
def sqlite_cli(tmp_path: Path, inventory: Path) -> Cli:
    return Cli(tmp_path, f"sqlite:///{tmp_path / 'ispflow.db'}", inventory)


# -- Request Tracker 5 (lab/services/request-tracker.sh) --------------------------------------

RT_SCRIPT = ROOT / "lab" / "services" / "request-tracker.sh"
RT_STATE = Path(os.environ.get("ISPFLOW_RT_STATE", "/tmp/ispflow-rt"))
# A first start installs the Debian packages (about a minute, more on a slow mirror).
RT_START_TIMEOUT_S = 600
_rt_start: dict[str, object] = {}


def _needs_rt(item: pytest.Item) -> bool:
    return item.get_closest_marker("rt") is not None or "request_tracker" in getattr(
        item, "fixturenames", ()
    )


def _start_rt() -> None:
    """`up`, then `reset` so the session starts with no tickets; in the background."""
    if "process" in _rt_start:
        return
    RT_STATE.mkdir(parents=True, exist_ok=True)
    log = RT_STATE / f"pytest-start-{os.getpid()}.log"
    with log.open("wb") as out:
        _rt_start["process"] = subprocess.Popen(
            ["bash", "-c", 'bash "$0" up && bash "$0" reset', str(RT_SCRIPT)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _rt_start["log"] = log


@pytest.hookimpl(trylast=True)  # after -k/-m deselection
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start RT as soon as a selected test needs it; the tests before it run meanwhile."""
    if os.environ.get("ISPFLOW_SKIP_RT") == "1" or config.option.collectonly:
        return
    wanting = [item for item in items if _needs_rt(item)]
    if not wanting:
        return
    _start_rt()
    if config.pluginmanager.hasplugin("timeout"):
        # The first of them waits for the start inside its setup.
        wanting[0].add_marker(pytest.mark.timeout(RT_START_TIMEOUT_S + 60))


@pytest.fixture(scope="session")
def request_tracker() -> dict[str, str]:
    """A running Request Tracker 5 with the lab's queues, custom fields and staff, emptied of
    tickets at the start of the session: {"url", "token", "user", "password"}."""
    if os.environ.get("ISPFLOW_SKIP_RT") == "1":
        pytest.skip("ISPFLOW_SKIP_RT=1")
    _start_rt()
    process = _rt_start["process"]
    log = _rt_start["log"]
    assert isinstance(process, subprocess.Popen) and isinstance(log, Path)
    try:
        code = process.wait(timeout=RT_START_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.fail(f"Request Tracker did not start within {RT_START_TIMEOUT_S} s:\n{_tail(log)}")
    if code != 0:
        pytest.fail(f"{RT_SCRIPT.name} up/reset failed (exit {code}):\n{_tail(log)}")
    log.unlink(missing_ok=True)
    env = dict(
        line.split("=", 1) for line in (RT_STATE / "rt.env").read_text().splitlines() if "=" in line
    )
    return {
        "url": env["RT_URL"],
        "token": env["RT_TOKEN"],
        "user": env.get("RT_USER", ""),
        "password": env.get("RT_PASSWORD", ""),
    }


def _tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(no log: {exc})"
