"""Huawei SmartAX parsers: what the captured-answer cases (test_cases.py) cannot say.

The answers themselves, read into records or refused, are cases under cases/huawei/.
"""

from __future__ import annotations

import pytest

from ispflow.plugins.olt import parsers_for
from ispflow.plugins.olt.parsing import ParseError


def test_a_command_without_a_parser_is_named() -> None:
    with pytest.raises(ParseError, match="display temperature 0"):
        parsers_for("huawei").parse("display temperature 0", "")


def test_unknown_vendor() -> None:
    with pytest.raises(ValueError, match="nokia"):
        parsers_for("nokia")


def test_describe_lines_have_no_records() -> None:
    huawei = parsers_for("huawei")
    for line in ("config", "interface gpon 0/2", 'ont modify 5 4 desc "C-2004_Joana"', "return"):
        assert huawei.parse(line, "OLT-NORTE-01(config-if-gpon-0/2)#") == []
