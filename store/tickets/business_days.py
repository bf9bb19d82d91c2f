"""Business days in Brazil: weekdays that are not national holidays.

The holidays come from the `holidays` package (national law: New Year, Good Friday, Tiradentes,
Labour Day, Independence, Aparecida, All Souls, Republic, Black Awareness since 2024,
Christmas). Carnival and Corpus Christi are optional points, not holidays: pass them in
`extra` where a company closes on them.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

# A ticket waiting since 23:30 on a Friday in Brasília is waiting since Friday, not Saturday.
DEFAULT_TZ = "America/Sao_Paulo"


@functools.lru_cache(maxsize=64)
def _national(year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays("BR", years=year))


def is_business_day(day: date, extra: Iterable[date] = ()) -> bool:
    return day.weekday() < 5 and day not in _national(day.year) and day not in set(extra)


def business_days_between(
    start: datetime, end: datetime, *, tz: str = DEFAULT_TZ, extra: Iterable[date] = ()
) -> int:
    """Business days that have passed from `start` to `end`: the days after start's day up to
    and including end's day, in the local time zone. Waiting since Monday makes 5 on the next
    Monday (when there is no holiday in between)."""
    zone = ZoneInfo(tz)
    first = start.astimezone(zone).date() + timedelta(days=1)
    last = end.astimezone(zone).date()
    skipped = frozenset(extra)
    count = 0
    day = first
    while day <= last:
        if is_business_day(day, skipped):
            count += 1
        day += timedelta(days=1)
    return count
