"""Every vendor's parsers against captured answers: one suite, driven by files.

    cases/<vendor>/<command_kind>/<case>.txt   the answer as the device printed it (prompt,
                                               echo, pager debris and alarms included)
    cases/<vendor>/<command_kind>/<case>.json  what reading it must give:
        {"command": "...", "records": [...]}    the whole list, every key (floats to 1e-6)
        {"command": "...", "error": "UnreadableOutput" | "DeviceError",
         "match": "regex searched in str(exc)", "line": "first unread line (optional)"}
    and, on either, "xfail": "why" for a known parser bug (a strict xfail: it fails once the
    parser is fixed, so the mark gets removed).

Adding a case is adding those two files; `<command_kind>` is only a readable folder name.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest

from ispflow.plugins.olt import parsers_for
from ispflow.plugins.olt.parsing import DeviceError, ParseError, UnreadableOutput
from ispflow.plugins.vendors import olt_vendors

CASES = Path(__file__).parent / "cases"
ERRORS: dict[str, type[Exception]] = {
    "UnreadableOutput": UnreadableOutput,
    "DeviceError": DeviceError,
}
KEYS = {"command", "records", "error", "match", "line", "xfail"}
TOLERANCE = 1e-6


def case_ids(suffix: str) -> set[str]:
    return {
        path.relative_to(CASES).with_suffix("").as_posix() for path in CASES.rglob(f"*{suffix}")
    }


def load(case: str) -> dict[str, Any]:
    return json.loads((CASES / f"{case}.json").read_text(encoding="utf-8"))


def raw_answer(case: str) -> str:
    # Bytes as captured: no newline translation, CR LF and control characters kept.
    return (CASES / f"{case}.txt").read_bytes().decode("utf-8")


def params() -> list[Any]:
    found = []
    for case in sorted(case_ids(".txt")):
        marks = []
        json_file = CASES / f"{case}.json"
        if json_file.exists():
            reason = json.loads(json_file.read_text(encoding="utf-8")).get("xfail")
            if reason:
                marks.append(pytest.mark.xfail(reason=reason, strict=True))
        found.append(pytest.param(case, id=case, marks=marks))
    return found


def parser_name(vendor: str, command: str) -> str | None:
    """The name of the parser method that reads `command` (None: no parser, a refusal)."""
    try:
        return parsers_for(vendor)._parser(command)[2]
    except ParseError:
        return None


class _Mismatch:
    """A value of the wrong type, shown as such in pytest's diff (3.0 for 3, 1 for true)."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"{self.value!r} ({type(self.value).__name__})"


def settle(actual: Any, expected: Any) -> Any:
    """`actual` with each number within TOLERANCE of the expected float replaced by it, and
    each value of another type than an expected int or bool marked, so that one `==`
    compares the rest exactly and pytest's diff shows what differs."""
    if isinstance(actual, dict) and isinstance(expected, dict):
        return {key: settle(value, expected.get(key)) for key, value in actual.items()}
    if isinstance(actual, list) and isinstance(expected, list):
        return [settle(a, e) for a, e in zip(actual, expected, strict=False)] + actual[
            len(expected) :
        ]
    if isinstance(expected, bool) or isinstance(actual, bool):
        return actual if type(actual) is type(expected) else _Mismatch(actual)
    if isinstance(expected, int):
        return actual if type(actual) is int else _Mismatch(actual)
    if isinstance(expected, float) and isinstance(actual, int | float):
        close = math.isclose(actual, expected, rel_tol=0.0, abs_tol=TOLERANCE)
        return expected if close else actual
    return actual


# -- the layout -----------------------------------------------------------------------------
def test_every_answer_has_its_expectation_and_the_other_way_round() -> None:
    answers, expectations = case_ids(".txt"), case_ids(".json")
    assert sorted(answers - expectations) == [], "answers (.txt) without a .json"
    assert sorted(expectations - answers) == [], "expectations (.json) without a .txt"


def test_cases_sit_at_vendor_kind_case_and_nowhere_else() -> None:
    misplaced = sorted(
        path.relative_to(CASES).as_posix()
        for path in CASES.rglob("*")
        if path.is_file()
        and (len(path.relative_to(CASES).parts) != 3 or path.suffix not in {".txt", ".json"})
    )
    assert misplaced == []


def test_every_vendor_and_every_parser_has_cases() -> None:
    with pytest.raises(ValueError):
        parsers_for("no-such-vendor")
    vendors = sorted(olt_vendors())
    assert vendors, "no OLT vendor registered"
    assert sorted(path.name for path in CASES.iterdir() if path.is_dir()) == vendors
    for vendor in vendors:
        wanted = {name for _, name in parsers_for(vendor).commands} - {"no_records"}
        covered = {
            parser_name(vendor, load(case)["command"])
            for case in case_ids(".json")
            if case.startswith(f"{vendor}/")
        }
        assert sorted(wanted - covered) == [], f"{vendor} parsers without a case"


# -- the cases ------------------------------------------------------------------------------
@pytest.mark.parametrize("case", params())
def test_case(case: str) -> None:
    json_file = CASES / f"{case}.json"
    if not json_file.exists():
        pytest.fail(f"{case}.txt has no {json_file.name}")
    spec = load(case)
    assert set(spec) <= KEYS, f"unknown keys {sorted(set(spec) - KEYS)}"
    assert isinstance(spec.get("command"), str) and spec["command"].strip()
    assert ("records" in spec) != ("error" in spec), "give either records or error"

    vendor = case.split("/")[0]
    parsers = parsers_for(vendor)
    command, answer = spec["command"], raw_answer(case)

    if "records" in spec:
        records = parsers.parse(command, answer)
        assert settle(records, spec["records"]) == spec["records"]
        return

    assert spec["error"] in ERRORS, f"error must be one of {sorted(ERRORS)}"
    assert "match" in spec, "an error case names what the message must say (match)"
    with pytest.raises(ERRORS[spec["error"]]) as caught:
        parsers.parse(command, answer)
    error = caught.value
    assert re.search(spec["match"], str(error)), f"{spec['match']!r} not in {str(error)!r}"
    if "line" in spec:
        assert isinstance(error, UnreadableOutput), "only UnreadableOutput names a line"
        assert error.line.strip() == spec["line"].strip()
    if isinstance(error, DeviceError):
        # The refusal names the command it refused, as the parsers know it.
        name = parser_name(vendor, command)
        known_as = parsers._parser(command)[0] if name else command
        assert error.command == known_as
