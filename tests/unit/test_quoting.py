"""Values quoted in messages: whole when short, cut with their length when long."""

from __future__ import annotations

import pytest

from ispflow.core.quoting import SHOWN, quoted
from ispflow.engine.var_names import check_names
from ispflow.engine.vartypes import VarErrors, VarSpec


def test_a_short_value_is_its_repr() -> None:
    assert quoted("C-1001") == "'C-1001'"
    assert quoted("inadimplência") == "'inadimplência'"
    assert quoted(42) == "42"


def test_a_long_text_is_cut_and_says_how_long_it_was() -> None:
    text = "C-1" * 7000
    shown = quoted(text)
    assert shown == f"{text[:SHOWN]!r}… (21,000 characters)"
    assert len(shown) < 2 * SHOWN
    assert quoted("x" * SHOWN) == repr("x" * SHOWN)  # at the limit: whole


def test_a_long_value_of_another_type_is_cut() -> None:
    shown = quoted(list(range(1000)))
    assert shown.startswith("[0, 1, 2") and shown.endswith("…") and len(shown) == SHOWN + 1


def test_an_unknown_name_pasted_whole_is_quoted_short() -> None:
    specs = {"olt": VarSpec("olt", type="host")}
    with pytest.raises(VarErrors) as caught:
        check_names(specs, {"olt": "olt-poa-01" * 500}, ["olt-poa-01"], db=None)
    [error] = caught.value.errors
    assert "(5,000 characters) in the inventory" in str(error)
    assert len(str(error)) < 200
