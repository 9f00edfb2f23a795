"""Lists computed on the fly from orders, before the first training run (or when a
trained list is empty): popular = units sold per product in non-cancelled orders (the
newest products fill up an empty shop), trending = units sold in the last 30 days
weighted by `0.5 ** (age_days / 7)`. Each returns `[(product_id, score)]`.
"""

from __future__ import annotations

import datetime as dt

import peewee

from models.catalog import Product
from models.db import utcnow
from models.orders import Order, OrderItem

FALLBACK_TRENDING_DAYS = 30
FALLBACK_TRENDING_HALF_LIFE_DAYS = 7.0
FALLBACK_TRENDING_MAX_ROWS = 20_000


def sold_on_the_fly(n: int) -> list[tuple[str, float]]:
    """The `n` best-selling products (units in non-cancelled orders), most units first."""
    rows = (OrderItem.select(OrderItem.product_id, peewee.fn.SUM(OrderItem.quantity).alias("units"))
            .join(Order).where(Order.status != "cancelled")
            .group_by(OrderItem.product_id).order_by(peewee.SQL("units").desc(), OrderItem.product_id)
            .limit(n).tuples())
    return [(pid, float(units)) for pid, units in rows]


def newest(n: int, exclude: set) -> list[tuple[str, float]]:
    """The `n` newest active products not in `exclude` (score 0)."""
    rows = (Product.select(Product.id).where(Product.status == "active", Product.id.not_in(list(exclude) or [""]))
            .order_by(Product.created_at.desc(), Product.id).limit(n).tuples())
    return [(pid, 0.0) for (pid,) in rows]


def trending_on_the_fly(n: int) -> list[tuple[str, float]]:
    """The `n` products with the most recency-decayed units sold in the last 30 days."""
    now = utcnow()
    since = now - dt.timedelta(days=FALLBACK_TRENDING_DAYS)
    rows = (OrderItem.select(OrderItem.product_id, OrderItem.quantity, Order.created_at).join(Order)
            .where(Order.status != "cancelled", Order.created_at >= since)
            .order_by(Order.created_at.desc()).limit(FALLBACK_TRENDING_MAX_ROWS).tuples())
    scores: dict = {}
    for pid, qty, at in rows:
        age_days = max(0.0, (now - at).total_seconds() / 86400.0)
        scores[pid] = scores.get(pid, 0.0) + qty * 0.5 ** (age_days / FALLBACK_TRENDING_HALF_LIFE_DAYS)
    return sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
