"""Carts, cart items and discount codes."""

import peewee

from models.catalog import Product, Variant
from models.db import BaseModel, PrefixedIdField, utcnow
from models.users import User

CART_STATUSES = ("active", "converted", "expired")


class DiscountCode(BaseModel):
    """A discount: `kind` percentage (value 20 = 20 %) or fixed_amount (minor units)."""

    id = PrefixedIdField("disc")
    code = peewee.CharField(max_length=50, unique=True)
    kind = peewee.CharField(max_length=20)
    value = peewee.IntegerField()
    minimum_amount = peewee.IntegerField(default=0)
    usage_limit = peewee.IntegerField(null=True)
    usage_count = peewee.IntegerField(default=0)
    starts_at = peewee.DateTimeField(null=True)
    ends_at = peewee.DateTimeField(null=True)
    active = peewee.BooleanField(default=True)
    created_at = peewee.DateTimeField(default=utcnow)


class Cart(BaseModel):
    """A cart. A guest cart (customer null) is reachable by its id; a customer's only by them and staff."""

    id = PrefixedIdField("cart")
    customer = peewee.ForeignKeyField(User, null=True, backref="carts", on_delete="SET NULL")
    currency = peewee.CharField(max_length=3)
    discount_code = peewee.CharField(max_length=50, null=True)
    status = peewee.CharField(max_length=16, default="active", index=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
    expires_at = peewee.DateTimeField(index=True)
    converted_at = peewee.DateTimeField(null=True)


class CartItem(BaseModel):
    """A line of a cart; one per variant (adding the same variant again adds to its quantity)."""

    id = PrefixedIdField("item")
    cart = peewee.ForeignKeyField(Cart, backref="items", on_delete="CASCADE")
    product = peewee.ForeignKeyField(Product, on_delete="CASCADE")
    variant = peewee.ForeignKeyField(Variant, on_delete="CASCADE")
    quantity = peewee.IntegerField()
    unit_price = peewee.IntegerField()
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("cart", "variant"), True),)
