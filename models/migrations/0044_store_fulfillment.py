"""Fulfilment grouped by store (issue 11, seed 002's orders across stores): `order_item.store_id`
(the store that sold the line, indexed so a store finds its orders; filled from the line's
snapshot for orders placed before) and the `order_fulfillment` table (one row per store part of
an order once it was first updated, models.orders.OrderFulfillment)."""

import peewee

from models.migrations.helpers import add_column_if_missing
from models.orders import OrderFulfillment, OrderItem


def migrate(database, migrator):
    if add_column_if_missing(database, migrator, "order_item", "store_id", peewee.CharField(max_length=40, null=True)):
        database.execute_sql("CREATE INDEX IF NOT EXISTS order_item_store_id ON order_item (store_id)")
        for item in OrderItem.select(OrderItem.id, OrderItem.product_snapshot).iterator():
            store_id = (item.product_snapshot or {}).get("storeId")
            if store_id:
                OrderItem.update(store_id=store_id).where(OrderItem.id == item.id).execute()
    database.create_tables([OrderFulfillment], safe=True)
