"""Delivery dates a customer may book (seed 001, the florist: "deliver on the 14th").

The shop's calendar is configuration (config.py): `DELIVERY_DAYS` (weekdays delivered on),
`DELIVERY_CUTOFF` (shop-local HH:MM), `SHOP_TIMEZONE` (IANA) and `DELIVERY_HORIZON_DAYS`. A date
is bookable when, in the shop's time zone:
- it is not before today (422 `delivery_date_past`),
- it is at most `DELIVERY_HORIZON_DAYS` after today (422 `delivery_date_too_far`),
- it is a delivery day (422 `delivery_date_not_delivery_day`),
- it is not today once the cut-off has passed (422 `delivery_date_cutoff_passed`).
The date is the customer's requested day; it is checked against the calendar only, not against
the shipping method's estimate. Every function takes `now` (an aware datetime, or a naive one
meaning UTC; None: the clock `now()`), so tests set the time instead of waiting.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import config
from models.db import utcnow
from services.errors import ValidationFailed

WEEKDAYS = config.WEEKDAYS


def now() -> dt.datetime:
    """The clock (naive UTC): the one place the current time is read; tests replace it."""
    return utcnow()


def _shop_now(at: dt.datetime | None) -> dt.datetime:
    at = at or now()
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.timezone.utc)
    return at.astimezone(zoneinfo.ZoneInfo(config.get().shop_timezone))


def _refuse(message: str, reason: str) -> ValidationFailed:
    return ValidationFailed(message, reason=reason, details=[{"field": "deliveryDate", "message": message}])


def check_delivery_date(day: dt.date | None, at: dt.datetime | None = None) -> dt.date | None:
    """`day` when bookable at `at` (None stays None: no date asked for). Raises ValidationFailed
    (422, one of the reasons of the module docstring, field `deliveryDate`)."""
    if day is None:
        return None
    s = config.get()
    local = _shop_now(at)
    today = local.date()
    if day < today:
        raise _refuse("The date is in the past", reason="delivery_date_past")
    if day > today + dt.timedelta(days=s.delivery_horizon_days):
        raise _refuse(f"Deliveries are booked at most {s.delivery_horizon_days} days ahead",
                      reason="delivery_date_too_far")
    if day.weekday() not in s.delivery_days:
        raise _refuse("We do not deliver on that weekday", reason="delivery_date_not_delivery_day")
    if day == today and local.time() >= s.delivery_cutoff:
        raise _refuse(f"Today's cut-off ({s.delivery_cutoff:%H:%M}) has passed; choose a later day",
                      reason="delivery_date_cutoff_passed")
    return day


def _bookable(day: dt.date, at: dt.datetime | None) -> bool:
    try:
        check_delivery_date(day, at)
    except ValidationFailed:
        return False
    return True


def delivery_calendar(limit: int = 14, at: dt.datetime | None = None) -> dict:
    """The next bookable dates: `{"dates": ["YYYY-MM-DD", ...] (at most `limit`, soonest first),
    "timeZone", "cutoffTime": "HH:MM", "deliveryDays": ["mon", ...], "horizonDays"}`."""
    s = config.get()
    at = at or now()
    today = _shop_now(at).date()
    days = (today + dt.timedelta(days=n) for n in range(s.delivery_horizon_days + 1))
    dates = [day.isoformat() for day in days if _bookable(day, at)][:limit]
    return {"dates": dates, "timeZone": s.shop_timezone, "cutoffTime": s.delivery_cutoff.strftime("%H:%M"),
            "deliveryDays": [WEEKDAYS[n] for n in s.delivery_days], "horizonDays": s.delivery_horizon_days}
