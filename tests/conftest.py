"""Fixtures shared by the engine tests: inventories, stores (SQLite and PostgreSQL), the CLI."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import forked_cli, xdist_groups
from tests.support.services import NETBOX, REQUEST_TRACKER

ROOT = Path(__file__).resolve().parent.parent
LAB_TESTS = ROOT / "tests" / "lab"
SLOW_FIRST = (LAB_TESTS, ROOT / "tests" / "packaging")
SHARED = ("celery", "request-tracker", "netbox")
PG_ADMIN_URL = os.environ.get("ISPFLOW_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def pytest_configure(config: pytest.Config) -> None:
    if config.pluginmanager.hasplugin("xdist"):
        config.pluginmanager.register(XdistHooks(), "ispflow-xdist-hooks")
        xdist_groups.name_the_file(config)
    # PON locks are named by host and PON: two worker processes each running a lab with the
    # same host names must not wait on each other's locks (nor leave files in ~/.cache).
    locks = tempfile.mkdtemp(prefix="ispflow-test-locks-")
    os.environ["ISPFLOW_LOCK_DIR"] = locks
    config.add_cleanup(lambda: shutil.rmtree(locks, ignore_errors=True))
    # The SSH host keys the labs of this process record (`lab up`) and its runs check: not the
    # user's ~/.config/ispflow/known_hosts. A lab replaces what an earlier one left on its ports.
    keys = tempfile.mkdtemp(prefix="ispflow-test-known-hosts-")
    os.environ["ISPFLOW_KNOWN_HOSTS"] = str(Path(keys) / "known_hosts")
    config.add_cleanup(lambda: shutil.rmtree(keys, ignore_errors=True))


class XdistHooks:
    """pytest-xdist's hooks, known to pytest only when the plugin is there."""

    @staticmethod
    def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
        if config.getvalue("dist") != "loadscope":
            return None
        return xdist_groups.make_scheduler(config, log)


def worker_ports() -> range:
    """The ports this test process gives its labs: its own slice of 20000-32767 (below the
    kernel's ephemeral ports), so that two pytest-xdist workers never pick the same."""
    index = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    span = (32768 - 20000) // count
    return range(20000 + index * span, 20000 + (index + 1) * span)


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
    """Runs the real `ispflow` command in a process of its own, as a user or a CI job would:
    a fork of this one (tests/support/forked_cli.py says what that skips), or with
    `subprocess`/`popen` a new interpreter, for tests of how it starts, runs in parallel or
    dies."""

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
        if not forked_cli.forking():
            return self.subprocess(*args, timeout=timeout)
        return forked_cli.run(args, cwd=self.cwd, env=self.env(), timeout=timeout)

    def subprocess(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """In a new interpreter started with `python -m ispflow`."""
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


@pytest.hookimpl(tryfirst=True)  # before -m deselection
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Groups, order and the slow mark.

    Under pytest-xdist a module's tests stay in one worker, and the modules of one shared
    service (NetBox, Request Tracker, the Celery Redis) in one worker, one test at a time
    (tests/support/xdist_groups.py). The slowest modules start first, so that the two workers
    finish together; the modules of NetBox and Request Tracker last, so that a first start,
    which installs them, runs while the rest of the suite does. `-m "not slow"` leaves out
    labs, services and Celery workers."""
    groups = {item.path: item.nodeid.split("::", 1)[0] for item in items}
    for item in reversed(items):  # the first shared thing a module's tests use names its group
        for shared, wants in (
            ("celery", item.get_closest_marker("celery") is not None),
            ("request-tracker", REQUEST_TRACKER.wanted_by(item)),
            ("netbox", NETBOX.wanted_by(item)),
        ):
            if wants:
                groups[item.path] = shared
    shared_groups = {
        i.nodeid.split("::", 1)[0]: g for i in items if (g := groups[i.path]) in SHARED
    }
    xdist_groups.write(shared_groups)

    def rank(item: pytest.Item) -> int:
        if groups[item.path] in ("netbox", "request-tracker"):
            return 2
        slow = groups[item.path] == "celery" or any(item.path.is_relative_to(p) for p in SLOW_FIRST)
        return 0 if slow else 1

    items.sort(key=rank)  # stable: the collection order within a rank
    for item in items:
        if rank(item) != 1 or item.path.is_relative_to(LAB_TESTS):
            item.add_marker(pytest.mark.slow)


@pytest.hookimpl(trylast=True)  # after -k/-m deselection
def pytest_collection_finish(session: pytest.Session) -> None:
    """Start each service a selected test needs now."""
    for service in (NETBOX, REQUEST_TRACKER):
        service.schedule(session.config, session.items)


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
