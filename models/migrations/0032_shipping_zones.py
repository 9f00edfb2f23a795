"""Shipping zones (issue: shipping zones and delivery dates): the `shipping_zone` table and
`order.delivery_date` (the day the customer booked; null for orders placed before and for
orders without one). No zone row is written here: services.orders.shipping_zones writes the
default zones (today's methods and prices for the shop's countries) on first use when the
table is empty, from the configuration then in force."""

import peewee

from models.migrations.helpers import add_column_if_missing
from models.shipping import ShippingZone


def migrate(database, migrator):
    database.create_tables([ShippingZone], safe=True)
    add_column_if_missing(database, migrator, "order", "delivery_date", peewee.DateField(null=True))
