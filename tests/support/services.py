"""Real services the tests need (Request Tracker, NetBox), each started by its script under
lab/services/ in the background as soon as a selected test needs it, and waited for by the
first test that uses it."""

from __future__ import annotations

import fcntl
import os
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def this_run_id() -> str:
    """The same in every worker process of one pytest run (pytest-xdist), unique per run."""
    return os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid-{os.getpid()}"


@dataclass
class BackgroundService:
    title: str
    script: Path
    state: Path
    env_file: str
    skip_variable: str
    # A first start on a new machine installs and initialises the service.
    start_timeout_s: float
    markers: tuple[str, ...]
    fixtures: tuple[str, ...]
    _asked: bool = field(default=False, repr=False)

    @property
    def skipped(self) -> bool:
        return os.environ.get(self.skip_variable) == "1"

    @property
    def _log(self) -> Path:
        return self.state / "pytest-start.log"

    @property
    def _done(self) -> Path:
        return self.state / "pytest-start.done"

    def wanted_by(self, item: pytest.Item) -> bool:
        names = getattr(item, "fixturenames", ())
        return any(item.get_closest_marker(m) for m in self.markers) or any(
            f in names for f in self.fixtures
        )

    def start(self) -> None:
        """`up`, then `reset` so the run starts empty; in the background, once per pytest run
        however many worker processes ask (a second `reset` would empty it under a test)."""
        if self._asked:
            return
        self._asked = True
        self.state.mkdir(parents=True, exist_ok=True)
        run = this_run_id()
        marker = self.state / "pytest-start.run"
        with (self.state / "pytest-start.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if marker.exists() and marker.read_text() == run:
                return  # another worker of this run started it
            self._done.unlink(missing_ok=True)
            with self._log.open("wb") as out:
                subprocess.Popen(
                    [
                        "bash",
                        "-c",
                        # A server that dies while it boots (seen once, with nothing in
                        # its log) gets one more try.
                        'start() { bash "$0" up && bash "$0" reset; }; '
                        'start || { echo "[pytest] start failed (exit $?): trying once more"; '
                        "sleep 2; start; }; "
                        'echo "$1 $?" > "$2.new" && mv "$2.new" "$2"',
                        str(self.script),
                        run,
                        str(self._done),
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,  # outlives the worker that started it
                )
            marker.write_text(run)

    def schedule(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        """Start it if a selected test needs it, and give the first such test the time to
        wait for the start."""
        if self.skipped or config.option.collectonly:
            return
        wanting = [item for item in items if self.wanted_by(item)]
        if not wanting:
            return
        self.start()
        if config.pluginmanager.hasplugin("timeout"):
            # pytest-timeout reads the first timeout marker: keep the longest wait first.
            first = wanting[0]
            budget = self.start_timeout_s + 60
            current = first.get_closest_marker("timeout")
            if current is None or not current.args or float(current.args[0]) < budget:
                first.add_marker(pytest.mark.timeout(budget), append=False)

    def ready(self) -> dict[str, str]:
        """Wait for this run's start; the service's env file as a dict."""
        if self.skipped:
            pytest.skip(f"{self.skip_variable}=1")
        self.start()
        run = this_run_id()
        deadline = time.monotonic() + self.start_timeout_s
        while True:
            done = self._done.read_text().split() if self._done.exists() else []
            if done[:1] == [run]:
                break
            if time.monotonic() > deadline:
                pytest.fail(
                    f"{self.title} did not start in {self.start_timeout_s:g} s:\n{self.tail()}"
                )
            time.sleep(0.5)
        if done[1:] != ["0"]:
            pytest.fail(f"{self.script.name} up/reset failed (exit {done[1:]}):\n{self.tail()}")
        text = (self.state / self.env_file).read_text()
        return dict(line.split("=", 1) for line in text.splitlines() if "=" in line)

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self._log.read_text(errors="replace").splitlines()[-lines:])
        except OSError as exc:
            return f"(no log: {exc})"


REQUEST_TRACKER = BackgroundService(
    title="Request Tracker",
    script=ROOT / "lab" / "services" / "request-tracker.sh",
    state=Path(os.environ.get("ISPFLOW_RT_STATE", "/tmp/ispflow-rt")),
    env_file="rt.env",
    skip_variable="ISPFLOW_SKIP_RT",
    start_timeout_s=600,  # installing the Debian packages: about a minute, more on a slow mirror
    markers=("rt",),
    fixtures=("request_tracker",),
)

NETBOX = BackgroundService(
    title="NetBox",
    script=ROOT / "lab" / "services" / "netbox.sh",
    state=Path(os.environ.get("ISPFLOW_NETBOX_STATE", "/tmp/ispflow-netbox")),
    env_file="netbox.env",
    skip_variable="ISPFLOW_SKIP_NETBOX",
    # Installing NetBox and migrating an empty database: 6-12 minutes on two cores; later
    # starts restore a snapshot in seconds.
    start_timeout_s=900,
    markers=("netbox",),
    fixtures=("netbox", "netbox_service"),
)
