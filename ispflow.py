"""ispflow: network automation runbooks for fibre ISPs.

The library API (the command line, `ispflow --help`, is a layer on top of it):

    from ispflow import RunOptions, load_runbook, run_runbook, task

Installed, this file is the `ispflow` package's ``__init__`` (and its ``__main__``), and the
repository's folders are its subpackages: ``engine/`` is ``ispflow.engine``, ``tasks/`` is
``ispflow.tasks`` and so on. In a checkout this file stands in for that package: its
``__path__`` is the folder it is in, so ``python ispflow.py …`` and ``python -m ispflow …`` work
without an install.
"""

from __future__ import annotations

import os
from typing import Any

__path__ = [os.path.dirname(os.path.abspath(__file__))]
if __spec__ is not None and __spec__.submodule_search_locations is None:
    # importlib.resources asks the spec, not the module, whether this is a package.
    __spec__.submodule_search_locations = __path__

# Names the library exports, loaded on first use: `import ispflow.engine…` in a Celery worker
# or a test must not pay for (or depend on) the whole API.
_EXPORTS = {
    "load_runbook": "ispflow.engine.loader",
    "run_runbook": "ispflow.engine.api",
    "parse_extra_vars": "ispflow.engine.api",
    "parse_limit": "ispflow.engine.api",
    "exit_code": "ispflow.engine.api",
    "EXIT_OK": "ispflow.engine.api",
    "EXIT_FAILED": "ispflow.engine.api",
    "EXIT_USAGE": "ispflow.engine.api",
    "EXIT_ABORTED": "ispflow.engine.api",
    "EXIT_STORE_LOST": "ispflow.engine.api",
    "RunOptions": "ispflow.engine.model",
    "RunOutcome": "ispflow.core.outcome",
    "task": "ispflow.tasks.registry",
}

__all__ = [*_EXPORTS, "main"]  # and __version__, from the installed metadata


def __getattr__(name: str) -> Any:
    if name == "__version__":
        return _version()
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ispflow' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def _version() -> str:
    """The installed distribution's version (pyproject.toml says it once)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ispflow")
    except PackageNotFoundError:
        return "0+checkout"


def main() -> None:
    """The `ispflow` console script."""
    from ispflow.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
