"""The analytics reports the API serves (seed 001 `/analytics/*`, `/orders/analytics`; seed 004's
cart abandonment and order completion rates), built only from the rollup tables.

Every series report takes `from`/`to` (dates, both included, UTC; default the 30 days up to
today), `interval` (day | week | month, see services.analytics.periods) and `currency` (default
the shop's `CURRENCY`; a shop selling in several currencies gets one report per currency, money is
never converted) and answers

    {"currency", "from", "to", "interval", "computedAt", "daysComputed",
     "totals": {metric: value over the whole range},
     "series": [{"period", "start", "end", metric: value, ...}, ...]}

with the metrics of services.analytics.figures (`SALES_METRICS` etc. below say which). `computedAt`
is when the range's latest rollup ran (null: never), `daysComputed` how many of its days have been
rolled up (days never rolled up read as zeros). Raises ValidationFailed
(`invalid_analytics_query`, `analytics_range_reversed`, `analytics_range_too_long`).
"""

from __future__ import annotations

import datetime as dt

import config
from services.analytics import figures, rankings
from services.analytics.periods import Period, check_range, periods, today
from services.errors import ValidationFailed

SALES_METRICS = ("orders", "units", "revenue", "averageOrderValue", "refunds", "refundCount", "netRevenue",
                 "videoOrders", "videoRevenue")
REVENUE_METRICS = ("orders", "grossSales", "discounts", "shipping", "tax", "revenue", "refunds", "netRevenue",
                   "averageOrderValue")
ORDER_METRICS = ("ordersPlaced", "orders", "cancelledOrders", "deliveredOrders", "orderCompletionRate", "statuses",
                 "revenue", "averageOrderValue", "units")
USER_METRICS = ("newAccounts", "customers", "newCustomers", "returningCustomers", "cartsCreated", "cartsWithItems",
                "cartsConverted", "cartsAbandoned", "cartAbandonmentRate")
HEADLINE_METRICS = ("orders", "revenue", "averageOrderValue", "units", "refunds", "netRevenue", "newCustomers",
                    "returningCustomers", "cartAbandonmentRate", "orderCompletionRate")
CUSTOMER_METRICS = {"customers", "newCustomers", "returningCustomers"}
DASHBOARD_TOP = 5


def report_currency(currency: str | None) -> str:
    """`currency` upper-cased, or the shop's. Raises ValidationFailed (`invalid_analytics_query`)
    for anything but three letters."""
    code = (currency or config.get().currency).strip().upper()
    if len(code) != 3 or not code.isascii() or not code.isalpha():
        raise ValidationFailed("currency must be an ISO 4217 code", reason="invalid_analytics_query",
                               details=[{"field": "currency", "message": "three letters, e.g. USD"}])
    return code


def _pick(point: dict, metrics) -> dict:
    return {metric: point[metric] for metric in metrics}


def _meta(currency: str, first: dt.date, last: dt.date, interval: str | None) -> dict:
    meta = {"currency": currency, "from": first.isoformat(), "to": last.isoformat()}
    if interval is not None:
        meta["interval"] = interval
    return {**meta, **figures.rollup_status(first, last)}


def series_report(metrics, first: dt.date | None = None, last: dt.date | None = None, interval: str = "day",
                  currency: str | None = None) -> dict:
    """The series report (module docstring) of `metrics` (a tuple of figure names)."""
    first, last = check_range(first, last, interval)
    currency = report_currency(currency)
    customers = bool(CUSTOMER_METRICS & set(metrics))
    points = figures.period_figures(currency, periods(first, last, interval), customers=customers)
    [totals] = figures.period_figures(currency, [Period(first, first, last)], customers=customers)
    return {**_meta(currency, first, last, interval), "totals": _pick(totals, metrics),
            "series": [{"period": p["period"], "start": p["start"], "end": p["end"], **_pick(p, metrics)}
                       for p in points]}


def sales_report(first=None, last=None, interval="day", currency=None) -> dict:
    """Sales: orders, units, revenue, average order value, refunds and net revenue per period."""
    return series_report(SALES_METRICS, first, last, interval, currency)


def revenue_report(first=None, last=None, interval="day", currency=None) -> dict:
    """Revenue: gross sales, discounts, shipping, tax, revenue, refunds, net revenue per period."""
    return series_report(REVENUE_METRICS, first, last, interval, currency)


def order_report(first=None, last=None, interval="day", currency=None) -> dict:
    """Orders: placed, not cancelled, cancelled, delivered, completion rate, statuses per period."""
    return series_report(ORDER_METRICS, first, last, interval, currency)


def user_report(first=None, last=None, interval="day", currency=None) -> dict:
    """Users: new accounts, customers (new and returning), carts and the abandonment rate per period."""
    return series_report(USER_METRICS, first, last, interval, currency)


def product_report(first=None, last=None, interval="day", currency=None, limit: int = 10,
                   sort: str = "revenue") -> dict:
    """Product performance: the range's top `limit` products and categories by `sort` (revenue |
    units | orders; services.analytics.rankings) and per period the units and line revenue of all
    products: `{meta..., "products": [...], "categories": [...], "totals": {"units", "revenue"},
    "series": [{"period", "start", "end", "units", "revenue"}]}`."""
    first, last = check_range(first, last, interval)
    currency = report_currency(currency)
    if sort not in rankings.SORTS or not 1 <= limit <= rankings.MAX_LIMIT:
        raise ValidationFailed("Unknown sort or limit out of range", reason="invalid_analytics_query",
                               details=[{"field": "sort", "message": f"one of {', '.join(rankings.SORTS)}; "
                                                                     f"limit 1..{rankings.MAX_LIMIT}"}])
    chosen = periods(first, last, interval)
    sales = rankings.product_sales(currency, chosen)
    [totals] = rankings.product_sales(currency, [Period(first, first, last)]).values()
    return {**_meta(currency, first, last, interval),
            "products": rankings.top_products(currency, first, last, limit, sort),
            "categories": rankings.top_categories(currency, first, last, limit, sort),
            "totals": totals,
            "series": [{"period": p.label.isoformat(), "start": p.start.isoformat(), "end": p.end.isoformat(),
                        **sales[p.label]} for p in chosen]}


def dashboard(first=None, last=None, currency=None) -> dict:
    """The admin dashboard: `{"currency", "from", "to", "computedAt", "daysComputed", "currencies",
    "today": headline, "range": headline, "topProducts": [5 best by revenue over the range],
    "cartAbandonmentRate", "orderCompletionRate" (the range's)}`, a headline being
    HEADLINE_METRICS. `today` is today's UTC day whatever the range; `computedAt` the latest
    rollup of the range's days or today; `currencies` those with figures in the range."""
    first, last = check_range(first, last, "day")
    currency = report_currency(currency)
    now = today()
    [span] = figures.period_figures(currency, [Period(first, first, last)], customers=True)
    [current] = figures.period_figures(currency, [Period(now, now, now)], customers=True)
    status = figures.rollup_status(first, last)
    latest = figures.rollup_status(now, now)["computedAt"]
    if latest and (status["computedAt"] is None or latest > status["computedAt"]):
        status["computedAt"] = latest
    return {"currency": currency, "from": first.isoformat(), "to": last.isoformat(), **status,
            "currencies": figures.currencies(first, last),
            "today": {"date": now.isoformat(), **_pick(current, HEADLINE_METRICS)},
            "range": _pick(span, HEADLINE_METRICS),
            "topProducts": rankings.top_products(currency, first, last, DASHBOARD_TOP),
            "cartAbandonmentRate": span["cartAbandonmentRate"], "orderCompletionRate": span["orderCompletionRate"]}
