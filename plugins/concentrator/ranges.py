"""IPv4 pool ranges as concentrators write them: `10.0.0.2-10.0.0.99,10.0.1.0/24`.

Plain address arithmetic, the same for every vendor: tasks use it to size pools, find
overlaps and tell whether a session's address came from the blocking pool.
"""

from __future__ import annotations

import functools
import ipaddress


def parse_ranges(text: str) -> list[tuple[ipaddress.IPv4Address, ipaddress.IPv4Address]]:
    """`10.0.0.2-10.0.0.99,10.0.1.0/24` as (first, last) pairs; ValueError if malformed."""
    found = []
    for part in str(text).split(","):
        part = part.strip()
        try:
            if "/" in part:
                network = ipaddress.IPv4Network(part, strict=False)
                found.append((network.network_address, network.broadcast_address))
                continue
            low, _, high = part.partition("-")
            first = ipaddress.IPv4Address(low.strip())
            last = ipaddress.IPv4Address(high.strip()) if high else first
        except ValueError:
            raise ValueError(f"pool range {part!r} is not a.b.c.d-a.b.c.e or a.b.c.d/nn") from None
        if first > last:
            raise ValueError(f"pool range {part!r} ends before it starts")
        found.append((first, last))
    return found


def overlap(a: str, b: str) -> tuple[str, str] | None:
    """The first pair of overlapping ranges between two pools' `ranges`, if any."""
    for first, last in parse_ranges(a):
        for other_first, other_last in parse_ranges(b):
            if first <= other_last and other_first <= last:
                return f"{first}-{last}", f"{other_first}-{other_last}"
    return None


def in_ranges(address: str, ranges: str) -> bool:
    """Is `address` inside a pool's `ranges` (`a-b,c/24,...`)?"""
    try:
        ip = int(ipaddress.IPv4Address(address))
    except ValueError:
        return False
    return any(first <= ip <= last for first, last in _bounds(ranges))


@functools.lru_cache(maxsize=256)
def _bounds(ranges: str) -> tuple[tuple[int, int], ...]:
    # A bulk block asks about thousands of addresses against the same one or two pools.
    bounds = []
    for part in ranges.split(","):
        low, _, high = part.strip().partition("-")
        if "/" in low:
            network = ipaddress.IPv4Network(low, strict=False)
            bounds.append((int(network.network_address), int(network.broadcast_address)))
        else:
            bounds.append(
                (int(ipaddress.IPv4Address(low)), int(ipaddress.IPv4Address(high or low)))
            )
    return tuple(bounds)
