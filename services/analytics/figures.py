"""Reading the rollup tables into period figures. Nothing here reads orders, carts or refunds:
only `models.analytics` rows, at most one per day (and currency, product, category or customer).

`period_figures(currency, periods, customers=...)` sums the day rows of each period (in Python;
at most MAX_DAYS rows) and derives the metrics below; distinct customers per period are counted
in SQL from the customer-day rows, with the periods' day ranges as a portable CASE expression.

Metrics of a period (money in minor units of the currency; rates are fractions 0..1 rounded to 4
places, null when there is nothing to divide by):

- `ordersPlaced`, `orders`, `cancelledOrders`, `deliveredOrders`, `statuses`, `units`,
  `grossSales`, `discounts`, `shipping`, `tax`, `revenue`, `refunds`, `refundCount`, `videoOrders`,
  `videoRevenue` (orders with a line from a shoppable video, those lines' totals): sums of the
  days' columns (defined in services.analytics.rollup);
- `averageOrderValue` = revenue / orders, rounded half up to a minor unit (0 without orders);
- `netRevenue` = revenue - refunds (negative when refunds of older orders exceed the period's sales);
- `orderCompletionRate` = deliveredOrders / ordersPlaced: the share of the orders placed in the
  period that were delivered (seed 004's order completion rate);
- `cartsCreated`, `cartsWithItems`, `cartsConverted`, `cartsAbandoned`: sums; `cartAbandonmentRate`
  = cartsAbandoned / cartsWithItems: the carts created in the period that had items and were not
  converted, over the carts created with items (seed 004's cart abandonment rate; carts that never
  held an item are not shopping carts, as in Baymard's and Shopify's definition);
- `newAccounts`: customer accounts registered (currency-free);
- `customers`: distinct customers with a non-cancelled order in the period; `newCustomers`: those
  whose first non-cancelled order ever was in the period; `returningCustomers`: those who had
  ordered before the period (customers = new + returning). For a day: new = first order ever that
  day, returning = had an earlier order.
"""

from __future__ import annotations

import datetime as dt

from peewee import SQL, Case, fn

from models.analytics import AnalyticsCustomerDay, AnalyticsDay, AnalyticsRollupDay
from models.db import isoformat
from services.analytics.periods import Period, as_date, day_labels

SUMMED = {  # JSON metric -> AnalyticsDay column
    "ordersPlaced": "orders_placed", "orders": "orders", "cancelledOrders": "cancelled_orders",
    "deliveredOrders": "delivered_orders", "units": "units", "grossSales": "gross_sales", "discounts": "discounts",
    "shipping": "shipping", "tax": "tax", "revenue": "revenue", "refunds": "refunds", "refundCount": "refund_count",
    "cartsCreated": "carts_created", "cartsWithItems": "carts_with_items", "cartsConverted": "carts_converted",
    "cartsAbandoned": "carts_abandoned", "videoOrders": "video_orders", "videoRevenue": "video_revenue",
}


def average_order_value(revenue: int, orders: int) -> int:
    """revenue / orders in minor units, rounded half up; 0 without orders."""
    if orders <= 0:
        return 0
    return (2 * revenue + orders) // (2 * orders)


def rate(part: int, whole: int) -> float | None:
    """part / whole rounded to 4 places; None when whole is 0."""
    return round(part / whole, 4) if whole else None


def _summed_days(currency: str, periods: list[Period]) -> dict[dt.date, dict]:
    """label -> the SUMMED metrics and merged `statuses` of the period's AnalyticsDay rows."""
    totals = {p.label: {**{metric: 0 for metric in SUMMED}, "statuses": {}} for p in periods}
    if not periods:
        return totals
    label_of = day_labels(periods).get
    rows = AnalyticsDay.select().where(AnalyticsDay.currency == currency,
                                       AnalyticsDay.day.between(periods[0].start, periods[-1].end))
    for row in rows:
        label = label_of(as_date(row.day))
        if label is None:
            continue
        bucket = totals[label]
        for metric, column in SUMMED.items():
            bucket[metric] += int(getattr(row, column) or 0)
        for status, count in (row.status_counts or {}).items():
            bucket["statuses"][status] = bucket["statuses"].get(status, 0) + int(count)
    return totals


def _new_accounts(periods: list[Period]) -> dict[dt.date, int]:
    counts = {p.label: 0 for p in periods}
    if not periods:
        return counts
    label_of = day_labels(periods).get
    for day, n in AnalyticsRollupDay.select(AnalyticsRollupDay.day, AnalyticsRollupDay.new_accounts) \
            .where(AnalyticsRollupDay.day.between(periods[0].start, periods[-1].end)).tuples():
        label = label_of(as_date(day))
        if label is not None:
            counts[label] += int(n or 0)
    return counts


def customer_counts(currency: str, periods: list[Period]) -> dict[dt.date, tuple[int, int]]:
    """label -> (distinct customers, new customers) of each period, in one query: the period of a
    customer-day row is its day, or for longer periods a CASE over the periods' day ranges (portable
    SQL, no date functions), grouped by that first column."""
    counts = {p.label: (0, 0) for p in periods}
    if not periods:
        return counts
    row = AnalyticsCustomerDay
    if all(p.label == p.start == p.end for p in periods):  # days: the day is the period
        bucket = row.day
        new_key = Case(None, [(row.first_order_day == row.day, row.customer_key)])
    else:
        bucket = Case(None, [(row.day.between(p.start, p.end), p.label.isoformat()) for p in periods])
        new_key = Case(None, [(row.day.between(p.start, p.end) & (row.first_order_day >= p.start),
                               row.customer_key) for p in periods])
    query = (row.select(bucket, fn.COUNT(fn.DISTINCT(row.customer_key)), fn.COUNT(fn.DISTINCT(new_key)))
             .where(row.currency == currency, row.day.between(periods[0].start, periods[-1].end))
             .group_by(SQL("1")).tuples())
    for label, customers, new in query:
        if label is not None:
            counts[as_date(label)] = (int(customers or 0), int(new or 0))
    return counts


def derive(summed: dict, accounts: int = 0, customers: tuple[int, int] | None = None) -> dict:
    """Every metric of a period (module docstring) from its sums, new accounts and customer counts."""
    figures = dict(summed)
    figures["statuses"] = dict(sorted(summed["statuses"].items()))
    figures["averageOrderValue"] = average_order_value(summed["revenue"], summed["orders"])
    figures["netRevenue"] = summed["revenue"] - summed["refunds"]
    figures["orderCompletionRate"] = rate(summed["deliveredOrders"], summed["ordersPlaced"])
    figures["cartAbandonmentRate"] = rate(summed["cartsAbandoned"], summed["cartsWithItems"])
    figures["newAccounts"] = accounts
    if customers is not None:
        total, new = customers
        figures.update(customers=total, newCustomers=new, returningCustomers=total - new)
    return figures


def period_figures(currency: str, periods: list[Period], customers: bool = False) -> list[dict]:
    """Each period's metrics (module docstring), oldest first: `{"period", "start", "end", ...}`
    with ISO dates; the customer metrics only when `customers` (one more query)."""
    summed = _summed_days(currency, periods)
    accounts = _new_accounts(periods)
    distinct = customer_counts(currency, periods) if customers else {}
    return [{"period": p.label.isoformat(), "start": p.start.isoformat(), "end": p.end.isoformat(),
             **derive(summed[p.label], accounts[p.label], distinct.get(p.label) if customers else None)}
            for p in periods]


def rollup_status(first: dt.date, last: dt.date) -> dict:
    """How fresh the range's rollup is: `{"computedAt": the latest rollup of one of its days (ISO,
    null when none), "daysComputed": its days that were rolled up}`."""
    query = AnalyticsRollupDay.select(fn.MAX(AnalyticsRollupDay.computed_at), fn.COUNT(AnalyticsRollupDay.day)) \
        .where(AnalyticsRollupDay.day.between(first, last))
    latest, days = query.tuples().get()
    if latest is not None and not isinstance(latest, dt.datetime):
        latest = dt.datetime.fromisoformat(str(latest))
    return {"computedAt": isoformat(latest), "daysComputed": int(days or 0)}


def currencies(first: dt.date, last: dt.date) -> list[str]:
    """The currencies with a day row in the range, sorted."""
    return [c for (c,) in AnalyticsDay.select(AnalyticsDay.currency).distinct()
            .where(AnalyticsDay.day.between(first, last)).order_by(AnalyticsDay.currency).tuples()]
