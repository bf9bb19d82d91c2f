"""OLT vendor support: drivers (what to send) and parsers (what the answers say)."""

from __future__ import annotations

from plugins.olt.parsing import VendorParsers

_PARSERS: dict[str, VendorParsers] = {}


def parsers_for(vendor: str) -> VendorParsers:
    """The output parsers of a vendor (`huawei`, `zte`)."""
    if not _PARSERS:
        from plugins.olt.huawei.parsers import HuaweiParsers
        from plugins.olt.zte.parsers import ZteParsers

        _PARSERS.update({"huawei": HuaweiParsers(), "zte": ZteParsers()})
    try:
        return _PARSERS[vendor.lower()]
    except KeyError:
        raise ValueError(
            f"no OLT parsers for vendor {vendor!r} (known: {', '.join(sorted(_PARSERS))})"
        ) from None
