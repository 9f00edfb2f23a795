"""Analytics rollups (issue 10, seeds 001 and 004): one row per UTC day (and currency, product,
category or customer) written by the `analytics_rollup` job (services.analytics.rollup), read by the
analytics routes, which never scan orders.

A day's rows in every table are deleted and inserted again in one transaction, so a day is
either wholly as its last rollup computed it or not rolled up at all (`AnalyticsRollupDay` is
the day's marker). Money columns are integer minor units of the row's `currency`; days are UTC
calendar days. Migration 0026 creates the tables.
"""

import peewee

from models.db import BaseModel, JSONField, utcnow


class AnalyticsRollupDay(BaseModel):
    """A day the rollup computed: when (`computed_at`), by which job, and the day's figures that
    have no currency (`new_accounts`: customer accounts registered that day)."""

    day = peewee.DateField(primary_key=True)
    new_accounts = peewee.IntegerField(default=0)
    computed_at = peewee.DateTimeField(default=utcnow)
    job_id = peewee.CharField(max_length=40, null=True)


class AnalyticsDay(BaseModel):
    """One day's orders, refunds and carts in one currency (services.analytics.rollup defines
    each column). Orders and carts belong to the day they were created (placed); refunds to
    the day they were created."""

    day = peewee.DateField()
    currency = peewee.CharField(max_length=3)
    orders_placed = peewee.IntegerField(default=0)  # every order placed, cancelled ones too
    orders = peewee.IntegerField(default=0)  # placed and not cancelled
    cancelled_orders = peewee.IntegerField(default=0)
    delivered_orders = peewee.IntegerField(default=0)
    status_counts = JSONField(default=dict)  # {status: orders placed that day now in that status}
    gross_sales = peewee.BigIntegerField(default=0)  # SUM(subtotal) of the non-cancelled orders
    discounts = peewee.BigIntegerField(default=0)
    shipping = peewee.BigIntegerField(default=0)
    tax = peewee.BigIntegerField(default=0)
    revenue = peewee.BigIntegerField(default=0)  # SUM(total) of the non-cancelled orders
    units = peewee.IntegerField(default=0)
    refunds = peewee.BigIntegerField(default=0)  # SUM(amount) of succeeded refunds created that day
    refund_count = peewee.IntegerField(default=0)
    carts_created = peewee.IntegerField(default=0)
    carts_with_items = peewee.IntegerField(default=0)
    carts_converted = peewee.IntegerField(default=0)
    carts_abandoned = peewee.IntegerField(default=0)
    # non-cancelled orders with a line added from a shoppable video, and SUM of those lines' totals
    # (migration 0038)
    video_orders = peewee.IntegerField(default=0, constraints=[peewee.SQL("DEFAULT 0")])
    video_revenue = peewee.BigIntegerField(default=0, constraints=[peewee.SQL("DEFAULT 0")])
    computed_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("day", "currency"), True),)


class AnalyticsProductDay(BaseModel):
    """One product's sales on one day in one currency: non-cancelled orders placed that day.
    `revenue` is the sum of its line totals (before order discounts, shipping and tax);
    `category_id` / `product_name` are the product's when the day was rolled up."""

    day = peewee.DateField()
    currency = peewee.CharField(max_length=3)
    product_id = peewee.CharField(max_length=40)
    product_name = peewee.CharField(max_length=255, default="")
    category_id = peewee.CharField(max_length=40, default="")
    orders = peewee.IntegerField(default=0)
    units = peewee.IntegerField(default=0)
    revenue = peewee.BigIntegerField(default=0)

    class Meta:
        indexes = ((("day", "currency", "product_id"), True),)


class AnalyticsCategoryDay(BaseModel):
    """One category's sales on one day in one currency (its products' lines; `category_id` ""
    for products without a category). `orders`: distinct orders with a line of the category."""

    day = peewee.DateField()
    currency = peewee.CharField(max_length=3)
    category_id = peewee.CharField(max_length=40, default="")
    category_name = peewee.CharField(max_length=200, default="")
    orders = peewee.IntegerField(default=0)
    units = peewee.IntegerField(default=0)
    revenue = peewee.BigIntegerField(default=0)

    class Meta:
        indexes = ((("day", "currency", "category_id"), True),)


class AnalyticsCustomerDay(BaseModel):
    """A customer who placed a non-cancelled order on `day` in `currency`: `customer_key` is the
    user id, or `guest:<lower-case email>` for a guest; `first_order_day` is the day of their first
    non-cancelled order ever (any currency) when the day was rolled up. Distinct counts over weeks
    and months (new and returning customers) are read from these rows."""

    day = peewee.DateField()
    currency = peewee.CharField(max_length=3)
    customer_key = peewee.CharField(max_length=300)
    first_order_day = peewee.DateField()
    orders = peewee.IntegerField(default=0)
    revenue = peewee.BigIntegerField(default=0)

    class Meta:
        indexes = ((("day", "currency", "customer_key"), True),)
