"""Days, periods and ranges of the analytics reports, all in UTC.

A *day* is a UTC calendar day, `[00:00, next day 00:00)`. A report covers the days `from`..`to`
(both included) and groups them by `interval`:

- `day`: each day;
- `week`: ISO weeks, Monday to Sunday; a period is named by its Monday;
- `month`: calendar months; a period is named by its first day.

A period at either end of the range is clipped to it: `start`/`end` are the first and last day of
the range inside the period, and only those days are summed (`period` keeps the week's Monday or
the month's first day). Bucketing is done here in Python from dates, so no SQL date function
(which SQLite and PostgreSQL spell differently) is needed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from services.errors import ValidationFailed

INTERVALS = ("day", "week", "month")
MAX_DAYS = {"day": 366, "week": 731, "month": 1827}  # days a report may cover, per interval
MAX_ROLLUP_DAYS = 366  # days one rollup job recomputes
DEFAULT_DAYS = 30  # a report without `from` covers the 30 days up to `to`
EARLIEST = dt.date(1970, 1, 1)
LATEST = dt.date(2999, 12, 31)


@dataclass(frozen=True)
class Period:
    """One point of a series: `label` (the period's first day: the day, the week's Monday or the
    month's first day) and the range's days inside it, `start`..`end` (both included)."""

    label: dt.date
    start: dt.date
    end: dt.date

    def contains(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The naive-UTC datetimes `[start, end)` of `day` (how times are stored)."""
    start = dt.datetime(day.year, day.month, day.day)
    return start, start + dt.timedelta(days=1)


def as_date(value) -> dt.date:
    """A date from what the database returns for a date or a datetime: the object itself, or ISO
    text (SQLite, for aggregates and expressions peewee cannot convert)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def today() -> dt.date:
    """Today's UTC date."""
    return dt.datetime.now(dt.timezone.utc).date()


def period_start(day: dt.date, interval: str) -> dt.date:
    """The first day of the period of `interval` holding `day` (the day, its ISO week's Monday, or
    its month's first day). Raises ValueError for an unknown interval."""
    if interval == "day":
        return day
    if interval == "week":
        return day - dt.timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    raise ValueError(f"unknown interval {interval!r}")


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every day from `first` to `last`, both included (empty when `first` > `last`)."""
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]


def periods(first: dt.date, last: dt.date, interval: str) -> list[Period]:
    """The periods of `interval` covering `first`..`last`, oldest first, clipped to the range."""
    found: dict[dt.date, Period] = {}
    for day in days_between(first, last):
        label = period_start(day, interval)
        known = found.get(label)
        found[label] = Period(label, known.start if known else day, day)
    return list(found.values())


def day_labels(periods_: list[Period]) -> dict[dt.date, dt.date]:
    """day -> the label of the period holding it, for every day of `periods_`."""
    return {day: p.label for p in periods_ for day in days_between(p.start, p.end)}


def check_range(first: dt.date | None, last: dt.date | None, interval: str = "day",
                limit: int | None = None) -> tuple[dt.date, dt.date]:
    """The report range `(from, to)`: `to` defaults to today (UTC), but at most `limit` days after a
    given `from`; `from` to the `DEFAULT_DAYS`
    days ending at `to`. `limit` (default `MAX_DAYS[interval]`) caps the days it covers.

    Raises ValidationFailed: `invalid_analytics_query` (unknown interval), `analytics_range_reversed`
    (`from` after `to`), `analytics_range_too_long` (more than `limit` days)."""
    if interval not in INTERVALS:
        raise ValidationFailed(f"Unknown interval {interval!r}", reason="invalid_analytics_query",
                               details=[{"field": "interval", "message": f"One of {', '.join(INTERVALS)}"}])
    limit = limit or MAX_DAYS[interval]
    if last is None:  # `to` defaults to today, or to the last day `limit` allows after a given `from`
        last = min(max(today(), EARLIEST), LATEST)
        if first is not None and first <= last:
            last = min(last, first + dt.timedelta(days=limit - 1))
    first = first or max(last - dt.timedelta(days=DEFAULT_DAYS - 1), EARLIEST)
    if first > last:
        raise ValidationFailed("`from` must not be after `to`", reason="analytics_range_reversed",
                               details=[{"field": "from", "message": f"{first} is after {last}"}])
    days = (last - first).days + 1
    if days > limit:
        raise ValidationFailed(f"The range covers {days} days; at most {limit} here (interval={interval})",
                               reason="analytics_range_too_long",
                               details=[{"field": "to", "message": f"at most {limit} days from `from`"}])
    return first, last
