"""Every command that opens the store says in one line that it cannot, never a traceback and
never the password."""

from __future__ import annotations

import pytest

UNREACHABLE = "postgresql://isp:t0psecret@127.0.0.1:1/ispflow"


@pytest.mark.parametrize(
    "command",
    [("runs",), ("runs", "show", "20261124T110355-7f3a"), ("ticket", "list"), ("stock", "list")],
)
def test_an_unreachable_store_is_one_line(cli, command: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    done = cli(*command, "--db", UNREACHABLE)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "t0psecret" not in done.stderr
    assert done.stderr.startswith("error: cannot open the store at ")
    assert "isp:***@127.0.0.1:1/ispflow" in done.stderr
