"""Wishlists (seed 001): a customer's saved products, bulk-operation outcomes, share links.

`WishlistItem` is unique per (user, product). `WishlistBulkItem` records the
outcome of each item of a `wishlist_bulk` job in the same transaction as the
item's change, so a retried job skips what it already did (exactly once per
item) and reports the same result. `WishlistShare` is a revocable read-only link.
"""

import peewee

from models.catalog import Product
from models.db import BaseModel, PrefixedIdField, utcnow
from models.users import User


class WishlistItem(BaseModel):
    """A product on a customer's wishlist; `price_at_add` is the product price then (minor units)."""

    id = PrefixedIdField("wli")
    user = peewee.ForeignKeyField(User, backref="wishlist_items", on_delete="CASCADE")
    product = peewee.ForeignKeyField(Product, backref="wishlist_items", on_delete="CASCADE", index=True)
    price_at_add = peewee.IntegerField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("user", "product"), True), (("user", "created_at"), False))


class WishlistBulkItem(BaseModel):
    """The outcome of one product of a bulk wishlist job: `status` successful | failed, `reason` when failed."""

    job_id = peewee.CharField(max_length=40)
    product_id = peewee.CharField(max_length=40)
    position = peewee.IntegerField()
    status = peewee.CharField(max_length=16)
    reason = peewee.CharField(max_length=64, null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        primary_key = peewee.CompositeKey("job_id", "product_id")


class WishlistShare(BaseModel):
    """A share link of a customer's wishlist: `token` (>= 128 random bits) until `revoked_at`."""

    id = PrefixedIdField("wsh")
    user = peewee.ForeignKeyField(User, backref="wishlist_shares", on_delete="CASCADE", index=True)
    token = peewee.CharField(max_length=64, unique=True)
    created_at = peewee.DateTimeField(default=utcnow)
    revoked_at = peewee.DateTimeField(null=True)
