"""How the command line sets up its own process (cli/__init__.py): the cyclic garbage collector
is off while a command starts, and only then; threads are switched less often."""

from __future__ import annotations

import subprocess
import sys

COLLECTOR = """
import gc, os, time, weakref
import ispflow.cli as cli
cli.START_UP_S = 0.05
cli._collector_off_while_starting()
states = [gc.isenabled()]
read, write = os.pipe()
pid = os.fork()
if pid == 0:
    os.write(write, b"1" if gc.isenabled() else b"0")
    os._exit(0)
os.waitpid(pid, 0)
states.append(os.read(read, 1) == b"1")
deadline = time.monotonic() + 30
while not gc.isenabled() and time.monotonic() < deadline:
    time.sleep(0.01)
states.append(gc.isenabled())
print(states)


class Node:
    pass


node = Node()
node.self = node
alive = weakref.ref(node)
del node
gc.collect()
print(gc.get_freeze_count() > 0, alive() is None)
"""


def test_the_garbage_collector_is_off_only_while_a_command_starts() -> None:
    done = subprocess.run(
        [sys.executable, "-c", COLLECTOR], capture_output=True, text=True, timeout=60
    )
    states, after = done.stdout.strip().splitlines()
    # Off at the start; on in a process forked meanwhile; on again afterwards.
    assert states == "[False, True, True]", done.stderr
    # What the start made is frozen (never looked at again); cycles made later are freed.
    assert after == "True True", done.stderr


SWITCHES = """
import sys
import ispflow.cli.app as app
import ispflow.engine.api  # the library
library = sys.getswitchinterval()
app.main = lambda: None  # the command itself is not the point here
from ispflow.cli import SWITCH_INTERVAL_S, main
main()
print(library, sys.getswitchinterval(), SWITCH_INTERVAL_S)
"""


def test_only_the_command_line_lets_threads_run_longer_before_a_forced_switch() -> None:
    done = subprocess.run(
        [sys.executable, "-c", SWITCHES], capture_output=True, text=True, timeout=60
    )
    library, command, wanted = (float(v) for v in done.stdout.split())
    assert library == 0.005, done.stderr  # Python's own, untouched by importing ispflow
    assert command == wanted > library
