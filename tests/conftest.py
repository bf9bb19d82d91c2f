"""Fixtures shared by the engine tests: inventories, stores (SQLite and PostgreSQL), the CLI."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.services import NETBOX, REQUEST_TRACKER

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


# -- real services (lab/services/*.sh), started in the background ---------------------------
NETBOX_RESET_TIMEOUT_S = 120


@pytest.hookimpl(trylast=True)  # after -k/-m deselection
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start each service a selected test needs now; the tests before it run meanwhile."""
    for service in (NETBOX, REQUEST_TRACKER):
        service.schedule(config, items)


@pytest.fixture(scope="session")
def request_tracker() -> dict[str, str]:
    """A running Request Tracker 5 with the lab's queues, custom fields and staff, emptied of
    tickets at the start of the session: {"url", "token", "user", "password"}."""
    env = REQUEST_TRACKER.ready()
    return {
        "url": env["RT_URL"],
        "token": env["RT_TOKEN"],
        "user": env.get("RT_USER", ""),
        "password": env.get("RT_PASSWORD", ""),
    }


@pytest.fixture(scope="session")
def netbox_service() -> dict[str, str]:
    """A running NetBox with its superuser and API tokens, emptied at the start of the
    session: {"url", "token" (v2, sent as Bearer), "token_v1"}."""
    env = NETBOX.ready()
    return {
        "url": env["NETBOX_URL"],
        "token": env["NETBOX_TOKEN"],
        "token_v1": env.get("NETBOX_TOKEN_V1", ""),
    }


@pytest.fixture
def netbox(netbox_service: dict[str, str]) -> dict[str, str]:
    """The session's NetBox emptied back to its bootstrapped state (tokens kept) for this
    test. A reset costs about 3 s: group checks that can share one NetBox in one test."""
    proc = subprocess.run(
        ["bash", str(NETBOX.script), "reset"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=NETBOX_RESET_TIMEOUT_S,
    )
    if proc.returncode != 0:
        pytest.fail(f"{NETBOX.script.name} reset failed (exit {proc.returncode}):\n{proc.stderr}")
    return dict(netbox_service)
