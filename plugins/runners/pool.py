"""A Nornir runner with a fixed pool of threads that take hosts from one shared list.

Nornir's ThreadedRunner submits one future per host to a ThreadPoolExecutor; for a step
that is quick per host (a dry run, a journal-only step, a bulk read that hits a cache) the
futures, their conditions and the submitting loop cost more than the work, and the main
thread competes with the workers for the GIL while it submits. Here each worker simply
takes the next host until none is left: same results, same processors, no per-host
bookkeeping besides the Task copy Nornir itself needs.

Each worker thread runs in its own copy of the calling thread's context, so context
variables set for a run (the run's store and id, see `ispflow.store.run_context`) reach the tasks
however many runs share the process.
"""

from __future__ import annotations

import contextvars
import threading

from nornir.core.inventory import Host
from nornir.core.task import AggregatedResult, Task


class PoolRunner:
    def __init__(self, num_workers: int = 20) -> None:
        self.num_workers = max(1, num_workers)

    def run(self, task: Task, hosts: list[Host]) -> AggregatedResult:
        result = AggregatedResult(task.name)
        # A list iterator's next() runs in C under the GIL, so threads sharing it each get
        # a different host; storing into the result dict is atomic for the same reason.
        pending = iter(hosts)
        stop = threading.Event()

        def work() -> None:
            for host in pending:
                if stop.is_set():
                    return
                result[host.name] = task.copy().start(host)

        count = min(self.num_workers, len(hosts))
        if count <= 1:
            work()
            return result
        # One copy per thread: a Context can be entered by one thread at a time.
        threads = [
            threading.Thread(
                target=contextvars.copy_context().run,
                args=(work,),
                name=f"ispflow-worker-{i}",
                daemon=True,
            )
            for i in range(count)
        ]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                thread.join()
        except KeyboardInterrupt:
            # Ctrl-C: take no new host, but let the ones in flight finish and be recorded,
            # so nothing is left half-done without a record. A second Ctrl-C stops waiting.
            stop.set()
            for thread in threads:
                thread.join()
            raise
        return result
