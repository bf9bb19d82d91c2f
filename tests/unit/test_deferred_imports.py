"""paramiko's `invoke` import is put off until an SSH config needs it (deferred_imports.py).

Each case runs in a new interpreter: this one may have imported paramiko already."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_the_ssh_connection_loads_paramiko_without_invoke() -> None:
    out = run_python(
        """
        import sys
        import ispflow.plugins.connections.olt_cli
        import paramiko.config
        loaded = sorted(m for m in sys.modules if m.startswith("invoke."))
        print(type(sys.modules["invoke"]).__name__, loaded, "unittest.mock" in sys.modules)
        """
    )
    assert out == "_LoadedOnFirstUse [] False"


def test_an_ssh_config_with_match_exec_still_runs_its_command() -> None:
    # paramiko runs `Match exec` commands through invoke: the real module loads on first use.
    out = run_python(
        """
        import sys
        import ispflow.plugins.connections.olt_cli
        from paramiko import SSHConfig
        config = SSHConfig.from_text(
            "Match exec true\\n  User from-true\\nMatch exec false\\n  Port 2222\\n"
        )
        found = config.lookup("olt-1")
        print(found.get("user"), found.get("port"), type(sys.modules["invoke"]).__name__)
        """
    )
    assert out == "from-true None module"


def test_a_module_not_installed_is_left_to_fail_as_its_importers_expect() -> None:
    out = run_python(
        """
        import sys
        from ispflow.plugins.connections.deferred_imports import defer
        defer(("no_such_module_here",))
        try:
            import no_such_module_here
        except ImportError:
            print("ImportError", "no_such_module_here" in sys.modules)
        """
    )
    assert out == "ImportError False"


def test_threads_reading_it_at_once_get_the_one_real_module() -> None:
    out = run_python(
        """
        import sys, threading
        from ispflow.plugins.connections.deferred_imports import defer
        defer(("json",))
        sys.modules.pop("json.decoder", None)
        stand_in = sys.modules.get("json")
        barrier = threading.Barrier(8)
        seen = []
        def read():
            barrier.wait()
            seen.append(stand_in.dumps)
        threads = [threading.Thread(target=read) for _ in range(8)]
        for t in threads: t.start()
        for t in threads: t.join()
        print(type(stand_in).__name__, len({id(f) for f in seen}), type(sys.modules["json"]).__name__)
        """
    )
    assert out == "_LoadedOnFirstUse 1 module"
