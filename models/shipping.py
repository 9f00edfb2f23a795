"""Shipping zones (migration 0032): where the shop ships and, per zone, its methods and prices."""

import peewee

from models.db import BaseModel, JSONField, PrefixedIdField, utcnow


class ShippingZone(BaseModel):
    """A region the shop ships to, with its own shipping methods (as Shopify's and Saleor's zones).

    `countries`: ISO 3166-1 alpha-2 codes, upper-case; `cities`: empty (every city of those
    countries) or city names (then only those cities; matched case-insensitively).
    `methods`: `[{"id", "name", "description", "price", "free_threshold", "weight_rates"}]` where
    `price` and `free_threshold` (subtotal at or above which the method is free; None: never) are
    minor units and `weight_rates` is `[{"up_to_grams", "price"}]` by ascending `up_to_grams`
    (empty: the flat `price`). Rules and matching: services.orders.shipping_zones.
    """

    id = PrefixedIdField("shz")
    name = peewee.CharField(max_length=100, unique=True)
    countries = JSONField(default=list)
    cities = JSONField(default=list)
    methods = JSONField(default=list)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
