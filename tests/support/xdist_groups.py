"""Which tests share a pytest-xdist worker: each module's tests (its module fixtures are set up
once), and all the tests of one shared service (they empty it between them, so they must not
run at the same time).

The workers collect and know the markers and fixtures; the controller schedules and knows
only node ids. So each worker writes the groups to a file the controller names before the
workers start, and the controller reads it when every worker has collected: a worker writes
it before it reports its collection.

pytest-xdist's own `--dist loadgroup` does this with an `xdist_group` mark, but it works by
rewriting `item._nodeid`, which pytest 9.2 no longer reads.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

GROUPS_ENV = "ISPFLOW_TEST_GROUPS_FILE"


def module_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def name_the_file(config: pytest.Config) -> None:
    """In the controller, before the workers start (they inherit its environment)."""
    if hasattr(config, "workerinput") or not getattr(config.option, "numprocesses", None):
        return
    handle, name = tempfile.mkstemp(prefix="ispflow-test-groups-", suffix=".json")
    os.close(handle)
    os.environ[GROUPS_ENV] = name
    config.add_cleanup(lambda: Path(name).unlink(missing_ok=True))


def write(groups: dict[str, str]) -> None:
    """In a worker: {module node id: group} for the modules that share a service."""
    name = os.environ.get(GROUPS_ENV)
    if not name:
        return
    draft = Path(f"{name}.{os.getpid()}")
    draft.write_text(json.dumps(groups))
    draft.replace(name)


def make_scheduler(config: pytest.Config, log: Any) -> Any:
    from xdist.scheduler import LoadScopeScheduling

    class SharedServiceScheduling(LoadScopeScheduling):
        """`--dist loadscope` by module, with the modules of one service as one unit; the
        units in collection order (tests/conftest.py puts the slowest first)."""

        _groups: dict[str, str] | None = None

        def _split_scope(self, nodeid: str) -> str:
            if self._groups is None:
                name = os.environ.get(GROUPS_ENV, "")
                try:
                    self._groups = json.loads(Path(name).read_text()) if name else {}
                except (OSError, ValueError):
                    self._groups = {}
            module = module_of(nodeid)
            return self._groups.get(module, module)

    config.option.loadscopereorder = False
    return SharedServiceScheduling(config, log)
