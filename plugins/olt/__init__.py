"""OLT vendor support: drivers (what to send) and parsers (what the answers say)."""

from __future__ import annotations

import threading

from ispflow.plugins.olt.parsing import VendorParsers
from ispflow.plugins.vendors import olt_vendor

_PARSERS: dict[str, VendorParsers] = {}
# A fleet's workers parse their first answers at about the same time: one loads a vendor's
# parsers (compiling its patterns), the others wait for them.
_LOADING = threading.Lock()


def parsers_for(vendor: str) -> VendorParsers:
    """The output parsers of a registered OLT vendor (`ispflow.olt_vendors`), loaded the
    first time that vendor is asked for: a fleet of two vendors loads no other's."""
    name = str(vendor).lower()
    parsers = _PARSERS.get(name)
    if parsers is not None:
        return parsers
    with _LOADING:
        parsers = _PARSERS.get(name)
        if parsers is None:
            registered = olt_vendor(name)  # raises, naming the known vendors
            if not registered.parsers:
                raise ValueError(f"OLT vendor {vendor!r} registers no parsers")
            parsers = _PARSERS[name] = registered.parsers_object()
    return parsers
