"""The delivery calendar (services.orders.delivery_dates): delivery days, cut-off in the shop's time
zone and the booking horizon, with the time given rather than waited for."""

import dataclasses
import datetime as dt

import pytest

import config
from services.errors import ValidationFailed
from services.orders import delivery_dates

MONDAY_9_UTC = dt.datetime(2026, 12, 7, 9, 0)


@pytest.fixture
def florist(settings):
    """Deliveries Tuesday to Saturday, orders by 12:00 Amman time, four weeks ahead."""
    config.override(dataclasses.replace(settings, delivery_days=(1, 2, 3, 4, 5), shop_timezone="Asia/Amman",
                                        delivery_cutoff=dt.time(12, 0), delivery_horizon_days=28))
    yield
    config.override(settings)


def reason(day: dt.date, at: dt.datetime):
    try:
        delivery_dates.check_delivery_date(day, at)
    except ValidationFailed as exc:
        assert exc.status == 422 and exc.details[0]["field"] == "deliveryDate"
        return exc.reason
    return None


def test_a_monday_is_not_a_delivery_day_and_tuesday_is(florist):
    assert reason(dt.date(2026, 12, 7), MONDAY_9_UTC) == "delivery_date_not_delivery_day"
    assert reason(dt.date(2026, 12, 8), MONDAY_9_UTC) is None


def test_today_closes_at_the_cut_off_in_the_shop_time_zone(florist):
    tuesday = dt.date(2026, 12, 8)
    assert reason(tuesday, dt.datetime(2026, 12, 8, 8, 59)) is None  # 11:59 in Amman
    assert reason(tuesday, dt.datetime(2026, 12, 8, 9, 0)) == "delivery_date_cutoff_passed"  # 12:00 in Amman
    aware = dt.datetime(2026, 12, 8, 11, 59, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    assert reason(tuesday, aware) is None  # an aware time is read in its own zone


def test_past_and_too_far_dates_are_refused(florist):
    assert reason(dt.date(2026, 12, 5), MONDAY_9_UTC) == "delivery_date_past"
    assert reason(dt.date(2027, 1, 4), MONDAY_9_UTC) == "delivery_date_not_delivery_day"  # day 28: a Monday
    assert reason(dt.date(2027, 1, 2), MONDAY_9_UTC) is None  # day 26, a Saturday
    assert reason(dt.date(2027, 1, 5), MONDAY_9_UTC) == "delivery_date_too_far"  # day 29
    assert delivery_dates.check_delivery_date(None, MONDAY_9_UTC) is None


def test_the_calendar_lists_the_bookable_days_soonest_first(florist):
    calendar = delivery_dates.delivery_calendar(limit=6, at=MONDAY_9_UTC)
    assert calendar["dates"] == ["2026-12-08", "2026-12-09", "2026-12-10", "2026-12-11", "2026-12-12", "2026-12-15"]
    assert calendar["deliveryDays"] == ["tue", "wed", "thu", "fri", "sat"] and calendar["cutoffTime"] == "12:00"
    assert len(delivery_dates.delivery_calendar(limit=366, at=MONDAY_9_UTC)["dates"]) == 20  # 4 weeks x 5


def test_the_calendar_settings_are_read_and_checked(settings):
    loaded = config.load({"DELIVERY_DAYS": "Sat, sun", "DELIVERY_CUTOFF": "09:30", "SHOP_TIMEZONE": "Europe/Paris",
                          "DELIVERY_HORIZON_DAYS": "7"})
    assert (loaded.delivery_days, loaded.delivery_cutoff, loaded.shop_timezone, loaded.delivery_horizon_days) == \
        ((5, 6), dt.time(9, 30), "Europe/Paris", 7)
    for name, value in [("DELIVERY_DAYS", "funday"), ("DELIVERY_CUTOFF", "25:00"), ("SHOP_TIMEZONE", "Mars/Base"),
                        ("DELIVERY_HORIZON_DAYS", "-1")]:
        with pytest.raises(config.ConfigError, match=name):
            config.load({name: value})
