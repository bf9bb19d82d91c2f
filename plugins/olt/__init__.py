"""OLT vendor support: drivers (what to send) and parsers (what the answers say)."""

from __future__ import annotations

from ispflow.plugins.olt.parsing import VendorParsers
from ispflow.plugins.vendors import olt_vendor, olt_vendors

_PARSERS: dict[str, VendorParsers] = {}


def parsers_for(vendor: str) -> VendorParsers:
    """The output parsers of a registered OLT vendor (`ispflow.olt_vendors`)."""
    if not _PARSERS:
        _PARSERS.update({name: v.parsers_object() for name, v in olt_vendors().items()})
    parsers = _PARSERS.get(str(vendor).lower())
    if parsers is None:
        olt_vendor(vendor)  # raises, naming the known vendors
        raise ValueError(f"OLT vendor {vendor!r} registers no parsers")
    return parsers
