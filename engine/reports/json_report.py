"""The run as JSON: what `run.to_dict()` holds, plus a format version for consumers."""

from __future__ import annotations

import json
from typing import Any

from ispflow.core.outcome import RunOutcome
from ispflow.engine.reports._common import plain, tallies

# Bump when a field is renamed or removed; adding fields keeps the version.
VERSION = 1


def render_json(run: RunOutcome) -> str:
    """The run as indented JSON text; odd result values become strings instead of raising."""
    data: dict[str, Any] = {"version": VERSION, **run.to_dict()}
    dropped = run.results_dropped()
    # When a prune dropped the results of the steps that stored readings (dates).
    data["results_dropped"] = {"at": dropped[0], "before": dropped[1]} if dropped else None
    data["tallies"] = [
        {
            "step": t.step_name,
            "key": t.key,
            "total": t.total,
            "per_host": t.per_host,
            "hosts_done": t.hosts_done,
        }
        for t in tallies(run)
    ]
    # plain() already leaves only JSON types; default=str is a last line of defence.
    return json.dumps(plain(data), indent=2, default=str, ensure_ascii=False, allow_nan=False)
