"""ZTE C300/C320 and C600 parsers: what the captured-answer cases (test_cases.py) cannot say.

The answers themselves, read into records or refused, are cases under cases/zte/.
"""

from __future__ import annotations

from ispflow.plugins.olt import parsers_for


def test_describe_lines_have_no_records() -> None:
    zte = parsers_for("zte")
    for line in ("configure terminal", "interface gpon_onu-1/1/2:7", "name C-2004_Joana", "end"):
        assert zte.parse(line, "OLT-C600(config)#") == []
