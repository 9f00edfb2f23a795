"""The `analytics_rollup` job (queue `bulk`): recompute the rollup tables (`models.analytics`) for a
range of UTC days, one day per transaction.

A day is recomputed by deleting its rows in every rollup table and inserting them again from the
orders, order lines, refunds, carts and accounts of that day, in one transaction that first takes
the day's lock (PostgreSQL: a transaction-level advisory lock on the day; SQLite: the write lock
of BEGIN IMMEDIATE). Running it twice, or two jobs at once over overlapping days, leaves the same
rows: each day is as its last rollup computed it. Metrics that depend on an order's *current*
status (cancelled, delivered) are as they were when the day was rolled up; the scheduler rolls up
yesterday and today (services.analytics.scheduling), staff roll up older days on demand.

What each column of a day `D` (in currency `C`) holds, over orders *placed* on `D` (created in
`[D 00:00, D+1 00:00)` UTC) in `C`:

- `orders_placed`: every such order; `orders`: those not `cancelled`; `cancelled_orders`,
  `delivered_orders`: those now `cancelled` / `delivered`; `status_counts`: `{status: orders}`;
- `revenue`: SUM(order total) of the non-cancelled orders (goods after discounts, plus shipping
  and tax: what the customer pays), minor units; `gross_sales`, `discounts`, `shipping`, `tax`:
  SUM of the same orders' subtotal, discount, shipping and tax;
- `units`: SUM(line quantity) of the non-cancelled orders;
- `video_orders`: those with at least one line added to the cart from a shoppable video
  (`order_item.source_video_id`); `video_revenue`: SUM(line total) of those lines only;
- `refunds` / `refund_count`: SUM(amount) / number of Refund rows in `C` with status `succeeded`
  *created* on `D` (whenever their order was placed);
- carts *created* on `D` in `C`: `carts_created` (all), `carts_with_items` (with at least one line,
  or converted), `carts_converted` (status `converted`), `carts_abandoned` (with items and not
  converted: expired, or still active, when the day was rolled up);
- products (`AnalyticsProductDay`): per product of the non-cancelled orders' lines, `units`
  (SUM quantity), `revenue` (SUM line total: unit price with customizations x quantity, before
  order discounts, shipping and tax) and `orders` (distinct orders); categories
  (`AnalyticsCategoryDay`) the same per the product's category (`""`: none) at rollup time;
- customers (`AnalyticsCustomerDay`): one row per customer with a non-cancelled order on `D` in
  `C` (a user id, or `guest:<email>` lower-cased: a guest is known by their email), with
  `first_order_day`: the day of their first
  non-cancelled order ever, in any currency;
- `AnalyticsRollupDay.new_accounts`: customer accounts (role `customer`) created on `D`.
"""

from __future__ import annotations

import datetime as dt

from peewee import fn

from models.analytics import (AnalyticsCategoryDay, AnalyticsCustomerDay, AnalyticsDay, AnalyticsProductDay,
                              AnalyticsRollupDay)
from models.carts import Cart, CartItem
from models.catalog import Category, Product
from models.db import atomic, database, is_postgres, isoformat, utcnow
from models.jobs import Job
from models.orders import Order, OrderItem, Refund
from models.users import User
from services.analytics.periods import MAX_ROLLUP_DAYS, as_date, check_range, day_bounds, days_between, today
from services.errors import ValidationFailed
from services.platform import JobContext, jobs

JOB_TYPE = "analytics_rollup"
LOCK_NAMESPACE = 26026  # first key of PostgreSQL's two-key advisory locks: analytics days
BATCH = 200  # rows per INSERT, ids per IN (...)
CANCELLED, DELIVERED, CONVERTED = "cancelled", "delivered", "converted"
DAY_TABLES = (AnalyticsDay, AnalyticsProductDay, AnalyticsCategoryDay, AnalyticsCustomerDay, AnalyticsRollupDay)


def rollup_range(first: dt.date | None, last: dt.date | None) -> tuple[dt.date, dt.date]:
    """The days a rollup covers: `to` defaults to today (UTC), `from` to the day before `to`.
    Raises ValidationFailed: `analytics_range_reversed`, `analytics_range_too_long` (more than
    MAX_ROLLUP_DAYS days), `analytics_future_day` (`to` after today)."""
    last = last or today()
    first, last = check_range(first or last - dt.timedelta(days=1), last, "day", limit=MAX_ROLLUP_DAYS)
    if last > today():
        raise ValidationFailed("Days after today (UTC) cannot be rolled up yet", reason="analytics_future_day",
                               details=[{"field": "to", "message": f"at most {today().isoformat()}"}])
    return first, last


def start_rollup(first: dt.date | None = None, last: dt.date | None = None, owner_id: str | None = None,
                 parent_id: str | None = None) -> Job:
    """Write the `analytics_rollup` job for `from`..`to` (see `rollup_range`; payload
    `{"from", "to"}` as ISO dates); call inside a transaction (web.jobview.submit, the scheduled
    task). Raises ValidationFailed for a bad range."""
    first, last = rollup_range(first, last)
    return jobs.create_job(JOB_TYPE, {"from": first.isoformat(), "to": last.isoformat()}, owner_id=owner_id,
                           parent_id=parent_id, total=(last - first).days + 1)


def run_rollup_job(job: Job, ctx: JobContext) -> dict:
    """`analytics_rollup` job handler: roll up each day of the payload's range, oldest first, with
    progress per day. Result: `{"from", "to", "days", "orders", "computedAt"}` (`orders`: orders
    placed over the range). Raises ValidationFailed (`invalid_analytics_query`) for a malformed
    payload (the job fails without retry)."""
    payload = job.payload or {}
    try:
        first, last = dt.date.fromisoformat(payload["from"]), dt.date.fromisoformat(payload["to"])
    except (KeyError, TypeError, ValueError):
        raise ValidationFailed("The rollup job needs `from` and `to` ISO dates", reason="invalid_analytics_query",
                               details=[{"field": "payload", "message": "from, to: YYYY-MM-DD"}]) from None
    days = days_between(first, last)
    ctx.progress(0, len(days), f"Rolling up {len(days)} day(s)")
    placed, computed = 0, None
    for n, day in enumerate(days, start=1):
        summary = roll_up_day(day, job_id=job.id)
        placed += summary["ordersPlaced"]
        computed = summary["computedAt"]
        ctx.progress(n, len(days), f"{day.isoformat()}: {summary['ordersPlaced']} order(s)")
    return {"from": first.isoformat(), "to": last.isoformat(), "days": len(days), "orders": placed,
            "computedAt": computed}


def roll_up_day(day: dt.date, job_id: str | None = None, now: dt.datetime | None = None) -> dict:
    """Recompute `day`'s rows in every rollup table (module docstring) in one transaction.
    Returns `{"day", "currencies", "ordersPlaced", "computedAt"}`."""
    now = now or utcnow()
    with atomic():
        _lock_day(day)
        rows = _compute_day(day, now)
        for model in DAY_TABLES:
            model.delete().where(model.day == day).execute()
        for model, key in ((AnalyticsDay, "days"), (AnalyticsProductDay, "products"),
                           (AnalyticsCategoryDay, "categories"), (AnalyticsCustomerDay, "customers")):
            for start in range(0, len(rows[key]), BATCH):
                model.insert_many(rows[key][start:start + BATCH]).execute()
        AnalyticsRollupDay.insert(day=day, new_accounts=rows["new_accounts"], computed_at=now,
                                  job_id=job_id).execute()
    return {"day": day.isoformat(), "currencies": sorted(r["currency"] for r in rows["days"]),
            "ordersPlaced": sum(r["orders_placed"] for r in rows["days"]), "computedAt": isoformat(now)}


def _lock_day(day: dt.date) -> None:
    """Serialise rollups of `day` (SQLite's BEGIN IMMEDIATE already holds the database's write lock)."""
    if is_postgres():
        database.execute_sql("SELECT pg_advisory_xact_lock(%s, %s)", (LOCK_NAMESPACE, day.toordinal()))


def _blank_day(day: dt.date, currency: str, now: dt.datetime) -> dict:
    return {"day": day, "currency": currency, "orders_placed": 0, "orders": 0, "cancelled_orders": 0,
            "delivered_orders": 0, "status_counts": {}, "gross_sales": 0, "discounts": 0, "shipping": 0, "tax": 0,
            "revenue": 0, "units": 0, "refunds": 0, "refund_count": 0, "carts_created": 0, "carts_with_items": 0,
            "carts_converted": 0, "carts_abandoned": 0, "video_orders": 0, "video_revenue": 0, "computed_at": now}


def _compute_day(day: dt.date, now: dt.datetime) -> dict:
    """The rows of `day`: `{"days", "products", "categories", "customers": [row dicts],
    "new_accounts": int}`."""
    start, end = day_bounds(day)
    days: dict[str, dict] = {}

    def of(currency: str) -> dict:
        if currency not in days:
            days[currency] = _blank_day(day, currency, now)
        return days[currency]

    customers: dict[tuple[str, str], dict] = {}
    for _oid, customer_id, email, status, currency, subtotal, discount, shipping, tax, total in (
            Order.select(Order.id, Order.customer, Order.customer_email, Order.status, Order.currency,
                         Order.subtotal, Order.discount, Order.shipping, Order.tax, Order.total)
            .where(Order.created_at >= start, Order.created_at < end).tuples()):
        row = of(currency)
        row["orders_placed"] += 1
        row["status_counts"][status] = row["status_counts"].get(status, 0) + 1
        row["delivered_orders"] += status == DELIVERED
        if status == CANCELLED:
            row["cancelled_orders"] += 1
            continue
        row["orders"] += 1
        for column, value in (("gross_sales", subtotal), ("discounts", discount), ("shipping", shipping),
                              ("tax", tax), ("revenue", total)):
            row[column] += int(value or 0)
        key = customer_id or f"guest:{(email or '').lower()}"
        entry = customers.setdefault((currency, key), {"orders": 0, "revenue": 0})
        entry["orders"] += 1
        entry["revenue"] += int(total or 0)

    products, categories = _product_rows(day, start, end, of)
    for currency, amount, count in (
            Refund.select(Refund.currency, fn.SUM(Refund.amount), fn.COUNT(Refund.id))
            .where(Refund.created_at >= start, Refund.created_at < end, Refund.status == "succeeded")
            .group_by(Refund.currency).tuples()):
        of(currency)["refunds"] += int(amount or 0)
        of(currency)["refund_count"] += int(count or 0)
    _count_carts(start, end, of)
    first_days = _first_order_days({key for _, key in customers})
    customer_rows = [{"day": day, "currency": currency, "customer_key": key[:300],
                      "first_order_day": min(first_days.get(key, day), day), **figures}
                     for (currency, key), figures in sorted(customers.items())]
    new_accounts = User.select().where(User.created_at >= start, User.created_at < end,
                                       User.role == "customer").count()
    return {"days": [days[c] for c in sorted(days)], "products": products, "categories": categories,
            "customers": customer_rows, "new_accounts": new_accounts}


def _product_rows(day: dt.date, start: dt.datetime, end: dt.datetime, of) -> tuple[list[dict], list[dict]]:
    """Product and category rows from the lines of the day's non-cancelled orders; adds each
    currency's units to its day row (`of(currency)`)."""
    by_product: dict[tuple[str, str], dict] = {}
    snapshot_names: dict[str, str] = {}
    video_orders: dict[str, set] = {}
    for order_id, currency, product_id, quantity, line_total, snapshot, video_id in (
            OrderItem.select(OrderItem.order, Order.currency, OrderItem.product_id, OrderItem.quantity,
                             OrderItem.total_price, OrderItem.product_snapshot, OrderItem.source_video_id)
            .join(Order).where(Order.created_at >= start, Order.created_at < end, Order.status != CANCELLED)
            .tuples()):
        of(currency)["units"] += int(quantity)
        if video_id:
            video_orders.setdefault(currency, set()).add(order_id)
            of(currency)["video_revenue"] += int(line_total)
        entry = by_product.setdefault((currency, product_id), {"orders": set(), "units": 0, "revenue": 0})
        entry["orders"].add(order_id)
        entry["units"] += int(quantity)
        entry["revenue"] += int(line_total)
        if isinstance(snapshot, dict) and snapshot.get("name"):
            snapshot_names.setdefault(product_id, str(snapshot["name"]))
    for currency, ids in video_orders.items():
        of(currency)["video_orders"] = len(ids)
    info = _products({pid for _, pid in by_product})
    category_names = _category_names({cat for _, cat in info.values() if cat})
    products, by_category = [], {}
    for (currency, product_id), entry in sorted(by_product.items()):
        name, category_id = info.get(product_id, (snapshot_names.get(product_id, ""), ""))
        products.append({"day": day, "currency": currency, "product_id": product_id, "product_name": name[:255],
                         "category_id": category_id, "orders": len(entry["orders"]), "units": entry["units"],
                         "revenue": entry["revenue"]})
        bucket = by_category.setdefault((currency, category_id), {"orders": set(), "units": 0, "revenue": 0})
        bucket["orders"] |= entry["orders"]
        bucket["units"] += entry["units"]
        bucket["revenue"] += entry["revenue"]
    categories = [{"day": day, "currency": currency, "category_id": category_id,
                   "category_name": category_names.get(category_id, "")[:200], "orders": len(bucket["orders"]),
                   "units": bucket["units"], "revenue": bucket["revenue"]}
                  for (currency, category_id), bucket in sorted(by_category.items())]
    return products, categories


def _chunks(values) -> list[list]:
    values = sorted(values)
    return [values[i:i + BATCH] for i in range(0, len(values), BATCH)]


def _products(ids: set[str]) -> dict[str, tuple[str, str]]:
    """product id -> (name, category id or "") of the products that still exist."""
    found = {}
    for chunk in _chunks(ids):
        for pid, name, category_id in Product.select(Product.id, Product.name, Product.category) \
                .where(Product.id.in_(chunk)).tuples():
            found[pid] = (name or "", category_id or "")
    return found


def _category_names(ids: set[str]) -> dict[str, str]:
    names = {}
    for chunk in _chunks(ids):
        names.update(Category.select(Category.id, Category.name).where(Category.id.in_(chunk)).tuples())
    return names


def _count_carts(start: dt.datetime, end: dt.datetime, of) -> None:
    """Add the carts created in `[start, end)` to their currency's day row."""
    created = (Cart.created_at >= start) & (Cart.created_at < end)
    with_items = {cart_id for (cart_id,) in CartItem.select(CartItem.cart).join(Cart).where(created)
                  .distinct().tuples()}
    for cart_id, currency, status in Cart.select(Cart.id, Cart.currency, Cart.status).where(created).tuples():
        row = of(currency)
        row["carts_created"] += 1
        converted = status == CONVERTED
        if converted or cart_id in with_items:
            row["carts_with_items"] += 1
            row["carts_converted"] += converted
            row["carts_abandoned"] += not converted


def _first_order_days(keys: set[str]) -> dict[str, dt.date]:
    """customer key -> the day of their first non-cancelled order ever (user ids by `customer`,
    `guest:<email>` keys by the lower-cased email of guest orders)."""
    users = {k for k in keys if not k.startswith("guest:")}
    guests = {k[len("guest:"):] for k in keys if k.startswith("guest:")}
    found: dict[str, dt.date] = {}
    for chunk in _chunks(users):
        for customer_id, first in Order.select(Order.customer, fn.MIN(Order.created_at)) \
                .where(Order.customer.in_(chunk), Order.status != CANCELLED).group_by(Order.customer).tuples():
            found[customer_id] = as_date(first)
    email = fn.LOWER(Order.customer_email)  # the expression index of migration 0026
    for chunk in _chunks(guests):
        for address, first in Order.select(email, fn.MIN(Order.created_at)) \
                .where(Order.customer.is_null(), email.in_(chunk), Order.status != CANCELLED) \
                .group_by(email).tuples():
            found[f"guest:{address}"] = as_date(first)
    return found
