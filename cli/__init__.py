"""The command line: one layer on top of the library, and nothing below imports it."""

from __future__ import annotations

import gc
import os
import sys
import threading

# How long the cyclic garbage collector stays off while a command starts (see main).
START_UP_S = 1.0
# How long a thread may hold the interpreter while others wait for it (Python's own: 5 ms).
SWITCH_INTERVAL_S = 0.02


def main() -> None:
    """The `ispflow` console script."""
    _collector_off_while_starting()
    _fewer_forced_thread_switches()
    from ispflow.cli.app import main as run_app

    run_app()


def _collector_off_while_starting() -> None:
    """Starting a command allocates hundreds of thousands of objects (modules, classes, the
    store's tables) that live until it exits; the cyclic collector went through them again
    and again and found nothing to free, a tenth of the time to a run's first login. It is
    off for the first second, then on as usual for a command that runs longer (and in a
    process forked before then). What exists by then is frozen first: the collector never
    looks at it again, where each full collection of a run went through all of it (objects
    freed by reference counts still are)."""
    gc.disable()
    os.register_at_fork(after_in_child=gc.enable)
    timer = threading.Timer(START_UP_S, _collector_on)
    timer.daemon = True
    timer.start()


def _collector_on() -> None:
    gc.freeze()
    gc.enable()


def _fewer_forced_thread_switches() -> None:
    """A run has two threads per device session (the SSH transport's and the worker's), and
    each thread's work between two waits on the network is short: parsing one answer, one
    packet. Every 5 ms Python made the thread at work hand the interpreter over to whichever
    waited, often mid-parse. At 20 ms a thread almost always finishes and hands it over
    itself as it waits on the network: a fleet audit used about a sixth less CPU. A thread
    waiting for the interpreter waits about this long at most, well under a device's answer
    time; the setting is the process's, so only the command line sets it, never the
    library."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
