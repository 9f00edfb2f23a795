"""Carts, cart items and discount codes."""

import peewee

from models.catalog import Product, Variant
from models.db import BaseModel, JSONField, PrefixedIdField, utcnow
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
    """A line of a cart: one per variant and set of chosen customizations (adding the same
    variant with the same customizations again adds to its quantity).

    `customizations` is the chosen set as it was when added (services.catalog.customizations:
    `[{"code", "label", "value", "price"}]`, price in minor units per unit, in the product's
    definition order); `customization_key` is its stable hash (`customization_key()`, "" for no
    customizations), so the unique index is on `(cart, variant, customization_key)` (migration
    0019). `unit_price` is the price at the last write (minor units); reads re-price the line.
    """

    id = PrefixedIdField("item")
    cart = peewee.ForeignKeyField(Cart, backref="items", on_delete="CASCADE")
    product = peewee.ForeignKeyField(Product, on_delete="CASCADE")
    variant = peewee.ForeignKeyField(Variant, on_delete="CASCADE")
    quantity = peewee.IntegerField()
    unit_price = peewee.IntegerField()
    customizations = JSONField(default=list, constraints=[peewee.SQL("DEFAULT '[]'")])
    customization_key = peewee.CharField(max_length=64, default="", constraints=[peewee.SQL("DEFAULT ''")])
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        indexes = ((("cart", "variant", "customization_key"), True),)
