"""Product reviews (seed 001 Review model, kept minimal): one per customer and product.

`rating` is a whole number of stars 1-5 (a CHECK enforces it); a review of a
product the author bought (an order not cancelled) is a verified purchase.
Good reviews (>= 4 stars) are one of the signals of the recommender.
"""

import peewee

from models.catalog import Product
from models.db import BaseModel, PrefixedIdField, utcnow
from models.users import User


class Review(BaseModel):
    """A customer's review of a product; unique per (user, product)."""

    id = PrefixedIdField("rev")
    product = peewee.ForeignKeyField(Product, backref="reviews", on_delete="CASCADE")
    user = peewee.ForeignKeyField(User, backref="reviews", on_delete="CASCADE")
    rating = peewee.SmallIntegerField(constraints=[peewee.Check("rating BETWEEN 1 AND 5")])
    title = peewee.CharField(max_length=200, default="")
    body = peewee.TextField(default="")
    is_verified_purchase = peewee.BooleanField(default=False)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = (
            (("user", "product"), True),
            (("product", "created_at"), False),
        )
