"""The cyclic garbage collector is off while a command starts, and only then (cli/__init__.py)."""

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
