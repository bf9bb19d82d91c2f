"""Starting, finding and stopping the detached lab server process of a state folder."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ispflow.core.errors import UsageError
from ispflow.core.paths import import_root
from ispflow.lab.fleet import FleetSpec
from ispflow.lab.statefiles import StatePaths, read_server_info


class LabControlError(RuntimeError):
    pass


class LabAlreadyRunning(LabControlError):
    """A lab runs from this state folder; `same` says whether it was started with these knobs."""

    def __init__(self, message: str, running: LabStatus, same: bool) -> None:
        super().__init__(message)
        self.running = running
        self.same = same


@dataclass(frozen=True)
class LabStatus:
    pid: int
    host: str
    ports: dict[str, int]
    started_at: float
    known_hosts: Path | None = None  # where `up` recorded the lab's host key

    @property
    def uptime(self) -> float:
        return time.time() - self.started_at


def _alive(pid: int) -> bool:
    # A child that has exited stays a zombie until reaped; reap it so it reads as gone.
    with contextlib.suppress(ChildProcessError, OSError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    cmdline = Path(f"/proc/{pid}/cmdline")
    if cmdline.exists():
        # A recycled pid belongs to something else: only our server counts.
        with contextlib.suppress(OSError):
            return b"ispflow.lab.server" in cmdline.read_bytes()
    return True


def status(paths: StatePaths) -> LabStatus | None:
    info = read_server_info(paths)
    if not info or not isinstance(info.get("pid"), int) or not _alive(info["pid"]):
        return None
    return LabStatus(
        pid=info["pid"],
        host=str(info.get("host", "127.0.0.1")),
        ports={str(k): int(v) for k, v in (info.get("ports") or {}).items()},
        started_at=float(info.get("started_at", 0.0)),
    )


def _started_with(pid: int, command: list[str]) -> bool:
    """Was the server process started with this command line (the interpreter aside)?"""
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return False
    return [a for a in argv if a][1:] == command[1:]


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _log_tail(paths: StatePaths, lines: int = 5) -> str:
    try:
        text = paths.log.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


def server_command(spec: FleetSpec, paths: StatePaths) -> list[str]:
    return [
        sys.executable,
        "-m",
        "ispflow.lab.server",
        "--state-dir",
        str(paths.root),
        "--olts",
        str(spec.olts),
        "--vendors",
        ",".join(spec.vendors),
        "--pons",
        str(spec.pons),
        "--onus",
        str(spec.onus),
        "--autofind",
        str(spec.autofind),
        "--latency-ms",
        str(spec.latency_ms),
        "--login-ms",
        str(spec.login_ms),
        "--seed",
        str(spec.seed),
        "--port",
        str(spec.base_port),
        "--alarms" if spec.alarms else "--no-alarms",
        "--concentrators",
        str(spec.concentrators),
        "--api-tls" if spec.api_tls else "--no-api-tls",
        "--firmware",
        spec.firmware,
    ]


def up(spec: FleetSpec, paths: StatePaths, timeout: float = 60.0) -> LabStatus:
    spec.check()
    running = status(paths)
    if running is not None:
        same = _started_with(running.pid, server_command(spec, paths))
        raise LabAlreadyRunning(
            f"a lab is already running from {paths.root} (pid {running.pid}, ports "
            f"{min(running.ports.values())}-{max(running.ports.values())}) with "
            f"{'the same' if same else 'other'} settings; "
            "stop it first with `ispflow lab down` to start another",
            running,
            same,
        )
    if spec.base_port:
        busy = [
            port
            for port in range(spec.base_port, spec.base_port + spec.ports_needed)
            if not _port_free(spec.host, port)
        ]
        if busy:
            raise LabControlError(
                f"port {busy[0]} on {spec.host} is in use"
                + (f" (and {len(busy) - 1} more)" if len(busy) > 1 else "")
                + "; choose another base port with --port"
            )
    paths.root.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileNotFoundError):
        paths.server_json.unlink()
    env = dict(os.environ)
    project = str(import_root())
    env["PYTHONPATH"] = project + os.pathsep + env.get("PYTHONPATH", "")
    env["ISPFLOW_LAB_USERNAME"] = spec.username
    env["ISPFLOW_LAB_PASSWORD"] = spec.password
    with open(paths.log, "wb") as log:
        process = subprocess.Popen(
            server_command(spec, paths),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=paths.root,
            start_new_session=True,  # survives the terminal that ran `lab up`
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LabControlError(f"the lab server stopped at start:\n{_log_tail(paths)}")
        info = read_server_info(paths)
        if info and info.get("pid") == process.pid:
            ports = {str(k): int(v) for k, v in info.get("ports", {}).items()}
            if all(_accepts(spec.host, port) for port in ports.values()):
                known_hosts = _enrol(paths, process)
                return LabStatus(
                    process.pid, spec.host, ports, float(info["started_at"]), known_hosts
                )
        time.sleep(0.05)
    process.kill()
    process.wait(5)
    raise LabControlError(
        f"the lab server did not get ready in {timeout:.0f} s:\n{_log_tail(paths)}"
    )


def _enrol(paths: StatePaths, process: subprocess.Popen[bytes]) -> Path:
    """Record the lab's host key where runs check it; a lab whose key cannot be recorded is
    stopped (every run would refuse it)."""
    from ispflow.lab.host_keys import enrol

    try:
        return enrol(paths)
    except UsageError as exc:
        process.terminate()
        process.wait(10)
        raise LabControlError(f"the lab's SSH host key was not recorded: {exc}") from None


def down(paths: StatePaths, timeout: float = 10.0) -> LabStatus | None:
    """Stop the lab of this state folder; returns what was stopped (None if nothing ran)."""
    running = status(paths)
    if running is None:
        with contextlib.suppress(FileNotFoundError):
            paths.server_json.unlink()
        return None
    os.kill(running.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(running.pid):
        if time.monotonic() > deadline:
            os.kill(running.pid, signal.SIGKILL)
            time.sleep(0.1)
            break
        time.sleep(0.05)
    with contextlib.suppress(FileNotFoundError):
        paths.server_json.unlink()
    return running
