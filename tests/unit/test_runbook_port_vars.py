"""A shipped runbook's PON port var refuses what is not frame/slot/port before a run starts,
so a typo or an injected second command never reaches a task (nor an OLT)."""

from __future__ import annotations

import pytest

from ispflow.core.paths import RUNBOOKS_DIR
from ispflow.engine.errors import VarErrors
from ispflow.engine.loader import load_runbook
from ispflow.engine.vartypes import resolve_vars
from ispflow.plugins.olt.driver import PonPort

WITH_PORT = [
    path for path in sorted(RUNBOOKS_DIR.glob("*.yaml")) if "port" in load_runbook(path).var_specs
]
BAD = ["9999/1/0", "0/1/0;quit", "0/1/0\nundo ont 0/1/0 5", "0/1", "0-1-3", "a/b/c", " 0/1/3x"]


def test_the_runbooks_with_a_port_var_are_found() -> None:
    assert {p.stem for p in WITH_PORT} >= {"onu-signal", "onu-authorize", "onu-describe"}


@pytest.mark.parametrize("path", WITH_PORT, ids=lambda p: p.stem)
def test_a_port_that_is_not_frame_slot_port_is_refused_before_the_run(path) -> None:
    specs = load_runbook(path).var_specs
    for bad in BAD:
        with pytest.raises(VarErrors, match="'port'"):
            resolve_vars(specs, {"port": bad})
    good = resolve_vars(specs, {"port": "0/12/127"})["port"]
    assert str(PonPort.parse(good)) == "0/12/127"


def test_a_port_out_of_range_is_named_by_the_driver_too() -> None:
    with pytest.raises(ValueError, match="up to 2 digits"):
        PonPort.parse("9999/1/0")
