"""An OLT vendor's parsers load when that vendor is first asked for, once, whatever the threads."""

from __future__ import annotations

import json
import subprocess
import sys
import threading

import pytest

from ispflow.plugins.olt import parsers_for
from ispflow.plugins.vendors import UnknownVendor

LOADED_PARSERS = """
import json, sys
from ispflow.plugins.olt import parsers_for
parsers_for("huawei")
print(json.dumps(sorted(m for m in sys.modules if m.startswith("ispflow.plugins.olt.")
                        and m.endswith(".parsers"))))
"""


def test_asking_for_one_vendor_loads_no_other_vendors_parsers() -> None:
    done = subprocess.run(
        [sys.executable, "-c", LOADED_PARSERS], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == ["ispflow.plugins.olt.huawei.parsers"]


def test_threads_asking_at_once_share_one_parsers_object() -> None:
    got: list[object] = []
    start = threading.Barrier(8)

    def ask() -> None:
        start.wait()
        got.append(parsers_for("ZTE"))

    threads = [threading.Thread(target=ask) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(got) == 8 and all(parsers is got[0] for parsers in got)


def test_an_unknown_vendor_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(UnknownVendor, match="huawei"):
        parsers_for("no-such-vendor")
