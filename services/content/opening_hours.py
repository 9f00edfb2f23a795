"""Opening hours of a store: per weekday a list of `{"open": "HH:MM", "close": "HH:MM"}` intervals,
in the store's time zone (its own `timezone`, else the shop's SHOP_TIMEZONE).

An interval whose `close` is at or before its `open` runs overnight: it ends at `close` the next
day (`{"open": "22:00", "close": "02:00"}` on friday is open until 02:00 on saturday; `00:00` to
`00:00` is the whole day). A weekday that is missing or has no interval is closed. At a given
moment a store is open when it is inside one of today's intervals, or inside the overnight tail
of one of yesterday's.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
MAX_INTERVALS = 6  # per weekday
TIME_PATTERN = r"^(?:[01][0-9]|2[0-3]):[0-5][0-9]$"
_TIME = re.compile(TIME_PATTERN)


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def normalise_hours(hours: dict) -> dict:
    """`hours` (weekday -> [{"open", "close"}], times HH:MM, checked by the API schema) with every
    weekday present, in WEEKDAYS order, each day's intervals sorted by opening time."""
    return {day: sorted(({"open": i["open"], "close": i["close"]} for i in hours.get(day) or []),
                        key=lambda interval: interval["open"]) for day in WEEKDAYS}


def is_open_at(hours: dict, local: dt.datetime) -> bool:
    """Whether `hours` (the stored shape, module docstring) are open at `local`, a wall-clock time
    of the store's time zone."""
    now = local.hour * 60 + local.minute
    today = WEEKDAYS[local.weekday()]
    yesterday = WEEKDAYS[(local.weekday() - 1) % 7]
    for interval in hours.get(today) or []:
        start, end = _minutes(interval["open"]), _minutes(interval["close"])
        if (start <= now < end) if end > start else now >= start:
            return True
    for interval in hours.get(yesterday) or []:
        start, end = _minutes(interval["open"]), _minutes(interval["close"])
        if end <= start and now < end:  # yesterday's overnight interval, still running
            return True
    return False


def open_now(hours: dict, timezone: str, now: dt.datetime) -> bool:
    """Whether `hours` are open at `now` (a naive UTC datetime, as the database stores) in the IANA
    `timezone`."""
    local = now.replace(tzinfo=dt.timezone.utc).astimezone(ZoneInfo(timezone))
    return is_open_at(hours, local)
