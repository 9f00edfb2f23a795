"""Analytics (issue 10): the rollup tables of `models.analytics` (one row per UTC day, and
currency, product, category or customer), and the indexes the rollup job's reads need: carts,
refunds and accounts of one day (`created_at`; orders already have one), and a guest's earlier
orders by lower-cased email (`LOWER(customer_email)`, an expression index on both engines)."""

from models.analytics import (AnalyticsCategoryDay, AnalyticsCustomerDay, AnalyticsDay, AnalyticsProductDay,
                              AnalyticsRollupDay)

TABLES = [AnalyticsRollupDay, AnalyticsDay, AnalyticsProductDay, AnalyticsCategoryDay, AnalyticsCustomerDay]
INDEXES = [("analytics_cart_created_at", "cart", '"created_at"'),
           ("analytics_refund_created_at", "refund", '"created_at"'),
           ("analytics_user_created_at", "user", '"created_at"'),
           ("analytics_order_email", "order", 'LOWER("customer_email")')]


def migrate(database, migrator):
    database.create_tables(TABLES, safe=True)
    for name, table, expression in INDEXES:
        database.execute_sql(f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" ({expression})')
