"""paramiko's `invoke` import is put off until an SSH config needs it (deferred_imports.py).

Each case runs in a new interpreter: this one may have imported paramiko already."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# Defined in each interpreter: eight threads read a name at the same moment.
READ_AT_ONCE = """
import threading
def read_at_once(read):
    barrier, seen = threading.Barrier(8), []
    def one():
        barrier.wait()
        seen.append(read())
    threads = [threading.Thread(target=one) for _ in range(8)]
    for t in threads: t.start()
    for t in threads: t.join()
    return seen
"""


def run_python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", READ_AT_ONCE + textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
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
        seen = read_at_once(lambda: stand_in.dumps)
        print(type(stand_in).__name__, len({id(f) for f in seen}), type(sys.modules["json"]).__name__)
        """
    )
    assert out == "_LoadedOnFirstUse 1 module"


def test_an_olt_session_class_loads_no_other_netmiko_platform() -> None:
    out = run_python(
        """
        import sys
        from ispflow.plugins.connections.olt_cli import session_class
        assert session_class("huawei_smartax") and session_class("zte_zxros")
        print(len([m for m in sys.modules if m.startswith("netmiko")]),
              "netmiko.ssh_dispatcher" in sys.modules, "netmiko.cisco.cisco_ios" in sys.modules,
              type(sys.modules["netmiko"]).__name__)
        """
    )
    count, dispatcher, cisco, kind = out.split()
    assert (dispatcher, cisco, kind) == ("False", "False", "_InitOnFirstUse")
    assert int(count) < 40  # of netmiko's 260-odd


def test_netmikos_own_names_still_work_and_its_init_runs_once() -> None:
    # After the OLT classes loaded without netmiko's __init__, a reader of the package's
    # names (a script using ConnectHandler, nornir_netmiko) gets them: __init__ runs then,
    # in the same module, once, whichever threads ask.
    out = run_python(
        """
        import sys, threading
        from ispflow.plugins.connections.olt_cli import session_class
        assert session_class("huawei_smartax")
        package = sys.modules["netmiko"]
        seen = read_at_once(lambda: package.ConnectHandler)
        import netmiko
        from netmiko import ConnectHandler, ssh_dispatcher
        from netmiko.huawei.huawei_smartax import HuaweiSmartAXSSH
        print(len(set(map(id, seen))), netmiko is package, seen[0] is ConnectHandler,
              netmiko.__version__ == __import__("importlib.metadata").metadata.version("netmiko"),
              ssh_dispatcher("huawei_smartax") is HuaweiSmartAXSSH,
              netmiko.log is __import__("logging").getLogger("netmiko"),
              hasattr(netmiko, "no_such_name"))
        """
    )
    assert out == "1 True True True True True False"
