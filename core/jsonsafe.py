"""Task results as JSON-safe values, so the journal, reports and resumed runs all see the same."""

from __future__ import annotations

import datetime as _dt
import decimal
import enum
import ipaddress
from pathlib import PurePath
from typing import Any

_SCALARS = (str, int, float, bool, type(None))


_EXACT_SCALARS = frozenset(_SCALARS)
_TEXT = frozenset({str})


def jsonable(value: Any) -> Any:
    if isinstance(value, _SCALARS):
        return value
    if (
        type(value) is dict
        and _TEXT.issuperset(map(type, value))
        and _EXACT_SCALARS.issuperset(map(type, value.values()))
    ):
        # A flat record (an audit returns tens of thousands): copied at C speed.
        return dict(value)
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, _dt.datetime | _dt.date | _dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, ipaddress._BaseAddress | ipaddress._BaseNetwork | PurePath):
        return str(value)
    if hasattr(value, "to_dict"):
        return jsonable(value.to_dict())
    return repr(value)
