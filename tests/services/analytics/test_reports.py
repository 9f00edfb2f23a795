"""The reports read the rollup rows into day, week and month series: sums, average order value,
rates, distinct new and returning customers per period, top products and categories, and the
checks on their ranges."""

from __future__ import annotations

import datetime as dt

import pytest

from models.analytics import AnalyticsDay
from services import analytics
from services.analytics.figures import average_order_value, rate
from services.analytics.periods import periods
from services.errors import ValidationFailed
from tests.services.analytics.history import D1, D2, build_history


@pytest.fixture()
def shop(db):
    history = build_history()
    analytics.roll_up_day(D1)
    analytics.roll_up_day(D2)
    return history


def test_a_daily_sales_series_has_one_point_per_day_with_its_figures(shop):
    report = analytics.sales_report(D1, D2, "day", "usd")
    assert (report["currency"], report["from"], report["to"], report["interval"]) == \
        ("USD", "2026-11-29", "2026-11-30", "day")
    assert report["daysComputed"] == 2 and report["computedAt"].endswith("Z")
    d1, d2 = report["series"]
    assert d1 == {"period": "2026-11-29", "start": "2026-11-29", "end": "2026-11-29", "orders": 2, "units": 3,
                  "revenue": 5360, "averageOrderValue": 2680, "refunds": 0, "refundCount": 0, "netRevenue": 5360,
                  "videoOrders": 0, "videoRevenue": 0}
    assert (d2["orders"], d2["revenue"], d2["averageOrderValue"], d2["refunds"], d2["netRevenue"]) == \
        (4, 9500, 2375, 500, 9000)
    assert report["totals"] == {"orders": 6, "units": 9, "revenue": 14860, "averageOrderValue": 2477,
                                "refunds": 500, "refundCount": 1, "netRevenue": 14360, "videoOrders": 0,
                                "videoRevenue": 0}


def test_each_currency_has_its_own_figures(shop):
    report = analytics.sales_report(D1, D2, "day", "EUR")
    assert [p["revenue"] for p in report["series"]] == [2700, 0]
    assert report["totals"]["refunds"] == 700 and report["totals"]["netRevenue"] == 2000
    assert analytics.sales_report(D1, D2, "day", "JPY")["totals"]["orders"] == 0


def test_weeks_start_on_monday_and_are_clipped_to_the_range(shop):
    report = analytics.sales_report(D1, D2 + dt.timedelta(days=8), "week", "USD")
    assert [(p["period"], p["start"], p["end"]) for p in report["series"]] == [
        ("2026-11-23", "2026-11-29", "2026-11-29"), ("2026-11-30", "2026-11-30", "2026-12-06"),
        ("2026-12-07", "2026-12-07", "2026-12-08")]
    assert [p["orders"] for p in report["series"]] == [2, 4, 0]
    assert report["daysComputed"] == 2  # the days after D2 were never rolled up: zeros


def test_months_sum_their_days(shop):
    report = analytics.revenue_report(dt.date(2026, 11, 1), dt.date(2026, 12, 31), "month", "USD")
    november, december = report["series"]
    assert (november["period"], november["start"], november["end"]) == ("2026-11-01", "2026-11-01", "2026-11-30")
    assert november == {**november, "orders": 6, "grossSales": 14500, "discounts": 300, "shipping": 500, "tax": 160,
                        "revenue": 14860, "refunds": 500, "netRevenue": 14360, "averageOrderValue": 2477}
    assert december["period"] == "2026-12-01" and december["revenue"] == 0 and december["averageOrderValue"] == 0


def test_customers_are_counted_once_per_period_as_new_or_returning(shop):
    daily = analytics.user_report(D1, D2, "day", "USD")["series"]
    assert [(p["customers"], p["newCustomers"], p["returningCustomers"]) for p in daily] == [(2, 2, 0), (4, 1, 3)]
    monthly = analytics.user_report(D1, D2, "month", "USD")
    [november] = monthly["series"]
    # alice, bob and dave ordered first in November; eve had ordered in October
    assert (november["customers"], november["newCustomers"], november["returningCustomers"]) == (4, 3, 1)
    assert monthly["totals"]["customers"] == 4
    weekly = analytics.user_report(D1, D2, "week", "USD")["series"]
    assert [(p["customers"], p["newCustomers"]) for p in weekly] == [(2, 2), (4, 1)]


def test_users_report_new_accounts_and_cart_abandonment(shop):
    report = analytics.user_report(D1, D2, "day", "USD")
    d1, d2 = report["series"]
    assert (d1["newAccounts"], d2["newAccounts"]) == (2, 1)
    assert (d1["cartsCreated"], d1["cartsWithItems"], d1["cartsConverted"], d1["cartsAbandoned"]) == (4, 3, 1, 2)
    assert d1["cartAbandonmentRate"] == 0.6667
    assert d2["cartAbandonmentRate"] is None  # no cart was created: nothing to divide


def test_the_order_report_gives_statuses_and_the_completion_rate(shop):
    report = analytics.order_report(D1, D2, "week", "USD")
    first, second = report["series"]
    assert (first["ordersPlaced"], first["orders"], first["cancelledOrders"], first["deliveredOrders"]) == (3, 2, 1, 1)
    assert first["statuses"] == {"cancelled": 1, "confirmed": 1, "delivered": 1}
    assert first["orderCompletionRate"] == 0.3333
    assert second["orderCompletionRate"] == 0.0
    assert report["totals"]["statuses"] == {"cancelled": 1, "confirmed": 5, "delivered": 1}
    assert report["totals"]["orderCompletionRate"] == round(1 / 7, 4)


def test_top_products_and_categories_rank_by_the_chosen_figure(shop):
    p, c = shop["products"], shop["categories"]
    report = analytics.product_report(D1, D2, "day", "USD", limit=10)
    assert [(r["productId"], r["units"], r["revenue"], r["orders"]) for r in report["products"]] == [
        (p["b"].id, 3, 9000, 3), (p["a"].id, 5, 5000, 2), (p["c"].id, 1, 500, 1)]
    assert report["products"][0]["name"] == "Spring Bouquet" and report["products"][0]["categoryId"] == c["bouquets"].id
    assert report["products"][2]["categoryId"] is None
    by_units = analytics.product_report(D1, D2, "day", "USD", limit=2, sort="units")["products"]
    assert [r["productId"] for r in by_units] == [p["a"].id, p["b"].id]
    assert [(r["categoryId"], r["name"]) for r in report["categories"]] == [
        (c["bouquets"].id, "Bouquets"), (c["roses"].id, "Roses"), (None, "")]
    assert [(s["units"], s["revenue"]) for s in report["series"]] == [(3, 5000), (6, 9500)]
    assert report["totals"] == {"units": 9, "revenue": 14500}


def test_the_dashboard_gives_today_the_range_and_the_top_five(shop):
    board = analytics.dashboard(D1, D2, "USD")
    assert board["range"]["orders"] == 6 and board["range"]["revenue"] == 14860
    assert board["range"]["newCustomers"] == 3 and board["range"]["returningCustomers"] == 1
    today = dt.datetime.now(dt.timezone.utc).date()
    assert board["today"]["orders"] == 0 and board["today"]["date"] == today.isoformat()
    assert board["cartAbandonmentRate"] == 0.6667 and board["orderCompletionRate"] == round(1 / 7, 4)
    assert len(board["topProducts"]) == 3 and board["topProducts"][0]["productId"] == shop["products"]["b"].id
    assert board["currencies"] == ["EUR", "USD"] and board["computedAt"] is not None


def test_reports_read_the_rollup_not_the_orders(shop):
    AnalyticsDay.update(revenue=1).where(AnalyticsDay.day == D1, AnalyticsDay.currency == "USD").execute()
    assert analytics.sales_report(D1, D1, "day", "USD")["series"][0]["revenue"] == 1


def test_average_order_value_rounds_half_up_and_rates_need_a_whole():
    assert average_order_value(5, 2) == 3 and average_order_value(4, 3) == 1 and average_order_value(100, 0) == 0
    assert rate(1, 3) == 0.3333 and rate(0, 0) is None


@pytest.mark.parametrize("first, last, interval, reason", [
    (D2, D1, "day", "analytics_range_reversed"),
    (dt.date(2025, 1, 1), dt.date(2026, 1, 2), "day", "analytics_range_too_long"),  # 366 days + 1
    (dt.date(2024, 1, 1), dt.date(2026, 1, 1), "week", "analytics_range_too_long"),
    (D1, D2, "hour", "invalid_analytics_query"),
])
def test_bad_ranges_and_intervals_are_refused(db, first, last, interval, reason):
    with pytest.raises(ValidationFailed) as refused:
        analytics.sales_report(first, last, interval, "USD")
    assert refused.value.reason == reason and refused.value.status == 422


def test_the_longest_ranges_are_accepted(db):
    assert len(analytics.sales_report(dt.date(2025, 1, 1), dt.date(2026, 1, 1) - dt.timedelta(days=1))["series"]) \
        == 365
    assert len(analytics.sales_report(dt.date(2024, 1, 1), dt.date(2025, 12, 31), "week")["series"]) == 105
    assert len(analytics.sales_report(dt.date(2021, 1, 1), dt.date(2025, 12, 31), "month")["series"]) == 60


def test_periods_cover_the_range_without_gaps():
    found = periods(dt.date(2026, 1, 30), dt.date(2026, 3, 2), "month")
    assert [(p.label, p.start, p.end) for p in found] == [
        (dt.date(2026, 1, 1), dt.date(2026, 1, 30), dt.date(2026, 1, 31)),
        (dt.date(2026, 2, 1), dt.date(2026, 2, 1), dt.date(2026, 2, 28)),
        (dt.date(2026, 3, 1), dt.date(2026, 3, 1), dt.date(2026, 3, 2))]
