"""Top products and categories over a range, and the products' sales per period, from the
product-day and category-day rollups (grouped in SQL; no order is read).

A product's or category's `units` / `revenue` / `orders` are sums over the range's days of its
rollup rows: units sold, line revenue (line totals before order discounts, shipping and tax,
minor units) and orders with a line of it (an order belongs to one day, so the sum is exact).
"""

from __future__ import annotations

import datetime as dt

from peewee import fn

from models.analytics import AnalyticsCategoryDay, AnalyticsProductDay
from services.analytics.periods import Period, as_date, day_labels

SORTS = ("revenue", "units", "orders")
MAX_LIMIT = 100


def _ranked(model, key, currency: str, first: dt.date, last: dt.date, limit: int, sort: str) -> list[tuple]:
    """(key, units, orders, revenue) of the top `limit` keys by `sort` (ties: the other sums, key)."""
    units, orders, revenue = fn.SUM(model.units), fn.SUM(model.orders), fn.SUM(model.revenue)
    by = {"revenue": (revenue, units, orders), "units": (units, revenue, orders),
          "orders": (orders, revenue, units)}[sort]
    query = (model.select(key, units, orders, revenue)
             .where(model.currency == currency, model.day.between(first, last))
             .group_by(key).order_by(*(e.desc() for e in by), key).limit(limit))
    return [(k, int(u or 0), int(o or 0), int(r or 0)) for k, u, o, r in query.tuples()]


def _latest(model, key, columns, currency: str, first: dt.date, last: dt.date, keys: list[str]) -> dict:
    """key -> `columns` of its latest day row in the range (the name it had most recently)."""
    found = {}
    if not keys:
        return found
    query = (model.select(key, *columns).where(model.currency == currency, model.day.between(first, last),
                                               key.in_(keys)).order_by(model.day.desc()).tuples())
    for k, *values in query:
        found.setdefault(k, values)
    return found


def top_products(currency: str, first: dt.date, last: dt.date, limit: int = 10, sort: str = "revenue") -> list[dict]:
    """The best-selling products: `[{"productId", "name", "categoryId" (null: none), "units",
    "orders", "revenue"}]`, best first by `sort` (one of SORTS)."""
    p = AnalyticsProductDay
    ranked = _ranked(p, p.product_id, currency, first, last, limit, sort)
    names = _latest(p, p.product_id, (p.product_name, p.category_id), currency, first, last, [r[0] for r in ranked])
    return [{"productId": pid, "name": names.get(pid, ["", ""])[0], "categoryId": names.get(pid, ["", ""])[1] or None,
             "units": units, "orders": orders, "revenue": revenue} for pid, units, orders, revenue in ranked]


def top_categories(currency: str, first: dt.date, last: dt.date, limit: int = 10,
                   sort: str = "revenue") -> list[dict]:
    """The best-selling categories: `[{"categoryId" (null: products without one), "name", "units",
    "orders", "revenue"}]`, best first by `sort`."""
    c = AnalyticsCategoryDay
    ranked = _ranked(c, c.category_id, currency, first, last, limit, sort)
    names = _latest(c, c.category_id, (c.category_name,), currency, first, last, [r[0] for r in ranked])
    return [{"categoryId": cid or None, "name": names.get(cid, [""])[0], "units": units, "orders": orders,
             "revenue": revenue} for cid, units, orders, revenue in ranked]


def product_sales(currency: str, periods: list[Period]) -> dict[dt.date, dict]:
    """label -> `{"units", "revenue"}` of each period: units and line revenue over every product
    (one query grouped by day, at most one row per day)."""
    totals = {p.label: {"units": 0, "revenue": 0} for p in periods}
    if not periods:
        return totals
    p = AnalyticsProductDay
    label_of = day_labels(periods)
    query = (p.select(p.day, fn.SUM(p.units), fn.SUM(p.revenue))
             .where(p.currency == currency, p.day.between(periods[0].start, periods[-1].end))
             .group_by(p.day).tuples())
    for day, units, revenue in query:
        label = label_of.get(as_date(day))
        if label is not None:
            totals[label]["units"] += int(units or 0)
            totals[label]["revenue"] += int(revenue or 0)
    return totals
