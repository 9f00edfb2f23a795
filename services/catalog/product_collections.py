"""Product collections (seed 001): featured and popular products, as pages like the product list.

- featured: active products with `is_featured` (set by admins on create/update), newest first;
- popular: active products by units sold over the last `POPULAR_WINDOW_DAYS` (30) days, from
  the order lines of orders placed in that window that count as sales: status confirmed,
  processing, shipped or delivered (a card order is confirmed once paid, a cash-on-delivery
  order at checkout; pending, on-hold and cancelled ones do not count) and payment neither
  failed nor refunded. Ties break on the average approved review rating, then newest, then id;
  products without sales (or ratings) follow in the same order, so the list holds every
  active product and is never empty for a shop with products.
Both return `(views, total)` as `products.list_products` does.
"""

from __future__ import annotations

from datetime import timedelta

import peewee
from peewee import JOIN

from models.catalog import Product
from models.db import utcnow
from models.orders import Order, OrderItem
from models.reviews import Review
from services.catalog import product_filters
from services.catalog.products import ProductView, load_views, with_category

POPULAR_WINDOW_DAYS = 30
SALE_STATUSES = ("confirmed", "processing", "shipped", "delivered")
NOT_SALE_PAYMENTS = ("failed", "refunded")


def featured_products(page: int = 1, limit: int = 20) -> tuple[list[ProductView], int]:
    """A page of active featured products, newest first (ties on id); `(views, total)`."""
    query = product_filters.filter_products(Product.select(), is_featured=True)
    rows = list(with_category(query).order_by(Product.created_at.desc(), Product.id).paginate(page, limit))
    return load_views(rows), query.count()


def popular_products(page: int = 1, limit: int = 20) -> tuple[list[ProductView], int]:
    """A page of active products, best sellers of the last 30 days first (module docstring);
    `(views, total)`; `total` is the number of active products."""
    since = utcnow() - timedelta(days=POPULAR_WINDOW_DAYS)
    sales = (OrderItem.select(OrderItem.product_id, peewee.fn.SUM(OrderItem.quantity).alias("units"))
             .join(Order, on=(OrderItem.order == Order.id))
             .where(Order.created_at >= since, Order.status.in_(SALE_STATUSES),
                    Order.payment_status.not_in(NOT_SALE_PAYMENTS))
             .group_by(OrderItem.product_id).alias("sales"))
    ratings = (Review.select(Review.product.alias("product_id"), peewee.fn.AVG(Review.rating).alias("rating"))
               .where(Review.status == "approved").group_by(Review.product).alias("ratings"))
    query = product_filters.filter_products(Product.select())
    units = peewee.fn.COALESCE(sales.c.units, 0)
    rating = peewee.fn.COALESCE(ratings.c.rating, 0)
    rows = list(with_category(query)
                .join_from(Product, sales, JOIN.LEFT_OUTER, on=(sales.c.product_id == Product.id))
                .join_from(Product, ratings, JOIN.LEFT_OUTER, on=(ratings.c.product_id == Product.id))
                .order_by(units.desc(), rating.desc(), Product.created_at.desc(), Product.id)
                .paginate(page, limit))
    return load_views(rows), query.count()
