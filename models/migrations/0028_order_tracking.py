"""Order tracking and couriers (issue 10): `order.carrier`, the `order_event` timeline and
`order_delivery` (a courier's delivery of an order). Orders placed before have no timeline
rows; their tracking shows what the order row tells (placed at `created_at`, its status now)."""

import peewee

from models.migrations.helpers import add_column_if_missing
from models.orders import OrderDelivery, OrderEvent


def migrate(database, migrator):
    add_column_if_missing(database, migrator, "order", "carrier", peewee.CharField(max_length=100, null=True))
    database.create_tables([OrderEvent, OrderDelivery], safe=True)
